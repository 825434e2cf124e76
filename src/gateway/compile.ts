/**
 * @module gateway/compile — a validated config compiled into runtime objects. [glue]
 *
 * `compileGateway()` turns each API into a route trie, authorizer and integration instances (from
 * their registries), CORS closures, gateway-response templates and an access-log writer. Problems
 * only found while compiling (a handler module that does not exist, a mapping expression) are
 * reported as `ConfigError` with their config path, like schema errors. `validateGateway()` runs the
 * same compile dry: what `portcullis validate` and `start` check before anything listens.
 */
import type { Dispatcher } from 'undici';
import { resolve } from 'node:path';
import type { Authorizer, AuthorizerDeps } from '../authorizers/authorizer.ts';
import { createAuthorizer } from '../authorizers/index.ts';
import { formatPath, prefixIssues, type GatewayConfig } from '../core/config.ts';
import { compileCors } from '../core/cors.ts';
import { ConfigError, type ConfigIssue } from '../core/errors.ts';
import { compileGatewayResponses, type CompiledGatewayResponses } from '../core/gateway-responses.ts';
import { compileRestHeaderMapping } from '../core/mapping.ts';
import { compileRoutes } from '../core/routes.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { sha256 } from '../core/digest.ts';
import type { Integration } from '../integrations/integration.ts';
import { createUpstreamAgent } from '../integrations/http.ts';
import { createIntegration } from '../integrations/index.ts';
import { createAccessLog, type AccessLog } from '../io/access-log.ts';
import type { LambdaRuntime } from '../io/lambda-runtime.ts';
import { createLambdaRuntime } from '../io/runtimes/index.ts';
import { createLogger, type Logger } from '../io/logger.ts';
import type { Metrics } from '../io/metrics.ts';
import type { CompiledApi, CompiledGateway, CompiledRoute } from '../compiled.ts';

export interface GatewayDeps {
  clock: Clock;
  logger: Logger;
  lambdaRuntime: LambdaRuntime;
  dispatcher: Dispatcher;
  baseDir: string;
  /** Access-log drops; plug-ins may report through it (`AuthorizerMetrics`, `KeyMetrics`). */
  metrics?: Metrics;
  /** `--dev-tokens`: each JWT authorizer's local key (io/dev-keys.ts). */
  devKeys?: AuthorizerDeps['devKeys'];
  /** `portcullis validate`: compile everything, but open no file for writing (access logs are only checked). */
  dryRun?: boolean;
  /**
   * Paths that already have problems (from `parseConfig`): the plug-ins under them are not built, so a
   * bad identity source is reported once, by the schema, not again by the plug-in that cannot use it.
   */
  knownIssuePaths?: readonly string[];
}

function hasKnownIssue(prefix: string, deps: GatewayDeps): boolean {
  return deps.knownIssuePaths?.some((p) => p === prefix || p.startsWith(prefix + '.') || p.startsWith(prefix + '[')) ?? false;
}

/** A plug-in's problems, with paths relative to the plug-in, under the plug-in's own path. */
function issuesUnder(prefix: string, err: unknown): ConfigIssue[] {
  if (err instanceof ConfigError) return prefixIssues(prefix, err.issues);
  return [{ path: prefix, message: (err as Error).message }];
}

/** 10 lowercase characters derived from the API name (AWS ids look like `lsw1ro4ipb`). */
export function defaultApiId(name: string): string {
  const digest = sha256(name, 'buffer');
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < 10; i++) out += alphabet[digest[i]! % alphabet.length];
  return out;
}

