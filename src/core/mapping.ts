/**
 * @module core/mapping — parameter mapping expressions, compiled once. [pure]
 *
 * Two dialects, as on AWS:
 *  - HTTP APIs (`requestParameters` / `responseParameters`, http-api-parameter-mapping):
 *    keys `overwrite|append|remove:header.NAME`, `…:querystring.NAME`, `overwrite:path`,
 *    `overwrite:statuscode`; values `$request.header.X`, `$request.querystring.X`,
 *    `$request.path`, `$request.path.X`, `$request.body.a.b`, `$context.X`, `$stageVariables.X`,
 *    `$response.header.X`, `$response.body.a.b`, static text, or `${request.path.id}`-style combinations.
 *  - REST APIs (`integration.request.*`, `method.response.header.*`, `gatewayresponse.header.*`):
 *    `method.request.path|querystring|multivaluequerystring|header|multivalueheader.X`,
 *    `context.X`, `stageVariables.X`, `integration.response.header.X`, `'literal'`.
 * Every value is evaluated against the original request before any change is applied.
 * A reference with no value renders as an empty string (HTTP) or is not sent (REST). [INF]
 */
import { contextVariable, isKnownContextVariable } from './context.ts';
import { BadRequestParametersError } from './errors.ts';
import type { RequestContext } from './model.ts';
import type { Result } from './result.ts';

/** Everything an expression may read. Header names lower-cased. */
export interface MappingSource {
  ctx: RequestContext;
  headers: Readonly<Record<string, string>>;
  /** Comma-joined 2.0-style query values; `multiQuery` for multi-value REST sources. */
  query: Readonly<Record<string, string>>;
  multiQuery?: Readonly<Record<string, string[]>>;
  multiHeaders?: Readonly<Record<string, string[]>>;
  /** Parsed JSON request body, when a `$request.body.*` expression needs it. */
  body?: unknown;
  rawBody?: string;
  /** Integration response, for response mappings. */
  response?: { headers: Readonly<Record<string, string>>; body?: unknown };
}

type Getter = (src: MappingSource) => string | undefined;

/**
 * True when `value` can be sent as a header value: RFC 9110 §5.5 field-value characters (visible
 * ASCII, SP, HTAB) plus obs-text, which node:http and undici send as one Latin-1 byte each. CR, LF,
 * NUL, other controls, DEL and anything beyond U+00FF (U+2028, `€`) are not.
 */
export function isHeaderValue(value: string): boolean {
  return !/[^\t\x20-\x7e\x80-\xff]/.test(value);
}

/**
 * `value` when it can be a header value; otherwise a 400 naming the mapping (`mapping` is the
 * config key, e.g. `append:header.x-user`). Mapped values come from client input (query strings,
 * decoded path parameters), so a value no header can carry is the client's error, never a 500.
 * [INF] AWS does not document what it does with such a value.
 */
