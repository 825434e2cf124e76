/**
 * @module cli — the `portcullis` command. [io]
 *
 *   portcullis start [--config FILE] [--port N] [--watch]   gateway (and the core, when the config has `core:`);
 *                                                  SIGHUP (or a file change with --watch) reloads the config,
 *                                                  SIGUSR2 reopens access-log files; FILE may be a serverless.yml
 *                                                  (--format, --stage, --region, --param, --stage-prefix: cli/definition-options.ts)
 *   portcullis validate FILE                        check a config; exit 0 if valid, 2 with every problem
 *   portcullis core [--config FILE] [--port N] [--data-dir DIR]   the SuperTokens-compatible core alone
 *   portcullis token --config FILE --route "GET /x" TOKEN          would this route admit this JWT, and why not
 *   portcullis convert FILE                         print the portcullis.yaml a SAM/CloudFormation/OpenAPI file amounts to
 *
 * FILE may be a portcullis.yaml, a SAM or CloudFormation template (cdk synth output included) or an
 * OpenAPI document with API Gateway extensions: the format is detected (src/readers), or forced with
 * --format; --parameter-overrides and --allow-unenforced apply to templates (cli/definition-options.ts).
 *
 * Exit codes: 0 ok, 1 runtime failure (port in use, database unreachable), 2 bad config or usage.
 */