export function compileGateway(config: Readonly<GatewayConfig>, deps: GatewayDeps): CompiledGateway {
  const issues: ConfigIssue[] = [];
  const apis: CompiledApi[] = [];
  config.apis.forEach((api, index) => {
    const at = (...rest: Array<string | number>) => formatPath(['apis', index, ...rest]);
    const authorizers = new Map<string, Authorizer>();
    // `metrics` rides along for plug-ins that report cache lookups / JWKS fetches (io/metrics.ts).
    const authorizerDeps: AuthorizerDeps = { clock: deps.clock, lambdaRuntime: deps.lambdaRuntime, logger: deps.logger, baseDir: deps.baseDir, gateway: config, metrics: deps.metrics, devKeys: deps.devKeys };
    for (const [id, auth] of Object.entries(api.authorizers)) {
      if (hasKnownIssue(at('authorizers', id), deps)) continue;
      try {
        authorizers.set(id, createAuthorizer(id, auth, api, authorizerDeps));
      } catch (err) {
        issues.push(...issuesUnder(at('authorizers', id), err));
      }
    }
    const routes: Array<{ routeKey: string; value: CompiledRoute }> = [];
    for (const [routeKey, route] of Object.entries(api.routes)) {
      let integration: Integration;
      if (hasKnownIssue(at('routes', routeKey), deps)) continue;
      try {
        integration = createIntegration(route.integration, api, deps);
      } catch (err) {
        issues.push(...issuesUnder(at('routes', routeKey, 'integration'), err));
        continue;
      }
      let methodResponseHeaders: CompiledRoute['methodResponseHeaders'] = null;
      if (route.responseParameters) {
        const compiled = compileRestHeaderMapping(route.responseParameters, 'method.response.header.');
        if (compiled.ok) methodResponseHeaders = compiled.value;
        else issues.push({ path: at('routes', routeKey, 'responseParameters'), message: compiled.error });
      }
      routes.push({
        routeKey,
        value: {
          routeKey,
          config: route,
          authorizer: route.authorizerId ? authorizers.get(route.authorizerId) ?? null : null,
          integration,
          methodResponseHeaders,
        },
      });
    }
    let gatewayResponses: CompiledGatewayResponses | null = null;
    if (api.protocol === 'rest' && !hasKnownIssue(at('gatewayResponses'), deps)) {
      const gr = compileGatewayResponses(api);
      gatewayResponses = gr.compiled;
      for (const i of gr.issues) issues.push({ path: at('gatewayResponses', ...i.path), message: i.message });
    }
    let accessLog: AccessLog | null = null;
    if (api.accessLogSettings && !hasKnownIssue(at('accessLogSettings'), deps)) {
      const created = createAccessLog(api.accessLogSettings, deps.baseDir, {
        onDrop: (n) => deps.metrics?.accessLogDropped(n),
        onError: (message) => deps.logger.error(message, { api: api.name }),
        dryRun: deps.dryRun ?? false,
      });
      if (created.ok) accessLog = created.value;
      else issues.push({ path: at('accessLogSettings', 'format'), message: created.error });
    }
    apis.push({
      config: api,
      name: api.name,
      protocol: api.protocol,
      stage: api.stage,
      apiId: api.apiId ?? defaultApiId(api.name),
      routes: compileRoutes(routes),
      cors: api.cors ? compileCors(api.cors) : null,
      gatewayResponses,
      accessLog,
      authorizers,
    });
  });
  if (issues.length) {
    // Nothing of a rejected config may stay open (a failed reload must not leak files or workers).
    for (const a of apis) {
      void a.accessLog?.close();
      for (const z of a.authorizers.values()) void z.close?.().catch(() => undefined);
    }
    throw new ConfigError(issues);
  }
  const byStage = new Map<string, CompiledApi>();
  let defaultStage: CompiledApi | null = null;
  for (const api of apis) {
    if (api.stage === '$default') defaultStage = api;
    else byStage.set(api.stage, api);
  }
  const unmatchedPathFlavour = apis.length > 0 && apis.every((a) => a.protocol === 'rest') ? 'rest' : 'http';
  return { config, byStage, defaultStage, apis, accountId: config.aws.accountId, region: config.aws.region, unmatchedPathFlavour };
}

/**
 * Everything `startGateway()` would check before it listens, without starting anything: the same
 * compile as `start`, with no listener, no Lambda worker, no upstream connection and no file opened
 * for writing (`portcullis validate`; the cluster primary before it forks).
 * `known` is what `parseConfig()` already found (an `IncompleteConfigError`): the parts of the config
 * that parsed are compiled too, and every problem comes back in one `ConfigError`.
 * @throws ConfigError with every problem, paths as in `parseConfig()`'s.
 */
export async function validateGateway(config: Readonly<GatewayConfig>, baseDir: string, known: readonly ConfigIssue[] = []): Promise<void> {
  const lambdaRuntime = createLambdaRuntime({ region: config.aws.region, accountId: config.aws.accountId });
  const dispatcher = createUpstreamAgent();
  try {
    let compiled: CompiledGateway;
    try {
      compiled = compileGateway(config, { clock: systemClock, logger: createLogger({ level: 'error' }), lambdaRuntime, dispatcher, baseDir: resolve(baseDir), dryRun: true, knownIssuePaths: known.map((i) => i.path) });
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigError([...known, ...err.issues]);
      throw err;
    }
    await Promise.all(compiled.apis.flatMap((a) => [...a.authorizers.values()].map((z) => z.close?.().catch(() => undefined))));
    await Promise.all(compiled.apis.map((a) => a.accessLog?.close()));
    if (known.length) throw new ConfigError(known);
  } finally {
    await lambdaRuntime.close();
    await dispatcher.close();
  }
}
