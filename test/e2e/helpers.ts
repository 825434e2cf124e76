/**
 * End-to-end helpers for the seeds demo: start `npm start`'s launcher as a user would (a child
 * process on free ports with its own data directory), and run examples/seeds/WALKTHROUGH.md's bash
 * blocks verbatim, comparing each block's output with the expected output written under it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const WALKTHROUGH = join(ROOT, 'examples/seeds/WALKTHROUGH.md');
/** The ports the walkthrough is written for (PORT=3000). */
const DOC_PORT = 3000;

/** True when nothing listens on 127.0.0.1:port (bound, then released). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A PORT whose whole family (PORT, +1, +2, +567) is free. */
export async function freeDemoPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const family = [base, base + 1, base + 2, base + 567];
    if ((await Promise.all(family.map(portIsFree))).every(Boolean)) return base;
  }
  throw new Error('no free port family found');
}

export interface Demo {
  port: number;
  apiDomain: string;
  websiteDomain: string;
  /** Working directory of the run: holds `portcullis-demo.log` (the demo's stdout and stderr). */
  workDir: string;
  logFile: string;
  output(): string;
  /** SIGTERM (Ctrl-C's cousin), wait for the exit, delete the data directory. Returns the exit code. */
  stop(): Promise<number | null>;
}

/**
 * `node --import tsx examples/seeds/start.ts` (what `npm start` runs) with PORT on free ports and a
 * fresh data directory; resolves when it prints `seeds demo ready`.
 */
export async function startDemo(env: Record<string, string> = {}, options: { workDir?: string } = {}): Promise<Demo> {
  const port = await freeDemoPort();
  // A given work directory (several demos sharing one log) belongs to the caller and is kept.
  const ownWorkDir = options.workDir === undefined;
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'portcullis-seeds-'));
  const logFile = join(workDir, 'portcullis-demo.log');
  // The child writes its output straight into the log file (no hop through this process), so a
  // walkthrough step that greps the log right after a request sees what the demo printed.
  const fd = openSync(logFile, 'a');
  const offset = existsSync(logFile) ? statSync(logFile).size : 0;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'examples/seeds/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), PORTCULLIS_DATA_DIR: join(workDir, 'data'), PORTCULLIS_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const out = () => readFileSync(logFile, 'utf8');
  const exited = once(child, 'exit');
  try {
    const deadline = Date.now() + 60_000;
    while (!readFileSync(logFile).subarray(offset).toString('utf8').includes('seeds demo ready')) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the demo exited with ${child.exitCode ?? child.signalCode} before it was ready:\n${out()}`);
      if (Date.now() > deadline) throw new Error(`the demo did not print "seeds demo ready" within 60 s:\n${out()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    child.kill('SIGKILL');
    if (ownWorkDir) rmSync(workDir, { recursive: true, force: true });
    throw err;
  }
  let stopped: Promise<number | null> | undefined;
  return {
    port,
    apiDomain: `http://localhost:${port}`,
    websiteDomain: `http://localhost:${port + 1}`,
    workDir,
    logFile,
    output: out,
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        const [code] = (await exited) as [number | null];
        clearTimeout(timer);
        if (ownWorkDir) rmSync(workDir, { recursive: true, force: true });
        return code;
      })();
      return stopped;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The walkthrough, run verbatim

export interface WalkthroughStep {
  /** 1-based index among the runnable (```bash) blocks. */
  index: number;
  /** Line in WALKTHROUGH.md where the block starts (for messages). */
  line: number;
  script: string;
  expected: string;
}

/**
 * Runnable steps of a walkthrough: every ```bash block, with the ```text block that follows it (before
 * the next ```bash block) as its expected output, or empty output when there is none. Other blocks
 * (```sh: commands for another terminal) are not run.
 */
export function parseWalkthrough(markdown: string): WalkthroughStep[] {
  const steps: WalkthroughStep[] = [];
  const lines = markdown.split('\n');
  let i = 0;
  while (i < lines.length) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) {
      i++;
      continue;
    }
    const start = i;
    const body: string[] = [];
    i++;
    while (i < lines.length && !/^```\s*$/.test(lines[i]!)) body.push(lines[i++]!);
    i++;
    const kind = open[1];
    if (kind === 'bash') steps.push({ index: steps.length + 1, line: start + 1, script: body.join('\n'), expected: '' });
    else if (kind === 'text' && steps.length) {
      const last = steps[steps.length - 1]!;
      if (last.expected !== '') throw new Error(`WALKTHROUGH.md:${start + 1}: two expected-output blocks for one command block`);
      last.expected = body.join('\n');
    }
  }
  return steps;
}

/** The walkthrough is written for PORT=3000; a test run uses other ports. */
export function forPort(text: string, port: number): string {
  return text.replaceAll(`localhost:${DOC_PORT + 1}`, `localhost:${port + 1}`).replaceAll(`localhost:${DOC_PORT}`, `localhost:${port}`);
}

/** Runs all steps in one bash (variables carry over), in `cwd`; returns each step's output. */
export async function runSteps(steps: readonly WalkthroughStep[], port: number, cwd: string): Promise<string[]> {
  const marker = (n: number) => `@@portcullis-walkthrough-step-${n}@@`;
  const script = steps.map((s) => `printf '\\n%s\\n' '${marker(s.index)}'\n${forPort(s.script, port)}\n`).join('') + `printf '\\n%s\\n' '${marker(0)}'\n`;
  const child = spawn('bash', ['--noprofile', '--norc', '-c', script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (!out.includes(marker(0))) throw new Error(`the walkthrough script did not finish (exit ${code}):\n${out}`);
  return steps.map((s, k) => {
    const from = out.indexOf(marker(s.index)) + marker(s.index).length + 1;
    const to = out.indexOf(`\n${marker(k + 1 < steps.length ? steps[k + 1]!.index : 0)}`, from);
    return out.slice(from, to);
  });
}

/**
 * Does `actual` fit `expected`? A line that is only `…` stands for any number of lines (zero
 * included); `…` inside a line for any text on that line. Carriage returns and trailing blank lines
 * are ignored.
 */
export function matchesExpected(actual: string, expected: string): boolean {
  const norm = (s: string) => s.replaceAll('\r', '').replace(/\s+$/, '');
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = norm(expected)
    .split('\n')
    .map((line) => (line === '…' ? '(?:[^\\n]*\\n)*?' : `${line.split('…').map(esc).join('[^\\n]*?')}\\n`))
    .join('');
  return new RegExp(`^${pattern}$`).test(`${norm(actual)}\n`);
}

export function readWalkthrough(): WalkthroughStep[] {
  return parseWalkthrough(readFileSync(WALKTHROUGH, 'utf8'));
}
