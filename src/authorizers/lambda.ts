/**
 * @module authorizers/lambda — Lambda authorizers: REST `TOKEN` / `REQUEST`, HTTP API `REQUEST`
 * with payload 1.0 / 2.0 and simple responses. [glue]
 *
 * One `authorize()` call, top to bottom (spec §2, §3):
 *   1. build this request's ARN (`methodArn` / `routeArn`; REST: over 1600 bytes → 414);
 *   2. resolve every identity source; any missing/empty, or a TOKEN failing
 *      `identityValidationExpression` → 401 without invoking;
 *   3. cache lookup (authorizer + stage + hashed identity values) → a cached *decision*;
 *   4. on a miss: build the event, invoke the handler module (worker threads, `io/lambda-runtime`)
 *      or POST it to `authorizerUri`, parse the output into a decision, cache it (denials too,
 *      errors never);
 *   5. evaluate the decision against *this* request's ARN → outcome, or a taxonomy error.
 *
 * Outcomes (spec §2.6, §3.7): thrown `Unauthorized` → `UnauthorizedError`; explicit Deny → REST
 * 403 `… with an explicit deny`; no matching Allow → REST 403 `User is not authorized to access
 * this resource`; HTTP API deny / `isAuthorized: false` → 403 `Forbidden`; any other failure
 * (throw, timeout, crash, malformed output, non-scalar REST context) → 500
 * `AuthorizerConfigurationError` (`null` message on REST, `Internal Server Error` on HTTP APIs),
 * with the reason in `detail` (→ `$context.authorizer.error`); an `authorizerUri` that cannot be
 * reached → 500 `AuthorizerFailureError`, same message and detail (AWS's AUTHORIZER_FAILURE).
 *
 * Must not: fail open (an unusable config throws `ConfigError` at creation), log identity values,
 * keep raw identity values in the cache.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { request as undiciRequest } from 'undici';
import { z } from 'zod';
import { defineAuthorizer, type Authorizer, type AuthorizerDeps, type AuthorizerRequest, type AuthorizerStatus } from './authorizer.ts';
import { absoluteHttpUrl, functionSchema, nonEmpty, oneOrMany, prefixIssues, type ApiConfig, type PluginCheckContext } from '../core/config.ts';
import type { AuthorizerOutcome } from '../core/model.ts';
import type { Result } from '../core/result.ts';
import type { InvokeFailure, InvokeResult, LambdaFunctionSpec } from '../io/lambda-runtime.ts';
import { resolveFunctionSpec } from '../io/runtimes/index.ts';
import {
  AccessDeniedError,
  AuthorizerConfigurationError,
  AuthorizerFailureError,
  ConfigError,
  UnauthorizedError,
  UriTooLongError,
  type ConfigIssue,
} from '../core/errors.ts';
import {
  arnPathOf,
  buildHttpRequestEventV1,
  buildHttpRequestEventV2,
  buildRestRequestEvent,
  buildTokenEvent,
  compileIdentitySource,
  resolveIdentity,
  type IdentitySelector,
  type LambdaAuthorizerEvent,
} from '../core/authorizer-events.ts';
import { buildMethodArn, evaluatePolicy, MAX_METHOD_ARN_BYTES, parsePolicyDocument, type PolicyDocument } from '../core/policy.ts';
import { createDecisionCache, decisionCacheKey, type DecisionCacheStats } from './decision-cache.ts';

/** AWS: the authorizer must answer within 10 s (limits.md). Default is 10000. */
export const DEFAULT_AUTHORIZER_TIMEOUT_MS = 10_000;
/** Default TTL of cached decisions: REST 300 s; HTTP APIs 0 (off) [INF, spec §2.1]. */
export const DEFAULT_REST_TTL_SECONDS = 300;
export const DEFAULT_HTTP_TTL_SECONDS = 0;
/** Largest JSON an `authorizerUri` endpoint may answer with (Lambda's 6 MB). */
const MAX_ENDPOINT_RESPONSE_BYTES = 6 * 1024 * 1024;
/** Longest part of a function's error message kept in `detail`. */
const MAX_DETAIL_ERROR_CHARS = 200;

