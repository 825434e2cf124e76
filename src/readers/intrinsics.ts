/**
 * @module readers/intrinsics — CloudFormation intrinsic functions, resolved locally. [pure]
 *
 * `Ref`, `Fn::GetAtt`, `Fn::Sub` (both forms), `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::If` with
 * `Conditions`, `Fn::Equals`/`And`/`Or`/`Not`, `Fn::FindInMap`, `Fn::Base64`, `Fn::GetAZs`,
 * `Fn::ToJsonString`, `Fn::Length`, `Fn::Transform` (`AWS::Include` of a local file); pseudo parameters; `Parameters` with their defaults and the
 * `--parameter-overrides` values. Resolution is lazy: a reader resolves the properties it uses, so an
 * `Fn::ImportValue` in a resource Portcullis ignores costs nothing. A value that cannot be resolved is
 * an error at its template path, and the resolver returns `undefined` for it.
 *
 * Physical ids are made up the way a deployment would make them: a resource's `Ref` is its name
 * property (`FunctionName`) or its logical id; `Fn::GetAtt Fn.Arn` of a Lambda function is
 * `arn:aws:lambda:REGION:ACCOUNT:function:NAME`, so an ARN built from intrinsics names the local
 * function again (`functionNameOfArn`).
 *
 * `cloudFormationTags` teaches the `yaml` parser the short forms (`!Ref X`, `!GetAtt A.B`, `!Sub …`).
 */
import type { ConfigIssue } from '../core/errors.ts';
import { joinPath } from './build.ts';

/** `AWS::NoValue`: the property is removed. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

/** Identity of the local "deployment". */
export interface DeploymentIdentity {
  region: string;
  accountId: string;
  stackName: string;
}

export const DEFAULT_IDENTITY: DeploymentIdentity = { region: 'us-east-1', accountId: '123456789012', stackName: 'portcullis-local' };

const SHORT_TAGS: ReadonlyArray<[string, string]> = [
  ['!Ref', 'Ref'],
  ['!Condition', 'Condition'],
  ['!Sub', 'Fn::Sub'],
  ['!GetAtt', 'Fn::GetAtt'],
  ['!Join', 'Fn::Join'],
  ['!Select', 'Fn::Select'],
  ['!Split', 'Fn::Split'],
  ['!If', 'Fn::If'],
  ['!Equals', 'Fn::Equals'],
  ['!And', 'Fn::And'],
  ['!Or', 'Fn::Or'],
  ['!Not', 'Fn::Not'],
  ['!FindInMap', 'Fn::FindInMap'],
  ['!Base64', 'Fn::Base64'],
  ['!GetAZs', 'Fn::GetAZs'],
  ['!ImportValue', 'Fn::ImportValue'],
  ['!Cidr', 'Fn::Cidr'],
  ['!Transform', 'Fn::Transform'],
  ['!ToJsonString', 'Fn::ToJsonString'],
  ['!Length', 'Fn::Length'],
];

interface YamlNodeLike {
  toJSON(): unknown;
}

/**
 * Custom tags for `yaml`'s `parseDocument(text, { customTags })`: each short form in its scalar,
 * sequence and mapping shapes becomes the long form (`!GetAtt A.B` → `{ "Fn::GetAtt": ["A", "B"] }`).
 */
export const cloudFormationTags = SHORT_TAGS.flatMap(([tag, fn]) => [
  { tag, resolve: (s: string) => ({ [fn]: fn === 'Fn::GetAtt' ? splitGetAtt(s) : s }) },
  { tag, collection: 'seq' as const, resolve: (node: YamlNodeLike) => ({ [fn]: node.toJSON() }) },
  { tag, collection: 'map' as const, resolve: (node: YamlNodeLike) => ({ [fn]: node.toJSON() }) },
]);

function splitGetAtt(s: string): string[] {
  const dot = s.indexOf('.');
  return dot < 0 ? [s] : [s.slice(0, dot), s.slice(dot + 1)];
}

