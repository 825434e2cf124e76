/**
 * @module cli — the `portcullis` command. [io]
 *
 *   portcullis start [--config FILE] [--port N] [--watch]   gateway (and the core, when the config has `core:`);
 *                                                  SIGHUP (or a file change with --watch) reloads the config,
 *                                                  SIGUSR2 reopens access-log files; FILE may be a serverless.yml
 *                                                  (--format, --stage, --region, --param, --stage-prefix: cli/config-source.ts)
 *   portcullis validate FILE                        check a config; exit 0 if valid, 2 with every problem
 *   portcullis core [--config FILE] [--port N] [--data-dir DIR]   the SuperTokens-compatible core alone
 *   portcullis token --config FILE --route "GET /x" TOKEN          would this route admit this JWT, and why not
 *
 * Exit codes: 0 ok, 1 runtime failure (port in use, database unreachable), 2 bad config or usage.
 */
import { existsSync, readFileSync, watch } from 'node:fs';
import { basename, dirname, relative as relativePath, resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import { IncompleteConfigError, type GatewayConfig, type SectionSchemas } from './core/config.ts';
import { ConfigError } from './core/errors.ts';
import { startGateway, validateGateway, type RunningGateway } from './gateway.ts';
import { ConfigFileError, type LoadedConfig } from './io/config-file.ts';
import { FORMATS, offlineFlagMessage, readConfigSource, type ConfigFormat, type SourceOptions } from './cli/config-source.ts';
import { answerAdminQueries, CORE_URL_ENV, isClusterWorker, leaveCluster, notifyReady, reportStartupFailure, resolveWorkers, runClusterPrimary, shouldRunPrimary } from './io/cluster.ts';
import { createLogger, type Logger } from './io/logger.ts';
import { watchSources } from './io/source-watch.ts';
import { createMetrics } from './io/metrics.ts';
import { coreConfigSchema, type CoreConfig } from './supertokens/config.ts';

const USAGE = `usage:
  portcullis start [--config FILE] [--port N] [--watch] [SERVERLESS OPTIONS]
  portcullis validate FILE [SERVERLESS OPTIONS]
  portcullis core [--config FILE] [--port N] [--data-dir DIR]
  portcullis token --config FILE --route "METHOD /path" [--api NAME] TOKEN|-
serverless options (FILE is a serverless.yml, detected from its content; docs/serverless.md):
  --format portcullis|serverless   --stage NAME   --region NAME   --param 'key=value' (repeatable)
  --stage-prefix                   serve the HTTP API under /{stage} too (default: at the root, as AWS does)`;

// ---------------------------------------------------------------------------------------------
// Config formats (issue 18). The config-reader registry takes over cli/config-source.ts; this block
// only turns the command line into SourceOptions.

const SOURCE_ARGS = {
  format: { type: 'string' },
  stage: { type: 'string' },
  region: { type: 'string' },
  param: { type: 'string', multiple: true },
  'stage-prefix': { type: 'boolean' },
  'no-stage-prefix': { type: 'boolean' },
} as const;

interface SourceArgValues {
  format?: string;
  stage?: string;
  region?: string;
  param?: string[];
  'stage-prefix'?: boolean;
  'no-stage-prefix'?: boolean;
}

/** The command line's reader options, or a usage message. */
function sourceOptions(values: SourceArgValues): SourceOptions | string {
  const out: SourceOptions = {};
  if (values.format !== undefined) {
    if (!(FORMATS as readonly string[]).includes(values.format)) return `--format must be one of ${FORMATS.join(', ')}, got "${values.format}"`;
    out.format = values.format as ConfigFormat;
  }
  if (values.stage !== undefined) {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(values.stage)) return `--stage must be letters, digits, _ or -, got "${values.stage}"`;
    out.stage = values.stage;
  }
  if (values.region !== undefined) out.region = values.region;
  if (values.param) {
    const params: Record<string, string> = {};
    for (const p of values.param) {
      const eq = p.indexOf('=');
      if (eq <= 0) return `--param must be key=value, got "${p}"`;
      params[p.slice(0, eq)] = p.slice(eq + 1);
    }
    out.params = params;
  }
  if (values['stage-prefix'] && values['no-stage-prefix']) return '--stage-prefix and --no-stage-prefix exclude each other';
  if (values['stage-prefix']) out.stagePrefix = 'all';
  if (values['no-stage-prefix']) out.stagePrefix = 'aws';
  return out;
}

