/**
 * @module io/decision-log — every authorization decision, in a bounded ring and optionally a JSON-lines
 * audit file with rotation (beyond AWS, which answers with CloudWatch access logs). [io]
 *
 * Usage: the pipeline calls `record()` once per authorized request with references it already holds
 * (no formatting, no copying: the hot path pays one small object and one array store); serialization
 * happens off the request path, when the console asks (`recent()`, `subscribe()`) or the file writer
 * flushes (every `FLUSH_MS`). Subscribers (the console's SSE streams) get batches; at high rates a
 * batch is capped (`MAX_BATCH`) and says how many it left out, so the page stays responsive.
 *
 * Never holds secrets: a token appears only as its decoded header and payload (never the raw value
 * or its signature), and `toPublicDecision()` redacts claims and context keys that name cookies,
 * refresh tokens, passwords or secrets.
 */
import { appendFile, mkdir, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DecisionAudit } from '../core/model.ts';

export type DecisionOutcome = 'allow' | 'deny' | 'unauthorized' | 'error';

/** What the pipeline hands over: references, not copies. */
export interface DecisionInput {
  readonly timeMs: number;
  readonly requestId: string;
  readonly api: string;
  readonly method: string;
  readonly path: string;
  readonly routeKey: string;
  readonly authorizerId: string;
  readonly authorizerKind: string;
  readonly outcome: DecisionOutcome;
  /** The status the refusal renders as (401/403/500), `null` for allow. */
  readonly status: number | null;
  /** `$context.authorizer.error` (AWS's words) when refused. */
  readonly error: string | null;
  readonly principal: string | null;
  readonly sourceIp: string;
  readonly latencyMs: number;
  readonly audit: DecisionAudit | undefined;
  /** Lambda authorizer context (redacted when serialized). */
  readonly context?: Readonly<Record<string, unknown>> | null | undefined;
}

/** The JSON form: what the console, the audit file and `/console/decisions` show. */
export interface PublicDecision {
  seq: number;
  time: string;
  timeMs: number;
  requestId: string;
  api: string;
  method: string;
  path: string;
  routeKey: string;
  authorizer: string;
  authorizerKind: string;
  outcome: DecisionOutcome;
  status: number | null;
  reason: string;
  principal: string | null;
  sourceIp: string;
  latencyMs: number;
  cached: boolean;
  token?: { header: Record<string, unknown>; payload: Record<string, unknown>; signature: '[redacted]'; verified: boolean };
  policy?: unknown;
  context?: Record<string, unknown>;
  failedRules?: ReadonlyArray<{ path: string; id: string; explanation: string }>;
}

export interface DecisionBatch {
  readonly decisions: PublicDecision[];
  /** Decisions of this interval left out of the batch (rate above `MAX_BATCH` per flush). */
  readonly omitted: number;
}

export interface DecisionLogOptions {
  /** Decisions kept in memory. Default is 1000. */
  readonly ringSize?: number;
  /** JSON-lines audit file; off when absent. */
  readonly file?: string | null;
  /** Rotate when the file would grow past this. Default is 10485760 (10 MiB). */
  readonly maxFileBytes?: number;
  /** Rotated files kept: `file.1` (newest) … `file.N`. Default is 5. */
  readonly maxFiles?: number;
  readonly onError?: (message: string) => void;
}

export interface DecisionLog {
  record(d: DecisionInput): void;
  /** Decisions made elsewhere (a cluster worker's batches), already in their JSON form; renumbered here. */
  ingest(decisions: readonly PublicDecision[], omitted: number): void;
  /** Newest last; at most `limit`. */
  recent(limit?: number): PublicDecision[];
  get(seq: number): PublicDecision | undefined;
  /** Batches every `FLUSH_MS` while at least one decision arrived; returns the unsubscribe function. */
  subscribe(listener: (batch: DecisionBatch) => void): () => void;
  readonly size: number;
  readonly total: number;
  /** Writes what is buffered, stops the timer. */
  close(): Promise<void>;
}

/** How often subscribers and the file get what arrived. */
export const FLUSH_MS = 200;
/** Most decisions one subscriber batch carries (5,000/s → 1,000 per 200 ms: 200 shown, 800 counted). */
export const MAX_BATCH = 200;
export const DEFAULT_RING_SIZE = 1000;

const SECRET_KEY = /cookie|refresh|password|passwd|secret|signature|csrf|session[-_]?handle|credential|api[-_]?key|^token$|access[-_]?token/i;

/** Redacts values whose key names a secret, recursively (depth-limited). */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redactSecrets(v, depth + 1);
  return out;
}

/**
 * A token's redacted view, built once per token: a verified token's audit object is shared by every
 * request that presents it (the verified-token cache), so redaction is not paid per decision.
 */
const REDACTED_TOKENS = new WeakMap<NonNullable<DecisionAudit['token']>, NonNullable<PublicDecision['token']>>();
function redactedToken(token: NonNullable<DecisionAudit['token']>): NonNullable<PublicDecision['token']> {
  let view = REDACTED_TOKENS.get(token);
  if (!view) {
    view = { header: redactSecrets(token.header) as Record<string, unknown>, payload: redactSecrets(token.payload) as Record<string, unknown>, signature: '[redacted]', verified: token.verified };
    REDACTED_TOKENS.set(token, view);
  }
  return view;
}

function reasonOf(d: DecisionInput): string {
  return d.audit?.reason ?? (d.outcome === 'allow' ? 'allowed' : d.error ?? d.outcome);
}