/** The function name in a Lambda ARN or an API Gateway `…/functions/ARN/invocations` URI, else null. */
export function functionNameOfArn(value: string): string | null {
  const m = /(?:^|:)function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9_$-]+)?(?:\/invocations)?$/.exec(value.trim()) ?? /:function:([A-Za-z0-9_-]+)/.exec(value);
  return m ? m[1]! : null;
}

type Json = unknown;

interface Template {
  Parameters?: Record<string, { Type?: string; Default?: unknown; AllowedValues?: unknown[] }>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Conditions?: Record<string, unknown>;
  Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown>; Condition?: string }>;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The one key of an intrinsic call (`{ "Fn::Join": … }`), or null for a plain mapping. */
export function intrinsicName(v: unknown): string | null {
  if (!isObject(v)) return null;
  const keys = Object.keys(v);
  if (keys.length !== 1) return null;
  const k = keys[0]!;
  return k === 'Ref' || k === 'Condition' || k.startsWith('Fn::') ? k : null;
}

/**
 * Resolves intrinsic functions in a template's values. Errors are pushed into `errors` (template
 * paths), each at most once.
 */
export class IntrinsicResolver {
  readonly #template: Template;
  readonly #overrides: Readonly<Record<string, string>>;
  readonly #identity: DeploymentIdentity;
  readonly #errors: ConfigIssue[];
  readonly #seen = new Set<string>();
  readonly #conditions = new Map<string, boolean | 'pending'>();
  readonly #resources: Record<string, { Type?: string; Properties?: Record<string, unknown>; Condition?: string }>;

  /** `Fn::Transform` `AWS::Include`: the parsed document at a local location, or null when it cannot be read. */
  readonly #include: ((location: string) => unknown) | undefined;

  constructor(template: unknown, overrides: Readonly<Record<string, string>>, errors: ConfigIssue[], identity: DeploymentIdentity = DEFAULT_IDENTITY, include?: (location: string) => unknown) {
    this.#include = include;
    this.#template = (isObject(template) ? template : {}) as Template;
    this.#overrides = overrides;
    this.#errors = errors;
    this.#identity = identity;
    this.#resources = isObject(this.#template.Resources) ? this.#template.Resources : {};
    for (const name of Object.keys(overrides)) {
      const isParameter = isObject(this.#template.Parameters) && name in this.#template.Parameters;
      if (!isParameter && !(name in this.#resources)) {
        this.#error('--parameter-overrides', `${name}: the template has no parameter or resource ${name}${this.#known(Object.keys(this.#template.Parameters ?? {}))}`);
      }
    }
  }

  #error(path: string, message: string): undefined {
    const key = `${path}\u0000${message}`;
    if (!this.#seen.has(key)) {
      this.#seen.add(key);
      this.#errors.push({ path, message });
    }
    return undefined;
  }

  #known(names: string[]): string {
    return names.length ? ` (known: ${names.join(', ')})` : '';
  }

  /** Is the resource in the deployment (its `Condition`, when it has one, is true)? */
  isResourceIncluded(logicalId: string): boolean {
    const cond = this.#resources[logicalId]?.Condition;
    return typeof cond !== 'string' || this.condition(cond, joinPath(['Resources', logicalId, 'Condition']));
  }

