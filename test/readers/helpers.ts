/**
 * Reader tests' helpers: the CLI run as a child process, and a template started
 * the way `portcullis start --config TEMPLATE` starts it (loadConfigFile + startGateway, port 0).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { startGateway, type RunningGateway } from '../../src/gateway.ts';
import { loadConfigFile, type ReadOptions } from '../../src/io/config-file.ts';
import { silentLogger } from '../../src/io/logger.ts';
import type { CleanupOwner } from '../helpers/gateway.ts';

export const TEMPLATES = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/templates');

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/portcullis.mjs');

/** Runs `portcullis ARGV` as a child process (the real command, its real streams); killed after 30 s. */
export function runCli(argv: string[], options: { cwd?: string } = {}): Promise<{ code: number; stderr: string; stdout: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], { cwd: options.cwd ?? process.cwd(), stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/** Starts a template (or any config file) as `portcullis start --config FILE` does; closed when `t` ends. */
export async function startTemplate(t: CleanupOwner, file: string, options: ReadOptions = {}): Promise<{ url: string; gateway: RunningGateway; warnings: readonly { path: string; message: string }[] }> {
  const loaded = await loadConfigFile(file, {}, {}, options);
  const gateway = await startGateway(loaded.config, { baseDir: loaded.baseDir, port: 0, host: '127.0.0.1', logger: silentLogger, serveAdmin: false });
  t.after(() => gateway.close());
  return { url: gateway.url, gateway, warnings: loaded.warnings };
}
