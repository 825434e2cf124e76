/**
 * @module integrations/integration — the one interface every integration implements. [glue]
 *
 * An integration turns the (authorized) request into a `GatewayResponse`. It throws taxonomy
 * errors only (`IntegrationFailureError`, `IntegrationTimeoutError`, `RequestTooLargeError`); the
 * pipeline renders them. It records `ctx.integrationLatencyMs`, `ctx.integrationStatus` and
 * `ctx.integrationErrorMessage` for `$context.integration*` variables.
 */
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import type { ApiConfig, ConfigIssue, PluginCheckContext, PluginSchema, RouteConfig } from '../core/config.ts';
import type { GatewayRequest, GatewayResponse, RequestContext } from '../core/model.ts';
import type { LambdaRuntime } from '../io/lambda-runtime.ts';

export interface IntegrationInput {
  readonly request: GatewayRequest;
  readonly ctx: RequestContext;
  readonly api: Readonly<ApiConfig>;
  readonly route: Readonly<RouteConfig>;
}

export interface Integration {
  /** The `integration.type` it was built from. */
  readonly type: string;
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

/** What every integration's `compile` may use. */
export interface IntegrationDeps {
  readonly dispatcher: Dispatcher;
  readonly lambdaRuntime: LambdaRuntime;
  /** Directory of the config file: relative handler paths resolve from here. */
  readonly baseDir: string;
}

/**
 * One registry entry (`INTEGRATIONS` in integrations/index.ts): the section's schema and rules
 * (config/plugins.ts's `PluginSchema`, read by the config parser) and `compile`, which builds the
 * integration from a section that parsed. `compile` throws `ConfigError` with paths relative to the
 * section (`handler`) for what only it can see (a missing handler module).
 */
export interface IntegrationPlugin<C = never> extends PluginSchema {
  readonly check?: (config: C, context: PluginCheckContext) => ConfigIssue[];
  readonly compile: (config: C, api: Readonly<ApiConfig>, deps: IntegrationDeps) => Integration;
}

/** An entry typed by its own schema: `check` and `compile` get the section as that schema parsed it. */
export function defineIntegration<S extends z.ZodObject>(plugin: IntegrationPlugin<Readonly<z.infer<S>>> & { readonly schema: S }): IntegrationPlugin<Readonly<z.infer<S>>> {
  return plugin;
}
