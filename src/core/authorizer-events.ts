/**
 * @module core/authorizer-events — the events a Lambda authorizer receives, exactly as AWS sends
 * them, and the identity-source selectors that feed them. [pure]
 *
 * Four shapes (spec §2.3, §2.4, §3.3, §3.4), each checked against real captures in
 * `test/fixtures/aws-events/` by `test/lambda-authorizer/events.contract.test.ts`:
 *   - REST `TOKEN`: exactly `{type, methodArn, authorizationToken}`; the header value is whole.
 *   - REST `REQUEST`: original header casing, `multiValue*` maps, and empty maps as `{}` (not
 *     `null` as in proxy integration events); no `body`.
 *   - HTTP API `REQUEST` 1.0: REST-like, `identitySource` and `authorizationToken` both the
 *     identity values joined with `,`.
 *   - HTTP API `REQUEST` 2.0: the 2.0 integration event without `body`/`isBase64Encoded`, plus
 *     `type`, `routeArn` and `identitySource` as an array; empty maps are omitted.
 *
 * Identity sources are compiled once (`compileIdentitySource`, unknown expressions are config
 * errors at start) and resolved per request (`resolveIdentity`); a missing or empty value is
 * reported as `undefined` so the caller answers 401 without invoking the function.
 *
 * Must not: read the clock, the environment or the network.
 */
import type { GatewayRequest, RequestContext } from './model.ts';
import type { Result } from './result.ts';
import { eventParts, identityV1, resourceIdFor, type EventParts } from './lambda-events.ts';

/** What the builders read: the parsed request, the `$context` so far, and the matched resource. */
export interface AuthorizerEventSource {
  readonly request: GatewayRequest;
  readonly ctx: Readonly<RequestContext>;
  /** Resource template (`/pets/{id}`) of the matched route, or `$default`. */
  readonly resourcePath: string;
  /** `eventParts(request)` when the caller already has it (computed on demand otherwise). */
  readonly parts?: EventParts;
}

type StringMap = Record<string, string>;

// ---------------------------------------------------------------------------------------------
// Event shapes

export interface TokenAuthorizerEvent {
  type: 'TOKEN';
  methodArn: string;
  authorizationToken: string;
}

export interface RestIdentity {
  cognitoIdentityPoolId: null;
  accountId: null;
  cognitoIdentityId: null;
  caller: null;
  sourceIp: string;
  principalOrgId: null;
  accessKey: null;
  cognitoAuthenticationType: null;
  cognitoAuthenticationProvider: null;
  userArn: null;
  userAgent: string | null;
  user: null;
}

export interface RestRequestAuthorizerEvent {
  type: 'REQUEST';
  methodArn: string;
  resource: string;
  path: string;
  httpMethod: string;
  headers: StringMap;
  multiValueHeaders: Record<string, string[]>;
  queryStringParameters: StringMap;
  multiValueQueryStringParameters: Record<string, string[]>;
  pathParameters: StringMap;
  stageVariables: StringMap;
  requestContext: {
    resourceId: string;
    resourcePath: string;
    httpMethod: string;
    extendedRequestId: string;
    requestTime: string;
    path: string;
    accountId: string;
    protocol: string;
    stage: string;
    domainPrefix: string;
    requestTimeEpoch: number;
    requestId: string;
    identity: RestIdentity;
    domainName: string;
    deploymentId: string;
    apiId: string;
  };
}

export interface HttpRequestAuthorizerEventV1 {
  version: '1.0';
  type: 'REQUEST';
  methodArn: string;
  identitySource: string;
  authorizationToken: string;
  resource: string;
  path: string;
  httpMethod: string;
  headers: StringMap;
  queryStringParameters: StringMap;
  pathParameters: StringMap;
  stageVariables: StringMap;
  requestContext: {
    path: string;
    accountId: string;
    resourceId: string;
    stage: string;
    requestId: string;
    identity: { apiKey: null; sourceIp: string };
    resourcePath: string;
    httpMethod: string;
    apiId: string;
  };
}

export interface HttpRequestAuthorizerEventV2 {
  version: '2.0';
  type: 'REQUEST';
  routeArn: string;
  identitySource: string[];
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers: StringMap;
  queryStringParameters?: StringMap;
  pathParameters?: StringMap;
  stageVariables?: StringMap;
  requestContext: {
    accountId: string;
    apiId: string;
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    routeKey: string;
    stage: string;
    time: string;
    timeEpoch: number;
  };
}

export type LambdaAuthorizerEvent = TokenAuthorizerEvent | RestRequestAuthorizerEvent | HttpRequestAuthorizerEventV1 | HttpRequestAuthorizerEventV2;

// ---------------------------------------------------------------------------------------------
// Builders (request pieces come from `eventParts()` of core/lambda-events.ts, so authorizer and
// integration events agree on header casing, cookies, query decoding and X-Forwarded-* headers)

