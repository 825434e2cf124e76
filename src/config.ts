/**
 * @module config — the gateway's config parser: `core/config.ts`'s `parseConfig()` with the gateway's
 * own plug-in registries (authorizer and integration types). [glue]
 *
 * Everything else of the config (schema, types, `ConfigError`) is `core/config.ts`'s, re-exported;
 * importers that parse a config take `parseConfig` from here, so every path to a running gateway
 * (the CLI, reloads, `portcullis validate`, the public API) checks the same plug-in sections.
 */
import { parseConfig as parseWith, type GatewayConfig, type PluginSchemas, type SectionSchemas } from './core/config.ts';
import { AUTHORIZERS } from './authorizers/index.ts';
import { INTEGRATIONS } from './integrations/index.ts';

export * from './core/config.ts';

/** The registries as the config parser sees them. */
export const GATEWAY_PLUGINS: PluginSchemas = { authorizers: AUTHORIZERS, integrations: INTEGRATIONS };

/**
 * Validate `raw` (parsed YAML/JSON) into a frozen config, with the gateway's plug-ins.
 * @param env environment for `${VAR}` / `${VAR:-default}` interpolation in string values; null for
 *   none (a config a reader made from a template, whose `${…}` belong to the template).
 * @param sections schemas of the sections the gateway does not own (`core:`).
 * @throws ConfigError with every issue found (`IncompleteConfigError` when the APIs parsed).
 */
export function parseConfig(raw: unknown, env: Readonly<Record<string, string | undefined>> | null = {}, sections: SectionSchemas = {}): GatewayConfig {
  return parseWith(raw, env, { ...sections, plugins: GATEWAY_PLUGINS });
}
