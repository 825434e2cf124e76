/**
 * @module core/config — the config file's schema, defaults and validation. [pure]
 *
 * `parseConfig(unknown, env)` returns a deep-frozen `GatewayConfig` or throws `ConfigError` listing
 * every problem with its exact path (`apis[0].routes["GET /x"].integration.uri: …`). Key names
 * mirror AWS's own (CloudFormation / OpenAPI / apigatewayv2): `routeKey`, `identitySource`,
 * `jwtConfiguration`, `authorizationScopes`, `payloadFormatVersion`, `requestParameters`,
 * `stageVariables`, `authorizerResultTtlInSeconds`, `gatewayResponses`, … New keys carry units
 * (`timeoutInMillis` is AWS's; `maxBodyBytes`, `jwksCacheMaxAgeSeconds` are ours).
 *
 * Structure is checked by zod schemas (strict: unknown keys are errors, with a did-you-mean);
 * cross-references and AWS limits by `checkSemantics()`. Nothing here touches the file system,
 * the environment (it is passed in) or the clock.
 *
 * The parts: `config/schema.ts` (zod schemas and inferred types), `config/issues.ts` (zod issues as
 * `path: message`, with did-you-mean), `config/semantics.ts` (cross-checks and AWS limits). This
 * file parses in layers and combines them; importers take everything from here.
 */
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from './errors.ts';
import { configSchema, type ApiConfig, type AuthorizerConfig, type GatewayConfig, type RouteConfig } from './config/schema.ts';
import { dedupe, describeZodIssue, formatPath, type PathKey } from './config/issues.ts';
import { schemasWith, type PluginSchemas } from './config/plugins.ts';
import { checkSemantics } from './config/semantics.ts';

export * from './config/schema.ts';
export * from './config/plugins.ts';
export type { ConfigIssue } from './errors.ts';
export { closest, formatPath, prefixIssues } from './config/issues.ts';
export { checkIntegrationMappings, isLoopbackHost, isReservedMappingHeader, LIMITS } from './config/semantics.ts';

/** Layered parsing: the top level with APIs left raw (each API, then each route, parsed on its own). */
const configShellSchema = configSchema.extend({ apis: z.array(z.unknown()).default([]) });

/**
 * Schemas of the sections the gateway carries without owning them. `core:` belongs to the session
 * core: src/core imports nothing of it, so whoever starts both halves (the CLI) passes its schema in
 * by reference. Without one, the section is only checked to be a mapping.
 */
export interface SectionSchemas {
  readonly core?: z.ZodType;
}

/** What `parseConfig()` is given besides the document: the plug-in registries, and the sections' schemas. */
export interface ParseOptions extends SectionSchemas {
  /**
   * The authorizer and integration registries (config/plugins.ts): their schemas parse those
   * sections and their rules check them. `src/config.ts` passes the gateway's own.
   */
  readonly plugins: PluginSchemas;
}

/**
 * Validate `raw` (parsed YAML/JSON) into a frozen config.
 * @param env environment for `${VAR}` / `${VAR:-default}` interpolation in string values; null for
 *   none (a config a reader made from a template, whose `${…}` belong to the template).
 * @param sections schemas for the sections the gateway does not own; their problems are reported
 *   with the others, under the section's name (`core.port: …`), and the parsed section (defaults
 *   applied) is what the config holds.
 * @throws ConfigError with every issue found.
 */
