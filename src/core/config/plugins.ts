/**
 * @module core/config/plugins — what the config parser needs to know of the plug-in registries. [pure]
 *
 * The shared schema (`schema.ts`) holds an authorizer or an integration only as "a mapping with a
 * tag" (`authorizerType`, `type`). Each plug-in owns the schema of its own section and the rules
 * that are only about it; the registries (`src/authorizers/index.ts`, `src/integrations/index.ts`)
 * list them, and whoever parses a config passes them in (src/core imports nothing of the
 * plug-ins). `schemasWith()` assembles the full schema once per registry: the tags become
 * discriminated unions, so an unknown tag is an error naming the known ones, and the did-you-mean
 * of an unknown key walks the plug-in's own schema.
 */
import { z } from 'zod';
import type { ConfigIssue } from '../errors.ts';
import { apiSchema, configSchema, routeSchema, type ApiConfig } from './schema.ts';

/** What a plug-in's own rules may look at besides its section. */
export interface PluginCheckContext {
  /** The API the section belongs to (its protocol, stage, authorizers). */
  readonly api: Readonly<ApiConfig>;
  /** Integrations: the path parameters of the route (`{id}`, `{proxy}` as `proxy`). */
  readonly routeParams?: readonly string[];
}

/** A plug-in section's schema and the rules about that section alone. */
export interface PluginSchema {
  /** A strict object schema whose tag (`authorizerType` / `type`) is a literal equal to its registry key. */
  readonly schema: z.ZodObject;
  /**
   * Rules the schema cannot say (per-protocol rules, identity-source syntax, URI parameters),
   * given the parsed section. Issue paths are relative to the section (`identitySource`); the
   * parser puts them under `apis[i].authorizers.ID` or `apis[i].routes["KEY"].integration`.
   */
  readonly check?: (config: never, context: PluginCheckContext) => ConfigIssue[];
}

export interface AuthorizerSchema extends PluginSchema {
  /** The route `authorizationType` that goes with it (API Gateway's: `JWT` or `CUSTOM`). */
  readonly routeAuthorizationType: 'JWT' | 'CUSTOM';
  /** Whether routes may name `authorizationScopes` for it (AWS: JWT authorizers only). */
  readonly takesScopes: boolean;
  /** Whether routes may name `claims:` requirements for it (beyond AWS: token claims, so JWT authorizers). */
  readonly takesClaims: boolean;
}

/** The registries as the parser sees them: tag → schema entry. */
export interface PluginSchemas {
  readonly authorizers: Readonly<Record<string, AuthorizerSchema>>;
  readonly integrations: Readonly<Record<string, PluginSchema>>;
}

export interface AssembledSchemas {
  readonly config: z.ZodObject;
  readonly api: z.ZodObject;
  readonly route: z.ZodObject;
  /** One authorizer section: the union of the registry's authorizer schemas. */
  readonly authorizer: z.ZodType;
  /** An API with its authorizers and routes left raw (each is parsed on its own, so one bad section hides nothing). */
  readonly apiShell: z.ZodObject;
}

const assembled = new WeakMap<PluginSchemas, AssembledSchemas>();

/** The config schema with the registries' sections in place (built once per registry object). */
export function schemasWith(plugins: PluginSchemas): AssembledSchemas {
  const known = assembled.get(plugins);
  if (known) return known;
  const authorizer = tagged('authorizerType', plugins.authorizers);
  const integration = tagged('type', plugins.integrations);
  const route = routeSchema.extend({ integration });
  const api = apiSchema.extend({ authorizers: z.record(z.string(), authorizer).default({}), routes: z.record(z.string(), route) });
  const config = configSchema.extend({ apis: z.array(api).default([]) });
  const apiShell = api.extend({ authorizers: z.record(z.string(), z.unknown()).default({}), routes: z.record(z.string(), z.unknown()) });
  const schemas = { config, api, route, authorizer, apiShell };
  assembled.set(plugins, schemas);
  return schemas;
}

/** `z.discriminatedUnion(tag, …)` over the registry's schemas. */
function tagged(tag: string, entries: Readonly<Record<string, PluginSchema>>): z.ZodType {
  const options = Object.values(entries).map((e) => e.schema);
  if (options.length === 0) return z.never();
  return z.discriminatedUnion(tag, options as [z.ZodObject, ...z.ZodObject[]]);
}