export function buildTokenEvent(authorizationToken: string, methodArn: string): TokenAuthorizerEvent {
  return { type: 'TOKEN', methodArn, authorizationToken };
}

/** REST `REQUEST` (spec §3.4): the proxy event's request fields, but `{}` for empty maps and no body. */
export function buildRestRequestEvent(src: AuthorizerEventSource, methodArn: string): RestRequestAuthorizerEvent {
  const { request, ctx } = src;
  const parts = partsOf(src);
  const identity = identityV1(ctx as RequestContext) as unknown as RestIdentity;
  return {
    type: 'REQUEST',
    methodArn,
    resource: src.resourcePath,
    path: ctx.path,
    httpMethod: request.method,
    headers: { ...parts.headersV1 },
    multiValueHeaders: cloneLists(parts.multiValueHeaders),
    queryStringParameters: { ...parts.queryV1 },
    multiValueQueryStringParameters: cloneLists(parts.multiValueQuery),
    pathParameters: { ...ctx.pathParameters },
    stageVariables: { ...ctx.stageVariables },
    requestContext: {
      resourceId: resourceIdFor(src.resourcePath),
      resourcePath: src.resourcePath,
      httpMethod: request.method,
      extendedRequestId: ctx.extendedRequestId,
      requestTime: ctx.requestTime,
      path: request.rawPath,
      accountId: ctx.accountId,
      protocol: ctx.protocol,
      stage: ctx.stage,
      domainPrefix: ctx.domainPrefix,
      requestTimeEpoch: ctx.requestTimeEpoch,
      requestId: ctx.requestId,
      identity: { ...identity, userAgent: ctx.userAgent === '' ? null : ctx.userAgent },
      domainName: ctx.domainName,
      deploymentId: DEPLOYMENT_ID,
      apiId: ctx.apiId,
    },
  };
}

/**
 * HTTP API payload 1.0 (spec §2.4). [INF] HTTP APIs have no resource templates for this shape:
 * `resource`, `path`, `requestContext.path` and `requestContext.resourcePath` all carry the
 * request path as received (floci does the same; the 1.0 integration event also uses it for `path`).
 * Headers keep their first casing, last value wins (the 1.0 rule); no `multiValue*` maps (as in
 * AWS's sample).
 */
export function buildHttpRequestEventV1(src: AuthorizerEventSource, methodArn: string, identityValues: readonly string[]): HttpRequestAuthorizerEventV1 {
  const { request, ctx } = src;
  const parts = partsOf(src);
  const joined = identityValues.join(',');
  return {
    version: '1.0',
    type: 'REQUEST',
    methodArn,
    identitySource: joined,
    authorizationToken: joined,
    resource: request.rawPath,
    path: request.rawPath,
    httpMethod: request.method,
    headers: { ...parts.headersV1 },
    queryStringParameters: { ...parts.queryV1 },
    pathParameters: { ...ctx.pathParameters },
    stageVariables: { ...ctx.stageVariables },
    requestContext: {
      path: request.rawPath,
      accountId: ctx.accountId,
      resourceId: resourceIdFor(ctx.routeKey),
      stage: ctx.stage,
      requestId: ctx.requestId,
      identity: { apiKey: null, sourceIp: ctx.sourceIp },
      resourcePath: request.rawPath,
      httpMethod: request.method,
      apiId: ctx.apiId,
    },
  };
}

/** HTTP API payload 2.0 (spec §2.3): field rules of the 2.0 integration event, minus the body. */
export function buildHttpRequestEventV2(src: AuthorizerEventSource, routeArn: string, identityValues: readonly string[]): HttpRequestAuthorizerEventV2 {
  const { request, ctx } = src;
  const parts = partsOf(src);
  const event: HttpRequestAuthorizerEventV2 = {
    version: '2.0',
    type: 'REQUEST',
    routeArn,
    identitySource: [...identityValues],
    routeKey: ctx.routeKey,
    rawPath: request.rawPath,
    rawQueryString: request.rawQueryString,
    headers: { ...parts.headersV2 },
    requestContext: {
      accountId: ctx.accountId,
      apiId: ctx.apiId,
      domainName: ctx.domainName,
      domainPrefix: ctx.domainPrefix,
      http: { method: request.method, path: request.rawPath, protocol: ctx.protocol, sourceIp: ctx.sourceIp, userAgent: ctx.userAgent },
      requestId: ctx.requestId,
      routeKey: ctx.routeKey,
      stage: ctx.stage,
      time: ctx.requestTime,
      timeEpoch: ctx.requestTimeEpoch,
    },
  };
  // AWS omits these keys (rather than sending `{}` / `[]`) when they are empty.
  if (parts.cookies.length) event.cookies = [...parts.cookies];
  if (Object.keys(parts.queryV2).length) event.queryStringParameters = { ...parts.queryV2 };
  if (Object.keys(ctx.pathParameters).length) event.pathParameters = { ...ctx.pathParameters };
  if (Object.keys(ctx.stageVariables).length) event.stageVariables = { ...ctx.stageVariables };
  // Key order as in the real capture: … rawQueryString, cookies, headers, queryStringParameters, requestContext, pathParameters, stageVariables.
  return reorder(event, ['version', 'type', 'routeArn', 'identitySource', 'routeKey', 'rawPath', 'rawQueryString', 'cookies', 'headers', 'queryStringParameters', 'requestContext', 'pathParameters', 'stageVariables']);
}

