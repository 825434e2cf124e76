/**
 * @module gateway — compiles a validated config into runtime objects, and runs the listener. [glue]
 *
 * `compileGateway()` turns each API into a route trie, authorizer and integration instances,
 * CORS closures, gateway-response templates and an access-log writer. Problems only found while
 * compiling (a template's unknown variable, a mapping expression) are reported as `ConfigError`
 * with their config path, like schema errors. `startGateway()` opens the listener (and the admin
 * listener when configured) and returns a handle whose `reload()` swaps in a new compiled config
 * for new requests without closing the listener (io/generations.ts), and whose `close()` drains
 * in-flight requests. Per-request metrics are recorded when the last byte is sent.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import type { Dispatcher } from 'undici';
import type { Authorizer } from './authorizers/authorizer.ts';
import { createAuthorizer } from './authorizers/index.ts';
import { formatPath, type ApiConfig, type GatewayConfig, type RouteConfig } from './core/config.ts';
import { compileCors } from './core/cors.ts';
import { ConfigError, type ConfigIssue } from './core/errors.ts';
import { compileGatewayResponses, type CompiledGatewayResponses } from './core/gateway-responses.ts';
import { compileRestHeaderMapping } from './core/mapping.ts';
import { compileRoutes } from './core/routes.ts';
import { systemClock, type Clock } from './core/clock.ts';
import { sha256 } from './core/digest.ts';
import type { Integration } from './integrations/integration.ts';
import { createUpstreamAgent } from './integrations/http.ts';
import { createIntegration } from './integrations/index.ts';
import { createAccessLog, type AccessLog } from './io/access-log.ts';
import { createLambdaRuntime, type LambdaRuntime } from './io/lambda-runtime.ts';
import { createLogger, type Logger } from './io/logger.ts';
import { createAdminServer, type AdminServer, type ReadinessCheck } from './io/admin.ts';
import { createGenerations, type Lease } from './io/generations.ts';
import { createMetrics, type AuthorizerDecisionOutcome, type CollectedFamily, type Metrics, type RequestObservation } from './io/metrics.ts';
import { createGatewayServer, type GatewayServer } from './io/server.ts';
import type { RequestContext } from './core/model.ts';
import { handleRequest, type PipelineDeps, type PipelineResult } from './pipeline.ts';
import type { CompiledApi, CompiledGateway, CompiledRoute } from './compiled.ts';

export type { CompiledApi, CompiledGateway, CompiledRoute } from './compiled.ts';
// This module is the package's main entry (package.json "exports": "."), so what embedding the gateway
// needs is importable from 'portcullis': reading a config file, its type and errors, and startGateway().
export type { GatewayConfig } from './core/config.ts';
export { ConfigError, type ConfigIssue } from './core/errors.ts';
export { ConfigFileError, loadConfigFile, parseConfigText, type LoadedConfig } from './io/config-file.ts';

export interface GatewayDeps {
  clock: Clock;
  logger: Logger;
  lambdaRuntime: LambdaRuntime;
  dispatcher: Dispatcher;
  baseDir: string;
  /** Access-log drops; plug-ins may report through it (`AuthorizerMetrics`, `KeyMetrics`). */
  metrics?: Metrics;
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
  if (err instanceof ConfigError) return err.issues.map((i) => ({ path: i.path ? `${prefix}${i.path.startsWith('[') ? '' : '.'}${i.path}` : prefix, message: i.message }));
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
    const authorizerDeps = { clock: deps.clock, lambdaRuntime: deps.lambdaRuntime, logger: deps.logger, baseDir: deps.baseDir, gateway: config, metrics: deps.metrics };
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

// ---------------------------------------------------------------------------------------------

export interface StartOptions {
  /** Directory relative handler paths resolve from (the config file's directory). */
  baseDir?: string;
  /** Overrides `server.port` (0 = ephemeral). */
  port?: number;
  host?: string;
  clock?: Clock;
  logger?: Logger;
  /** Overrides `admin.port` (0 = ephemeral); the admin listener still needs an `admin:` section. */
  adminPort?: number;
  /** `false`: no admin listener even with an `admin:` section (cluster workers: the primary serves it). */
  serveAdmin?: boolean;
  /** Default: a new registry. */
  metrics?: Metrics;
  /** Extra `/readyz` checks by name, e.g. the in-process core's database. */
  readinessChecks?: Readonly<Record<string, () => Promise<{ ready: boolean; detail: string }>>>;
}

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  /** The compiled config new requests are served with (replaced by `reload()`). */
  readonly gateway: CompiledGateway;
  /** `http://host:port` of the admin listener, or `null` without an `admin:` section. */
  readonly adminUrl: string | null;
  readonly metrics: Metrics;
  /** What `/readyz` reports for this process. */
  readiness(): Promise<ReadinessCheck[]>;
  /** 1 at start, +1 per successful reload. */
  readonly generation: number;
  /**
   * Compiles `config`; when valid, new requests use it while in-flight ones finish on the old
   * one, whose authorizers, Lambda pools and access logs close after them. The listener stays
   * open. Throws `ConfigError` when invalid (the old config keeps serving). Listener settings
   * (`server.*` except `watchConfig`, `admin`, `core`) need a restart: changed ones are returned in `ignored`.
   */
  reload(config: Readonly<GatewayConfig>, baseDir?: string): Promise<{ generation: number; ignored: string[] }>;
  /** Reopens file access logs (SIGUSR2, after rotation). */
  reopenLogs(): void;
  /** Stops accepting, drains in-flight requests (up to `server.shutdownTimeoutMs`), closes pools. Idempotent. */
  close(): Promise<void>;
}

