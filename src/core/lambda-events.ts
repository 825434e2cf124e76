/**
 * @module core/lambda-events — Lambda proxy events in, Lambda results out. [pure]
 *
 * Builds the payload-format 2.0 (HTTP APIs) and 1.0 (REST, and HTTP APIs that ask) events exactly
 * as API Gateway sends them (spec §8.1, §8.3, §8.4), and reads a function's result the way API
 * Gateway reads it (§8.2 inference for 2.0, §8.5 validation matrix for 1.0). The Lambda authorizer
 * event builders reuse `eventParts()`.
 */
import type { GatewayRequest, GatewayResponse, RequestContext } from './model.ts';
import type { Result } from './result.ts';

/** Request pieces both payload versions (and authorizer events) are made of. */
export interface EventParts {
  /** Lower-cased names, duplicates comma-joined (2.0 rule), without `cookie`. */
  headersV2: Record<string, string>;
  /** Original casing, last value wins (1.0 `headers`). */
  headersV1: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  cookies: string[];
  /** Decoded; repeated names comma-joined (2.0). */
  queryV2: Record<string, string>;
  /** Decoded; last value wins (1.0). */
  queryV1: Record<string, string>;
  multiValueQuery: Record<string, string[]>;
}

/**
 * Headers API Gateway adds before the integration sees the request, for Lambda events and HTTP
 * backends alike. The client's own `X-Forwarded-Port`/`-Proto` are replaced, never passed on: the
 * port and scheme are the listener's (a client-chosen `Host: x:1` does not change them); the
 * client's address is appended to `X-Forwarded-For`. [INF: values are ours: the client's address,
 * scheme and the listener port.]
 */
export function forwardedHeaders(request: GatewayRequest): Array<[string, string]> {
  const prior = request.headers['x-forwarded-for'];
  return [
    ['X-Forwarded-For', prior ? `${prior}, ${request.sourceIp}` : request.sourceIp],
    ['X-Forwarded-Port', String(request.port)],
    ['X-Forwarded-Proto', request.scheme],
  ];
}

export function eventParts(request: GatewayRequest): EventParts {
  return new LazyEventParts(request);
}

/**
 * Each group of parts is computed the first time it is read: a 2.0 event reads only the 2.0
 * headers, cookies and query, and the 1.0 shapes cost a second pass only when something needs them.
 */
class LazyEventParts implements EventParts {
  #v2: { headers: Record<string, string>; cookies: string[] } | null = null;
  #v1: { headers: Record<string, string>; multi: Record<string, string[]> } | null = null;
  #query: { v2: Record<string, string>; v1: Record<string, string>; multi: Record<string, string[]> } | null = null;
  constructor(private readonly request: GatewayRequest) {}

