/**
 * Decision-log micro-benchmark (issue 20): what one authorization decision costs the request path, and
 * what the off-path work costs per decision. In-process, bounded (a fixed number of iterations):
 *
 *   node --import tsx bench/decision-log.bench.ts [--json]
 *
 *   record          the pipeline's `recordDecision()` shape: one object literal + `DecisionLog.record()`
 *                   (what every authorized request pays; no subscriber, no file)
 *   serialize       `toPublicDecision()` + `JSON.stringify` of a JWT decision with its decoded token
 *                   (what the audit file and a console stream pay per decision, every 200 ms, off the path)
 */
import { performance } from 'node:perf_hooks';
import { createDecisionLog, toPublicDecision, type DecisionInput } from '../src/io/decision-log.ts';
import type { DecisionAudit } from '../src/core/model.ts';

const N = 2_000_000;
const audit: DecisionAudit = Object.freeze({
  reason: 'token verified (cached verification)',
  cached: true,
  token: Object.freeze({
    header: { alg: 'RS256', kid: 'k1', typ: 'JWT' },
    payload: { iss: 'http://localhost:3000/dev/auth', sub: 'f6a1c7e0-1b2c-4d5e-8f90-123456789abc', aud: 'jwtAuthorizers', iat: 1_796_540_883, exp: 1_796_544_483, 'st-ev': { v: true, t: 1_796_540_800_000 }, 'st-perm': { v: [], t: 1 }, sessionHandle: 'sh', refreshTokenHash1: 'r' },
    verified: true,
  }),
});

function measure(name: string, iterations: number, fn: (i: number) => void): { name: string; nsPerOp: number } {
  for (let i = 0; i < Math.min(iterations, 200_000); i++) fn(i); // warm-up
  const started = performance.now();
  for (let i = 0; i < iterations; i++) fn(i);
  const ns = ((performance.now() - started) * 1e6) / iterations;
  return { name, nsPerOp: Math.round(ns * 10) / 10 };
}

const log = createDecisionLog({ ringSize: 1000 });
const ctx = { requestId: 'ZhNHJhhLjoEEPiw=', path: '/wishlist', routeKey: 'GET /wishlist', sourceIp: '127.0.0.1' };
const results = [
  measure('record (per authorized request)', N, (i) => {
    const d: DecisionInput = {
      timeMs: i,
      requestId: ctx.requestId,
      api: 'seeds-http',
      method: 'GET',
      path: ctx.path,
      routeKey: ctx.routeKey,
      authorizerId: 'supertokens-jwt',
      authorizerKind: 'jwt',
      outcome: 'allow',
      status: null,
      error: null,
      principal: 'f6a1c7e0',
      sourceIp: ctx.sourceIp,
      latencyMs: 0,
      audit,
      context: undefined,
    };
    log.record(d);
  }),
];
const sample = log.recent(1)[0]!;
void sample;
const input: DecisionInput = { timeMs: 0, requestId: 'r', api: 'a', method: 'GET', path: '/wishlist', routeKey: 'GET /wishlist', authorizerId: 'j', authorizerKind: 'jwt', outcome: 'allow', status: null, error: null, principal: 'p', sourceIp: '127.0.0.1', latencyMs: 0, audit };
let bytes = 0;
results.push(measure('serialize (audit file / console, off the path)', 200_000, (i) => {
  bytes += JSON.stringify(toPublicDecision(i, input)).length;
}));
await log.close();
if (process.argv.includes('--json')) process.stdout.write(JSON.stringify({ results, bytesPerDecision: Math.round(bytes / 400_000) }) + '\n');
else for (const r of results) process.stdout.write(`${r.name.padEnd(50)} ${r.nsPerOp} ns\n`);
