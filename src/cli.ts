/**
 * @module cli — the `portcullis` command. [io]
 *
 *   portcullis start [--config FILE] [--port N]     gateway (and the core, when the config has `core:`)
 *   portcullis validate FILE                        check a config; exit 0 if valid, 2 with every problem
 *   portcullis core [--config FILE] [--port N] [--data-dir DIR]   the SuperTokens-compatible core alone
 *   portcullis token --config FILE --route "GET /x" TOKEN          would this route admit this JWT, and why not
 *
 * Exit codes: 0 ok, 1 runtime failure (port in use, database unreachable), 2 bad config or usage.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from './core/errors.ts';
import { startGateway, type RunningGateway } from './gateway.ts';
import { ConfigFileError, loadConfigFile } from './io/config-file.ts';
import { createLogger } from './io/logger.ts';

const USAGE = `usage:
  portcullis start [--config FILE] [--port N]
  portcullis validate FILE
  portcullis core [--config FILE] [--port N] [--data-dir DIR]
  portcullis token --config FILE --route "METHOD /path" [--api NAME] TOKEN|-`;

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

async function validate(args: string[]): Promise<number> {
  const file = args[0];
  if (!file || args.length > 1) {
    process.stderr.write(`portcullis: validate takes one FILE\n${USAGE}\n`);
    return 2;
  }
  try {
    const { config } = await loadConfigFile(file);
    const routes = config.apis.reduce((n, a) => n + Object.keys(a.routes).length, 0);
    process.stdout.write(`${file}: valid (${config.apis.length} API${config.apis.length === 1 ? '' : 's'}, ${routes} route${routes === 1 ? '' : 's'}${config.core ? ', core' : ''})\n`);
    return 0;
  } catch (err) {
    const code = reportConfigProblem(err);
    if (code !== null) return code;
    throw err;
  }
}

async function start(args: string[]): Promise<number> {
  let values: { config?: string; port?: string };
  try {
    ({ values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, port: { type: 'string', short: 'p' } }, strict: true }));
  } catch (err) {
    process.stderr.write(`portcullis: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const file = values.config ?? (existsSync('portcullis.yaml') ? 'portcullis.yaml' : existsSync('portcullis.json') ? 'portcullis.json' : undefined);
  if (!file) {
    process.stderr.write('portcullis: no config: pass --config FILE (or put portcullis.yaml in the working directory)\n');
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
    loaded = await loadConfigFile(file);
  } catch (err) {
    const code = reportConfigProblem(err);
    if (code !== null) return code;
    throw err;
  }
  const { config, baseDir } = loaded;
  const logger = createLogger();
  let core: { url: string; close(): Promise<void> } | null = null;
  let gateway: RunningGateway | null = null;
  try {
    if (config.core) {
      const { startCore } = await import('./supertokens/index.ts');
      const running = await startCore({ ...config.core, dataDir: resolveFrom(baseDir, config.core.dataDir, process.cwd()) });
      core = running;
      process.stdout.write(`portcullis core listening on ${running.url} (${running.storeDescription})\n`);
    }
    gateway = await startGateway(config, { baseDir, port, logger });
  } catch (err) {
    await core?.close().catch(() => undefined);
    const code = reportConfigProblem(err);
    if (code !== null) return code;
    process.stderr.write(`portcullis: ${(err as Error).message}\n`);
    return 1;
  }
  const apis = gateway.gateway.apis.map((a) => `${a.name} (${a.protocol}) at ${gateway!.url}${a.stage === '$default' ? '/' : `/${a.stage}/`}`);
  process.stdout.write(`portcullis gateway listening on ${gateway.url}\n${apis.map((a) => `  ${a}\n`).join('')}`);
  return waitForShutdown(async () => {
    await gateway!.close();
    await core?.close();
  }, () => {
    for (const api of gateway!.gateway.apis) api.accessLog?.reopen();
  });
}

/** The core's dataDir is relative to the working directory, like the SuperTokens core's. */
function resolveFrom(_baseDir: string, dir: string, cwd: string): string {
  return dir.startsWith('/') ? dir : `${cwd}/${dir}`;
}

function waitForShutdown(stop: () => Promise<void>, reopenLogs: () => void): Promise<number> {
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
    process.on('SIGUSR2', reopenLogs);
  });
}