  get headersV2(): Record<string, string> {
    return (this.#v2 ??= headersV2Of(this.request)).headers;
  }
  get cookies(): string[] {
    return (this.#v2 ??= headersV2Of(this.request)).cookies;
  }
  get headersV1(): Record<string, string> {
    return (this.#v1 ??= headersV1Of(this.request)).headers;
  }
  get multiValueHeaders(): Record<string, string[]> {
    return (this.#v1 ??= headersV1Of(this.request)).multi;
  }
  get queryV2(): Record<string, string> {
    return (this.#query ??= queryOf(this.request.rawQueryString)).v2;
  }
  get queryV1(): Record<string, string> {
    return (this.#query ??= queryOf(this.request.rawQueryString)).v1;
  }
  get multiValueQuery(): Record<string, string[]> {
    return (this.#query ??= queryOf(this.request.rawQueryString)).multi;
  }
}

// Names come from the client: accumulate in Maps so `constructor`, `toString` or `__proto__` are
// ordinary names, never Object.prototype members (regression-prototype-keys). Object.fromEntries
// then defines own data properties: a `__proto__` name stays a plain key.

const GATEWAY_SET = new Set(['x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto']);

/** 2.0: lower-cased names, duplicates comma-joined, `cookie` split out into `cookies`. */
function headersV2Of(request: GatewayRequest): { headers: Record<string, string>; cookies: string[] } {
  const headers = new Map<string, string>();
  const cookies: string[] = [];
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (GATEWAY_SET.has(lower)) continue;
    const value = raw[i + 1]!;
    if (lower === 'cookie') {
      for (const c of value.split(';')) {
        const t = c.trim();
        if (t) cookies.push(t);
      }
      continue;
    }
    const prev = headers.get(lower);
    headers.set(lower, prev === undefined ? value : `${prev},${value}`);
  }
  for (const [name, value] of forwardedHeaders(request)) headers.set(name.toLowerCase(), value);
  return { headers: Object.fromEntries(headers), cookies };
}

/** 1.0: the first casing seen for a name, every value collected; `headers` keeps the last. */
function headersV1Of(request: GatewayRequest): { headers: Record<string, string>; multi: Record<string, string[]> } {
  const headersV1 = new Map<string, string>();
  const multiValueHeaders = new Map<string, string[]>();
  const casing = new Map<string, string>();
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (GATEWAY_SET.has(lower)) continue;
    const value = raw[i + 1]!;
    const key = casing.get(lower) ?? name;
    casing.set(lower, key);
    const list = multiValueHeaders.get(key);
    if (list) list.push(value);
    else multiValueHeaders.set(key, [value]);
    headersV1.set(key, value);
  }
  for (const [name, value] of forwardedHeaders(request)) {
    headersV1.set(name, value);
    multiValueHeaders.set(name, [value]);
  }
  return { headers: Object.fromEntries(headersV1), multi: Object.fromEntries(multiValueHeaders) };
}

function queryOf(rawQueryString: string): { v2: Record<string, string>; v1: Record<string, string>; multi: Record<string, string[]> } {
  const queryV2 = new Map<string, string>();
  const queryV1 = new Map<string, string>();
  const multiValueQuery = new Map<string, string[]>();
  if (rawQueryString) {
    for (const pair of rawQueryString.split('&')) {
      if (!pair) continue;
      const eq = pair.indexOf('=');
      const name = decodeQueryComponent(eq < 0 ? pair : pair.slice(0, eq));
      const value = eq < 0 ? '' : decodeQueryComponent(pair.slice(eq + 1));
      const prev = queryV2.get(name);
      queryV2.set(name, prev === undefined ? value : `${prev},${value}`);
      queryV1.set(name, value);
      const list = multiValueQuery.get(name);
      if (list) list.push(value);
      else multiValueQuery.set(name, [value]);
    }
  }
  return { v2: Object.fromEntries(queryV2), v1: Object.fromEntries(queryV1), multi: Object.fromEntries(multiValueQuery) };
}

/** `+` is a space in query strings; malformed escapes stay as received. */
export function decodeQueryComponent(s: string): string {
  const plus = s.includes('+') ? s.replace(/\+/g, ' ') : s;
  if (!plus.includes('%')) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
}

/**
 * HTTP APIs: the media types delivered as text. AWS's docs say only "if the content type of the request
 * is binary, the body is base64-encoded" (http-api-develop-integrations-lambda); the list is [INF].
 */
const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded|graphql|x-ndjson)|[^;]*\+(json|xml))/i;

/** The request body as an event carries it: `body` plus `isBase64Encoded`. */
export interface EventBody {
  body: string;
  isBase64Encoded: boolean;
}

/**
 * Body as the event carries it. Text only when the API's rule says text **and** the bytes survive it:
 * a body with a `Content-Encoding` (compressed bytes) or one that is not valid UTF-8 is always base64
 * (`isBase64Encoded: true`), so a handler can always get the exact bytes back. Rules by API:
 *   - HTTP APIs (payload 2.0 and 1.0): text for the `TEXT_TYPES` media types, or no content type;
 *   - REST APIs (`binaryMediaTypes` given): base64 when the content type matches one of them (AWS's
 *     api-gateway-payload-encodings), else text. [INF: AWS would hand a non-UTF-8 body over as a
 *     lossy string; we never do.]
 */
export function encodeEventBody(body: Buffer, headers: Readonly<Record<string, string>>, binaryMediaTypes?: readonly string[]): EventBody {
  const contentType = headers['content-type']?.trim();
  const encoding = headers['content-encoding']?.trim();
  const wantsText = binaryMediaTypes ? !matchesBinaryMediaType(contentType, binaryMediaTypes) : contentType ? TEXT_TYPES.test(contentType) : true;
  const text = wantsText && !encoding ? losslessUtf8(body) : null;
  return text !== null ? { body: text, isBase64Encoded: false } : { body: body.toString('base64'), isBase64Encoded: true };
}

/** `image/png` matches `image/png`, `image/*` and `*\/*` (parameters and case ignored). */
export function matchesBinaryMediaType(contentType: string | undefined, binaryMediaTypes: readonly string[]): boolean {
  if (binaryMediaTypes.length === 0) return false;
  const essence = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const slash = essence.indexOf('/');
  if (slash <= 0) return binaryMediaTypes.includes('*/*');
  const type = essence.slice(0, slash);
  for (const pattern of binaryMediaTypes) {
    const p = pattern.toLowerCase();
    if (p === '*/*' || p === essence || p === `${type}/*`) return true;
  }
  return false;
}

/** One fatal decode doubles as the validity check; the BOM is kept (a dropped BOM is a lost byte). */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body as a string when its UTF-8 decoding is exact, else `null`. */
function losslessUtf8(buf: Buffer): string | null {
  try {
    return strictUtf8.decode(buf);
  } catch {
    return null;
  }
}

/**
 * Lambda's limit on a synchronous invocation's request payload: 6 MB (Lambda quotas, "Invocation
 * payload (request and response)"), which Invoke enforces as "Request must be smaller than 6291456
 * bytes". The payload is the whole event, so headers, and base64's 4/3, count too.
 */
export const LAMBDA_REQUEST_PAYLOAD_LIMIT = 6 * 1024 * 1024;

/**
 * The event's size as an Invoke payload (its UTF-8 JSON), without serialising a large body: the rest
 * of the event is small, the body's JSON length is counted from its characters.
 */
export function invocationPayloadBytes(event: Readonly<Record<string, unknown>>): number {
  const body = event.body;
  if (typeof body !== 'string' || body.length === 0) return Buffer.byteLength(JSON.stringify(event));
  // `"body":""` stands in for the body, whose quoted, escaped length replaces its two quotes.
  return Buffer.byteLength(JSON.stringify({ ...event, body: '' })) - 2 + jsonStringBytes(body, event.isBase64Encoded === true);
}

/** UTF-8 bytes of `JSON.stringify(s)`: quotes, `\"` `\\` and control-character escapes included. */
function jsonStringBytes(s: string, isBase64: boolean): number {
  let bytes = Buffer.byteLength(s, 'utf8') + 2;
  if (isBase64) return bytes; // base64 needs no escapes
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) bytes += 1;
    else if (c < 0x20) bytes += c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 1 : 5;
  }
  return bytes;
}

/** Authorizer data as a 2.0 integration event carries it. */
export function authorizerForV2(ctx: RequestContext): unknown {
  const a = ctx.authorizer;
  if (!a) return undefined;
  if (a.kind === 'jwt') return { jwt: { claims: a.claims ?? {}, scopes: a.scopes ?? null } };
  return { lambda: a.context ?? null };
}

/** Authorizer data as a 1.0 integration event carries it (REST semantics: flat, stringified). */
export function authorizerForV1(ctx: RequestContext): unknown {
  const a = ctx.authorizer;
  if (!a) return undefined;
  if (a.kind === 'jwt') return { claims: a.claims ?? {}, scopes: a.scopes ?? null };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a.context ?? {})) out[k] = v === null ? null : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  out.principalId = a.principalId ?? '';
  out.integrationLatency = a.integrationLatencyMs ?? 0;
  return out;
}

