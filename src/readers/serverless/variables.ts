/**
 * @module readers/serverless/variables — `${…}` variables of a `serverless.yml`, resolved as the
 * Serverless Framework (v3) resolves them. [pure: files come in through `readFile`]
 *
 * Forms: `${self:path.to.key}`, `${opt:stage}` / `${opt:region}`, `${sls:stage}`, `${env:NAME}`,
 * `${param:key}` (`--param k=v`, then `params.<stage>.key`, then `params.default.key`),
 * `${file(./x.yml):path}` (YAML or JSON, resolved in turn), `${aws:region}` / `${aws:accountId}`;
 * nested (`${self:custom.${sls:stage}.url}`, inner first) and with fallbacks
 * (`${env:A, ${self:custom.a}, 'text', 42, null}`: tried in order, each only when the previous one
 * has no value). A value that is the whole string keeps its type (object, number); inside a longer
 * string it must be a string, number or boolean.
 *
 * Sources that need the cloud (`ssm`, `cf`, `s3`, `secretsmanager`, and any other unknown source)
 * are errors naming the variable and how to supply it locally: `--param 'ssm:/path=VALUE'` (any
 * variable can be supplied this way, by its text without `${}` and without fallbacks) or a fallback.
 * Never a silent empty string.
 *
 * `${AWS::Region}`-style CloudFormation references (inside `Fn::Sub`) are not variables and are
 * left alone, as the Framework leaves them.
 */
import { parse as parseYaml } from 'yaml';

export interface VariableOptions {
  /** `--stage` (opt:stage). */
  stage?: string;
  /** `--region` (opt:region). */
  region?: string;
  /** `--param 'k=v'` pairs: `${param:k}`, or any variable by its text (`ssm:/a/b`). */
  params?: Readonly<Record<string, string>>;
  env?: Readonly<Record<string, string | undefined>>;
  /** Reads a file relative to the service directory; `undefined` when it does not exist. */
  readFile?: (relativePath: string) => string | undefined;
  /** Default is 123456789012 (the gateway's `aws.accountId` default). */
  accountId?: string;
}

export interface VariableIssue {
  path: string;
  message: string;
}

/** Thrown inside the resolver; collected per top-level value. */
class VariableError extends Error {}

const CLOUD_SOURCES: Readonly<Record<string, string>> = {
  ssm: 'AWS Systems Manager Parameter Store',
  cf: 'a CloudFormation stack output',
  s3: 'an S3 object',
  secretsmanager: 'AWS Secrets Manager',
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const NOT_FOUND = Symbol('not found');
type Resolved = Json | typeof NOT_FOUND;

/** `a.b[0].c` / `a.b.0.c` as segments. */
function splitPath(address: string): string[] {
  return address
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((s) => s !== '');
}

export function formatPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Resolves every variable in `doc` (a parsed serverless.yml). Returns the resolved document and one
 * issue per value that could not be resolved (its path in the file, the variable, why).
 */
export function resolveVariables(doc: Record<string, unknown>, options: VariableOptions = {}): { value: Record<string, unknown>; issues: VariableIssue[] } {
  const resolver = new Resolver(doc as Record<string, Json>, options);
  const issues: VariableIssue[] = [];
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(doc)) {
    const v = resolver.resolveDeep([key], issues);
    if (v !== NOT_FOUND) out[key] = v;
  }
  return { value: out, issues };
}

class Resolver {
  readonly #root: Json;
  readonly #options: VariableOptions;
  /** Fully resolved values by path key. */
  readonly #done = new Map<string, Resolved>();
  /** Paths being resolved (cycle detection), in order. */
  readonly #stack: string[] = [];
  readonly #files = new Map<string, Json>();
  #stage: string | undefined;

  constructor(root: Record<string, Json>, options: VariableOptions) {
    this.#root = root;
    this.#options = options;
  }

  /** Resolves the value at `path` and everything under it; problems go to `issues` with their own paths. */
  resolveDeep(path: (string | number)[], issues: VariableIssue[]): Resolved {
    let shallow: Resolved;
    try {
      shallow = this.#resolveAt(path.map(String));
    } catch (err) {
      if (!(err instanceof VariableError)) throw err;
      issues.push({ path: formatPath(path), message: err.message });
      return NOT_FOUND;
    }
    if (Array.isArray(shallow)) {
      const out: Json[] = [];
      shallow.forEach((_v, i) => {
        const v = this.resolveDeep([...path, i], issues);
        out.push(v === NOT_FOUND ? null : v);
      });
      return out;
    }
    if (isObject(shallow)) {
      const out: Record<string, Json> = {};
      for (const k of Object.keys(shallow)) {
        const v = this.resolveDeep([...path, k], issues);
        if (v !== NOT_FOUND) out[k] = v;
      }
      return out;
    }
    return shallow;
  }