/** Same value as the integration events' `deploymentId` (core/lambda-events.ts). */
const DEPLOYMENT_ID = 'portcullis';

// ---------------------------------------------------------------------------------------------
// ARN path

/**
 * The request path as it appears in `methodArn` / `routeArn`: as received (percent-encoding
 * intact, [INF]), without the stage prefix for named stages, `/` for the root.
 */
export function arnPathOf(rawPath: string, stage: string): string {
  let path = rawPath;
  if (stage !== '$default') {
    const prefix = `/${stage}`;
    if (path === prefix) path = '/';
    else if (path.startsWith(`${prefix}/`)) path = path.slice(prefix.length);
  }
  return path === '' ? '/' : path;
}

// ---------------------------------------------------------------------------------------------
// Identity sources

export type IdentitySelector =
  | { kind: 'header'; name: string; expression: string }
  | { kind: 'querystring'; name: string; expression: string }
  | { kind: 'context'; variable: string; expression: string }
  | { kind: 'stageVariable'; name: string; expression: string };

/**
 * `$context.*` / `context.*` variables an identity source may name. Each reads the request
 * context the pipeline has filled up to route matching.
 */
const CONTEXT_VARIABLES: Record<string, (ctx: Readonly<RequestContext>) => string | number | null | undefined> = {
  requestId: (c) => c.requestId,
  extendedRequestId: (c) => c.extendedRequestId,
  requestTime: (c) => c.requestTime,
  requestTimeEpoch: (c) => c.requestTimeEpoch,
  httpMethod: (c) => c.httpMethod,
  'http.method': (c) => c.httpMethod,
  protocol: (c) => c.protocol,
  'http.protocol': (c) => c.protocol,
  'identity.sourceIp': (c) => c.sourceIp,
  'http.sourceIp': (c) => c.sourceIp,
  'identity.userAgent': (c) => c.userAgent,
  'http.userAgent': (c) => c.userAgent,
  domainName: (c) => c.domainName,
  domainPrefix: (c) => c.domainPrefix,
  accountId: (c) => c.accountId,
  apiId: (c) => c.apiId,
  stage: (c) => c.stage,
  routeKey: (c) => c.routeKey,
  resourcePath: (c) => c.resourcePath,
  path: (c) => c.path,
  'http.path': (c) => c.path,
};

export const SUPPORTED_CONTEXT_VARIABLES: readonly string[] = Object.keys(CONTEXT_VARIABLES);

/**
 * Parses one identity-source expression for the API's protocol: HTTP APIs use
 * `$request.header.X`, `$request.querystring.X`, `$context.X`, `$stageVariables.X`; REST APIs use
 * `method.request.header.X`, `method.request.querystring.X`, `context.X`, `stageVariables.X`.
 * Returns an error message (for a `ConfigIssue`) when the expression is not one of those.
 */
export function compileIdentitySource(expression: string, protocol: 'http' | 'rest'): Result<IdentitySelector> {
  const e = expression.trim();
  const m = protocol === 'http'
    ? /^(?:\$request\.(header|querystring)\.(.+)|\$context\.(.+)|\$stageVariables\.(.+))$/.exec(e)
    : /^(?:method\.request\.(header|querystring)\.(.+)|context\.(.+)|stageVariables\.(.+))$/.exec(e);
  if (!m) {
    return {
      ok: false,
      error: protocol === 'http'
        ? `unsupported identity source ${JSON.stringify(e)} (use $request.header.X, $request.querystring.X, $context.X or $stageVariables.X)`
        : `unsupported identity source ${JSON.stringify(e)} (use method.request.header.X, method.request.querystring.X, context.X or stageVariables.X)`,
    };
  }
  if (m[1] === 'header') return { ok: true, value: { kind: 'header', name: m[2]!.toLowerCase(), expression: e } };
  if (m[1] === 'querystring') return { ok: true, value: { kind: 'querystring', name: m[2]!, expression: e } };
  if (m[3] !== undefined) {
    if (!(m[3] in CONTEXT_VARIABLES)) {
      return { ok: false, error: `unsupported context variable ${JSON.stringify(m[3])} in identity source (supported: ${SUPPORTED_CONTEXT_VARIABLES.join(', ')})` };
    }
    return { ok: true, value: { kind: 'context', variable: m[3], expression: e } };
  }
  return { ok: true, value: { kind: 'stageVariable', name: m[4]!, expression: e } };
}

