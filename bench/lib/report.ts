/**
 * Summaries, tables, targets and the regression check. Medians over rounds; ratios are taken within
 * a round (same machine state), then the median of those ratios is reported.
 */
import type { Measurement, CheckResult } from './load.ts';

export interface Sample extends Measurement {
  round: number;
  /** Position in the run (0, 1, 2, …): ratios pair each sample with the nearest one of the other case. */
  seq?: number;
  case: string;
  checkOk: boolean;
  codes: CheckResult;
  accepts: string[];
}

export interface Summary {
  label: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerReq: number | null;
  rssMb: number | null;
  /** Median over rounds of rps / (b's rps in the same round). */
  ratioToBare: number | null;
  authorizerCallsPerReq: number | null;
  errors: number;
  checkOk: boolean;
  accepts: string[];
  rounds: number;
}

export const median = (xs: ReadonlyArray<number | null | undefined>): number | null => {
  const a = xs.filter((x): x is number => typeof x === 'number' && !Number.isNaN(x)).sort((p, q) => p - q);
  if (!a.length) return null;
  const m = a.length >> 1;
  return a.length % 2 ? a[m]! : (a[m - 1]! + a[m]!) / 2;
};

/**
 * Median of rps(x) / rps(y), pairing each sample of x with the sample of y of the same round that ran
 * nearest to it (with `--paired`, the (b) measured just before it; otherwise the round's only one).
 */
export function ratio(samples: readonly Sample[], x: string, y: string): number | null {
  const out: number[] = [];
  for (const s of samples) {
    if (s.case !== x) continue;
    let other: Sample | undefined;
    for (const o of samples) {
      if (o.case !== y || o.round !== s.round || o.wrk.rps <= 0) continue;
      if (!other || Math.abs((o.seq ?? 0) - (s.seq ?? 0)) < Math.abs((other.seq ?? 0) - (s.seq ?? 0))) other = o;
    }
    if (other) out.push(s.wrk.rps / other.wrk.rps);
  }
  return median(out);
}

export function summarize(samples: readonly Sample[], labels: Record<string, string>): Record<string, Summary> {
  const out: Record<string, Summary> = {};
  for (const id of [...new Set(samples.map((s) => s.case))]) {
    const mine = samples.filter((s) => s.case === id);
    out[id] = {
      label: labels[id] ?? id,
      rps: median(mine.map((s) => s.wrk.rps))!,
      p50Ms: median(mine.map((s) => s.wrk.p50_us))! / 1000,
      p99Ms: median(mine.map((s) => s.wrk.p99_us))! / 1000,
      cpuUsPerReq: median(mine.map((s) => s.cpuUsPerReq)),
      rssMb: median(mine.map((s) => s.rssMb)),
      ratioToBare: ratio(samples, id, 'b'),
      authorizerCallsPerReq: median(mine.map((s) => s.authorizerCallsPerReq)),
      errors: mine.reduce((n, s) => n + s.wrk.err_status + s.wrk.err_timeout + s.wrk.err_connect + s.wrk.err_read, 0),
      checkOk: mine.every((s) => s.checkOk),
      accepts: [...new Set(mine.flatMap((s) => s.accepts))],
      rounds: mine.length,
    };
  }
  return out;
}