export const EXPLICIT_DENY_MESSAGE = 'User is not authorized to access this resource with an explicit deny';
export const IMPLICIT_DENY_MESSAGE = 'User is not authorized to access this resource';

const lambdaTarget = {
  /** A handler module run like a Lambda integration (timeout default 10000). */
  function: functionSchema.optional(),
  /** Or an HTTP endpoint: the event is POSTed as JSON and the JSON reply read back. */
  authorizerUri: absoluteHttpUrl.optional(),
};

/** `authorizerType: REQUEST` (REST and HTTP APIs). */
export const requestAuthorizerSchema = z.strictObject({
  authorizerType: z.literal('REQUEST'),
  ...lambdaTarget,
  /** HTTP: `$request.header.X`, `$request.querystring.X`, `$context.X`, `$stageVariables.X`. REST: `method.request.header.X`, … */
  identitySource: oneOrMany.optional(),
  /** HTTP APIs only. Default is `2.0`. */
  authorizerPayloadFormatVersion: z.enum(['1.0', '2.0']).optional(),
  /** HTTP APIs, payload 2.0 only. */
  enableSimpleResponses: z.boolean().default(false),
  /** 0 disables; max 3600. Default is 300 (REST) / 0 (HTTP APIs). */
  authorizerResultTtlInSeconds: z.number().int().min(0).max(3600).optional(),
  /** Map a thrown `Unauthorized` to 401 on HTTP APIs (AWS: unverified). Default is true. */
  unauthorizedErrorIs401: z.boolean().default(true),
});
export type RequestAuthorizerConfig = z.infer<typeof requestAuthorizerSchema>;

/** `authorizerType: TOKEN` (REST APIs). */
export const tokenAuthorizerSchema = z.strictObject({
  authorizerType: z.literal('TOKEN'),
  ...lambdaTarget,
  /** One header: `method.request.header.Authorization`. */
  identitySource: nonEmpty.default('method.request.header.Authorization'),
  /** Regex the whole header value must match before the function is called. */
  identityValidationExpression: z.string().optional(),
  authorizerResultTtlInSeconds: z.number().int().min(0).max(3600).optional(),
});
export type TokenAuthorizerConfig = z.infer<typeof tokenAuthorizerSchema>;

export type LambdaAuthorizerConfig = Readonly<RequestAuthorizerConfig | TokenAuthorizerConfig>;

function identityExpressions(config: LambdaAuthorizerConfig): string[] {
  const source = config.identitySource;
  return source === undefined ? [] : Array.isArray(source) ? [...source] : source.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * What the schemas cannot say: the target (a function or an endpoint), per-protocol rules, the
 * identity sources (compiled by the same `compileIdentitySource` the plug-in runs), the TOKEN
 * validation expression, and a cache that needs an identity source.
 */
function checkLambdaAuthorizer(config: LambdaAuthorizerConfig, { api }: PluginCheckContext): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (!config.function && !config.authorizerUri) issues.push({ path: '', message: 'needs a `function` (handler module) or an `authorizerUri` (HTTP endpoint)' });
  if (config.function && config.authorizerUri) issues.push({ path: 'authorizerUri', message: 'give either `function` or `authorizerUri`, not both' });
  const expressions = identityExpressions(config);
  if (config.authorizerType === 'TOKEN') {
    if (api.protocol !== 'rest') issues.push({ path: 'authorizerType', message: 'TOKEN authorizers are a REST API feature (HTTP APIs use REQUEST)' });
    if (!/^method\.request\.header\.[^\s]+$/.test(config.identitySource)) {
      issues.push({ path: 'identitySource', message: `must be method.request.header.NAME, got ${JSON.stringify(config.identitySource)}` });
    }
    const validation = compileValidationExpression(config.identityValidationExpression);
    if (!validation.ok) issues.push({ path: 'identityValidationExpression', message: validation.error });
  } else {
    expressions.forEach((expression, i) => {
      const compiled = compileIdentitySource(expression, api.protocol);
      if (!compiled.ok) issues.push({ path: Array.isArray(config.identitySource) ? `identitySource[${i}]` : 'identitySource', message: compiled.error });
    });
    if (api.protocol === 'rest') {
      if (config.authorizerPayloadFormatVersion !== undefined) issues.push({ path: 'authorizerPayloadFormatVersion', message: 'is an HTTP API setting (REST REQUEST events have one shape)' });
      if (config.enableSimpleResponses) issues.push({ path: 'enableSimpleResponses', message: 'is an HTTP API setting' });
    } else if (config.enableSimpleResponses && (config.authorizerPayloadFormatVersion ?? '2.0') !== '2.0') {
      issues.push({ path: 'enableSimpleResponses', message: 'requires authorizerPayloadFormatVersion "2.0"' });
    }
  }
  const ttl = config.authorizerResultTtlInSeconds ?? (api.protocol === 'rest' ? DEFAULT_REST_TTL_SECONDS : DEFAULT_HTTP_TTL_SECONDS);
  if (ttl > 0 && expressions.length === 0) {
    issues.push({ path: 'identitySource', message: 'caching (authorizerResultTtlInSeconds > 0) needs at least one identity source' });
  }
  return issues;
}

