/**
 * @module io/access-log — one line per request from a `$context` template. [io]
 *
 * `accessLogSettings.format` is a template of AWS `$context` variables (a missing value prints
 * `-`, as on AWS) or a preset: `clf`, `json` (AWS console presets). `destination` is `stdout`,
 * `stderr` or a file path (appended; `reopen()` — wired to SIGUSR2 — reopens it after rotation).
 *
 * Writing never blocks the request: `write()` renders the line and appends it to an in-memory
 * batch; the batch goes to the destination on a later turn of the event loop, one write at a
 * time (lines that arrive meanwhile form the next batch). `close()` resolves once every line
 * accepted so far is written — graceful shutdown loses none. If the destination stalls, at most
 * `maxBufferedBytes` wait in memory; beyond that lines are dropped and counted (`onDrop`) rather
 * than growing without bound [INF].
 *
 * Must not: throw from `write()`, reorder lines, split a line across writes.
 */
import { accessSync, closeSync, constants, createWriteStream, existsSync, openSync, statSync, type WriteStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ACCESS_LOG_PRESETS, type AccessLogConfig } from '../core/config.ts';
import { compileTemplate, renderTemplate } from '../core/context.ts';
import type { RequestContext } from '../core/model.ts';
import type { Result } from '../core/result.ts';

export interface AccessLog {
  write(ctx: RequestContext): void;
  /** Reopens a file destination (log rotation); no-op for stdout/stderr. Never throws. */
  reopen(): void;
  /** Writes every buffered line, then closes the file. */
  close(): Promise<void>;
}

export interface AccessLogOptions {
  /** Lines dropped because more than `maxBufferedBytes` were waiting. */
  onDrop?: (lines: number) => void;
  /** A write or reopen failed (message has the path, never log content). */
  onError?: (message: string) => void;
  /** Default is 8388608 (8 MiB). */
  maxBufferedBytes?: number;
  /** `portcullis validate`: check that the file could be opened for appending, but open nothing. */
  dryRun?: boolean;
}

/** Default bound of lines waiting for a slow destination. */
export const ACCESS_LOG_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export function createAccessLog(
  settings: Readonly<AccessLogConfig>,
  baseDir: string,
  options: AccessLogOptions = {},
): Result<AccessLog> {
  const source = ACCESS_LOG_PRESETS[settings.format] ?? settings.format;
  if (source.length > 3 * 1024) return { ok: false, error: `access-log format is ${source.length} bytes; AWS allows 3 KB` };
  const compiled = compileTemplate(source);
  if (!compiled.ok) return { ok: false, error: compiled.error.join('; ') };
  const template = compiled.value;
  const dest = settings.destination;
  const path = dest === 'stdout' || dest === 'stderr' ? null : resolve(baseDir, dest);
  let file: WriteStream | null = null;
  if (path && options.dryRun) {
    const problem = appendProblem(path);
    if (problem) return { ok: false, error: `cannot open access log file ${path}: ${problem}` };
  } else if (path) {
    try {
      file = openFile(path, options);
    } catch (err) {
      return { ok: false, error: `cannot open access log file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    }
  }
  const writer = createBatchWriter(
    (chunk, done) => {
      if (file) file.write(chunk, done);
      else (dest === 'stderr' ? process.stderr : process.stdout).write(chunk, done);
    },
    options,
  );
  return {
    ok: true,
    value: {
      write(ctx) {
        // A line is one line: newlines inside values would forge entries.
        writer.push(renderTemplate(template, ctx, '-').replace(/[\r\n]/g, ' ') + '\n');
      },
      reopen() {
        if (!path || !file) return;
        let next: WriteStream;
        try {
          next = openFile(path, options);
        } catch (err) {
          options.onError?.(`cannot reopen access log file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; still writing to the old file`);
          return;
        }
        // A batch already handed to the old stream finishes there; the next one goes to the new file.
        const old = file;
        file = next;
        old.end();
      },
      async close() {
        await writer.drain();
        const f = file;
        file = null;
        if (f) await new Promise<void>((r) => f.end(() => r()));
      },
    },
  };
}

/** Why `path` could not be opened for appending (without creating it), or `null`. */
function appendProblem(path: string): string | null {
  try {
    if (existsSync(path)) {
      if (statSync(path).isDirectory()) return 'EISDIR';
      accessSync(path, constants.W_OK);
    } else accessSync(dirname(path), constants.W_OK);
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  }
}

/** Opens synchronously so a bad path is reported at config time, not as a crash later. */
function openFile(path: string, options: AccessLogOptions): WriteStream {
  const fd = openSync(path, 'a');
  try {
    const stream = createWriteStream(path, { fd, flags: 'a' });
    stream.on('error', (err) => options.onError?.(`access log file ${path}: ${err.message}`));
    return stream;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

interface BatchWriter {
  push(line: string): void;
  /** Resolves when nothing is buffered or in flight. */
  drain(): Promise<void>;
}

/**
 * Batches lines and keeps at most one write in flight. `sink(chunk, done)` must call `done` once
 * the chunk is handed off (stream write callback), error or not.
 */
export function createBatchWriter(sink: (chunk: string, done: (err?: Error | null) => void) => void, options: AccessLogOptions = {}): BatchWriter {
  const maxBytes = options.maxBufferedBytes ?? ACCESS_LOG_MAX_BUFFERED_BYTES;
  let pending: string[] = [];
  let pendingBytes = 0;
  let writing = false;
  let scheduled = false;
  let idleWaiters: Array<() => void> = [];

  const settleIdle = () => {
    if (writing || scheduled || pending.length) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };
  const flush = () => {
    scheduled = false;
    if (writing || pending.length === 0) return settleIdle();
    const chunk = pending.join('');
    pending = [];
    pendingBytes = 0;
    writing = true;
    let called = false;
    const done = (err?: Error | null) => {
      if (called) return;
      called = true;
      writing = false;
      if (err) options.onError?.(`access log write failed: ${err.message}`);
      if (pending.length) flush();
      else settleIdle();
    };
    try {
      sink(chunk, done);
    } catch (err) {
      done(err as Error);
    }
  };
  return {
    push(line) {
      if (pendingBytes + line.length > maxBytes) {
        options.onDrop?.(1);
        return;
      }
      pending.push(line);
      pendingBytes += line.length;
      if (!scheduled && !writing) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    drain() {
      if (!writing && !scheduled && pending.length === 0) return Promise.resolve();
      return new Promise((r) => idleWaiters.push(r));
    },
  };
}