// ---------------------------------------------------------------------------------------------

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return start(rest);
    case 'validate':
      return validate(rest);
    case 'core': {
      const { runCoreCli } = await import('./supertokens/cli.ts');
      return runCoreCli(rest);
    }
    case 'token': {
      const { runTokenCommand } = await import('./cli/token.ts');
      return runTokenCommand(rest);
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE + '\n');
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`portcullis: unknown command "${command}"\n${USAGE}\n`);
      return 2;
  }
}

function reportConfigProblem(err: unknown): number | null {
  if (err instanceof ConfigError) {
    process.stderr.write(`portcullis: ${err.message}\n`);
    return 2;
  }
  if (err instanceof ConfigFileError) {
    process.stderr.write(`portcullis: ${err.message}\n`);
    return 2;
  }
  return null;
}

/**
 * The halves meet here: the gateway config carries the `core:` section as a mapping, and the session
 * core's schema checks it in the same pass, so its problems come with the gateway's (`core.port: …`).
 */
const OWNED_ELSEWHERE: SectionSchemas = { core: coreConfigSchema };

/** A checked config file: the gateway's config and, when the file has `core:`, the session core's. */
interface CheckedConfig extends LoadedConfig {
  core: CoreConfig | undefined;
}

/** Reads and parses the file (a portcullis.yaml or a serverless.yml), the `core:` section by the session core's schema. */
async function loadConfig(file: string, source: SourceOptions = {}): Promise<CheckedConfig & { warnings: { path: string; message: string }[] }> {
  const loaded = await readConfigSource(file, source, process.env, OWNED_ELSEWHERE);
  // parseConfig has checked the section with this schema; parsing again gives it its type.
  return { ...loaded, core: loaded.config.core === undefined ? undefined : coreConfigSchema.parse(loaded.config.core) };
}

/**
 * Reads the file and runs the whole compile dry (handlers, authorizers, mappings, templates,
 * access-log files): every problem `start` would meet, in one `ConfigError`, with one path style.
 * `validate` and `start` both begin here, so they report a bad config identically.
 */
async function loadCheckedConfig(file: string, source: SourceOptions = {}): Promise<CheckedConfig & { warnings: { path: string; message: string }[] }> {
  try {
    const loaded = await loadConfig(file, source);
    await validateGateway(loaded.config, loaded.baseDir);
    return loaded;
  } catch (err) {
    // Schema problems: the parts that parsed are compiled too, and all problems come back at once.
    if (err instanceof IncompleteConfigError) await validateGateway(err.parsed, dirname(resolvePath(file)), err.issues);
    throw err;
  }
}