/** AWS matches the whole header value (Java `matches()`), so the expression is anchored. [INF] */
function compileValidationExpression(expression: string | undefined): Result<RegExp | null> {
  if (expression === undefined) return { ok: true, value: null };
  try {
    return { ok: true, value: new RegExp(`^(?:${expression})$`) };
  } catch (err) {
    return { ok: false, error: `is not a valid regular expression: ${(err as Error).message}` };
  }
}

/** What the function decided, as cached: never a per-ARN verdict (spec §3.8). */
export type LambdaDecision =
  | {
      type: 'policy';
      policy: PolicyDocument;
      principalId: string | undefined;
      context: Record<string, unknown> | null;
      usageIdentifierKey: string | undefined;
    }
  | { type: 'simple'; isAuthorized: boolean; context: Record<string, unknown> | null };

/** The plug-in plus test/ops hooks. */
export interface LambdaAuthorizer extends Authorizer {
  readonly kind: 'token' | 'request';
  /** Drops every cached decision (AWS: redeploying the stage flushes; here a test hook). */
  flushCache(): void;
  /** `null` when caching is off for this authorizer. */
  cacheStats(): DecisionCacheStats | null;
  /** Effective TTL in seconds (0 = off). */
  readonly ttlSeconds: number;
}

type Flavour = 'rest-token' | 'rest-request' | 'http-1.0' | 'http-2.0';

/** Sends one event to the function and returns what it produced (`io/lambda-runtime` shape). */
type Invoke = (event: LambdaAuthorizerEvent, requestId: string) => Promise<InvokeResult>;

/**
 * Creates a Lambda authorizer from a `REQUEST` or `TOKEN` config (checked by `checkLambdaAuthorizer`).
 * @throws ConfigError when the handler module does not exist, or (a config that did not go through
 *   the parser) an identity source or the validation expression does not compile: never fails open.
 */