const fmt = (x: number | null | undefined, digits = 0) => (x === null || x === undefined ? '–' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

export function caseTable(ids: readonly string[], sum: Record<string, Summary>): string {
  const rows = ['| configuration | req/s | p50 ms | p99 ms | ratio to (b) | gateway CPU µs/req | peak RSS MB | correctness |', '|---|---:|---:|---:|---:|---:|---:|---|'];
  for (const id of ids) {
    const s = sum[id];
    if (!s) continue;
    let check = s.checkOk ? (s.accepts.length ? 'ok' : 'ok') : s.accepts.length ? `**ACCEPTS: ${s.accepts.join(', ')}**` : '**FAILED**';
    if (s.authorizerCallsPerReq !== null) check += `; authorizer calls/req ${s.authorizerCallsPerReq.toFixed(2)}`;
    if (s.errors) check += `; ${s.errors} wrk errors`;
    rows.push(`| ${s.label} | ${fmt(s.rps)} | ${fmt(s.p50Ms, 2)} | ${fmt(s.p99Ms, 2)} | ${fmt(s.ratioToBare, 2)} | ${fmt(s.cpuUsPerReq)} | ${fmt(s.rssMb)} | ${check} |`);
  }
  return rows.join('\n');
}

/** Portcullis rows × peer columns: rps ratio, median over rounds. */
export function ratioMatrix(samples: readonly Sample[], ours: readonly string[], peers: readonly string[], sum: Record<string, Summary>): string {
  const present = peers.filter((p) => sum[p]);
  const mine = ours.filter((o) => sum[o]);
  if (!present.length || !mine.length) return '';
  const rows = [`| Portcullis case | ${present.map((p) => `÷ ${p}`).join(' | ')} |`, `|---|${present.map(() => '---:').join('|')}|`];
  for (const o of mine) rows.push(`| ${sum[o]!.label} | ${present.map((p) => fmt(ratio(samples, o, p), 2)).join(' | ')} |`);
  return rows.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Targets (issue 9)

export interface TargetResult {
  target: string;
  measured: string;
  pass: boolean | null;
}

export function evaluateTargets(samples: readonly Sample[], sum: Record<string, Summary>): TargetResult[] {
  const out: TargetResult[] = [];
  const has = (...ids: string[]) => ids.every((i) => sum[i]);
  const r = (x: string, y: string) => ratio(samples, x, y);
  const add = (target: string, value: number | null, min: number, unit = '×') =>
    out.push({ target, measured: value === null ? 'not measured' : `${value.toFixed(2)}${unit}`, pass: value === null ? null : value >= min });
  if (has('p1', 'b')) add('S1 repeated token, 1 worker ≥ 0.95 × (b)', r('p1', 'b'), 0.95);
  if (has('p1w2', 'd1')) add('S1 repeated token, 2 workers > HAProxy jwt_verify (1 thread)', r('p1w2', 'd1'), 1.0000001);
  if (has('p1:fresh', 'b')) add('S1 fresh token per request ≥ 0.75 × (b)', r('p1:fresh', 'b'), 0.75);
  if (has('p2', 'g1')) add('S2 JWT → Lambda ≥ 5 × serverless-offline JWT route', r('p2', 'g1'), 5);
  if (has('p2', 'b')) add('S2 JWT → Lambda ≥ 1.0 × (b)', r('p2', 'b'), 1.0);
  if (has('p2')) out.push({ target: 'S2 rejects every bad token (serverless-offline accepts some)', measured: sum.p2!.checkOk ? `all 8 → 401${sum.g1 ? `; g1 accepts: ${sum.g1.accepts.join(', ') || 'none'}` : ''}` : 'FAILED', pass: sum.p2!.checkOk });
  if (has('p3c', 'b')) add('S3 cached ≥ 0.95 × (b)', r('p3c', 'b'), 0.95);
  if (has('p3u', 'b')) add('S3 uncached ≥ 0.6 × (b)', r('p3u', 'b'), 0.6);
  if (has('p3u', 'g2')) add('S3 uncached ≥ 5 × serverless-offline Lambda-authorizer route', r('p3u', 'g2'), 5);
  if (sum.b) {
    for (const id of Object.keys(sum).filter((k) => k.startsWith('p'))) {
      const s = sum[id]!;
      out.push({ target: `p99 ${id} ≤ (b) p99`, measured: `${s.p99Ms.toFixed(2)} vs ${sum.b.p99Ms.toFixed(2)} ms`, pass: s.p99Ms <= sum.b.p99Ms });
    }
  }
  for (const id of Object.keys(sum).filter((k) => k.startsWith('p'))) {
    const s = sum[id]!;
    out.push({ target: `RSS ${id} < 150 MB`, measured: `${fmt(s.rssMb)} MB`, pass: s.rssMb === null ? null : s.rssMb < 150 });
    if (!s.checkOk) out.push({ target: `${id} correctness`, measured: JSON.stringify(s.accepts), pass: false });
  }
  return out;
}

export function targetTable(results: readonly TargetResult[]): string {
  return ['| target | measured | result |', '|---|---|---|', ...results.map((t) => `| ${t.target} | ${t.measured} | ${t.pass === null ? '–' : t.pass ? 'PASS' : '**FAIL**'} |`)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Regression against the last recorded results

export function regressions(current: Record<string, Summary>, previous: Record<string, Summary> | undefined): string[] {
  if (!previous) return [];
  const out: string[] = [];
  for (const [id, now] of Object.entries(current)) {
    const was = previous[id];
    if (!was) continue;
    if (was.ratioToBare && now.ratioToBare && now.ratioToBare < was.ratioToBare * 0.9) out.push(`${id}: ratio to (b) ${was.ratioToBare.toFixed(2)} → ${now.ratioToBare.toFixed(2)} (${pct(now.ratioToBare, was.ratioToBare)})`);
    if (was.cpuUsPerReq && now.cpuUsPerReq && now.cpuUsPerReq > was.cpuUsPerReq * 1.1) out.push(`${id}: CPU/req ${was.cpuUsPerReq.toFixed(0)} → ${now.cpuUsPerReq.toFixed(0)} µs (${pct(now.cpuUsPerReq, was.cpuUsPerReq)})`);
    if (now.rps < was.rps * 0.9) out.push(`${id}: req/s ${was.rps.toFixed(0)} → ${now.rps.toFixed(0)} (${pct(now.rps, was.rps)}; absolute req/s drift on a shared VM, read with the ratios)`);
  }
  return out;
}

const pct = (now: number, was: number) => `${now >= was ? '+' : ''}${(((now - was) / was) * 100).toFixed(0)} %`;