async function validate(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: SOURCE_ARGS, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`portcullis: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const file = parsed.positionals[0];
  if (!file || parsed.positionals.length > 1) {
    process.stderr.write(`portcullis: validate takes one FILE\n${USAGE}\n`);
    return 2;
  }
  const source = sourceOptions(parsed.values);
  if (typeof source === 'string') {
    process.stderr.write(`portcullis: ${source}\n`);
    return 2;
  }
  try {
    const { config, core, warnings } = await loadCheckedConfig(file, source);
    printWarnings(file, warnings);
    const routes = config.apis.reduce((n, a) => n + Object.keys(a.routes).length, 0);
    process.stdout.write(`${file}: valid (${config.apis.length} API${config.apis.length === 1 ? '' : 's'}, ${routes} route${routes === 1 ? '' : 's'}${core ? ', core' : ''})\n`);
    return 0;
  } catch (err) {
    const code = reportConfigProblem(err);
    if (code !== null) return code;
    throw err;
  }
}

async function start(args: string[]): Promise<number> {
  let values: { config?: string; port?: string; watch?: boolean } & SourceArgValues;
  const offline = offlineFlagMessage(args);
  if (offline) {
    process.stderr.write(`portcullis: ${offline}\n`);
    return 2;
  }
  try {
    ({ values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, port: { type: 'string', short: 'p' }, watch: { type: 'boolean' }, ...SOURCE_ARGS }, strict: true }));
  } catch (err) {
    process.stderr.write(`portcullis: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const source = sourceOptions(values);
  if (typeof source === 'string') {
    process.stderr.write(`portcullis: ${source}\n`);
    return 2;
  }
  const file = values.config ?? ['portcullis.yaml', 'portcullis.json', 'serverless.yml', 'serverless.yaml'].find((f) => existsSync(f));
  if (!file) {
    process.stderr.write('portcullis: no config: pass --config FILE (or put portcullis.yaml or serverless.yml in the working directory)\n');
    return 2;
  }
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) {
      process.stderr.write(`portcullis: --port must be a number from 0 to 65535, got "${values.port}"\n`);
      return 2;
    }
  }
  let loaded;
  try {
    // Every problem, found before anything starts, forks or listens: the same check as `validate`.
    loaded = await loadCheckedConfig(file, source);
  } catch (err) {
    const code = reportConfigProblem(err);
    if (code !== null) return code;
    throw err;
  }
  const { config, baseDir, core: coreSection } = loaded;
  if (!isClusterWorker()) printWarnings(file, loaded.warnings);
  const workers = resolveWorkers(config.server.workers);
  if (shouldRunPrimary(workers)) {
    // More than one worker: this process forks the gateways (io/cluster.ts), runs the core and
    // serves the admin listener for all of them.
    const primaryMetrics = createMetrics();
    return runClusterPrimary({
      workers,
      admin: config.admin ? { host: config.admin.host, port: config.admin.port, metrics: primaryMetrics, logger: createLogger() } : null,
      shutdownTimeoutMs: config.server.shutdownTimeoutMs,
      startCore: coreSection
        ? async () => {
            const { startCore } = await import('./supertokens/index.ts');
            const running = await startCore({ ...coreSection, dataDir: resolveFrom(baseDir, coreSection.dataDir, process.cwd()), metrics: primaryMetrics });
            process.stdout.write(`portcullis core listening on ${running.url} (${running.storeDescription})\n`);
            return running;
          }
        : null,
    });
  }
  const logger = createLogger();
  // One registry for the process: the gateway records into it; the core can report session operations (SessionMetrics).
  const metrics = createMetrics();
  let core: { url: string; close(): Promise<void> } | null = null;
  let gateway: RunningGateway | null = null;
  try {
    if (coreSection && !isClusterWorker()) {
      const { startCore } = await import('./supertokens/index.ts');
      const running = await startCore({ ...coreSection, dataDir: resolveFrom(baseDir, coreSection.dataDir, process.cwd()), metrics });
      core = running;
      process.stdout.write(`portcullis core listening on ${running.url} (${running.storeDescription})\n`);
    }
    const coreUrl = core?.url ?? process.env[CORE_URL_ENV];
    // DIVERGENCE: the core exposes no database probe yet; `/hello` answering means its process serves.
    const readinessChecks: Record<string, () => Promise<{ ready: boolean; detail: string }>> = coreUrl ? { core: () => probeCore(coreUrl) } : {};
    gateway = await startGateway(config, { baseDir, port, logger, readinessChecks, metrics, serveAdmin: !isClusterWorker() });
  } catch (err) {
    await core?.close().catch(() => undefined);
    const code = err instanceof ConfigError || err instanceof ConfigFileError ? 2 : 1;
    const line = `portcullis: ${(err as Error).message}`;
    // In a cluster every worker meets the same problem; the primary prints it once.
    if (!(await reportStartupFailure(line, code))) process.stderr.write(`${line}\n`);
    return code;
  }
  const apis = gateway.gateway.apis.map((a) => `${a.name} (${a.protocol}) at ${gateway!.url}${a.stage === '$default' ? '/' : `/${a.stage}/`}`);
  const stopAnswering = isClusterWorker() ? answerAdminQueries(gateway) : null;
  const running = gateway;
  const reload = createReloader(file, running, logger, source);
  const watcher = values.watch || config.server.watchConfig ? watchConfigFile(file, () => void reload('watch')) : null;
  // --watch: handler code too (io/source-watch.ts). A reload builds new Lambda environments, which load the new code.
  const sources = values.watch ? watchSources(sourceRoots(config, baseDir), (files) => void reload(`source change: ${files.map((f) => relativePath(baseDir, f)).join(', ')}`, { prewarm: true }), { ignore: [file] }) : null;
  // The signal handlers go in before anyone learns this process is ready: a SIGTERM sent the moment the
  // listening line (or, in a cluster, the ready message) is out must drain, not meet the default action.
  const shutdown = waitForShutdown(async () => {
    watcher?.close();
    sources?.close();
    await running.close();
    await core?.close();
  }, {
    SIGUSR2: () => running.reopenLogs(),
    SIGHUP: () => void reload('SIGHUP'),
  });
  if (isClusterWorker()) notifyReady(gateway.url);
  else process.stdout.write(`portcullis gateway listening on ${gateway.url}\n${apis.map((a) => `  ${a}\n`).join('')}`);
  if (gateway.adminUrl) process.stdout.write(`portcullis admin (/metrics, /healthz, /readyz) on ${gateway.adminUrl}\n`);
  const exitCode = await shutdown;
  stopAnswering?.();
  leaveCluster();
  return exitCode;
}

