/**
 * @module gateway — runs the listener over a compiled config, and swaps configs in place. [glue]
 *
 * `startGateway()` compiles the config (`gateway/compile.ts`), opens the listener (and the admin
 * listener when configured) and returns a handle whose `reload()` swaps in a new compiled config for
 * new requests without closing the listener (io/generations.ts), and whose `close()` drains in-flight
 * requests. Per-request metrics are recorded when the last byte is sent (`gateway/observe.ts`).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { GatewayConfig } from './core/config.ts';
import { ConfigError } from './core/errors.ts';
import { systemClock, type Clock } from './core/clock.ts';
import { createUpstreamAgent } from './integrations/http.ts';
import type { LambdaRuntime } from './io/lambda-runtime.ts';
import { createLambdaRuntime } from './io/runtimes/index.ts';
import { createLogger, type Logger } from './io/logger.ts';
import { createAdminServer, type AdminServer, type ReadinessCheck } from './io/admin.ts';
import { createGenerations, type Lease } from './io/generations.ts';
import { createMetrics, type Metrics } from './io/metrics.ts';
import { createGatewayServer, type GatewayServer } from './io/server.ts';
import { handleRequest, type PipelineDeps, type PipelineResult } from './pipeline.ts';
import type { CompiledGateway } from './compiled.ts';
import { compileGateway } from './gateway/compile.ts';
import { authorizerHealth, collectGatewayGauges, readinessChecks, requestObservation } from './gateway/observe.ts';
import { createDecisionLog, type DecisionLog } from './io/decision-log.ts';
import { createConsoleHandler, type AuthorizerHealth, type ConsoleSource } from './io/console.ts';
import { isLoopbackHost } from './core/config.ts';
import { devTokenMinter, type DevKeys } from './io/dev-keys.ts';

export { compileGateway, defaultApiId, validateGateway, type GatewayDeps } from './gateway/compile.ts';
export type { CompiledApi, CompiledGateway, CompiledRoute } from './compiled.ts';
// This module is the package's main entry (package.json "exports": "."), so what embedding the gateway
// needs is importable from 'portcullis': reading a config file, its type and errors, and startGateway().
export type { GatewayConfig } from './core/config.ts';
export { ConfigError, type ConfigIssue } from './core/errors.ts';
export { ConfigFileError, loadConfigFile, parseConfigText, type LoadedConfig } from './io/config-file.ts';


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
  /** Default: one from the config's `decisionLog` (a cluster worker passes one without a file). */
  decisions?: DecisionLog;
  /**
   * `--dev-tokens`: each JWT authorizer also trusts its local key; `POST /dev-tokens` on the admin
   * listener mints; `/readyz` warns.
   */
  devTokens?: DevKeys | null;
}

export interface ReloadOptions {
  /**
   * Start the new generation's Lambda environments before the swap (`LambdaRuntime.prewarm`): the
   * swap waits for them, and the next requests meet no cold start. `--watch` asks for it when handler
   * code changed, so the next request runs the new code at once. Default is false.
   */
  prewarm?: boolean;
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
  /** Every authorization decision (console, audit file). */
  readonly decisions: DecisionLog;
  /** The console's health view of each authorizer. */
  authorizerHealth(): AuthorizerHealth[];
  /** 1 at start, +1 per successful reload. */
  readonly generation: number;
  /**
   * Compiles `config`; when valid, new requests use it while in-flight ones finish on the old
   * one, whose authorizers, Lambda pools and access logs close after them. The listener stays
   * open. Throws `ConfigError` when invalid (the old config keeps serving). Listener settings
   * (`server.*` except `watchConfig`, `admin`, `core`) need a restart: changed ones are returned in `ignored`.
   */
  reload(config: Readonly<GatewayConfig>, baseDir?: string, options?: ReloadOptions): Promise<{ generation: number; ignored: string[] }>;
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
  const dl = config.decisionLog;
  const decisions =
    options.decisions ??
    createDecisionLog({
      ringSize: dl?.ringSize,
      file: dl?.file ? resolve(baseDir, dl.file) : null,
      maxFileBytes: dl?.maxFileBytes,
      maxFiles: dl?.maxFiles,
      onError: (message) => logger.error(message),
    });
  let shuttingDown = false;
  let closing: Promise<void> | undefined;
  let lastReloadError: string | null = null;