/** HTTP API request ids look like `ZhNHJhhLjoEEPiw=`: 11 random bytes, base64 (15 characters and `=`). */
export function newHttpApiRequestId(): string {
  // One randomBytes() call per 372 ids: per-call overhead, not entropy, was ~4 % of the gateway's CPU.
  if (idPoolOffset + 11 > ID_POOL_BYTES) {
    idPool = randomBytes(ID_POOL_BYTES);
    idPoolOffset = 0;
  }
  idPoolOffset += 11;
  return idPool.toString('base64', idPoolOffset - 11, idPoolOffset);
}
const ID_POOL_BYTES = 11 * 372;
let idPool = Buffer.alloc(0);
let idPoolOffset = ID_POOL_BYTES;

interface Generation {
  readonly gateway: CompiledGateway;
  readonly lambdaRuntime: LambdaRuntime;
  /** Built once per generation: no per-request deps object or closures on the hot path. */
  readonly pipelineDeps: PipelineDeps;
}

export async function startGateway(config: Readonly<GatewayConfig>, options: StartOptions = {}): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger();
  const clock = options.clock ?? systemClock;
  const newRequestId = (p: 'http' | 'rest') => (p === 'rest' ? randomUUID() : newHttpApiRequestId());
  const metrics = options.metrics ?? createMetrics();
  const dispatcher = createUpstreamAgent();
  let baseDir = resolve(options.baseDir ?? process.cwd());
  let shuttingDown = false;
  let closing: Promise<void> | undefined;
  let lastReloadError: string | null = null;

  // One generation = one compiled config with its own authorizers, Lambda pools and access logs.
  const build = async (cfg: Readonly<GatewayConfig>, dir: string): Promise<Generation> => {
    const lambdaRuntime = createLambdaRuntime({ region: cfg.aws.region, accountId: cfg.aws.accountId });
    let gateway: CompiledGateway;
    try {
      gateway = compileGateway(cfg, { clock, logger, lambdaRuntime, dispatcher, baseDir: dir, metrics });
    } catch (err) {
      await lambdaRuntime.close();
      throw err;
    }
    // Prefetch JWKS and the like; failures only show in status, requests still decide fail-closed.
    await Promise.all(gateway.apis.flatMap((a) => [...a.authorizers.values()].map((z) => z.warmUp?.().catch(() => undefined))));
    return { gateway, lambdaRuntime, pipelineDeps: { gateway, logger, newRequestId } };
  };
  const dispose = async (g: Generation) => {
    await Promise.all(g.gateway.apis.flatMap((a) => [...a.authorizers.values()].map((z) => z.close?.().catch(() => undefined))));
    await Promise.all(g.gateway.apis.map((a) => a.accessLog?.close()));
    await g.lambdaRuntime.close();
  };
  let first: Generation;
  try {
    first = await build(config, baseDir);
  } catch (err) {
    await dispatcher.close();
    throw err;
  }
  const generations = createGenerations(first, dispose);
  const server: GatewayServer = createGatewayServer<Lease<Generation>, PipelineResult>({
    // The request runs start to finish on the generation current when it arrived.
    acquire: () => generations.acquire(),
    handle: (request, lease) => handleRequest(request, lease.value.pipelineDeps),
    onComplete(_request, result, lease) {
      lease.release();
      if (result) metrics.observeRequest(requestObservation(result));
    },
    newRequestId: newHttpApiRequestId,
    logger,
    headersTimeoutMs: config.server.headersTimeoutMs,
    requestTimeoutMs: config.server.requestTimeoutMs,
    maxBufferedBodyBytes: config.server.maxBufferedBodyBytes,
  });
  metrics.addCollector(() => collectGatewayGauges(generations.current().gateway, server.inFlight, server.bufferedBodyBytes, generations.number, generations.retiring));
  const host = options.host ?? config.server.host;
  let admin: AdminServer | null = null;
  let adminUrl: string | null = null;
  const readiness = () => readinessChecks(generations.current().gateway, { shuttingDown, generation: generations.number, lastReloadError }, options.readinessChecks ?? {});
  try {
    const port = await server.listen(options.port ?? config.server.port, host);
    // Issuers served behind this gateway (SuperTokens' discovery at {apiDomain}/dev/auth) answer only
    // now: prefetch again in the background for authorizers whose first prefetch failed.
    for (const api of first.gateway.apis) for (const z of api.authorizers.values()) if (z.status && !z.status().ready) void z.warmUp?.().catch(() => undefined);
    if (config.admin && options.serveAdmin !== false) {
      admin = createAdminServer({ metrics, logger, readiness });
      const adminPort = await admin.listen(options.adminPort ?? config.admin.port, config.admin.host);
      adminUrl = `http://${config.admin.host.includes(':') ? `[${config.admin.host}]` : config.admin.host}:${adminPort}`;
    }
    let reloading: Promise<unknown> = Promise.resolve();
    return {
      url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
      port,
      get gateway() {
        return generations.current().gateway;
      },
      adminUrl,
      metrics,
      readiness,
      get generation() {
        return generations.number;
      },
      reload(next, dir) {
        const run = async () => {
          if (shuttingDown) throw new Error('the gateway is shutting down');
          const nextDir = dir === undefined ? baseDir : resolve(dir);
          let gen: Generation;
          try {
            gen = await build(next, nextDir);
          } catch (err) {
            lastReloadError = err instanceof ConfigError ? `${err.issues.length} config problem(s)` : (err as Error).message;
            metrics.configReload('failure');
            throw err;
          }
          baseDir = nextDir;
          generations.swap(gen);
          lastReloadError = null;
          metrics.configReload('success');
          return { generation: generations.number, ignored: listenerChanges(config, next) };
        };
        const result = reloading.then(run, run);
        reloading = result.catch(() => undefined);
        return result;
      },
      reopenLogs() {
        for (const api of generations.current().gateway.apis) api.accessLog?.reopen();
      },
      close() {
        // Idempotent: a second SIGTERM, or a test's cleanup after its own close, waits for the same drain.
        closing ??= (async () => {
          shuttingDown = true;
          await server.close(generations.current().gateway.config.server.shutdownTimeoutMs);
          await generations.close();
          await dispatcher.close();
          await admin?.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await server.close(0).catch(() => undefined);
    await generations.close();
    await dispatcher.close();
    throw err;
  }
}

/** Settings bound when the listeners opened; a reload cannot change them. */
function listenerChanges(running: Readonly<GatewayConfig>, next: Readonly<GatewayConfig>): string[] {
  const out: string[] = [];
  for (const key of ['host', 'port', 'workers', 'headersTimeoutMs', 'requestTimeoutMs', 'maxBufferedBodyBytes'] as const) {
    if (running.server[key] !== next.server[key]) out.push(`server.${key}`);
  }
  if (JSON.stringify(running.admin ?? null) !== JSON.stringify(next.admin ?? null)) out.push('admin');
  if (JSON.stringify(running.core ?? null) !== JSON.stringify(next.core ?? null)) out.push('core');
  return out;
}

/** Labels come from config only (API name, route key, authorizer id): bounded cardinality. */
function requestObservation(result: PipelineResult): RequestObservation {
  const { ctx, api } = result;
  const authorizerId = api && ctx.routeKey !== '-' ? api.config.routes[ctx.routeKey]?.authorizerId : undefined;
  const decided = ctx.authorizer !== null || ctx.authorizerError !== null;
  return {
    api: api?.name ?? '-',
    route: ctx.routeKey,
    status: ctx.status ?? 0,
    totalMs: ctx.responseLatencyMs,
    integrationMs: ctx.integrationLatencyMs,
    authorizer: authorizerId && decided ? { id: authorizerId, outcome: decisionOutcome(ctx), latencyMs: ctx.authorizerLatencyMs } : null,
  };
}

function decisionOutcome(ctx: RequestContext): AuthorizerDecisionOutcome {
  if (ctx.authorizerError === null) return 'allow';
  const type = ctx.error?.responseType;
  return type === 'UNAUTHORIZED' ? 'unauthorized' : type === 'ACCESS_DENIED' ? 'deny' : 'error';
}

/** Structural views of what plug-ins expose today (Lambda `cacheStats()`, JWT `status().keys`). */
interface CacheStatsView { hits: number; misses: number; entries: number }
interface KeysView { ready: boolean; keyCount: number; fetchedAt: number | null }

function collectGatewayGauges(gateway: CompiledGateway, inFlight: number, bufferedBodyBytes: number, generation: number, retiring: number): CollectedFamily[] {
  const ready: CollectedFamily = { name: 'portcullis_authorizer_ready', help: 'Authorizer status() ready (1) or not (0).', type: 'gauge', samples: [] };
  const lookups: CollectedFamily = { name: 'portcullis_authorizer_cache_lookups_total', help: 'Lookups in an authorizer plug-in cache, by result (hit, miss); resets on reload.', type: 'counter', samples: [] };
  const entries: CollectedFamily = { name: 'portcullis_authorizer_cache_entries', help: 'Entries in an authorizer plug-in cache.', type: 'gauge', samples: [] };
  const jwksReady: CollectedFamily = { name: 'portcullis_jwks_ready', help: 'JWKS of the issuer loaded at least once (1) or not (0).', type: 'gauge', samples: [] };
  const jwksKeys: CollectedFamily = { name: 'portcullis_jwks_keys', help: 'Keys in the issuer\'s current JWKS.', type: 'gauge', samples: [] };
  const jwksFetched: CollectedFamily = { name: 'portcullis_jwks_last_success_timestamp_seconds', help: 'When the issuer\'s JWKS was last fetched successfully.', type: 'gauge', samples: [] };
  for (const api of gateway.apis) {
    for (const [id, z] of api.authorizers) {
      const labels = { api: api.name, authorizer: id };
      let status: (ReturnType<NonNullable<Authorizer['status']>> & { keys?: KeysView }) | undefined;
      try {
        status = z.status?.();
      } catch {
        status = { ready: false, detail: 'status() failed' };
      }
      if (status) ready.samples.push({ labels, value: status.ready ? 1 : 0 });
      const statsFn = (z as { cacheStats?: () => CacheStatsView | null }).cacheStats;
      const stats = typeof statsFn === 'function' ? statsFn.call(z) : null;
      if (stats) {
        lookups.samples.push({ labels: { ...labels, result: 'hit' }, value: stats.hits }, { labels: { ...labels, result: 'miss' }, value: stats.misses });
        entries.samples.push({ labels, value: stats.entries });
      }
      const auth = api.config.authorizers[id];
      if (status?.keys && auth?.authorizerType === 'JWT') {
        const jl = { ...labels, issuer: auth.jwtConfiguration.issuer };
        jwksReady.samples.push({ labels: jl, value: status.keys.ready ? 1 : 0 });
        jwksKeys.samples.push({ labels: jl, value: status.keys.keyCount });
        if (status.keys.fetchedAt !== null) jwksFetched.samples.push({ labels: jl, value: Math.floor(status.keys.fetchedAt / 1000) });
      }
    }
  }
  return [
    { name: 'portcullis_inflight_requests', help: 'Requests being handled now.', type: 'gauge', samples: [{ labels: {}, value: inFlight }] },
    { name: 'portcullis_buffered_body_bytes', help: 'Request-body bytes buffered now (bounded by server.maxBufferedBodyBytes).', type: 'gauge', samples: [{ labels: {}, value: bufferedBodyBytes }] },
    { name: 'portcullis_config_generation', help: 'Config generation serving new requests (1 at start, +1 per reload).', type: 'gauge', samples: [{ labels: {}, value: generation }] },
    { name: 'portcullis_config_generations_retiring', help: 'Replaced configs still finishing in-flight requests.', type: 'gauge', samples: [{ labels: {}, value: retiring }] },
    ready, lookups, entries, jwksReady, jwksKeys, jwksFetched,
  ];
}

async function readinessChecks(
  gateway: CompiledGateway,
  state: { shuttingDown: boolean; generation: number; lastReloadError: string | null },
  extra: Readonly<Record<string, () => Promise<{ ready: boolean; detail: string }>>>,
): Promise<ReadinessCheck[]> {
  const checks: ReadinessCheck[] = [
    {
      name: 'config',
      ready: true,
      detail: `generation ${state.generation}: ${gateway.apis.length} API(s)${state.lastReloadError ? `; last reload rejected (${state.lastReloadError}), previous config still serving` : ''}`,
    },
  ];
  if (state.shuttingDown) checks.push({ name: 'shutdown', ready: false, detail: 'draining in-flight requests' });
  for (const api of gateway.apis) {
    for (const [id, z] of api.authorizers) {
      let s: { ready: boolean; detail: string };
      try {
        s = z.status?.() ?? { ready: true, detail: `${z.kind} authorizer (no status)` };
      } catch (err) {
        s = { ready: false, detail: `status() failed: ${(err as Error).message}` };
      }
      checks.push({ name: `authorizer ${api.name}/${id}`, ready: s.ready, detail: s.detail });
    }
  }
  for (const [name, check] of Object.entries(extra)) {
    try {
      const r = await check();
      checks.push({ name, ready: r.ready, detail: r.detail });
    } catch (err) {
      checks.push({ name, ready: false, detail: (err as Error).message });
    }
  }
  return checks;
}

export { dirname };
