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
import type { ApiConfig, AuthorizerConfig, GatewayConfig, RouteConfig } from '../core/config.ts';
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
  readonly kind: 'jwt' | 'token' | 'request';
  authorize(input: AuthorizerRequest): Promise<AuthorizerOutcome>;
  /** Fetch keys etc. ahead of the first request; never throws (failures show in `status()`). */
  warmUp?(): Promise<void>;
  /** Health view for `/readyz` and `portcullis token`. */
  status?(): AuthorizerStatus;
  close?(): Promise<void>;
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

export type AuthorizerFactory = (
  id: string,
  config: Readonly<AuthorizerConfig>,
  api: Readonly<ApiConfig>,
  deps: AuthorizerDeps,
) => Authorizer;