export interface EventInput {
  request: GatewayRequest;
  ctx: RequestContext;
  parts: EventParts;
  body: Buffer | null;
  /** REST APIs: the API's `binaryMediaTypes` (payload 1.0 on HTTP APIs ignores them). */
  binaryMediaTypes?: readonly string[];
}

/** HTTP API payload format 2.0 integration event (spec §8.1). */
export function buildEventV2({ request, ctx, parts, body }: EventInput): Record<string, unknown> {
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: ctx.routeKey,
    rawPath: request.rawPath,
    rawQueryString: request.rawQueryString,
  };
  if (parts.cookies.length) event.cookies = parts.cookies;
  event.headers = parts.headersV2;
  if (Object.keys(parts.queryV2).length) event.queryStringParameters = parts.queryV2;
  if (Object.keys(ctx.pathParameters).length) event.pathParameters = ctx.pathParameters;
  if (Object.keys(ctx.stageVariables).length) event.stageVariables = ctx.stageVariables;
  const requestContext: Record<string, unknown> = {
    accountId: ctx.accountId,
    apiId: ctx.apiId,
  };
  const authorizer = authorizerForV2(ctx);
  if (authorizer !== undefined) requestContext.authorizer = authorizer;
  Object.assign(requestContext, {
    domainName: ctx.domainName,
    domainPrefix: ctx.domainPrefix,
    http: {
      method: request.method,
      path: request.rawPath,
      protocol: ctx.protocol,
      sourceIp: ctx.sourceIp,
      userAgent: ctx.userAgent,
    },
    requestId: ctx.requestId,
    routeKey: ctx.routeKey,
    stage: ctx.stage,
    time: ctx.requestTime,
    timeEpoch: ctx.requestTimeEpoch,
  });
  event.requestContext = requestContext;
  if (body && body.length) {
    const encoded = encodeEventBody(body, request.headers);
    event.body = encoded.body;
    event.isBase64Encoded = encoded.isBase64Encoded;
  } else {
    event.isBase64Encoded = false;
  }
  return event;
}

