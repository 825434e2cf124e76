/**
 * @module integrations — the registry of integration plug-ins, one factory per `integration.type`. [glue]
 *
 * Adding a type: its schema in the `integration` union of `core/config/schema.ts`, a file here implementing
 * `Integration`, and one line in `INTEGRATIONS` (the mapped type makes a missing line a type error).
 * A factory throws `ConfigError` with issue paths relative to the integration (`handler`,
 * `requestParameters`); the compiler prefixes `apis[i].routes["KEY"].integration`.
 */
import type { Dispatcher } from 'undici';
import type { ApiConfig, IntegrationConfig } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';
import type { LambdaRuntime } from '../io/lambda-runtime.ts';
import { createHttpIntegration } from './http.ts';
import type { Integration } from './integration.ts';
import { createLambdaIntegration } from './lambda.ts';
import { createMockIntegration } from './mock.ts';

/** What every integration factory may use. */
export interface IntegrationDeps {
  readonly dispatcher: Dispatcher;
  readonly lambdaRuntime: LambdaRuntime;
  /** Directory of the config file: relative handler paths resolve from here. */
  readonly baseDir: string;
}

type IntegrationFactories = {
  readonly [T in IntegrationConfig['type']]: (config: Readonly<Extract<IntegrationConfig, { type: T }>>, api: Readonly<ApiConfig>, deps: IntegrationDeps) => Integration;
};

export const INTEGRATIONS: IntegrationFactories = {
  http: (config, api, deps) => createHttpIntegration(config, api, { dispatcher: deps.dispatcher }),
  lambda: (config, api, deps) => createLambdaIntegration(config, api, { lambdaRuntime: deps.lambdaRuntime, baseDir: deps.baseDir }),
  mock: (config) => createMockIntegration(config),
};

/** @throws ConfigError (paths relative to the integration) */
export function createIntegration(config: Readonly<IntegrationConfig>, api: Readonly<ApiConfig>, deps: IntegrationDeps): Integration {
  const factory = (INTEGRATIONS as Readonly<Record<string, IntegrationFactories[keyof IntegrationFactories] | undefined>>)[config.type];
  if (!factory) throw new ConfigError([{ path: 'type', message: `unknown integration type "${config.type}" (known: ${Object.keys(INTEGRATIONS).join(', ')})` }]);
  return (factory as (c: Readonly<IntegrationConfig>, a: Readonly<ApiConfig>, d: IntegrationDeps) => Integration)(config, api, deps);
}
