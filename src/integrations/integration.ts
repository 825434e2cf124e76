/**
 * @module integrations/integration — the one interface every integration implements. [glue]
 *
 * An integration turns the (authorized) request into a `GatewayResponse`. It throws taxonomy
 * errors only (`IntegrationFailureError`, `IntegrationTimeoutError`, `RequestTooLargeError`); the
 * pipeline renders them. It records `ctx.integrationLatencyMs`, `ctx.integrationStatus` and
 * `ctx.integrationErrorMessage` for `$context.integration*` variables.
 */
import type { ApiConfig, RouteConfig } from '../core/config.ts';
import type { GatewayRequest, GatewayResponse, RequestContext } from '../core/model.ts';

export interface IntegrationInput {
  readonly request: GatewayRequest;
  readonly ctx: RequestContext;
  readonly api: Readonly<ApiConfig>;
  readonly route: Readonly<RouteConfig>;
}

export interface Integration {
  readonly type: 'http' | 'lambda' | 'mock';
  invoke(input: IntegrationInput): Promise<GatewayResponse>;
}

/** HTTP API and REST answer integration failures differently (spec §8.2, §8.5; [INF] where unverified). */
export const INTEGRATION_ERRORS = {
  http: {
    failure: { status: 500, message: 'Internal Server Error' },
    timeout: { status: 503, message: 'Service Unavailable' },
  },
  rest: {
    /** Lambda proxy: malformed result or function error. */
    lambdaFailure: { status: 502, message: 'Internal server error' },
    /** HTTP proxy: refused / reset. */
    httpFailure: { status: 504, message: 'Network error communicating with endpoint' },
    timeout: { status: 504, message: 'Endpoint request timed out' },
  },
} as const;