  /**
   * The value at `path` with the variables of that node itself resolved (its children may still hold
   * variables: callers that need the whole subtree use `#fullyAt`).
   */
  #resolveAt(path: readonly string[]): Resolved {
    const key = JSON.stringify(path);
    const cached = this.#done.get(key);
    if (cached !== undefined) return cached;
    if (this.#stack.includes(key)) {
      const from = this.#stack.indexOf(key);
      const chain = [...this.#stack.slice(from), key].map((k) => `self:${(JSON.parse(k) as string[]).join('.')}`);
      throw new VariableError(`variable cycle: ${chain.map((c) => `\${${c}}`).join(' → ')}`);
    }
    this.#stack.push(key);
    try {
      let node: Resolved;
      if (path.length === 0) node = this.#root;
      else {
        const parent = this.#resolveAt(path.slice(0, -1));
        const last = path[path.length - 1]!;
        if (Array.isArray(parent) && /^\d+$/.test(last)) node = Number(last) < parent.length ? parent[Number(last)]! : NOT_FOUND;
        else if (isObject(parent) && Object.hasOwn(parent, last)) node = parent[last] as Json;
        else node = NOT_FOUND;
      }
      const value = typeof node === 'string' ? this.#resolveString(node) : node;
      this.#done.set(key, value);
      return value;
    } finally {
      this.#stack.pop();
    }
  }

  /** The value at `path` with every variable below it resolved (for `${self:…}` that names an object). */
  #fullyAt(path: readonly string[]): Resolved {
    const v = this.#resolveAt(path);
    if (Array.isArray(v)) return v.map((_x, i) => this.#orNull(this.#fullyAt([...path, String(i)])));
    if (isObject(v)) {
      const out: Record<string, Json> = {};
      for (const k of Object.keys(v)) {
        const r = this.#fullyAt([...path, k]);
        if (r !== NOT_FOUND) out[k] = r;
      }
      return out;
    }
    return v;
  }