export function createLambdaAuthorizer(
  id: string,
  config: LambdaAuthorizerConfig,
  api: Readonly<ApiConfig>,
  deps: AuthorizerDeps,
): LambdaAuthorizer {
  const cfg = config;
  const protocol = api.protocol;
  const flavour: Flavour = cfg.authorizerType === 'TOKEN'
    ? 'rest-token'
    : protocol === 'rest'
      ? 'rest-request'
      : (cfg.authorizerPayloadFormatVersion ?? '2.0') === '1.0' ? 'http-1.0' : 'http-2.0';
  const simpleResponses = cfg.authorizerType === 'REQUEST' && flavour === 'http-2.0' && cfg.enableSimpleResponses;
  const unauthorizedIs401 = cfg.authorizerType === 'REQUEST' && protocol === 'http' ? cfg.unauthorizedErrorIs401 : true;

  // Issue paths are relative to this authorizer's config; the compiler prefixes `apis[i].authorizers.ID`.
  const issues: ConfigIssue[] = [];
  const selectors: IdentitySelector[] = [];
  for (const e of identityExpressions(cfg)) {
    const c = compileIdentitySource(e, protocol);
    if (c.ok) selectors.push(c.value);
    else issues.push({ path: 'identitySource', message: c.error });
  }
  const validationResult = compileValidationExpression(cfg.authorizerType === 'TOKEN' ? cfg.identityValidationExpression : undefined);
  if (!validationResult.ok) issues.push({ path: 'identityValidationExpression', message: validationResult.error });
  const validation = validationResult.ok ? validationResult.value : null;
  if (!cfg.function && !cfg.authorizerUri) issues.push({ path: '', message: 'needs a `function` (handler module) or an `authorizerUri` (HTTP endpoint)' });
  const spec = cfg.function ? resolveFunctionSpec(cfg.function, deps.baseDir, DEFAULT_AUTHORIZER_TIMEOUT_MS) : null;
  if (spec && !spec.ok) issues.push(...prefixIssues('function', spec.error));
  if (issues.length) throw new ConfigError(issues);

  const ttlSeconds = selectors.length === 0 ? 0 : cfg.authorizerResultTtlInSeconds ?? (protocol === 'rest' ? DEFAULT_REST_TTL_SECONDS : DEFAULT_HTTP_TTL_SECONDS);
  const cache = ttlSeconds > 0 ? createDecisionCache<LambdaDecision>({ clock: deps.clock }) : null;
  const invoke = spec?.ok ? createFunctionInvoker(spec.value, deps) : createEndpointInvoker(cfg.authorizerUri!, DEFAULT_AUTHORIZER_TIMEOUT_MS);
  const target = cfg.function ? `function ${cfg.function.handler}` : 'authorizerUri';
  const log = deps.logger.child({ authorizer_id: id, api: api.name });

  /** The 500 of this flavour, with its reason for `$context.authorizer.error` and the log. */
  const configurationError = (reason: string, requestId: string): AuthorizerConfigurationError => {
    log.warn('lambda authorizer failed', { reason, request_id: requestId });
    return new AuthorizerConfigurationError(protocol === 'rest' ? null : 'Internal Server Error', { detail: reason });
  };
  /** AWS's AUTHORIZER_FAILURE: the gateway could not connect to the authorizer (same status and body). */
  const failureError = (reason: string, requestId: string): AuthorizerFailureError => {
    log.warn('lambda authorizer unreachable', { reason, request_id: requestId });
    return new AuthorizerFailureError(protocol === 'rest' ? null : 'Internal Server Error', { detail: reason });
  };

  async function authorize(input: AuthorizerRequest): Promise<AuthorizerOutcome> {
    const { request, ctx } = input;
    const src = { request, ctx, resourcePath: input.resourcePath };
    const arn = buildMethodArn({
      region: deps.gateway.aws.region,
      accountId: ctx.accountId,
      apiId: ctx.apiId,
      stage: ctx.stage,
      method: ctx.httpMethod.toUpperCase(),
      path: arnPathOf(request.rawPath, ctx.stage),
    });
    if (protocol === 'rest' && Buffer.byteLength(arn) > MAX_METHOD_ARN_BYTES) {
      throw new UriTooLongError({ detail: `the method ARN is ${Buffer.byteLength(arn)} bytes (limit ${MAX_METHOD_ARN_BYTES})` });
    }

    // 2. Pre-checks: no invocation, never cached.
    const values: string[] = [];
    for (const s of selectors) {
      const v = resolveIdentity(s, src, protocol);
      if (v === undefined) throw new UnauthorizedError({ detail: `identity source ${s.expression} is missing or empty` });
      values.push(v);
    }
    if (validation && !validation.test(values[0]!)) {
      throw new UnauthorizedError({ detail: 'the token does not match identityValidationExpression' });
    }

    // 3. Cache.
    const key = cache ? decisionCacheKey(id, ctx.stage, values) : '';
    let decision = cache?.get(key);
    const cached = decision !== undefined;
    let latencyMs = 0;
    if (!decision) {
      // 4. Invoke and parse.
      const event: LambdaAuthorizerEvent = flavour === 'rest-token'
        ? buildTokenEvent(values[0]!, arn)
        : flavour === 'rest-request'
          ? buildRestRequestEvent(src, arn)
          : flavour === 'http-1.0'
            ? buildHttpRequestEventV1(src, arn, values)
            : buildHttpRequestEventV2(src, arn, values);
      const started = performance.now();
      const result = await invoke(event, randomUUID());
      latencyMs = Math.round(performance.now() - started);
      if (!result.ok) {
        if (result.error.kind === 'error' && result.error.errorMessage === 'Unauthorized' && unauthorizedIs401) {
          throw new UnauthorizedError({ detail: 'the authorizer returned Unauthorized' });
        }
        if (result.error.kind === 'unreachable') throw failureError(describeFailure(result.error), ctx.requestId);
        throw configurationError(describeFailure(result.error), ctx.requestId);
      }
      const parsed = parseAuthorizerResponse(result.value, flavour, simpleResponses);
      if (!parsed.ok) throw configurationError(parsed.error, ctx.requestId);
      decision = parsed.value;
      cache?.set(key, decision, ttlSeconds * 1000, estimateBytes(decision));
    }

    // 5. Evaluate against this request's own ARN.
    const principalId = decision.type === 'policy' ? decision.principalId : undefined;
    const seen: AuthorizerOutcome = { kind: 'lambda', principalId, context: decision.context };
    const from = cached ? 'cached decision: ' : '';
    const policy = decision.type === 'simple' ? { isAuthorized: decision.isAuthorized } : decision.policy;
    if (decision.type === 'simple') {
      if (!decision.isAuthorized) {
        const err = new AccessDeniedError('Forbidden', { detail: 'the authorizer returned isAuthorized: false', authorizer: seen });
        err.audit = { reason: `${from}isAuthorized: false`, cached, policy };
        throw err;
      }
    } else {
      const { decision: verdict, warnings } = evaluatePolicy(decision.policy, arn);
      for (const w of warnings) log.warn('lambda authorizer policy', { reason: w, request_id: ctx.requestId });
      if (verdict !== 'allow') {
        const detail = verdict === 'explicit-deny' ? 'the policy explicitly denies this ARN' : 'no statement of the policy allows this ARN';
        const message = protocol === 'http' ? 'Forbidden' : verdict === 'explicit-deny' ? EXPLICIT_DENY_MESSAGE : IMPLICIT_DENY_MESSAGE;
        const err = new AccessDeniedError(message, { detail, authorizer: seen });
        err.audit = { reason: `${from}${verdict === 'explicit-deny' ? `policy Deny on ${arn}` : `no policy statement allows ${arn}`}`, cached, policy };
        throw err;
      }
    }
    const outcome: AuthorizerOutcome = {
      kind: 'lambda',
      principalId,
      context: decision.context,
      integrationLatencyMs: latencyMs,
      audit: { reason: `${from}${decision.type === 'simple' ? 'isAuthorized: true' : `policy Allow on ${arn}`}`, cached, policy },
    };
    if (decision.type === 'policy' && decision.usageIdentifierKey !== undefined) outcome.usageIdentifierKey = decision.usageIdentifierKey;
    return outcome;
  }

  return {
    id,
    kind: cfg.authorizerType === 'TOKEN' ? 'token' : 'request',
    ttlSeconds,
    authorize,
    status(): AuthorizerStatus {
      return { ready: true, detail: `lambda ${flavour} authorizer (${target}; cache ${ttlSeconds > 0 ? `${ttlSeconds}s` : 'off'})` };
    },
    flushCache: () => cache?.clear(),
    cacheStats: () => cache?.stats() ?? null,
    async close() {
      cache?.clear();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Output parsing (pure)

export type ParseAuthorizerResult = Result<LambdaDecision>;

/**
 * Validates what the function returned (spec §2.5, §3.5). Errors name the field, never values.
 *   - Simple responses (HTTP 2.0 + `enableSimpleResponses`): `isAuthorized` must be a boolean;
 *     `context` an object (any JSON values) or absent.
 *   - IAM responses: `policyDocument` per `parsePolicyDocument`; `principalId` a string (required
 *     on REST; [INF] optional on HTTP APIs, which do not use it); `usageIdentifierKey` a string if set.
 *   - `context` on REST and HTTP 1.0: a flat object of string / number / boolean / null values
 *     (AWS fails building the integration request otherwise → 500). [INF] HTTP 1.0 also rejects
 *     the reserved key `claims`.
 */
export function parseAuthorizerResponse(payload: unknown, flavour: Flavour, simpleResponses: boolean): ParseAuthorizerResult {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { ok: false, error: `the authorizer returned ${payload === null ? 'null' : Array.isArray(payload) ? 'an array' : `a ${typeof payload}`}, not an object` };
  }
  const out = payload as Record<string, unknown>;
  const rawContext = out['context'];
  if (rawContext !== undefined && rawContext !== null && (typeof rawContext !== 'object' || Array.isArray(rawContext))) {
    return { ok: false, error: 'context must be an object' };
  }
  const context = (rawContext ?? null) as Record<string, unknown> | null;
  const scalarContext = flavour !== 'http-2.0';
  if (context && scalarContext) {
    for (const [k, v] of Object.entries(context)) {
      if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        return { ok: false, error: `context.${k} must be a string, number or boolean (objects and arrays are not allowed)` };
      }
    }
    if (flavour === 'http-1.0' && 'claims' in context) return { ok: false, error: 'context may not use the reserved key "claims"' };
  }
  if (simpleResponses) {
    if (typeof out['isAuthorized'] !== 'boolean') return { ok: false, error: 'isAuthorized must be a boolean' };
    return { ok: true, value: { type: 'simple', isAuthorized: out['isAuthorized'], context } };
  }
  const principalId = out['principalId'];
  if (flavour === 'rest-token' || flavour === 'rest-request') {
    if (typeof principalId !== 'string') return { ok: false, error: 'principalId is missing or not a string' };
  } else if (principalId !== undefined && principalId !== null && typeof principalId !== 'string') {
    return { ok: false, error: 'principalId must be a string' };
  }
  if (out['policyDocument'] === undefined) return { ok: false, error: 'policyDocument is missing' };
  const policy = parsePolicyDocument(out['policyDocument']);
  if (!policy.ok) return { ok: false, error: policy.error };
  const usage = out['usageIdentifierKey'];
  if (usage !== undefined && usage !== null && typeof usage !== 'string') return { ok: false, error: 'usageIdentifierKey must be a string' };
  return {
    ok: true,
    value: {
      type: 'policy',
      policy: policy.value,
      principalId: typeof principalId === 'string' ? principalId : undefined,
      context,
      usageIdentifierKey: typeof usage === 'string' ? usage : undefined,
    },
  };
}

function describeFailure(r: InvokeFailure): string {
  const message = r.errorMessage.length > MAX_DETAIL_ERROR_CHARS ? `${r.errorMessage.slice(0, MAX_DETAIL_ERROR_CHARS)}…` : r.errorMessage;
  switch (r.kind) {
    case 'timeout':
      return `the authorizer timed out (${message})`;
    case 'init':
      return `the authorizer could not be loaded: ${r.errorType}: ${message}`;
    case 'crash':
      return `the authorizer could not be invoked: ${r.errorType}: ${message}`;
    case 'unreachable':
      return `the authorizer could not be reached: ${r.errorType}: ${message}`;
    case 'throttled':
      return `the authorizer was throttled: ${message}`;
    default:
      return `the authorizer failed: ${r.errorType}: ${message}`;
  }
}

function estimateBytes(decision: LambdaDecision): number {
  try {
    return JSON.stringify(decision).length * 2;
  } catch {
    return 4096;
  }
}

// ---------------------------------------------------------------------------------------------
// Invokers

function createFunctionInvoker(spec: LambdaFunctionSpec, deps: AuthorizerDeps): Invoke {
  const handle = deps.lambdaRuntime.getFunction(spec);
  return (event, requestId) => handle.invoke(event, requestId, spec.timeoutMs);
}

/**
 * The HTTP-endpoint variant (authorizers in other languages): the event is POSTed as JSON and the
 * reply is read back with the same rules as a function's result. [INF] wire contract:
 *   - 2xx with a JSON body → the function's result;
 *   - a Lambda-style failure — header `X-Amz-Function-Error` (as the Lambda Invoke API sends) or a
 *     non-2xx status — with a JSON body `{"errorMessage": "...", "errorType": "..."}` → a function
 *     error, so `{"errorMessage":"Unauthorized"}` gives 401 like a thrown `Unauthorized`;
 *   - an endpoint that cannot be connected to, or whose reply is cut off → 500 `AuthorizerFailureError`
 *     (AWS's AUTHORIZER_FAILURE: failing to connect to a custom authorizer);
 *   - anything else (non-JSON, over 6 MB, no answer within 10 s) → 500 `AuthorizerConfigurationError`.
 */
export function createEndpointInvoker(uri: string, timeoutMs: number): Invoke {
  return async (event, requestId) => {
    const started = Date.now();
    const fail = (kind: 'error' | 'timeout' | 'unreachable', errorType: string, errorMessage: string): InvokeResult => ({ ok: false, error: { kind, errorType, errorMessage }, durationMs: Date.now() - started });
    let res;
    try {
      res = await undiciRequest(uri, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'lambda-runtime-aws-request-id': requestId },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(timeoutMs),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError' || e.name === 'AbortError' || /timeout/i.test(e.name)) return fail('timeout', 'Sandbox.Timedout', `no answer from the authorizer endpoint within ${timeoutMs} ms`);
      return fail('unreachable', 'EndpointUnreachable', `the authorizer endpoint cannot be reached: ${(err as { code?: string }).code ?? e.message}`);
    }
    let text: string;
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        const b = chunk as Buffer;
        size += b.length;
        if (size > MAX_ENDPOINT_RESPONSE_BYTES) {
          res.body.destroy();
          return fail('error', 'Function.ResponseSizeTooLarge', `the endpoint answered with more than ${MAX_ENDPOINT_RESPONSE_BYTES} bytes`);
        }
        chunks.push(b);
      }
      text = Buffer.concat(chunks).toString('utf8');
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError' || e.name === 'AbortError') return fail('timeout', 'Sandbox.Timedout', `no answer from the authorizer endpoint within ${timeoutMs} ms`);
      return fail('unreachable', 'EndpointUnreachable', `the authorizer endpoint reply was cut off: ${e.message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return fail('error', 'Runtime.InvalidResponse', `the endpoint answered ${res.statusCode} with a body that is not JSON`);
    }
    const functionError = res.headers['x-amz-function-error'] !== undefined || res.statusCode < 200 || res.statusCode > 299;
    if (functionError) {
      const body = (typeof json === 'object' && json !== null ? json : {}) as { errorMessage?: unknown; errorType?: unknown };
      const message = typeof body.errorMessage === 'string' ? body.errorMessage : `the endpoint answered ${res.statusCode}`;
      return fail('error', typeof body.errorType === 'string' ? body.errorType : 'Error', message);
    }
    return { ok: true, value: json, durationMs: Date.now() - started };
  };
}

/** The registry entries (authorizers/index.ts): one plug-in, two section schemas. */
export const requestAuthorizerPlugin = defineAuthorizer({
  schema: requestAuthorizerSchema,
  check: checkLambdaAuthorizer,
  routeAuthorizationType: 'CUSTOM',
  takesScopes: false,
  takesClaims: false,
  compile: createLambdaAuthorizer,
});

export const tokenAuthorizerPlugin = defineAuthorizer({
  schema: tokenAuthorizerSchema,
  check: checkLambdaAuthorizer,
  routeAuthorizationType: 'CUSTOM',
  takesScopes: false,
  takesClaims: false,
  compile: createLambdaAuthorizer,
});