/**
 * Re-reads and validates the config file, then swaps it in (`RunningGateway.reload`). An invalid
 * file is logged with every problem (level error) and the running config keeps serving.
 */
function createReloader(file: string, running: RunningGateway, logger: Logger, source: SourceOptions = {}): (trigger: string, options?: { prewarm?: boolean }) => Promise<void> {
  return async (trigger, options = {}) => {
    try {
      // The `core:` section is checked too (a bad one rejects the reload), though the running core keeps its config.
      const startedAt = performance.now();
      const next = await loadConfig(file, source);
      const { generation, ignored } = await running.reload(next.config, next.baseDir, options);
      const tookMs = Math.round(performance.now() - startedAt);
      logger.info('config reloaded', { file, trigger, generation, took_ms: tookMs });
      process.stdout.write(`portcullis: config reloaded from ${file} (${trigger}, generation ${generation}, ${tookMs} ms)\n`);
      if (ignored.length) logger.warn('config reload: these settings need a restart and were not applied', { file, settings: ignored });
    } catch (err) {
      const issues = err instanceof ConfigError ? err.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)) : [(err as Error).message];
      logger.error('config reload rejected; the previous config keeps serving', { file, trigger, issues });
    }
  };
}

/**
 * The directories `--watch` watches for handler code: the config's directory, and the directory of
 * every handler module outside it (handlers elsewhere in a monorepo).
 */
function sourceRoots(config: GatewayConfig, baseDir: string): string[] {
  const roots = new Set<string>([resolvePath(baseDir)]);
  const handlers: string[] = [];
  for (const api of config.apis) {
    for (const route of Object.values(api.routes)) if (route.integration.type === 'lambda') handlers.push(route.integration.handler);
    for (const a of Object.values(api.authorizers)) if (a.authorizerType !== 'JWT' && a.function) handlers.push(a.function.handler);
  }
  for (const h of handlers) {
    const dir = dirname(resolvePath(baseDir, h));
    if (![...roots].some((r) => dir === r || dir.startsWith(`${r}/`))) roots.add(dir);
  }
  return [...roots];
}

/** What a reader could not carry over, once per start (`validate` prints it too). */
function printWarnings(file: string, warnings: readonly { path: string; message: string }[]): void {
  for (const w of warnings) process.stderr.write(`portcullis: warning: ${file}: ${w.path ? `${w.path}: ` : ''}${w.message}\n`);
}

/** Watches the file's directory (editors replace files by rename) and calls `onChange` once per burst of changes. */
function watchConfigFile(file: string, onChange: () => void): { close(): void } {
  const abs = resolvePath(file);
  let timer: NodeJS.Timeout | undefined;
  let last = readIfExists(abs);
  const watcher = watch(dirname(abs), (_event, name) => {
    if (name !== null && name !== basename(abs)) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      const text = readIfExists(abs);
      // A rename burst or a touch without a change is not a reload.
      if (text === null || text === last) return;
      last = text;
      onChange();
    }, WATCH_DEBOUNCE_MS);
  });
  watcher.unref();
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}

/** Quiet period after the last change event before the file is re-read. */
const WATCH_DEBOUNCE_MS = 150;

function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

async function probeCore(url: string): Promise<{ ready: boolean; detail: string }> {
  try {
    const res = await fetch(`${url}/hello`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return { ready: res.ok, detail: res.ok ? `core at ${url} answers` : `core at ${url} answered ${res.status}` };
  } catch (err) {
    return { ready: false, detail: `core at ${url} unreachable: ${(err as Error).message}` };
  }
}

/** The core's dataDir is relative to the working directory, like the SuperTokens core's. */
function resolveFrom(_baseDir: string, dir: string, cwd: string): string {
  return dir.startsWith('/') ? dir : `${cwd}/${dir}`;
}

function waitForShutdown(stop: () => Promise<void>, handlers: Partial<Record<NodeJS.Signals, () => void>>): Promise<number> {
  return new Promise((resolveExit) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      process.stdout.write(`portcullis: ${signal}, draining in-flight requests\n`);
      stop().then(
        () => resolveExit(0),
        (err) => {
          process.stderr.write(`portcullis: shutdown failed: ${(err as Error).message}\n`);
          resolveExit(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    for (const [signal, handler] of Object.entries(handlers)) process.on(signal, () => {
      if (!stopping) handler();
    });
  });
}