  #orNull(v: Resolved): Json {
    return v === NOT_FOUND ? null : v;
  }

  /** A string with `${…}` in it: one variable alone keeps its value's type; otherwise text. */
  #resolveString(text: string): Resolved {
    const parts = scanVariables(text);
    if (parts.length === 0) return text;
    if (parts.length === 1 && parts[0]!.start === 0 && parts[0]!.end === text.length) return this.#resolveVariable(parts[0]!.inner);
    let out = '';
    let at = 0;
    for (const p of parts) {
      out += text.slice(at, p.start);
      const v = this.#resolveVariable(p.inner);
      if (v === null || typeof v === 'object') {
        throw new VariableError(`\${${p.inner}} is ${v === null ? 'null' : Array.isArray(v) ? 'a list' : 'a mapping'}, which cannot be part of the string "${text}"`);
      }
      out += String(v);
      at = p.end;
    }
    return out + text.slice(at);
  }

  /** `source:address, fallback, …` (the text between `${` and `}`). */
  #resolveVariable(inner: string): Json {
    const [primary, ...fallbacks] = splitTopLevel(inner);
    const first = primary!.trim();
    // Nested variables in the address (and file path) resolve first, as the Framework does.
    const addressText = this.#resolveInline(first);
    const supplied = this.#options.params?.[addressText];
    let value: Resolved = supplied !== undefined ? supplied : this.#fromSource(addressText, inner, fallbacks.length > 0);
    for (const fb of fallbacks) {
      if (value !== NOT_FOUND && value !== undefined) break;
      value = this.#fallback(fb.trim(), inner);
    }
    if (value === NOT_FOUND) throw new VariableError(this.#notFoundMessage(addressText, inner));
    return value;
  }

  /** Resolves variables inside an address so it can be looked up (always text). */
  #resolveInline(text: string): string {
    const parts = scanVariables(text);
    if (parts.length === 0) return text;
    let out = '';
    let at = 0;
    for (const p of parts) {
      out += text.slice(at, p.start);
      const v = this.#resolveVariable(p.inner);
      if (v === null || typeof v === 'object') throw new VariableError(`\${${p.inner}} inside \${${text}} must be a string, got ${v === null ? 'null' : 'a mapping or list'}`);
      out += String(v);
      at = p.end;
    }
    return out + text.slice(at);
  }

  #fallback(text: string, whole: string): Resolved {
    if (/^'.*'$/s.test(text) || /^".*"$/s.test(text)) return text.slice(1, -1);
    if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
    if (text === 'null') return null;
    if (text === 'true' || text === 'false') return text === 'true';
    const parts = scanVariables(text);
    if (parts.length === 1 && parts[0]!.start === 0 && parts[0]!.end === text.length) {
      const inner = parts[0]!.inner;
      const [p, ...more] = splitTopLevel(inner);
      const address = this.#resolveInline(p!.trim());
      const supplied = this.#options.params?.[address];
      let v: Resolved = supplied !== undefined ? supplied : this.#fromSource(address, inner, more.length > 0);
      for (const fb of more) {
        if (v !== NOT_FOUND) break;
        v = this.#fallback(fb.trim(), inner);
      }
      return v;
    }
    throw new VariableError(`\${${whole}}: the fallback ${text} must be a quoted string, a number, true, false, null or a variable`);
  }

  /** NOT_FOUND when the source has no value (then a fallback may apply); VariableError when it cannot be asked. */
  #fromSource(address: string, whole: string, hasFallback: boolean): Resolved {
    const m = /^([a-zA-Z][\w-]*)(?:\((.*)\))?:(.*)$/s.exec(address) ?? /^([a-zA-Z][\w-]*)\((.*)\)()$/s.exec(address);
    if (!m) throw new VariableError(`\${${whole}} is not a variable the Serverless Framework knows (expected \${source:address}, e.g. \${self:custom.key})`);
    const [, source, param, rest] = m as unknown as [string, string, string | undefined, string];
    const addr = rest.trim();
    switch (source) {
      case 'self':
        return this.#fullyAt(splitPath(addr));
      case 'opt': {
        const opts: Record<string, string | undefined> = { stage: this.#options.stage, region: this.#options.region };
        return opts[addr] ?? NOT_FOUND;
      }
      case 'sls':
        if (addr === 'stage') return this.stage();
        if (addr === 'instanceId') return 'local';
        throw new VariableError(`\${${whole}}: unknown sls variable "${addr}" (known: stage, instanceId)`);
      case 'env': {
        const v = this.#options.env?.[addr];
        return v === undefined ? NOT_FOUND : v;
      }
      case 'param':
        return this.#param(addr);
      case 'aws':
        if (addr === 'region') return this.region();
        if (addr === 'accountId') return this.#options.accountId ?? '123456789012';
        throw new VariableError(`\${${whole}}: unknown aws variable "${addr}" (known locally: region, accountId)`);
      case 'file':
        return this.#file(param, addr, whole);
      case 'strToBool': {
        const v = (param ?? '').trim();
        if (v === 'true' || v === 'false') return v === 'true';
        throw new VariableError(`\${${whole}}: strToBool takes true or false, got "${v}"`);
      }
      default: {
        const base = source.split('.')[0]!;
        if (hasFallback && !(base in CLOUD_SOURCES)) return NOT_FOUND;
        const what = CLOUD_SOURCES[base] ?? `the "${source}" source (a plugin or the cloud)`;
        throw new VariableError(
          `\${${whole}} needs ${what}, which Portcullis does not call; supply the value locally with --param '${address}=VALUE' (or give the variable a fallback, e.g. \${${address}, \${env:NAME}})`,
        );
      }
    }
  }

  #notFoundMessage(address: string, whole: string): string {
    const m = /^([a-zA-Z][\w-]*)(?:\((.*)\))?:(.*)$/s.exec(address);
    const source = m?.[1];
    const addr = m?.[3]?.trim() ?? '';
    switch (source) {
      case 'self':
        return `\${${whole}}: no value at "${addr}" in this file`;
      case 'opt':
        return `\${${whole}}: option --${addr} was not given${addr === 'stage' || addr === 'region' ? '' : ' (Portcullis passes --stage and --region; give the variable a fallback)'}`;
      case 'env':
        return `\${${whole}}: environment variable ${addr} is not set and the variable has no fallback`;
      case 'param':
        return `\${${whole}}: no parameter "${addr}" (pass --param '${addr}=VALUE', or set params.${this.stage()}.${addr} or params.default.${addr})`;
      case 'file':
        return `\${${whole}}: no value at "${addr}" in ${m?.[2] ?? 'the file'}`;
      default:
        return `\${${whole}} has no value`;
    }
  }

  #param(name: string): Resolved {
    const given = this.#options.params?.[name];
    if (given !== undefined) return given;
    for (const stage of [this.stage(), 'default']) {
      const v = this.#resolveAt(['params', stage, name]);
      if (v !== NOT_FOUND) return this.#fullyAt(['params', stage, name]);
    }
    return NOT_FOUND;
  }

  #file(param: string | undefined, address: string, whole: string): Resolved {
    const rel = (param ?? '').trim().replace(/^['"]|['"]$/g, '');
    if (!rel) throw new VariableError(`\${${whole}}: file() needs a path, e.g. \${file(./config.yml):key}`);
    if (/\.(c|m)?(js|ts)$/.test(rel)) throw new VariableError(`\${${whole}}: JavaScript files as variable sources are not run by Portcullis; use a YAML or JSON file, or --param`);
    let doc = this.#files.get(rel);
    if (doc === undefined) {
      const text = this.#options.readFile?.(rel);
      if (text === undefined) throw new VariableError(`\${${whole}}: file ${rel} does not exist`);
      // As the Framework: YAML and JSON files are parsed, any other file is its text (a PEM key).
      if (!/\.(ya?ml|json)$/i.test(rel)) {
        if (address) throw new VariableError(`\${${whole}}: ${rel} is not YAML or JSON, so it has no keys; write \${file(${rel})}`);
        return text;
      }
      try {
        doc = (parseYaml(text) ?? null) as Json;
      } catch (err) {
        throw new VariableError(`\${${whole}}: ${rel} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
      }
      this.#files.set(rel, doc);
    }
    let node: Json | undefined = doc;
    for (const seg of splitPath(address)) {
      if (Array.isArray(node) && /^\d+$/.test(seg)) node = node[Number(seg)];
      else if (isObject(node) && Object.hasOwn(node, seg)) node = node[seg] as Json;
      else return NOT_FOUND;
    }
    return node === undefined ? NOT_FOUND : this.#resolveForeign(node, 0);
  }

  /** Variables inside a file's values resolve against this service (`self` is the serverless.yml). */
  #resolveForeign(node: Json, depth: number): Json {
    if (depth > 20) throw new VariableError('variables nest more than 20 deep');
    if (typeof node === 'string') {
      const v = this.#resolveString(node);
      return v === NOT_FOUND ? null : v;
    }
    if (Array.isArray(node)) return node.map((n) => this.#resolveForeign(n, depth + 1));
    if (isObject(node)) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, this.#resolveForeign(v as Json, depth + 1)]));
    return node;
  }

  /** `${sls:stage}`: `--stage`, else `provider.stage`, else `dev`. */
  stage(): string {
    if (this.#stage !== undefined) return this.#stage;
    if (this.#options.stage) return (this.#stage = this.#options.stage);
    const v = this.#resolveAt(['provider', 'stage']);
    return (this.#stage = typeof v === 'string' && v ? v : 'dev');
  }

  region(): string {
    if (this.#options.region) return this.#options.region;
    const v = this.#resolveAt(['provider', 'region']);
    return typeof v === 'string' && v ? v : 'us-east-1';
  }
}

/** The stage a document runs as (`--stage`, `provider.stage`, `dev`), resolving variables in `provider.stage`. */
export function resolveStage(doc: Record<string, unknown>, options: VariableOptions): string {
  try {
    return new Resolver(doc as Record<string, Json>, options).stage();
  } catch {
    return options.stage ?? 'dev';
  }
}

interface Found {
  start: number;
  end: number;
  inner: string;
}

/**
 * Outermost `${…}` of a string that are Serverless variables. `${AWS::Region}` and other
 * CloudFormation `Fn::Sub` references (no lowercase `source:`) are not.
 */
export function scanVariables(text: string): Found[] {
  const out: Found[] = [];
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('${', i);
    if (start < 0) break;
    let depth = 0;
    let end = -1;
    let quote: string | null = null;
    for (let j = start; j < text.length; j++) {
      const c = text[j];
      if (quote) {
        if (c === quote) quote = null;
        continue;
      }
      if (c === '$' && text[j + 1] === '{') {
        depth++;
        j++;
      } else if ((c === "'" || c === '"') && depth > 0 && /[,\s]/.test(text[j - 1] ?? '')) quote = c;
      else if (c === '}') {
        depth--;
        if (depth === 0) {
          end = j + 1;
          break;
        }
      }
    }
    if (end < 0) break;
    const inner = text.slice(start + 2, end - 1);
    if (/^\s*[a-z][\w.-]*(\(.*\))?:/s.test(inner) || /^\s*[a-z][\w.-]*\([^)]*\)\s*(,|$)/s.test(inner) || /^\s*\$\{/.test(inner)) out.push({ start, end, inner });
    i = end;
  }
  return out;
}

/** Splits `a, 'b, c', ${x, y}` at top-level commas. */
function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let paren = 0;
  let quote: string | null = null;
  let cur = '';
  for (let j = 0; j < text.length; j++) {
    const c = text[j]!;
    if (quote) {
      cur += c;
      if (c === quote) quote = null;
      continue;
    }
    if (c === '$' && text[j + 1] === '{') {
      depth++;
      cur += '${';
      j++;
      continue;
    }
    if (c === '}' && depth > 0) depth--;
    else if (c === '(') paren++;
    else if (c === ')' && paren > 0) paren--;
    else if ((c === "'" || c === '"') && cur.trim() === '' && out.length > 0) quote = c;
    else if (c === ',' && depth === 0 && paren === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}
