/**
 * @module supertokens/cli — `portcullis core [--config FILE] [--port N] [--data-dir DIR]`. [io]
 *
 * Reads the `core:` section of a YAML or JSON config file (defaults without one), starts the core,
 * prints one line, and runs until SIGTERM or SIGINT, then shuts down gracefully and returns 0.
 * Start-up failures (bad config, database unreachable, port busy) print one line on stderr and
 * return 1.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { CoreStartError } from './errors.ts';
import type { CoreConfigInput } from './config.ts';

const USAGE = 'usage: portcullis core [--config FILE] [--port N] [--data-dir DIR]';

interface CliArgs {
  configFile?: string;
  port?: number;
  dataDir?: string;
}

function parseArgs(argv: readonly string[]): CliArgs | string {
  const args: CliArgs = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--config': {
        const v = value();
        if (!v) return `--config needs a file path\n${USAGE}`;
        args.configFile = v;
        break;
      }
      case '--port': {
        const v = value();
        const port = Number(v);
        if (!v || !Number.isInteger(port) || port < 0 || port > 65535) return `--port must be an integer 0-65535, got "${v ?? ''}"`;
        args.port = port;
        break;
      }
      case '--data-dir': {
        const v = value();
        if (!v) return `--data-dir needs a directory\n${USAGE}`;
        args.dataDir = v;
        break;
      }
      case '-h':
      case '--help':
        return USAGE;
      default:
        return `unknown argument "${arg}"\n${USAGE}`;
    }
  }
  return args;
}

/** Reads the `core:` section of a config file (YAML or JSON; JSON is YAML). */
function readCoreSection(file: string): CoreConfigInput {
  const document: unknown = parseYaml(readFileSync(file, 'utf8'));
  if (document === null || document === undefined) return {};
  if (typeof document !== 'object' || Array.isArray(document)) throw new Error(`${file}: the top level must be a mapping`);
  const section = (document as Record<string, unknown>).core;
  if (section === undefined || section === null) return {};
  if (typeof section !== 'object' || Array.isArray(section)) throw new Error(`${file}: core must be a mapping`);
  return section as CoreConfigInput;
}

export interface CoreCliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** Resolves when the process should stop (default: first SIGTERM or SIGINT). */
  stopSignal?: Promise<unknown>;
}

/**
 * Runs `portcullis core`; resolves with the exit code once the core has stopped.
 * `argv` is the arguments after `core`.
 */
export async function runCoreCli(argv: string[], io?: CoreCliIo): Promise<number> {
  const out = io?.stdout ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = io?.stderr ?? ((line: string) => process.stderr.write(`${line}\n`));
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    (args === USAGE ? out : err)(args);
    return args === USAGE ? 0 : 2;
  }
  let section: CoreConfigInput = {};
  if (args.configFile !== undefined) {
    try {
      section = readCoreSection(args.configFile);
    } catch (e) {
      err(`portcullis core: cannot read config: ${(e as Error).message}`);
      return 1;
    }
  }
  if (args.port !== undefined) section = { ...section, port: args.port };
  if (args.dataDir !== undefined) section = { ...section, dataDir: args.dataDir };

  // Imported here so `--help` and argument errors do not load database drivers.
  const { startCore } = await import('./index.ts');
  let core: Awaited<ReturnType<typeof startCore>>;
  try {
    core = await startCore({ ...section, log: err });
  } catch (e) {
    err(`portcullis core: ${e instanceof CoreStartError ? e.message : `start failed: ${(e as Error).message}`}`);
    return 1;
  }
  // Signal handlers before the listening line: a SIGTERM sent the moment it is read must close the store.
  const stop =
    io?.stopSignal ??
    new Promise<NodeJS.Signals>((resolveStop) => {
      const onSignal = (signal: NodeJS.Signals) => {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        resolveStop(signal);
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    });
  out(`portcullis core listening on ${core.url} (${core.storeDescription})`);
  await stop;
  try {
    await core.close();
  } catch (e) {
    err(`portcullis core: shutdown failed: ${(e as Error).message}`);
    return 1;
  }
  return 0;
}
