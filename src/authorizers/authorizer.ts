/**
 * @module authorizers/authorizer — the one interface every authorizer plug-in implements. [glue]
 *
 * Usage: `compileApis()` builds one `Authorizer` per configured authorizer (`createAuthorizer()`
 * in `authorizers/index.ts`); the pipeline calls `authorize()` for routes that name it. The
 * plug-in reads what it needs from the request snapshot, and either returns an
 * `AuthorizerOutcome` (the request may proceed) or throws a taxonomy error from `core/errors.ts`:
 *   - `UnauthorizedError` (401): identity missing, token invalid, function said `Unauthorized`;
 *   - `AccessDeniedError` (403): deny / no matching allow / missing scope;
 *   - `AuthorizerConfigurationError` (500): broken output, a throw, a timeout;
 *   - `AuthorizerFailureError` (500): the authorizer could not be reached (a Lambda authorizer's `authorizerUri`).
 * The error's `detail` becomes `$context.authorizer.error`. A plug-in never writes HTTP responses.
 * Decision caching and policy evaluation happen inside the Lambda plug-in (a cached *decision* is
 * re-evaluated against each request's own ARN).
 */
import type { AuthorizerOutcome, GatewayRequest, RequestContext } from '../core/model.ts';
import type { z } from 'zod';
import type { ApiConfig, AuthorizerSchema, ConfigIssue, GatewayConfig, PluginCheckContext, RouteConfig } from '../core/config.ts';
import type { Clock } from '../core/clock.ts';
import type { LambdaRuntime } from '../io/lambda-runtime.ts';
import type { Logger } from '../io/logger.ts';
import type { AuthorizerMetrics, KeyMetrics } from '../io/metrics.ts';
import type { VerificationKey } from '../io/keys.ts';

/** Read-only view of the request an authorizer decides on. */
export interface AuthorizerRequest {
  readonly request: GatewayRequest;
  /** Filled up to route matching: routeKey, stage, path, pathParameters, stageVariables, requestId, … */
  readonly ctx: Readonly<RequestContext>;
  readonly api: Readonly<ApiConfig>;
  readonly route: Readonly<RouteConfig>;
  /** Resource template (`/pets/{id}`) of the matched route, or `$default`. */
  readonly resourcePath: string;
}

export interface Authorizer {
  readonly id: string;
  /** What sort of authorizer answers (`jwt`: its 401s carry `www-authenticate`). */
  readonly kind: string;
  authorize(input: AuthorizerRequest): Promise<AuthorizerOutcome>;
  /** Fetch keys etc. ahead of the first request; never throws (failures show in `status()`). */
  warmUp?(): Promise<void>;
  /** Health view for `/readyz` and `portcullis token`. */
  status?(): AuthorizerStatus;
  /** Its decision cache's counters for `/metrics`; `null` (or absent) when it caches nothing. */
  cacheStats?(): AuthorizerCacheStats | null;
  close?(): Promise<void>;
}

export interface AuthorizerCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly entries: number;
}

export interface AuthorizerStatus {
  ready: boolean;
  detail: string;
}

/** What factories get from the gateway. */
export interface AuthorizerDeps {
  readonly clock: Clock;
  readonly lambdaRuntime: LambdaRuntime;
  readonly logger: Logger;
  /** Directory of the config file: relative handler paths resolve from here. */
  readonly baseDir: string;
  readonly gateway: Readonly<GatewayConfig>;
  /** Optional counters for `/metrics` (cache lookups, JWKS fetches). */
  readonly metrics?: (AuthorizerMetrics & KeyMetrics) | undefined;
  /** `--dev-tokens`: the local key a JWT authorizer trusts beside its issuer's JWKS (io/dev-keys.ts). */
  readonly devKeys?: ((api: string, authorizerId: string) => (VerificationKey & { readonly kid: string }) | undefined) | undefined;
}

/**
 * One registry entry (`AUTHORIZERS` in authorizers/index.ts): the section's schema and rules
 * (config/plugins.ts's `AuthorizerSchema`, read by the config parser) and `compile`, which builds the
 * plug-in from a section that parsed. `compile` throws `ConfigError` with paths relative to the
 * section (`function.handler`) for what only it can see (a missing handler module).
 */
export interface AuthorizerPlugin<C = never> extends AuthorizerSchema {
  readonly check?: (config: C, context: PluginCheckContext) => ConfigIssue[];
  /** `http`: identity sources use HTTP API syntax (`$request.header.X`) on every API. Default: the API's. */
  readonly identitySyntax?: 'http';
  readonly compile: (id: string, config: C, api: Readonly<ApiConfig>, deps: AuthorizerDeps) => Authorizer;
}

/** An entry typed by its own schema: `check` and `compile` get the section as that schema parsed it. */
export function defineAuthorizer<S extends z.ZodObject>(plugin: AuthorizerPlugin<Readonly<z.infer<S>>> & { readonly schema: S }): AuthorizerPlugin<Readonly<z.infer<S>>> {
  return plugin;
}