  // One generation = one compiled config with its own authorizers, Lambda pools and access logs.
  const build = async (cfg: Readonly<GatewayConfig>, dir: string): Promise<Generation> => {
    const lambdaRuntime = createLambdaRuntime({ region: cfg.aws.region, accountId: cfg.aws.accountId, logger, prepareEagerly: true });
    let gateway: CompiledGateway;
    try {
      gateway = compileGateway(cfg, { clock, logger, lambdaRuntime, dispatcher, baseDir: dir, metrics, devKeys: options.devTokens ? (a, id) => options.devTokens!.get(a, id) : undefined });
    } catch (err) {
      await lambdaRuntime.close();
      throw err;
    }
    // Prefetch JWKS and the like; failures only show in status, requests still decide fail-closed.
    await Promise.all(gateway.apis.flatMap((a) => [...a.authorizers.values()].map((z) => z.warmUp?.().catch(() => undefined))));
    return { gateway, lambdaRuntime, pipelineDeps: { gateway, logger, newRequestId, decisions } };
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
  const extraChecks = { ...(options.devTokens ? { 'dev tokens': devTokensCheck } : {}), ...options.readinessChecks };
  const readiness = () => readinessChecks(generations.current().gateway, { shuttingDown, generation: generations.number, lastReloadError }, extraChecks);
  const health = () => authorizerHealth(generations.current().gateway);
  const devMint = (keys: DevKeys): NonNullable<ConsoleSource['mint']> => devTokenMinter(() => generations.current().gateway.config, keys, () => clock.nowMs());
  try {
    const port = await server.listen(options.port ?? config.server.port, host);
    if (options.devTokens) logger.warn('dev tokens are on: every JWT authorizer also accepts tokens signed with its local dev key; never in production', { key_file: options.devTokens.file });
    // Issuers served behind this gateway (SuperTokens' discovery at {apiDomain}/dev/auth) answer only
    // now: prefetch again in the background for authorizers whose first prefetch failed.
    for (const api of first.gateway.apis) for (const z of api.authorizers.values()) if (z.status && !z.status().ready) void z.warmUp?.().catch(() => undefined);
    if (config.admin && options.serveAdmin !== false) {
      const consoleOn = config.admin.console ?? (config.admin.token !== undefined || isLoopbackHost(config.admin.host));
      const handler = consoleOn || options.devTokens
        ? createConsoleHandler({ decisions, health: async () => health(), token: config.admin.token ?? null, devTokens: !!options.devTokens, ...(options.devTokens ? { mint: devMint(options.devTokens) } : {}) })
        : null;
      if (!consoleOn) logger.info('decision console off: admin.host is not a loopback address and admin.token is not set', { admin_host: config.admin.host });
      admin = createAdminServer({ metrics, logger, readiness, console: handler });
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
      decisions,
      authorizerHealth: health,
      get generation() {
        return generations.number;
      },
      reload(next, dir, reloadOptions = {}) {
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
          // New environments load the new code before the swap, as many as the old generation runs: no cold-start spike.
          if (reloadOptions.prewarm) await gen.lambdaRuntime.prewarm?.(generations.current().lambdaRuntime);
          // A shutdown that began while this generation was built: it never serves, and its workers must not outlive close().
          if (shuttingDown) {
            await dispose(gen);
            throw new Error('the gateway is shutting down');
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
          await decisions.close();
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

/** `/readyz` says it loudly, and it stays ready: dev tokens are a choice, not a failure. */
async function devTokensCheck(): Promise<{ ready: boolean; detail: string }> {
  return { ready: true, detail: 'WARNING: --dev-tokens is on: every JWT authorizer also accepts tokens minted with its local dev key (portcullis token mint); never use this in production' };
}

/** Settings bound when the listeners opened; a reload cannot change them. */
function listenerChanges(running: Readonly<GatewayConfig>, next: Readonly<GatewayConfig>): string[] {
  const out: string[] = [];
  for (const key of ['host', 'port', 'workers', 'headersTimeoutMs', 'requestTimeoutMs', 'maxBufferedBodyBytes'] as const) {
    if (running.server[key] !== next.server[key]) out.push(`server.${key}`);
  }
  if (JSON.stringify(running.admin ?? null) !== JSON.stringify(next.admin ?? null)) out.push('admin');
  if (JSON.stringify(running.core ?? null) !== JSON.stringify(next.core ?? null)) out.push('core');
  if (JSON.stringify(running.decisionLog ?? null) !== JSON.stringify(next.decisionLog ?? null)) out.push('decisionLog');
  return out;
}