  /** Evaluates a named condition of `Conditions`. */
  condition(name: string, path: string): boolean {
    const state = this.#conditions.get(name);
    if (state === 'pending') return Boolean(this.#error(path, `condition ${name} refers to itself`));
    if (state !== undefined) return state;
    const conditions = isObject(this.#template.Conditions) ? this.#template.Conditions : {};
    if (!(name in conditions)) return Boolean(this.#error(path, `unknown condition ${name}${this.#known(Object.keys(conditions))}`));
    this.#conditions.set(name, 'pending');
    const value = this.#bool(conditions[name], joinPath(['Conditions', name]));
    this.#conditions.set(name, value);
    return value;
  }

  #bool(v: unknown, path: string): boolean {
    const r = this.resolve(v, path);
    if (typeof r === 'boolean') return r;
    if (r === 'true' || r === 'false') return r === 'true';
    if (r !== undefined) this.#error(path, `must be a condition (true or false), got ${describe(r)}`);
    return false;
  }

  /**
   * The value with every intrinsic resolved (deeply), `NO_VALUE` for `AWS::NoValue`, or undefined
   * when it could not be resolved (the error is recorded; inside lists and mappings such parts are
   * left out).
   */
  resolve(value: Json, path: string): unknown {
    const fn = intrinsicName(value);
    if (fn) return this.#call(fn, (value as Record<string, unknown>)[fn], joinPath([path, fn]), path);
    // An item or key that failed is left out (its error is recorded, and errors stop the run): the
    // rest is still read, so one unresolved value does not bring a cascade of follow-on errors.
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      value.forEach((v, i) => {
        const r = this.resolve(v, joinPath([path, i]));
        if (r !== undefined && r !== NO_VALUE) out.push(r);
      });
      return out;
    }
    if (isObject(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const r = this.resolve(v, joinPath([path, k]));
        if (r !== undefined && r !== NO_VALUE) out[k] = r;
      }
      return out;
    }
    return value;
  }

  /** `resolve`, then expects a string (numbers and booleans are turned into text, as CloudFormation does). */
  string(value: Json, path: string): string | undefined {
    const r = this.resolve(value, path);
    if (r === undefined || r === NO_VALUE) return undefined;
    if (typeof r === 'string') return r;
    if (typeof r === 'number' || typeof r === 'boolean') return String(r);
    return this.#error(path, `must be a string, got ${describe(r)}`);
  }

  #call(fn: string, arg: unknown, at: string, valuePath: string): unknown {
    switch (fn) {
      case 'Ref':
        return typeof arg === 'string' ? this.ref(arg, valuePath) : this.#error(at, `takes a name, got ${describe(arg)}`);
      case 'Condition':
        return typeof arg === 'string' ? this.condition(arg, at) : this.#error(at, `takes a condition name, got ${describe(arg)}`);
      case 'Fn::GetAtt': {
        const parts = typeof arg === 'string' ? splitGetAtt(arg) : Array.isArray(arg) ? arg.map((a, i) => this.string(a, joinPath([at, i]))) : [];
        if (parts.length !== 2 || parts.some((p) => typeof p !== 'string')) return this.#error(at, `takes [LogicalId, Attribute] or "LogicalId.Attribute", got ${describe(arg)}`);
        return this.getAtt(parts[0]!, parts[1]!, at);
      }
      case 'Fn::Sub':
        return this.#sub(arg, at);
      case 'Fn::Join': {
        if (!Array.isArray(arg) || arg.length !== 2) return this.#error(at, `takes [delimiter, [values]], got ${describe(arg)}`);
        const delimiter = this.string(arg[0], joinPath([at, 0]));
        const list = this.resolve(arg[1], joinPath([at, 1]));
        if (delimiter === undefined || list === undefined) return undefined;
        if (!Array.isArray(list)) return this.#error(joinPath([at, 1]), `must be a list, got ${describe(list)}`);
        const bad = list.findIndex((v) => typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean');
        if (bad >= 0) return this.#error(joinPath([at, 1, bad]), `must be a string, got ${describe(list[bad])}`);
        return list.map(String).join(delimiter);
      }
      case 'Fn::Select': {
        if (!Array.isArray(arg) || arg.length !== 2) return this.#error(at, `takes [index, [values]], got ${describe(arg)}`);
        const index = this.resolve(arg[0], joinPath([at, 0]));
        const list = this.resolve(arg[1], joinPath([at, 1]));
        if (index === undefined || list === undefined) return undefined;
        const i = typeof index === 'number' ? index : typeof index === 'string' && /^\d+$/.test(index) ? Number(index) : NaN;
        if (!Number.isInteger(i) || i < 0) return this.#error(joinPath([at, 0]), `must be an index (0 or more), got ${describe(index)}`);
        if (!Array.isArray(list)) return this.#error(joinPath([at, 1]), `must be a list, got ${describe(list)}`);
        if (i >= list.length) return this.#error(joinPath([at, 0]), `index ${i} is out of range (the list has ${list.length} item${list.length === 1 ? '' : 's'})`);
        return list[i];
      }
      case 'Fn::Split': {
        if (!Array.isArray(arg) || arg.length !== 2) return this.#error(at, `takes [delimiter, string], got ${describe(arg)}`);
        const delimiter = this.string(arg[0], joinPath([at, 0]));
        const text = this.string(arg[1], joinPath([at, 1]));
        if (delimiter === undefined || text === undefined) return undefined;
        if (delimiter === '') return this.#error(joinPath([at, 0]), 'must not be empty');
        return text.split(delimiter);
      }
      case 'Fn::If': {
        if (!Array.isArray(arg) || arg.length !== 3 || typeof arg[0] !== 'string') return this.#error(at, `takes [ConditionName, valueIfTrue, valueIfFalse], got ${describe(arg)}`);
        const chosen = this.condition(arg[0], joinPath([at, 0])) ? 1 : 2;
        return this.resolve(arg[chosen], joinPath([at, chosen]));
      }
      case 'Fn::Equals': {
        if (!Array.isArray(arg) || arg.length !== 2) return this.#error(at, `takes [value, value], got ${describe(arg)}`);
        const a = this.resolve(arg[0], joinPath([at, 0]));
        const b = this.resolve(arg[1], joinPath([at, 1]));
        if (a === undefined || b === undefined) return false;
        return JSON.stringify(scalarText(a)) === JSON.stringify(scalarText(b));
      }
      case 'Fn::And':
      case 'Fn::Or': {
        if (!Array.isArray(arg) || arg.length < 2 || arg.length > 10) return this.#error(at, `takes 2 to 10 conditions, got ${describe(arg)}`);
        const values = arg.map((c, i) => this.#bool(c, joinPath([at, i])));
        return fn === 'Fn::And' ? values.every(Boolean) : values.some(Boolean);
      }
      case 'Fn::Not': {
        if (!Array.isArray(arg) || arg.length !== 1) return this.#error(at, `takes [condition], got ${describe(arg)}`);
        return !this.#bool(arg[0], joinPath([at, 0]));
      }
      case 'Fn::FindInMap': {
        if (!Array.isArray(arg) || arg.length < 3) return this.#error(at, `takes [MapName, TopLevelKey, SecondLevelKey], got ${describe(arg)}`);
        const keys = arg.slice(0, 3).map((k, i) => this.string(k, joinPath([at, i])));
        if (keys.some((k) => k === undefined)) return undefined;
        const [map, top, second] = keys as [string, string, string];
        const mappings = isObject(this.#template.Mappings) ? this.#template.Mappings : {};
        const m = mappings[map];
        if (!isObject(m)) return this.#error(joinPath([at, 0]), `unknown mapping ${map}${this.#known(Object.keys(mappings))}`);
        const t = m[top];
        if (!isObject(t)) return this.#error(joinPath([at, 1]), `mapping ${map} has no key ${top}${this.#known(Object.keys(m))}`);
        if (!(second in t)) return this.#error(joinPath([at, 2]), `mapping ${map}.${top} has no key ${second}${this.#known(Object.keys(t))}`);
        return this.resolve(t[second], joinPath(['Mappings', map, top, second]));
      }
      case 'Fn::Base64':
        return this.string(arg, at);
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((z) => `${this.#identity.region}${z}`);
      case 'Fn::ToJsonString': {
        const r = this.resolve(arg, at);
        return r === undefined ? undefined : JSON.stringify(r);
      }
      case 'Fn::Length': {
        const r = this.resolve(arg, at);
        if (r === undefined) return undefined;
        return Array.isArray(r) ? r.length : this.#error(at, `takes a list, got ${describe(r)}`);
      }
      case 'Fn::Transform': {
        // AWS::Include (SAM projects keep their OpenAPI DefinitionBody in a file this way).
        const params = isObject(arg) && isObject(arg.Parameters) ? arg.Parameters : {};
        if (!isObject(arg) || arg.Name !== 'AWS::Include') return this.#error(at, `only the AWS::Include transform is supported, got ${describe(isObject(arg) ? arg.Name : arg)}`);
        const location = this.string(params.Location, joinPath([at, 'Parameters', 'Location']));
        if (location === undefined) return undefined;
        if (/^s3:\/\//.test(location) || /^https?:\/\//.test(location)) return this.#error(joinPath([at, 'Parameters', 'Location']), `must be a local file (relative to the template), got ${JSON.stringify(location)}`);
        const doc = this.#include?.(location);
        if (doc === null || doc === undefined) return this.#error(joinPath([at, 'Parameters', 'Location']), `${location} cannot be read as YAML or JSON`);
        return this.resolve(doc, at);
      }
      case 'Fn::ImportValue':
        return this.#error(at, 'values exported by other stacks are not available locally: replace it with a parameter (and --parameter-overrides)');
      default:
        return this.#error(at, `${fn} is not supported (supported: Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::If, Fn::Equals, Fn::And, Fn::Or, Fn::Not, Fn::FindInMap, Fn::Base64, Fn::GetAZs, Fn::ToJsonString, Fn::Length, Fn::Transform AWS::Include)`);
    }
  }

  /** `Ref`: a parameter, a pseudo parameter or a resource's physical id. */
  ref(name: string, path: string): unknown {
    const id = this.#identity;
    switch (name) {
      case 'AWS::Region':
        return id.region;
      case 'AWS::AccountId':
        return id.accountId;
      case 'AWS::StackName':
        return id.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${id.region}:${id.accountId}:stack/${id.stackName}/00000000-0000-0000-0000-000000000000`;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::NotificationARNs':
        return [];
      case 'AWS::NoValue':
        return NO_VALUE;
    }
    const params = isObject(this.#template.Parameters) ? this.#template.Parameters : {};
    if (name in params) return this.#parameter(name, params[name]);
    if (name in this.#resources) return this.physicalId(name);
    return this.#error(joinPath([path, 'Ref']), `no parameter or resource named ${name}`);
  }

  #parameter(name: string, decl: unknown): unknown {
    const at = joinPath(['Parameters', name]);
    const d = isObject(decl) ? decl : {};
    const given = this.#overrides[name];
    const raw = given ?? d.Default;
    if (raw === undefined) return this.#error(at, `has no Default: pass --parameter-overrides ${name}=VALUE`);
    const text = Array.isArray(raw) ? raw.map(String).join(',') : String(raw);
    if (Array.isArray(d.AllowedValues) && given !== undefined && !d.AllowedValues.map(String).includes(text)) {
      return this.#error(at, `--parameter-overrides ${name}=${text} is not one of its AllowedValues (${d.AllowedValues.map(String).join(', ')})`);
    }
    const type = typeof d.Type === 'string' ? d.Type : 'String';
    if (type === 'CommaDelimitedList' || type.startsWith('List<')) return text === '' ? [] : text.split(',').map((s) => s.trim());
    if (type === 'Number' && given === undefined && typeof raw === 'number') return raw;
    return text;
  }

  /** What `Ref` of a resource gives: its name property when set, else its logical id. */
  physicalId(logicalId: string): string {
    // DIVERGENCE: `--parameter-overrides UserPool=us-east-1_AbC` gives a resource its deployed id
    // (a Cognito pool's, so the JWT issuer built from it is the real one).
    const given = this.#overrides[logicalId];
    if (given !== undefined) return given;
    const r = this.#resources[logicalId];
    const props = isObject(r?.Properties) ? r.Properties : {};
    const nameKey = r?.Type === 'AWS::Lambda::Function' || r?.Type === 'AWS::Serverless::Function' ? 'FunctionName' : null;
    if (nameKey && props[nameKey] !== undefined) {
      const errors: ConfigIssue[] = [];
      const n = new IntrinsicResolver(this.#template, this.#overrides, errors, this.#identity).string(props[nameKey], joinPath(['Resources', logicalId, 'Properties', nameKey]));
      if (n !== undefined && errors.length === 0) return n;
    }
    return logicalId;
  }

  /** `Fn::GetAtt`: ARNs and endpoints made up the way a deployment in the local identity would. */
  getAtt(logicalId: string, attribute: string, path: string): unknown {
    const r = this.#resources[logicalId];
    if (!r) return this.#error(path, `no resource named ${logicalId}${this.#known(Object.keys(this.#resources))}`);
    const { region, accountId } = this.#identity;
    const name = this.physicalId(logicalId);
    const type = r.Type ?? '';
    if (type === 'AWS::Lambda::Function' || type === 'AWS::Serverless::Function') {
      if (attribute === 'Arn') return `arn:aws:lambda:${region}:${accountId}:function:${name}`;
    }
    if (type === 'AWS::Cognito::UserPool') {
      if (attribute === 'Arn') return `arn:aws:cognito-idp:${region}:${accountId}:userpool/${name}`;
      if (attribute === 'ProviderURL') return `https://cognito-idp.${region}.amazonaws.com/${name}`;
      if (attribute === 'ProviderName') return `cognito-idp.${region}.amazonaws.com/${name}`;
    }
    if (type === 'AWS::ApiGateway::RestApi' && attribute === 'RootResourceId') return `${logicalId}.RootResourceId`;
    if ((type === 'AWS::ApiGatewayV2::Api' || type === 'AWS::Serverless::HttpApi') && attribute === 'ApiEndpoint') return `https://${name.toLowerCase()}.execute-api.${region}.amazonaws.com`;
    if (attribute === 'Arn') return `arn:aws:${serviceOf(type)}:${region}:${accountId}:${name}`;
    return `${name}.${attribute}`;
  }

  #sub(arg: unknown, at: string): unknown {
    let template: unknown = arg;
    const vars: Record<string, unknown> = {};
    if (Array.isArray(arg)) {
      if (arg.length !== 2 || !isObject(arg[1])) return this.#error(at, `takes "string" or ["string", {Name: value}], got ${describe(arg)}`);
      template = arg[0];
      for (const [k, v] of Object.entries(arg[1])) {
        const r = this.resolve(v, joinPath([at, 1, k]));
        if (r === undefined) return undefined;
        vars[k] = r;
      }
    }
    if (typeof template !== 'string') return this.#error(at, `takes "string" or ["string", {Name: value}], got ${describe(arg)}`);
    let failed = false;
    const out = template.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
      if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
      const name = inner.trim();
      let value: unknown;
      if (name in vars) value = vars[name];
      else if (name.includes('.') && !name.startsWith('AWS::')) {
        const [res, attr] = splitGetAtt(name) as [string, string];
        value = this.getAtt(res, attr, at);
      } else value = this.ref(name, at);
      if (value === undefined) {
        failed = true;
        return whole;
      }
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        failed = true;
        this.#error(at, `\${${name}} is ${describe(value)}, not a string`);
        return whole;
      }
      return String(value);
    });
    return failed ? undefined : out;
  }
}

function scalarText(v: unknown): unknown {
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : v;
}

function serviceOf(type: string): string {
  const m = /^AWS::([A-Za-z0-9]+)::/.exec(type);
  return m ? m[1]!.toLowerCase() : 'unknown';
}

/** A short description of a value for messages (never more than ~60 characters). */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === NO_VALUE) return 'AWS::NoValue';
  const text = typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? `a list` : isObject(v) ? `a mapping` : String(v);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