export function checkMappedHeaderValue(mapping: string, value: string): string {
  if (!isHeaderValue(value)) throw new BadRequestParametersError(`Bad Request: the value mapped to ${mapping} is not a valid header value`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// HTTP API dialect

const HTTP_VARIABLE = /\$\{([^}]+)\}|\$((?:request|context|stageVariables|response)\.[A-Za-z0-9_.:$-]+|request\.path|request\.body)/g;

/** Compiles one HTTP API mapping value into a function of the request. */
export function compileHttpValue(value: string): Result<(src: MappingSource) => string> {
  const pieces: Array<string | Getter> = [];
  let last = 0;
  for (const m of value.matchAll(HTTP_VARIABLE)) {
    if (m.index > last) pieces.push(value.slice(last, m.index));
    const ref = (m[1] ?? m[2]!).replace(/^\$/, '');
    const getter = httpGetter(ref);
    if (typeof getter === 'string') return { ok: false, error: getter };
    pieces.push(getter);
    last = m.index + m[0].length;
  }
  if (last < value.length) pieces.push(value.slice(last));
  if (pieces.length === 1 && typeof pieces[0] === 'string') {
    const constant = pieces[0];
    return { ok: true, value: () => constant };
  }
  return {
    ok: true,
    value: (src) => {
      let out = '';
      for (const p of pieces) out += typeof p === 'string' ? p : (p(src) ?? '');
      return out;
    },
  };
}

function httpGetter(ref: string): Getter | string {
  if (ref === 'request.path') return (s) => s.ctx.path;
  if (ref === 'request.body') return (s) => s.rawBody;
  let m: RegExpExecArray | null;
  if ((m = /^request\.header\.(.+)$/.exec(ref))) {
    const name = m[1]!.toLowerCase();
    return (s) => s.headers[name];
  }
  if ((m = /^request\.querystring\.(.+)$/.exec(ref))) {
    const name = m[1]!;
    return (s) => s.query[name];
  }
  if ((m = /^request\.path\.(.+)$/.exec(ref))) {
    const name = m[1]!;
    return (s) => s.ctx.pathParameters[name];
  }
  if ((m = /^request\.body\.(.+)$/.exec(ref))) {
    const path = m[1]!.split('.');
    return (s) => jsonPath(s.body, path);
  }
  if ((m = /^response\.header\.(.+)$/.exec(ref))) {
    const name = m[1]!.toLowerCase();
    return (s) => s.response?.headers[name];
  }
  if ((m = /^response\.body\.(.+)$/.exec(ref))) {
    const path = m[1]!.split('.');
    return (s) => jsonPath(s.response?.body, path);
  }
  if ((m = /^stageVariables\.([A-Za-z0-9_]+)$/.exec(ref))) {
    const name = m[1]!;
    return (s) => s.ctx.stageVariables[name];
  }
  if ((m = /^context\.(.+)$/.exec(ref))) {
    const name = m[1]!;
    if (!isKnownContextVariable(name)) return `unknown variable $context.${name}`;
    return (s) => contextVariable(s.ctx, name);
  }
  return `unsupported mapping expression $${ref} (use $request.header|querystring|path|body.*, $context.*, $stageVariables.*)`;
}

function jsonPath(value: unknown, path: readonly string[]): string | undefined {
  let cur = value;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  if (cur === undefined || cur === null) return undefined;
  return typeof cur === 'string' ? cur : JSON.stringify(cur);
}

export interface HttpRequestMapping {
  /** `key` is the mapping's config key, named in errors. */
  headerOps: Array<{ op: 'overwrite' | 'append' | 'remove'; name: string; key: string; value: (s: MappingSource) => string }>;
  queryOps: Array<{ op: 'overwrite' | 'append' | 'remove'; name: string; key: string; value: (s: MappingSource) => string }>;
  path: ((s: MappingSource) => string) | null;
  needsBody: boolean;
}

/** Compiles an HTTP API `requestParameters` map. Keys were validated by config. */
export function compileHttpRequestMapping(params: Readonly<Record<string, string>>): Result<HttpRequestMapping> {
  const mapping: HttpRequestMapping = { headerOps: [], queryOps: [], path: null, needsBody: false };
  for (const [key, value] of Object.entries(params)) {
    const compiled = compileHttpValue(value);
    if (!compiled.ok) return { ok: false, error: `${key}: ${compiled.error}` };
    if (/\$\{?request\.body/.test(value)) mapping.needsBody = true;
    if (key === 'overwrite:path') {
      mapping.path = compiled.value;
      continue;
    }
    const m = /^(append|overwrite|remove):(header|querystring)\.(.+)$/.exec(key);
    if (!m) return { ok: false, error: `${key}: unknown mapping key` };
    const op = { op: m[1] as 'overwrite' | 'append' | 'remove', name: m[2] === 'header' ? m[3]!.toLowerCase() : m[3]!, key, value: compiled.value };
    (m[2] === 'header' ? mapping.headerOps : mapping.queryOps).push(op);
  }
  return { ok: true, value: mapping };
}

/** The result of applying a mapping: the request pieces to send on. */
export interface MappedRequest {
  headers: Record<string, string>;
  query: Array<[string, string]>;
  path: string | null;
}

/**
 * Applies an HTTP API request mapping. `headers` are lower-cased; `query` keeps order.
 * All values are computed first, from the original request, then applied.
 * Throws `BadRequestParametersError` when a header value cannot be one (`checkMappedHeaderValue`).
 */
export function applyHttpRequestMapping(mapping: HttpRequestMapping, src: MappingSource, headers: Record<string, string>, query: Array<[string, string]>): MappedRequest {
  const headerValues = mapping.headerOps.map((o) => (o.op === 'remove' ? '' : checkMappedHeaderValue(o.key, o.value(src))));
  const queryValues = mapping.queryOps.map((o) => o.value(src));
  const path = mapping.path ? mapping.path(src) : null;
  const outHeaders = { ...headers };
  mapping.headerOps.forEach((o, i) => {
    if (o.op === 'remove') delete outHeaders[o.name];
    else if (o.op === 'overwrite') outHeaders[o.name] = headerValues[i]!;
    else outHeaders[o.name] = o.name in outHeaders ? `${outHeaders[o.name]},${headerValues[i]}` : headerValues[i]!;
  });
  let outQuery = [...query];
  mapping.queryOps.forEach((o, i) => {
    if (o.op === 'remove' || o.op === 'overwrite') outQuery = outQuery.filter(([k]) => k !== o.name);
    if (o.op !== 'remove') outQuery.push([o.name, queryValues[i]!]);
  });
  return { headers: outHeaders, query: outQuery, path };
}

export interface HttpResponseMapping {
  status: ((s: MappingSource) => string) | null;
  headerOps: HttpRequestMapping['headerOps'];
}

/** Compiles HTTP API `responseParameters` (per status code). */
export function compileHttpResponseMappings(params: Readonly<Record<string, Readonly<Record<string, string>>>>): Result<Map<number, HttpResponseMapping>> {
  const out = new Map<number, HttpResponseMapping>();
  for (const [status, map] of Object.entries(params)) {
    const mapping: HttpResponseMapping = { status: null, headerOps: [] };
    for (const [key, value] of Object.entries(map)) {
      const compiled = compileHttpValue(value);
      if (!compiled.ok) return { ok: false, error: `${status}.${key}: ${compiled.error}` };
      if (key === 'overwrite:statuscode') {
        mapping.status = compiled.value;
        continue;
      }
      const m = /^(append|overwrite|remove):header\.(.+)$/.exec(key);
      if (!m) return { ok: false, error: `${status}.${key}: unknown mapping key` };
      mapping.headerOps.push({ op: m[1] as 'overwrite' | 'append' | 'remove', name: m[2]!.toLowerCase(), key: `${status}.${key}`, value: compiled.value });
    }
    out.set(Number(status), mapping);
  }
  return { ok: true, value: out };
}

// ---------------------------------------------------------------------------------------------
// REST dialect

/** Compiles one REST mapping source expression (`method.request.header.X`, `context.X`, `'lit'`). */
export function compileRestExpression(expr: string): Result<Getter> {
  let m: RegExpExecArray | null;
  if ((m = /^'(.*)'$/s.exec(expr))) {
    const literal = m[1]!;
    return { ok: true, value: () => literal };
  }
  if ((m = /^method\.request\.(path|querystring|multivaluequerystring|header|multivalueheader)\.(.+)$/.exec(expr))) {
    const where = m[1]!;
    const name = m[2]!;
    const lower = name.toLowerCase();
    switch (where) {
      case 'path':
        return { ok: true, value: (s) => s.ctx.pathParameters[name] };
      case 'querystring':
        return { ok: true, value: (s) => s.multiQuery?.[name]?.at(-1) ?? s.query[name] };
      case 'multivaluequerystring':
        return { ok: true, value: (s) => (s.multiQuery?.[name] ?? (s.query[name] !== undefined ? [s.query[name]!] : undefined))?.join(',') };
      case 'header':
        // REST passes the last value of a repeated header.
        return { ok: true, value: (s) => s.multiHeaders?.[lower]?.at(-1) ?? s.headers[lower] };
      default:
        return { ok: true, value: (s) => (s.multiHeaders?.[lower] ?? (s.headers[lower] !== undefined ? [s.headers[lower]!] : undefined))?.join(',') };
    }
  }
  if ((m = /^stageVariables\.([A-Za-z0-9_]+)$/.exec(expr))) {
    const name = m[1]!;
    return { ok: true, value: (s) => s.ctx.stageVariables[name] };
  }
  if ((m = /^context\.(.+)$/.exec(expr))) {
    const name = m[1]!;
    if (!isKnownContextVariable(name)) return { ok: false, error: `unknown variable context.${name}` };
    return { ok: true, value: (s) => contextVariable(s.ctx, name) };
  }
  if ((m = /^integration\.response\.header\.(.+)$/.exec(expr))) {
    const name = m[1]!.toLowerCase();
    return { ok: true, value: (s) => s.response?.headers[name] };
  }
  return { ok: false, error: `unsupported mapping expression ${JSON.stringify(expr)} (use method.request.*, context.*, stageVariables.* or a 'quoted literal')` };
}

export interface RestRequestMapping {
  headers: Array<[string, Getter]>;
  query: Array<[string, Getter]>;
  path: Array<[string, Getter]>;
}

/** Compiles REST `integration.request.header|querystring|path.NAME` mappings. */
export function compileRestRequestMapping(params: Readonly<Record<string, string>>): Result<RestRequestMapping> {
  const out: RestRequestMapping = { headers: [], query: [], path: [] };
  for (const [key, expr] of Object.entries(params)) {
    const m = /^integration\.request\.(header|querystring|path)\.(.+)$/.exec(key);
    if (!m) return { ok: false, error: `${key}: must be integration.request.header|querystring|path.NAME` };
    const getter = compileRestExpression(expr);
    if (!getter.ok) return { ok: false, error: `${key}: ${getter.error}` };
    const target = m[1] === 'header' ? out.headers : m[1] === 'querystring' ? out.query : out.path;
    target.push([m[2]!, getter.value]);
  }
  return { ok: true, value: out };
}

/** Compiles `method.response.header.NAME` / `gatewayresponse.header.NAME` maps into header getters. */
export function compileRestHeaderMapping(params: Readonly<Record<string, string>>, prefix: 'method.response.header.' | 'gatewayresponse.header.'): Result<Array<[string, Getter]>> {
  const out: Array<[string, Getter]> = [];
  for (const [key, expr] of Object.entries(params)) {
    if (!key.startsWith(prefix)) return { ok: false, error: `${key}: must start with ${prefix}` };
    const getter = compileRestExpression(expr);
    if (!getter.ok) return { ok: false, error: `${key}: ${getter.error}` };
    out.push([key.slice(prefix.length), getter.value]);
  }
  return { ok: true, value: out };
}