export function parseConfig(raw: unknown, env: Readonly<Record<string, string | undefined>> | null, options: ParseOptions): GatewayConfig {
  const sections: SectionSchemas = options;
  const schemas = schemasWith(options.plugins);
  const issues: ConfigIssue[] = [];
  const interpolated = env === null ? raw : interpolateEnv(raw, env, [], issues);
  if (issues.length) throw new ConfigError(issues);
  if (interpolated === null || typeof interpolated !== 'object' || Array.isArray(interpolated)) {
    throw new ConfigError([{ path: '', message: 'the config must be a mapping (YAML) or object (JSON)' }]);
  }
  // Parse in layers (top level, each API, each route) so one bad route does not hide the
  // problems of the others: every issue is reported at once.
  const top = configShellSchema.safeParse(interpolated);
  const core = parseOwnedSection('core', sections.core, interpolated);
  const topIssues = top.success ? [] : top.error.issues;
  // The section's problems go where its key sits in the schema (before `apis` and unknown top-level keys).
  const sectionAt = topIssues.findIndex((i) => i.path[0] === 'apis' || (i.code === 'unrecognized_keys' && i.path.length === 0));
  const split = sectionAt < 0 ? topIssues.length : sectionAt;
  for (const issue of topIssues.slice(0, split)) issues.push(...describeZodIssue(issue, interpolated, schemas.config));
  issues.push(...core.issues);
  for (const issue of topIssues.slice(split)) issues.push(...describeZodIssue(issue, interpolated, schemas.config));
  const apis: ApiConfig[] = [];
  const rawApis = Array.isArray((interpolated as { apis?: unknown }).apis) ? ((interpolated as { apis: unknown[] }).apis) : [];
  const describeAt = (prefix: PathKey[], zodIssues: readonly z.core.$ZodIssue[]) => {
    for (const issue of zodIssues) issues.push(...describeZodIssue({ ...issue, path: [...prefix, ...issue.path] } as z.core.$ZodIssue, interpolated, schemas.config));
  };
  rawApis.forEach((rawApi, i) => {
    // The API's own keys, then each authorizer and each route on its own: a bad authorizer does not
    // hide a bad route. An API with a bad key or authorizer is left out (semantic checks need all of it).
    const shell = schemas.apiShell.safeParse(rawApi);
    if (!shell.success) describeAt(['apis', i], shell.error.issues);
    let whole = shell.success;
    const authorizers: Record<string, AuthorizerConfig> = {};
    for (const [id, rawAuthorizer] of entriesOf(rawApi, 'authorizers')) {
      const authorizer = schemas.authorizer.safeParse(rawAuthorizer);
      if (authorizer.success) authorizers[id] = authorizer.data as AuthorizerConfig;
      else {
        whole = false;
        describeAt(['apis', i, 'authorizers', id], authorizer.error.issues);
      }
    }
    const routes: Record<string, RouteConfig> = {};
    for (const [key, rawRoute] of entriesOf(rawApi, 'routes')) {
      const route = schemas.route.safeParse(rawRoute);
      if (route.success) routes[key] = route.data as RouteConfig;
      else describeAt(['apis', i, 'routes', key], route.error.issues);
    }
    if (shell.success && whole) apis.push(applyDefaultAuthorizer({ ...(shell.data as Omit<ApiConfig, 'routes' | 'authorizers'>), authorizers, routes }, i, issues));
  });
  if (top.success) {
    const config: GatewayConfig = { ...top.data, ...(core.value === undefined ? {} : { core: core.value }), apis };
    // Semantic checks only see what parsed; their paths stay right because APIs that failed to
    // parse still hold their index (a failed API is left out, so indexes shift: check by name).
    if (apis.length === rawApis.length) {
      checkSemantics(config, issues, options.plugins);
      // Every API parsed (indexes hold): the compiler can still check what did parse, so a missing
      // handler is reported in the same run as a misspelt key (`validateGateway`).
      if (issues.length) throw new IncompleteConfigError(dedupe(issues), deepFreeze(config));
    }
    if (issues.length) throw new ConfigError(dedupe(issues));
    return deepFreeze(config);
  }
  throw new ConfigError(dedupe(issues));
}

/** The entries of a mapping under `key` of `value` (none when either is not a mapping: the shell says so). */
function entriesOf(value: unknown, key: string): [string, unknown][] {
  const inner = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? Object.entries(inner) : [];
}

/**
 * `defaultAuthorizerId`: every route without an authorizer and without `authorizationType: NONE`
 * gets it, so the rest of the gateway sees one authorizer per route, as before.
 */
function applyDefaultAuthorizer(api: ApiConfig, index: number, issues: ConfigIssue[]): ApiConfig {
  const id = api.defaultAuthorizerId;
  if (id === undefined) return api;
  if (!(id in api.authorizers)) {
    const known = Object.keys(api.authorizers);
    issues.push({ path: formatPath(['apis', index, 'defaultAuthorizerId']), message: `unknown authorizer "${id}" (known: ${known.length ? known.map((k) => `"${k}"`).join(', ') : 'none'})` });
    return api;
  }
  const routes: Record<string, RouteConfig> = {};
  for (const [key, route] of Object.entries(api.routes)) {
    routes[key] = route.authorizerId === undefined && route.authorizationType !== 'NONE' ? { ...route, authorizerId: id } : route;
  }
  return { ...api, routes };
}

/**
 * A section checked by the schema its owner passed in (`sections.core`), as if that schema stood in
 * `configSchema`: the same paths, messages and did-you-mean. `value` is the parsed section (defaults
 * applied), or undefined when it is absent, not a mapping (the gateway's own schema says so) or bad.
 */
function parseOwnedSection(name: keyof SectionSchemas, schema: z.ZodType | undefined, input: object): { value?: Record<string, unknown>; issues: ConfigIssue[] } {
  const section = (input as Record<string, unknown>)[name];
  if (!schema || section === null || typeof section !== 'object' || Array.isArray(section)) return { issues: [] };
  const root = z.strictObject({ [name]: schema });
  const parsed = root.safeParse({ [name]: section });
  if (parsed.success) return { value: parsed.data[name] as Record<string, unknown>, issues: [] };
  return { issues: parsed.error.issues.flatMap((issue) => describeZodIssue(issue, input, root)) };
}

/**
 * A config with problems, and what of it parsed: every API, minus the routes that failed. The
 * compiler checks that part too, so one run reports every problem (`validateGateway`).
 */
export class IncompleteConfigError extends ConfigError {
  constructor(issues: readonly ConfigIssue[], readonly parsed: GatewayConfig) {
    super(issues);
  }
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function interpolateEnv(value: unknown, env: Readonly<Record<string, string | undefined>>, path: PathKey[], issues: ConfigIssue[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (whole, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      issues.push({ path: formatPath(path), message: `environment variable ${name} is not set (write \${${name}:-default} for a default)` });
      return whole;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, [...path, i], issues));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateEnv(v, env, [...path, k], issues);
    return out;
  }
  return value;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
