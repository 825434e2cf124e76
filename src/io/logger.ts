/**
 * @module io/logger — the gateway's own structured log (not the access log). [io]
 *
 * JSON lines `{"level","time","msg",...fields}` on stderr. Quiet by default: `warn` and above,
 * unless `PORTCULLIS_LOG_LEVEL` says otherwise. Field values that look like secrets are never
 * passed here: callers log reasons and ids, not tokens, cookies or passwords; `redact()` is a
 * second line of defence for free text that might contain a bearer token or cookie.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  write?: (line: string) => void;
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? parseLevel(process.env.PORTCULLIS_LOG_LEVEL) ?? 'warn';
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const base = options.base ?? {};
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < ORDER[level]) return;
    const record: Record<string, unknown> = { level: lvl, time: new Date().toISOString(), msg: redact(msg), ...base };
    if (fields) for (const [k, v] of Object.entries(fields)) record[k] = typeof v === 'string' ? redact(v) : v;
    write(JSON.stringify(record, errorReplacer));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ level, write, base: { ...base, ...fields } }),
  };
}

function parseLevel(v: string | undefined): LogLevel | undefined {
  return v && v in ORDER ? (v as LogLevel) : undefined;
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: redact(value.message) };
  return value;
}

const JWT_LIKE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const BEARER = /(bearer\s+)[^\s",;]+/gi;
const COOKIE_PAIR = /((?:sAccessToken|sRefreshToken|sIdRefreshToken|sAntiCsrf|st-access-token|st-refresh-token)=)[^;\s"]+/g;

/** Removes token-shaped material from free text. */
export function redact(text: string): string {
  return text.replace(JWT_LIKE, '[redacted-jwt]').replace(BEARER, '$1[redacted]').replace(COOKIE_PAIR, '$1[redacted]');
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = createLogger({ level: 'silent' });
