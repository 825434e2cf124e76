/**
 * @module integrations — the registry of integration plug-ins, one entry per `integration.type`. [glue]
 *
 * An entry (`IntegrationPlugin`, integration.ts) carries the section's schema and rules, which the
 * config parser reads (`src/config.ts` passes this registry to `parseConfig()`), and `compile`, which
 * the gateway's compile pass calls. Adding a type: one file here exporting an entry made with
 * `defineIntegration`, and one line below (docs/architecture.md, "Adding an authorizer or integration type").
 */
import type { ApiConfig, IntegrationConfig } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';
import { httpIntegrationPlugin } from './http.ts';
import type { Integration, IntegrationDeps, IntegrationPlugin } from './integration.ts';
import { lambdaIntegrationPlugin } from './lambda.ts';
import { mockIntegrationPlugin } from './mock.ts';

export type { IntegrationDeps } from './integration.ts';

/** Keyed by `type`: each key is the literal its schema's tag holds (a test checks it). */
export const INTEGRATIONS: Readonly<Record<string, IntegrationPlugin<never>>> = {
  lambda: lambdaIntegrationPlugin,
  http: httpIntegrationPlugin,
  mock: mockIntegrationPlugin,
};

/**
 * Builds the integration a parsed section describes, with the entry its `type` names.
 * @throws ConfigError (paths relative to the integration)
 */
export function createIntegration(config: Readonly<IntegrationConfig>, api: Readonly<ApiConfig>, deps: IntegrationDeps): Integration {
  const plugin = INTEGRATIONS[config.type];
  if (!plugin) throw new ConfigError([{ path: 'type', message: `unknown integration type "${config.type}" (known: ${Object.keys(INTEGRATIONS).join(', ')})` }]);
  // The parser checked the section with this entry's schema (`never`: the registry holds entries of several config types).
  return plugin.compile(config as never, api, deps);
}