const NULL_IDENTITY = {
  cognitoIdentityPoolId: null,
  accountId: null,
  cognitoIdentityId: null,
  caller: null,
  principalOrgId: null,
  accessKey: null,
  cognitoAuthenticationType: null,
  cognitoAuthenticationProvider: null,
  userArn: null,
  user: null,
};

export function identityV1(ctx: RequestContext): Record<string, unknown> {
  return { ...NULL_IDENTITY, sourceIp: ctx.sourceIp, userAgent: ctx.userAgent };
}

/**
 * REST Lambda proxy event (spec §8.4), and HTTP API payload 1.0 (§8.3: the same shape plus
 * `version: "1.0"`). Empty maps are `null`; `body` is `null` when there is none.
 */
export function buildEventV1({ request, ctx, parts, body, binaryMediaTypes }: EventInput, flavour: 'rest' | 'http'): Record<string, unknown> {
  const nonEmpty = <T extends object>(o: T): T | null => (Object.keys(o).length ? o : null);
  const stagePath = request.rawPath;
  const event: Record<string, unknown> = {};
  if (flavour === 'http') event.version = '1.0';
  Object.assign(event, {
    resource: ctx.resourcePath,
    // REST: the path without the stage; HTTP 1.0: the path as received. [INF for HTTP 1.0]
    path: flavour === 'rest' ? ctx.path : stagePath,
    httpMethod: request.method,
    headers: parts.headersV1,
    multiValueHeaders: parts.multiValueHeaders,
    queryStringParameters: nonEmpty(parts.queryV1),
    multiValueQueryStringParameters: nonEmpty(parts.multiValueQuery),
    pathParameters: nonEmpty(ctx.pathParameters),
    stageVariables: nonEmpty(ctx.stageVariables),
  });
  const requestContext: Record<string, unknown> = {
    resourceId: resourceIdFor(ctx.resourcePath),
    resourcePath: ctx.resourcePath,
    httpMethod: request.method,
    extendedRequestId: ctx.extendedRequestId,
    requestTime: ctx.requestTime,
    path: stagePath,
    accountId: ctx.accountId,
    protocol: ctx.protocol,
    stage: ctx.stage,
    domainPrefix: ctx.domainPrefix,
    requestTimeEpoch: ctx.requestTimeEpoch,
    requestId: ctx.requestId,
    identity: identityV1(ctx),
    domainName: ctx.domainName,
    deploymentId: 'portcullis',
    apiId: ctx.apiId,
  };
  const authorizer = authorizerForV1(ctx);
  if (authorizer !== undefined) requestContext.authorizer = authorizer;
  event.requestContext = requestContext;
  if (body && body.length) {
    const encoded = encodeEventBody(body, request.headers, flavour === 'rest' ? (binaryMediaTypes ?? []) : undefined);
    event.body = encoded.body;
    event.isBase64Encoded = encoded.isBase64Encoded;
  } else {
    event.body = null;
    event.isBase64Encoded = false;
  }
  return event;
}

/** A stable 6-character resource id per resource path (AWS ids look like `3nq1cq`). */
export function resourceIdFor(resourcePath: string): string {
  let h = 2166136261;
  for (let i = 0; i < resourcePath.length; i++) h = Math.imul(h ^ resourcePath.charCodeAt(i), 16777619) >>> 0;
  return h.toString(36).padStart(6, '0').slice(-6);
}

// ---------------------------------------------------------------------------------------------
// Results

export type ParsedResult = Result<GatewayResponse>;