/**
 * The value of one identity source for this request, or `undefined` when it is missing or empty
 * (the caller answers 401 without invoking; spec §2.2, §3.2). Header values are whole (no
 * `Bearer ` stripping). Repeated headers / query parameters: HTTP APIs join them with `,` (the
 * 2.0 event rule); REST APIs take the last one (the `headers` / `queryStringParameters` rule). [INF]
 * Only identical copies get this far in the gateway: `findRepeatedIdentitySource` refuses
 * different ones first (`authorizers/single-credential.ts`).
 */
export function resolveIdentity(selector: IdentitySelector, src: AuthorizerEventSource, protocol: 'http' | 'rest'): string | undefined {
  let value: string | number | null | undefined;
  switch (selector.kind) {
    case 'header': {
      if (protocol === 'http') value = src.request.headers[selector.name];
      else if (selector.name.startsWith('x-forwarded-')) {
        // The gateway rewrites X-Forwarded-*: read what the event will carry.
        const headers = partsOf(src).headersV1;
        const key = Object.keys(headers).find((k) => k.toLowerCase() === selector.name);
        value = key === undefined ? undefined : headers[key];
      } else {
        // REST: the last value wins (the `headers` rule); scanning rawHeaders avoids building the event parts.
        const raw = src.request.rawHeaders;
        for (let i = raw.length - 2; i >= 0; i -= 2) {
          if (raw[i]!.toLowerCase() === selector.name) {
            value = raw[i + 1];
            break;
          }
        }
      }
      break;
    }
    case 'querystring': {
      const parts = partsOf(src);
      value = protocol === 'http' ? parts.queryV2[selector.name] : parts.queryV1[selector.name];
      break;
    }
    case 'context':
      value = CONTEXT_VARIABLES[selector.variable]?.(src.ctx);
      break;
    case 'stageVariable':
      value = src.ctx.stageVariables[selector.name];
      break;
  }
  if (value === null || value === undefined) return undefined;
  const text = String(value);
  return text.trim() === '' ? undefined : text;
}

/**
 * The first header or query-string identity source this request carries more than once with
 * different values, or `undefined`. Two `Authorization: Bearer …` headers are one credential too
 * many: the authorizer sees one value (REST: the last) or the comma-joined pair (HTTP APIs), the
 * decision cache keys on that, and the backend receives every copy — one that reads the first copy
 * acts on a credential no authorizer validated. So such a request is refused before any authorizer
 * runs. Identical copies pass: whichever copy the backend reads is the value the authorizer saw.
 * Names compare case-insensitively for headers, exactly for query parameters (AWS's rules).
 */
export function findRepeatedIdentitySource(selectors: readonly IdentitySelector[], src: AuthorizerEventSource): IdentitySelector | undefined {
  for (const s of selectors) {
    if (s.kind === 'header') {
      const raw = src.request.rawHeaders;
      let first: string | undefined;
      for (let i = 0; i + 1 < raw.length; i += 2) {
        if (raw[i]!.toLowerCase() !== s.name) continue;
        if (first === undefined) first = raw[i + 1]!;
        else if (raw[i + 1] !== first) return s;
      }
    } else if (s.kind === 'querystring') {
      const multi = partsOf(src).multiValueQuery;
      // hasOwn: a client-chosen `constructor` is data, not Object.prototype's (regression-prototype-keys).
      const values = Object.hasOwn(multi, s.name) ? multi[s.name]! : [];
      if (values.some((v) => v !== values[0])) return s;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/** `eventParts()` once per source object (identity resolution and the event share it). */
const partsCache = new WeakMap<object, EventParts>();
function partsOf(src: AuthorizerEventSource): EventParts {
  if (src.parts) return src.parts;
  let p = partsCache.get(src.request);
  if (!p) partsCache.set(src.request, (p = eventParts(src.request)));
  return p;
}

function cloneLists(m: Record<string, string[]>): Record<string, string[]> {
  // fromEntries: a client-chosen `__proto__` name stays an own key (regression-prototype-keys).
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, [...v]]));
}

function reorder<T extends object>(obj: T, order: readonly string[]): T {
  const out: Record<string, unknown> = {};
  const src = obj as Record<string, unknown>;
  for (const k of order) if (k in src) out[k] = src[k];
  for (const k of Object.keys(src)) if (!(k in out)) out[k] = src[k];
  return out as T;
}
