/**
 * @module io/access-log — one line per request from a `$context` template. [io]
 *
 * `accessLogSettings.format` is a template of AWS `$context` variables (a missing value prints
 * `-`, as on AWS) or a preset: `clf`, `json` (AWS console presets). `destination` is `stdout`,
 * `stderr` or a file path (appended; `reopen()` — wired to SIGUSR2 — reopens it after rotation).
 * Writes never block the request: lines go to a buffered stream; `close()` flushes.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { ACCESS_LOG_PRESETS, type AccessLogConfig } from '../core/config.ts';
import { compileTemplate, renderTemplate, type CompiledTemplate } from '../core/context.ts';
import type { RequestContext } from '../core/model.ts';


export interface AccessLog {
  write(ctx: RequestContext): void;
  reopen(): void;
  close(): Promise<void>;
}

export function createAccessLog(settings: Readonly<AccessLogConfig>, baseDir: string): { ok: true; value: AccessLog } | { ok: false; error: string } {
  const source = ACCESS_LOG_PRESETS[settings.format] ?? settings.format;
  if (source.length > 3 * 1024) return { ok: false, error: `access-log format is ${source.length} bytes; AWS allows 3 KB` };
  const compiled = compileTemplate(source);
  if (!compiled.ok) return { ok: false, error: compiled.errors.join('; ') };
  const template: CompiledTemplate = compiled.template;
  const dest = settings.destination;
  let file: WriteStream | null = null;
  const path = dest === 'stdout' || dest === 'stderr' ? null : resolve(baseDir, dest);
  const open = () => {
    if (path) file = createWriteStream(path, { flags: 'a' });
  };
  open();
  const out = (line: string) => {
    if (file) file.write(line);
    else if (dest === 'stderr') process.stderr.write(line);
    else process.stdout.write(line);
  };
  return {
    ok: true,
    value: {
      write(ctx) {
        // A line is one line: newlines inside values would forge entries.
        out(renderTemplate(template, ctx, '-').replace(/[\r\n]/g, ' ') + '\n');
      },
      reopen() {
        if (!file) return;
        const old = file;
        open();
        old.end();
      },
      close() {
        return new Promise((r) => {
          if (!file) return r();
          file.end(() => r());
        });
      },
    },
  };
}