/** Reads a payload-2.0 result (spec §8.2), including the inference for bare values. */
export function parseResultV2(payload: unknown): ParsedResult {
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload) && 'statusCode' in payload) {
    const r = payload as Record<string, unknown>;
    const status = toStatus(r.statusCode);
    if (status === null) return { ok: false, error: `statusCode must be an integer from 100 to 599, got ${JSON.stringify(r.statusCode)}` };
    const headers: Array<[string, string]> = [];
    if (r.headers !== undefined && r.headers !== null) {
      if (typeof r.headers !== 'object' || Array.isArray(r.headers)) return { ok: false, error: 'headers must be an object' };
      for (const [k, v] of Object.entries(r.headers)) if (v !== null && v !== undefined) headers.push([k, String(v)]);
    }
    if (r.cookies !== undefined && r.cookies !== null) {
      if (!Array.isArray(r.cookies)) return { ok: false, error: 'cookies must be an array of strings' };
      for (const c of r.cookies) headers.push(['set-cookie', String(c)]);
    }
    let body: Buffer | string | null = null;
    if (r.body !== undefined && r.body !== null) {
      const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      body = r.isBase64Encoded === true ? Buffer.from(text, 'base64') : text;
    }
    return { ok: true, value: { status, headers, body } };
  }
  // Inference: any other valid JSON is the body of a 200 application/json response.
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return { ok: true, value: { status: 200, headers: [['content-type', 'application/json']], body } };
}

const V1_KEYS = new Set(['statusCode', 'body', 'headers', 'multiValueHeaders', 'isBase64Encoded']);

/**
 * Reads a payload-1.0 result with API Gateway's validation (spec §8.5): unknown keys, `{}`,
 * non-objects, bad status codes or non-list multi-values are malformed (REST: 502).
 * `flavour: 'http'` (payload 1.0 on HTTP APIs) also accepts `cookies` and decodes base64 bodies.
 */
export function parseResultV1(payload: unknown, flavour: 'rest' | 'http'): ParsedResult {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return { ok: false, error: `the result must be an object with a statusCode, got ${payload === null ? 'null' : Array.isArray(payload) ? 'an array' : typeof payload}` };
  }
  const r = payload as Record<string, unknown>;
  const keys = Object.keys(r);
  if (keys.length === 0) return { ok: false, error: 'the result is an empty object' };
  for (const k of keys) {
    if (!V1_KEYS.has(k) && !(flavour === 'http' && k === 'cookies')) return { ok: false, error: `unexpected key "${k}" in the result` };
  }
  let status = 200;
  if (r.statusCode !== undefined) {
    const s = toStatus(r.statusCode);
    if (s === null) return { ok: false, error: `statusCode must be an integer from 100 to 599, got ${JSON.stringify(r.statusCode)}` };
    status = s;
  } else if (flavour === 'http') {
    return { ok: false, error: 'payload 1.0 results on HTTP APIs need a statusCode' };
  }
  const headers: Array<[string, string]> = [];
  const solo = r.headers;
  const multi = r.multiValueHeaders;
  if (multi !== undefined && multi !== null) {
    if (typeof multi !== 'object' || Array.isArray(multi)) return { ok: false, error: 'multiValueHeaders must be an object of lists' };
    for (const [k, v] of Object.entries(multi)) {
      if (!Array.isArray(v)) return { ok: false, error: `multiValueHeaders["${k}"] must be a list` };
    }
  }
  if (solo !== undefined && solo !== null && (typeof solo !== 'object' || Array.isArray(solo))) return { ok: false, error: 'headers must be an object' };
  const soloMap = (solo ?? {}) as Record<string, unknown>;
  const multiMap = (multi ?? {}) as Record<string, unknown[]>;
  const soloByLower = new Map(Object.keys(soloMap).map((k) => [k.toLowerCase(), k]));
  const used = new Set<string>();
  for (const [name, values] of Object.entries(multiMap)) {
    const all = values.map((v) => String(v));
    const soloName = soloByLower.get(name.toLowerCase());
    if (soloName !== undefined && soloMap[soloName] !== null && soloMap[soloName] !== undefined) {
      all.push(String(soloMap[soloName]));
      used.add(soloName);
    }
    // AWS joins multiple values of one header with ", " (set-cookie excepted: one line each).
    if (name.toLowerCase() === 'set-cookie') for (const v of all) headers.push([name, v]);
    else headers.push([name, all.join(', ')]);
  }
  for (const [name, v] of Object.entries(soloMap)) {
    if (used.has(name) || v === null || v === undefined) continue;
    headers.push([name, String(v)]);
  }
  if (flavour === 'http' && Array.isArray(r.cookies)) for (const c of r.cookies) headers.push(['set-cookie', String(c)]);
  let body: Buffer | string | null = null;
  if (r.body !== undefined && r.body !== null) {
    if (typeof r.body !== 'string') return { ok: false, error: 'body must be a string' };
    // REST without binary media types returns base64 text unchanged (spec §8.5).
    body = flavour === 'http' && r.isBase64Encoded === true ? Buffer.from(r.body, 'base64') : r.body;
  }
  return { ok: true, value: { status, headers, body } };
}

function toStatus(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{3}$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 100 && n <= 599 ? n : null;
}