export function toPublicDecision(seq: number, d: DecisionInput): PublicDecision {
  const out: PublicDecision = {
    seq,
    time: new Date(d.timeMs).toISOString(),
    timeMs: d.timeMs,
    requestId: d.requestId,
    api: d.api,
    method: d.method,
    path: d.path,
    routeKey: d.routeKey,
    authorizer: d.authorizerId,
    authorizerKind: d.authorizerKind,
    outcome: d.outcome,
    status: d.status,
    reason: reasonOf(d),
    principal: d.principal,
    sourceIp: d.sourceIp,
    latencyMs: d.latencyMs,
    cached: d.audit?.cached ?? false,
  };
  const a = d.audit;
  if (a?.token) out.token = redactedToken(a.token);
  if (a?.policy !== undefined) out.policy = a.policy;
  if (d.context) out.context = redactSecrets(d.context) as Record<string, unknown>;
  if (a?.failedRules) out.failedRules = a.failedRules;
  return out;
}

export function createDecisionLog(options: DecisionLogOptions = {}): DecisionLog {
  const ringSize = Math.max(1, options.ringSize ?? DEFAULT_RING_SIZE);
  const ring: Array<DecisionInput | PublicDecision | undefined> = new Array<DecisionInput | PublicDecision | undefined>(ringSize);
  /** Decisions the sources left out (workers' capped batches), reported with the next batch. */
  let omittedElsewhere = 0;
  const publicAt = (seq: number): PublicDecision => {
    const e = ring[seq % ringSize]!;
    return 'seq' in e ? e : toPublicDecision(seq, e);
  };
  const file = options.file ?? null;
  const maxFileBytes = options.maxFileBytes ?? 10 * 1024 * 1024;
  const maxFiles = options.maxFiles ?? 5;
  const onError = options.onError ?? (() => undefined);
  const listeners = new Set<(batch: DecisionBatch) => void>();
  let total = 0;
  /** Seq of the first decision not yet flushed. */
  let flushedUpTo = 0;
  let timer: NodeJS.Timeout | null = null;
  let fileBytes: number | null = null;
  let writing: Promise<void> = Promise.resolve();
  let fileReady = false;

  const has = (seq: number): boolean => seq >= 0 && seq < total && seq >= total - ringSize;

  function schedule(): void {
    if (timer || (listeners.size === 0 && !file)) return;
    timer = setTimeout(flush, FLUSH_MS);
    timer.unref();
  }

  function flush(): void {
    timer = null;
    const from = Math.max(flushedUpTo, total - ringSize);
    const lost = from - flushedUpTo; // overwritten in the ring before a flush (far above the ring's rate)
    const upTo = total;
    flushedUpTo = upTo;
    const elsewhere = omittedElsewhere;
    omittedElsewhere = 0;
    if (upTo <= from) return;
    if (listeners.size) {
      const first = Math.max(from, upTo - MAX_BATCH);
      const decisions: PublicDecision[] = [];
      for (let s = first; s < upTo; s++) decisions.push(publicAt(s));
      const batch: DecisionBatch = { decisions, omitted: first - from + lost + elsewhere };
      for (const l of listeners) {
        try {
          l(batch);
        } catch (err) {
          onError(`decision subscriber failed: ${(err as Error).message}`);
        }
      }
    }
    if (file) {
      let text = '';
      for (let s = from; s < upTo; s++) text += JSON.stringify(publicAt(s)) + '\n';
      if (lost) text += JSON.stringify({ time: new Date().toISOString(), omitted: lost, reason: 'decisions arrived faster than the audit file was written; raise decisionLog.ringSize' }) + '\n';
      writing = writing.then(() => writeFile(text)).catch((err: unknown) => onError(`decision audit file ${file}: ${(err as Error).message}`));
    }
  }

  async function writeFile(text: string): Promise<void> {
    if (!file) return;
    if (!fileReady) {
      await mkdir(dirname(file), { recursive: true });
      fileBytes = await stat(file).then((s) => s.size, () => 0);
      fileReady = true;
    }
    const bytes = Buffer.byteLength(text);
    if (fileBytes! > 0 && fileBytes! + bytes > maxFileBytes) {
      await rotate();
      fileBytes = 0;
    }
    await appendFile(file, text, { mode: 0o600 });
    fileBytes! += bytes;
  }

  async function rotate(): Promise<void> {
    if (maxFiles < 1) {
      await rename(file!, `${file}.1`).catch(() => undefined);
      return;
    }
    for (let i = maxFiles - 1; i >= 1; i--) await rename(`${file}.${i}`, `${file}.${i + 1}`).catch(() => undefined);
    await rename(file!, `${file}.1`);
  }

  return {
    record(d) {
      ring[total % ringSize] = d;
      total++;
      if (timer === null) schedule();
    },
    ingest(decisions, omitted) {
      for (const d of decisions) {
        ring[total % ringSize] = { ...d, seq: total };
        total++;
      }
      omittedElsewhere += omitted;
      if (timer === null) schedule();
    },
    recent(limit = ringSize) {
      const out: PublicDecision[] = [];
      for (let s = Math.max(0, total - Math.min(limit, ringSize)); s < total; s++) out.push(publicAt(s));
      return out;
    },
    get(seq) {
      return has(seq) ? publicAt(seq) : undefined;
    },
    subscribe(listener) {
      // Without a file nothing flushed while nobody listened: the first batch starts from now.
      if (!file && listeners.size === 0) flushedUpTo = total;
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    get size() {
      return Math.min(total, ringSize);
    },
    get total() {
      return total;
    },
    async close() {
      if (timer) clearTimeout(timer);
      flush();
      await writing;
    },
  };
}