import { existsSync, readFileSync, watch } from 'node:fs';
import { basename, dirname, relative as relativePath, resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import { IncompleteConfigError, isLoopbackHost, type GatewayConfig, type SectionSchemas } from './core/config.ts';
import { createDecisionLog } from './io/decision-log.ts';
import { devTokenMinter, loadDevKeys, type DevKeys } from './io/dev-keys.ts';
import type { ConsoleSource } from './io/console.ts';
import { ConfigError } from './core/errors.ts';
import { startGateway, validateGateway, type RunningGateway } from './gateway.ts';
import { annotateWithOrigins, ConfigFileError, loadConfigFile, type LoadedConfig, type ReadOptions } from './io/config-file.ts';
import type { Origin } from './readers/index.ts';
import { DEFINITION_OPTIONS, DEFINITION_USAGE, formatWarnings, offlineFlagMessage, parseDefinitionOptions } from './cli/definition-options.ts';
import { answerAdminQueries, clusterWorkerId, CORE_URL_ENV, isClusterWorker, leaveCluster, notifyReady, reportStartupFailure, resolveWorkers, runClusterPrimary, shouldRunPrimary } from './io/cluster.ts';
import { createLogger, type Logger } from './io/logger.ts';
import { watchSources } from './io/source-watch.ts';
import { createMetrics } from './io/metrics.ts';
import { coreConfigSchema, type CoreConfig } from './supertokens/config.ts';

const USAGE = `usage:
  portcullis start [--config FILE] [--port N] [--watch] [--dev-tokens [--force-dev-tokens]] ${DEFINITION_USAGE}
  portcullis validate FILE ${DEFINITION_USAGE}
  portcullis convert FILE ${DEFINITION_USAGE}
  portcullis core [--config FILE] [--port N] [--data-dir DIR]
  portcullis token --config FILE --route "METHOD /path" [--api NAME] [--dev-tokens] TOKEN|-
  portcullis token mint --config FILE --authorizer NAME [--api NAME] [--claims JSON] [--expires-in SECONDS]
FILE: portcullis.yaml, a serverless.yml, a SAM or CloudFormation template (cdk synth output too), or an OpenAPI
document; --stage, --region, --param and --stage-prefix apply to a serverless.yml (docs/serverless.md),
--parameter-overrides, --allow-unenforced and --function to a template (docs/formats.md)`;

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
    case 'convert': {
      const { runConvertCommand } = await import('./cli/convert.ts');
      return runConvertCommand(rest);
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

/** Reads and parses the file, the `core:` section by the session core's schema. */
async function loadConfig(file: string, options: ReadOptions): Promise<CheckedConfig> {
  const loaded = await loadConfigFile(file, process.env, OWNED_ELSEWHERE, options);
  // parseConfig has checked the section with this schema; parsing again gives it its type.
  return { ...loaded, core: loaded.config.core === undefined ? undefined : coreConfigSchema.parse(loaded.config.core) };
}

/**
 * Reads the file and runs the whole compile dry (handlers, authorizers, mappings, templates,
 * access-log files): every problem `start` would meet, in one `ConfigError`, with one path style.
 * `validate` and `start` both begin here, so they report a bad config identically.
 */
async function loadCheckedConfig(file: string, options: ReadOptions): Promise<CheckedConfig> {
  // Filled when the file is a template: each problem of the converted config names the part it came from.
  const origins: Origin[] = [];
  try {
    try {
      const loaded = await loadConfig(file, { ...options, origins });
      await validateGateway(loaded.config, loaded.baseDir);
      return loaded;
    } catch (err) {
      // Schema problems: the parts that parsed are compiled too, and all problems come back at once.
      if (err instanceof IncompleteConfigError) await validateGateway(err.parsed, dirname(resolvePath(file)), err.issues);
      throw err;
    }
  } catch (err) {
    throw err instanceof ConfigError && origins.length ? annotateWithOrigins(err, origins) : err;
  }
}

async function validate(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, ...DEFINITION_OPTIONS }, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`portcullis: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const files = [...parsed.positionals, ...(parsed.values.config === undefined ? [] : [parsed.values.config])];
  const file = files[0];
  if (!file || files.length > 1) {
    process.stderr.write(`portcullis: validate takes one FILE\n${USAGE}\n`);
    return 2;
  }
  const options = parseDefinitionOptions(parsed.values);
  if (typeof options === 'string') {
    process.stderr.write(`portcullis: ${options}\n`);
    return 2;
  }
  try {
    const { config, core, warnings } = await loadCheckedConfig(file, options);
    process.stderr.write(formatWarnings(warnings));
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
  let values;
  const offline = offlineFlagMessage(args);
  if (offline) {
    process.stderr.write(`portcullis: ${offline}\n`);
    return 2;
  }
  try {
    ({ values } = parseArgs({
      args,
      options: { config: { type: 'string', short: 'c' }, port: { type: 'string', short: 'p' }, watch: { type: 'boolean' }, 'dev-tokens': { type: 'boolean' }, 'force-dev-tokens': { type: 'boolean' }, ...DEFINITION_OPTIONS },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`portcullis: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const readOptions = parseDefinitionOptions(values);
  if (typeof readOptions === 'string') {
    process.stderr.write(`portcullis: ${readOptions}\n`);
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
    loaded = await loadCheckedConfig(file, readOptions);
  } catch (err) {
    const code = reportConfigProblem(err);
    if (code !== null) return code;
    throw err;
  }
  const { config, baseDir, core: coreSection } = loaded;
  // What a template holds that is not reproduced: once, at start-up (a cluster worker reads the file again).
  if (!isClusterWorker()) process.stderr.write(formatWarnings(loaded.warnings));
  let devKeys: DevKeys | null = null;
  if (values['dev-tokens']) {
    const open = [config.server.host, ...(config.admin ? [config.admin.host] : [])].filter((h) => !isLoopbackHost(h));
    if (open.length && !values['force-dev-tokens']) {
      process.stderr.write(`portcullis: --dev-tokens refused: ${open.join(', ')} is not a loopback address, and anyone who can reach it could mint tokens the gateway accepts; listen on 127.0.0.1, or add --force-dev-tokens\n`);
      return 2;
    }
    devKeys = await loadDevKeys(config, baseDir);
    if (!isClusterWorker()) process.stderr.write(DEV_TOKENS_BANNER(devKeys.file));
  } else if (values['force-dev-tokens']) {
    process.stderr.write('portcullis: --force-dev-tokens needs --dev-tokens\n');
    return 2;
  }
  const workers = resolveWorkers(config.server.workers);
  if (shouldRunPrimary(workers)) {
    // More than one worker: this process forks the gateways (io/cluster.ts), runs the core and
    // serves the admin listener for all of them.
    const primaryMetrics = createMetrics();
    const consoleOn = config.admin ? (config.admin.console ?? (config.admin.token !== undefined || isLoopbackHost(config.admin.host))) || devKeys !== null : false;
    const keys = devKeys;
    return runClusterPrimary({
      workers,
      admin: config.admin
        ? {
            host: config.admin.host,
            port: config.admin.port,
            metrics: primaryMetrics,
            logger: createLogger(),
            console: consoleOn
              ? {
                  decisions: createDecisionLog({ ringSize: config.decisionLog?.ringSize }),
                  token: config.admin.token ?? null,
                  devTokens: keys !== null,
                  ...(keys ? { mint: primaryMint(config, keys) } : {}),
                }
              : null,
          }
        : null,
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
    // A cluster worker's decisions go to the primary's console; its audit file is its own (`-workerN`).
    const workerId = clusterWorkerId();
    const dl = config.decisionLog;
    const decisions = workerId === null
      ? undefined
      : createDecisionLog({
          ringSize: 100,
          file: dl?.file ? resolvePath(baseDir, dl.file).replace(/(\.[^./]+)?$/, (ext) => `-worker${workerId}${ext}`) : null,
          maxFileBytes: dl?.maxFileBytes,
          maxFiles: dl?.maxFiles,
          onError: (message) => logger.error(message),
        });
    gateway = await startGateway(config, { baseDir, port, logger, readinessChecks, metrics, serveAdmin: !isClusterWorker(), devTokens: devKeys, ...(decisions ? { decisions } : {}) });
  } catch (err) {
    await core?.close().catch(() => undefined);
    const code = err instanceof ConfigError || err instanceof ConfigFileError ? 2 : 1;
    const line = `portcullis: ${(err as Error).message}`;
    // In a cluster every worker meets the same problem; the primary prints it once.
    if (!(await reportStartupFailure(line, code))) process.stderr.write(`${line}\n`);
    return code;
  }
  const apis = gateway.gateway.apis.map((a) => `${a.name} (${a.protocol}) at ${gateway!.url}${a.stage === '$default' ? '/' : `/${a.stage}/`}`);
  const stopAnswering = isClusterWorker() ? answerAdminQueries({ metrics: gateway.metrics, readiness: gateway.readiness, authorizerHealth: gateway.authorizerHealth, ...(config.admin ? { decisions: gateway.decisions } : {}) }) : null;
  const running = gateway;
  const reload = createReloader(file, readOptions, running, logger);
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

/** Printed once at start with `--dev-tokens`: loud on purpose. */
const DEV_TOKENS_BANNER = (file: string) => `
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!!  portcullis: DEV TOKENS ARE ON. Every JWT authorizer also accepts tokens signed with its local
!!  dev key (${file}), minted by \`portcullis token mint\` or POST /dev-tokens on the admin
!!  listener. Anyone who can mint can pass every JWT route. Never run this in production.
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
`;

/** `POST /dev-tokens` on a cluster primary's admin listener (the config it started with). */
function primaryMint(config: Readonly<GatewayConfig>, keys: DevKeys): NonNullable<ConsoleSource['mint']> {
  return devTokenMinter(() => config, keys, () => Date.now());
}

/**
 * Re-reads and validates the config file, then swaps it in (`RunningGateway.reload`). An invalid
 * file is logged with every problem (level error) and the running config keeps serving.
 */
function createReloader(file: string, options: ReadOptions, running: RunningGateway, logger: Logger): (trigger: string, reloadOptions?: { prewarm?: boolean }) => Promise<void> {
  return async (trigger, reloadOptions = {}) => {
    try {
      // The `core:` section is checked too (a bad one rejects the reload), though the running core keeps its config.
      const startedAt = performance.now();
      const next = await loadConfig(file, options);
      const { generation, ignored } = await running.reload(next.config, next.baseDir, reloadOptions);
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
  // A function (a `lambda` integration, or an authorizer's `function:`) is `functionSchema`'s shape: its
  // code is in `codeUri` when given, else beside `handler`.
  type FunctionSection = { handler?: unknown; codeUri?: unknown };
  const functions: FunctionSection[] = [];
  for (const api of config.apis) {
    for (const route of Object.values(api.routes)) if (route.integration.type === 'lambda') functions.push(route.integration as FunctionSection);
    for (const a of Object.values(api.authorizers)) if (a.function && typeof a.function === 'object') functions.push(a.function as FunctionSection);
  }
  for (const fn of functions) {
    const dir = typeof fn.codeUri === 'string' ? resolvePath(baseDir, fn.codeUri) : typeof fn.handler === 'string' ? dirname(resolvePath(baseDir, fn.handler)) : null;
    if (dir !== null && ![...roots].some((r) => dir === r || dir.startsWith(`${r}/`))) roots.add(dir);
  }
  return [...roots];
}

/** What a reader could not carry over, once per start (`validate` prints it too). */
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
