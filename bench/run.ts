/**
 * `npm run bench`: Portcullis side by side with its peers on loopback (see bench/README.md).
 *
 *   npm run bench                                   every scenario, 3 rounds, 10 s per case
 *   npm run bench -- --scenario 1 --rounds 1 --duration 5
 *   npm run bench -- --scenario 4,6 --cases b,p4    a subset of cases
 *   npm run bench -- --check-only                   correctness matrix only, no load
 *   npm run bench -- --scenario 4 --profile         also write .cpuprofile files of Portcullis
 *   npm run bench -- --scenario 4 --portcullis-root ../other-checkout --no-record   A/B another tree
 *
 * Every process it starts is stopped by PID; every load is bounded (`wrk -d`). Results go to
 * bench/results/<stamp>.json and are merged into bench/results/latest.json (the regression baseline)
 * unless --no-record.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CASES, CONFIGS, PORTS, SCENARIOS, type Config, type Env } from './cases.ts';
import { ensureKeys } from './lib/keys.ts';
import { correctness, measure } from './lib/load.ts';
import { portOpen, startProcess, stopAll, waitHttp, which } from './lib/proc.ts';
import { caseTable, evaluateTargets, ratioMatrix, regressions, summarize, targetTable, type Sample, type Summary } from './lib/report.ts';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const WORK = join(ROOT, '.bench-work');

const { values: opt } = parseArgs({
  options: {
    scenario: { type: 'string', default: '1,2,3,4,5,6,7' },
    cases: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '64' },
    'fresh-tokens': { type: 'string', default: '12000' },
    'check-only': { type: 'boolean', default: false },
    'no-record': { type: 'boolean', default: false },
    paired: { type: 'boolean', default: false },
    'no-install': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'portcullis-root': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (opt.help) {
  process.stdout.write(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]!.replace(/^\/\*\*?|^ \* ?/gm, '') + '\n');
  process.exit(0);
}

const scenarios = opt.scenario.split(',').map(Number);
const rounds = Number(opt.rounds);
const duration = Number(opt.duration);
const warmup = Number(opt.warmup);
const connections = Number(opt.connections);
const out = (s = '') => process.stdout.write(s + '\n');

function machine() {
  const v = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return r.status === 0 || r.stdout || r.stderr ? `${r.stdout}${r.stderr}`.split('\n')[0]!.trim() : null;
  };
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    haproxy: which('haproxy') ? v('haproxy', ['-v']) : null,
    nginx: which('nginx') ? v('nginx', ['-v']) : null,
    wrk: which('wrk') ? v('wrk', ['-v']) : null,
  };
}

/** npm peers go to .bench-work (never the project's package.json). */
function ensureNpmPeers(dir: string, extraArgs: string[]): boolean {
  const target = join(WORK, dir);
  mkdirSync(target, { recursive: true });
  const manifest = readFileSync(join(ROOT, 'bench/peers', dir, 'package.json'), 'utf8');
  const installed = existsSync(join(target, 'node_modules')) && existsSync(join(target, 'package.json')) && readFileSync(join(target, 'package.json'), 'utf8') === manifest;
  if (installed) return true;
  if (opt['no-install']) return false;
  writeFileSync(join(target, 'package.json'), manifest);
  out(`installing npm peers into ${target} (npm install ${extraArgs.join(' ')})`);
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...extraArgs], { cwd: target, stdio: 'inherit' });
  return r.status === 0;
}

async function main(): Promise<number> {
  mkdirSync(join(WORK, 'run'), { recursive: true });
  const m = machine();
  out(`# Portcullis benchmark — ${new Date().toISOString()}`);
  out(`machine: ${m.nproc} × ${m.cpu}, ${m.memoryGiB} GiB, Node ${m.node}; ${m.haproxy ?? 'haproxy: not installed'}; ${m.nginx ?? 'nginx: not installed'}; ${m.wrk ?? 'wrk: not installed'}`);
  out(`options: scenarios ${scenarios.join(',')}, ${rounds} round(s)${opt.paired ? ', paired with (b)' : ''}, wrk -t1 -c${connections} -d${duration}s after ${warmup} s warm-up`);

  // Which cases, and can their tools run here?
  const loadScenarios = scenarios.filter((s) => SCENARIOS[s]);
  let caseIds = [...new Set(loadScenarios.flatMap((s) => SCENARIOS[s]!.cases))];
  if (opt.cases) {
    const want = new Set(opt.cases.split(','));
    caseIds = caseIds.filter((c) => want.has(c));
  }
  const available = new Map<string, boolean>();
  const have = (need: Config['needs'][number]): boolean => {
    if (available.has(need)) return available.get(need)!;
    let ok: boolean;
    if (need === 'npm-peers') ok = ensureNpmPeers('npm', []);
    else if (need === 'sls') ok = ensureNpmPeers('sls', ['--legacy-peer-deps']);
    else ok = which(need) !== null;
    if (!ok) out(need === 'npm-peers' || need === 'sls' ? `! ${need}: npm install failed; its configurations are skipped` : `! ${need} not found: its configurations are skipped. Install: apt-get install -y wrk haproxy nginx`);
    available.set(need, ok);
    return ok;
  };
  if (caseIds.length && !have('wrk')) return 1;
  caseIds = caseIds.filter((id) => CONFIGS.find((c) => c.id === CASES.find((k) => k.id === id)!.config)!.needs.every(have));

  const samples: Sample[] = [];
  const labels = Object.fromEntries(CASES.map((c) => [c.id, c.label]));
  let upstream: ReturnType<typeof startProcess> | null = null;
  if (caseIds.length) {
    const keys = ensureKeys(WORK, Number(opt['fresh-tokens']), 2000, out);
    const profDir = join(WORK, 'profiles');
    if (opt.profile) mkdirSync(profDir, { recursive: true });
    const env: Env = { root: ROOT, work: WORK, run: join(WORK, 'run'), keys, node: process.execPath, portcullisNodeFlags: opt.profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [], portcullisRoot: resolve(opt['portcullis-root'] ?? ROOT) };
    for (const [name, port] of Object.entries(PORTS)) if (await portOpen(port)) throw new Error(`port ${port} (${name}) is already in use on 127.0.0.1; stop whatever holds it`);
    upstream = startProcess('upstream', process.execPath, [join(ROOT, 'bench/peers/upstream.mjs')], { env: { JWKS_FILE: keys.jwksFile, PORT: String(PORTS.upstream) }, log: join(env.run, 'upstream.log') });
    await waitHttp(`http://127.0.0.1:${PORTS.upstream}/`, 10_000, [upstream]);

    let seqCounter = 0;
    for (let round = 1; round <= rounds; round++) {
      const order = orderForRound(caseIds, round);
      // --paired: (b) runs again right before every other case, so each ratio to (b) compares two
      // measurements seconds apart instead of minutes (the VM's speed drifts within a round).
      for (const id of opt.paired && caseIds.includes('b') ? order.flatMap((c) => (c === 'b' ? [] : ['b', c])) : order) {
        const seq = seqCounter++;
        const def = CASES.find((c) => c.id === id)!;
        const cfg = CONFIGS.find((c) => c.id === def.config)!;
        let started;
        try {
          started = await cfg.start(env);
          await waitHttp(started.url + def.path, cfg.id.startsWith('g') ? 60_000 : 20_000, started.procs);
          const check = await correctness(started.url + def.path, def.check, keys);
          if (opt['check-only']) {
            out(`${id.padEnd(11)} ${check.ok ? 'ok  ' : 'FAIL'} ${Object.entries(check.codes).map(([k, v]) => `${k}=${v}`).join(' ')}`);
            samples.push({ round, seq, case: id, checkOk: check.ok, codes: check.codes, accepts: check.accepts, wrk: { requests: 0, duration_us: 0, rps: 0, p50_us: 0, p90_us: 0, p99_us: 0, p999_us: 0, max_us: 0, err_connect: 0, err_read: 0, err_write: 0, err_status: 0, err_timeout: 0 }, cpuUsPerReq: null, rssMb: null, authorizerCallsPerReq: null });
            continue;
          }
          const res = await measure({
            url: started.url,
            path: def.path,
            token: def.token,
            keys,
            gatewayPids: cfg.isGateway ? started.procs.map((p) => p.pid) : [],
            connections,
            warmSeconds: warmup,
            seconds: duration,
            root: ROOT,
            authorizerCalls: started.authorizerCalls,
          });
          samples.push({ round, seq, case: id, checkOk: check.ok, codes: check.codes, accepts: check.accepts, ...res });
          out(
            `r${round} ${id.padEnd(11)} ${res.wrk.rps.toFixed(0).padStart(6)} req/s  p50 ${(res.wrk.p50_us / 1000).toFixed(2)} ms  p99 ${(res.wrk.p99_us / 1000).toFixed(2)} ms  ` +
              `cpu ${res.cpuUsPerReq === null ? '–' : res.cpuUsPerReq.toFixed(0)} µs/req  rss ${res.rssMb === null ? '–' : res.rssMb.toFixed(0)} MB  ` +
              `${check.ok ? 'check ok' : `check: ${check.accepts.length ? `ACCEPTS ${check.accepts.join(',')}` : JSON.stringify(check.codes)}`}` +
              (res.wrk.err_status + res.wrk.err_timeout ? `  errors ${res.wrk.err_status + res.wrk.err_timeout}` : ''),
          );
        } catch (err) {
          out(`r${round} ${id}: ${(err as Error).message}`);
        } finally {
          for (const p of started?.procs ?? []) await p.stop();
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    await upstream.stop();
  }

  const summary = summarize(samples, labels);
  const micro: Record<string, unknown> = {};
  if (!opt['check-only']) {
    // The core helper's bench (SQLite and PostgreSQL over loopback HTTP, as the SDK calls it); it prints a table.
    if (scenarios.includes(5)) micro.core = runMicro('core', ['bench/core.bench.ts', '--seconds', String(Math.min(duration, 5))]);
    if (scenarios.includes(6)) micro.routes = runMicro('routes', ['bench/routes.bench.ts', '--json']);
    // Slow uploads: 100 concurrent 9 MiB bodies at 3 MiB/s each to a Lambda route; peak RSS and a health route's latency.
    if (scenarios.includes(7)) micro.slowUpload = runMicro('slow-upload', ['bench/slow-upload.ts', '--json', ...(opt['portcullis-root'] ? ['--portcullis-root', resolve(opt['portcullis-root'])] : [])]);
  }

  // Report
  if (!opt['check-only']) {
    for (const s of loadScenarios) {
      const ids = SCENARIOS[s]!.cases.filter((id) => summary[id]);
      if (!ids.length) continue;
      out(`\n## ${SCENARIOS[s]!.title}\n`);
      out(caseTable(ids, summary));
      const matrix = ratioMatrix(samples, ids.filter((i) => i.startsWith('p')), ids.filter((i) => !i.startsWith('p')), summary);
      if (matrix) out(`\nratios of req/s (median over rounds of same-round ratios):\n\n${matrix}`);
    }
    if (micro.core) out(`\n## Scenario 5: the core (sessions per second)\n\n${(micro.core as { table?: string }).table ?? JSON.stringify(micro.core)}`);
    if (micro.routes) out(`\n## Scenario 6: route matching\n\n${(micro.routes as { table?: string }).table ?? JSON.stringify(micro.routes)}`);
    if (micro.slowUpload) out(`\n## Scenario 7: slow uploads to a Lambda route\n\n${(micro.slowUpload as { table?: string }).table ?? JSON.stringify(micro.slowUpload)}`);
  }
  const targets = opt['check-only'] ? [] : evaluateTargets(samples, summary);
  const routeTarget = (micro.routes as { target?: { target: string; measured: string; pass: boolean } } | undefined)?.target;
  if (routeTarget) targets.push(routeTarget);
  const slowUploadTarget = (micro.slowUpload as { target?: { target: string; measured: string; pass: boolean } } | undefined)?.target;
  if (slowUploadTarget) targets.push(slowUploadTarget);
  if (targets.length) out(`\n## Targets (issue 9)\n\n${targetTable(targets)}`);

  const resultsDir = join(ROOT, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const latestFile = join(resultsDir, 'latest.json');
  const previous = existsSync(latestFile) ? (JSON.parse(readFileSync(latestFile, 'utf8')) as { summary?: Record<string, Summary>; date?: string }) : undefined;
  const drops = opt['check-only'] ? [] : regressions(summary, previous?.summary);
  if (previous && !opt['check-only']) out(`\n## Regression check against bench/results/latest.json (${previous.date ?? '?'})\n\n${drops.length ? drops.map((d) => `- **> 10 % worse**: ${d}`).join('\n') : '- no drop over 10 %'}`);

  if (!opt['check-only'] && !opt['no-record']) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const record = { date: new Date().toISOString(), machine: m, options: { scenarios, rounds, duration, warmup, connections, paired: opt.paired }, samples, summary, micro, targets };
    writeFileSync(join(WORK, `results-${stamp}.json`), JSON.stringify(record, null, 1));
    const merged = { date: record.date, machine: m, options: record.options, summary: { ...(previous?.summary ?? {}), ...summary }, micro: { ...((previous as { micro?: object })?.micro ?? {}), ...micro }, targets };
    writeFileSync(latestFile, JSON.stringify(merged, null, 1) + '\n');
    out(`\nraw samples: .bench-work/results-${stamp}.json; summary merged into bench/results/latest.json`);
  }
  const failedChecks = Object.entries(summary).filter(([id, s]) => id.startsWith('p') && !s.checkOk);
  return failedChecks.length ? 1 : 0;
}

/** Round 1 in list order, even rounds reversed, odd rounds ≥ 3 rotated by half (as the peer benchmark this suite grew from did). */
function orderForRound(ids: readonly string[], round: number): string[] {
  if (round % 2 === 0) return [...ids].reverse();
  if (round === 1) return [...ids];
  const k = ids.length >> 1;
  return [...ids.slice(k), ...ids.slice(0, k)];
}

/** In-process micro-benchmarks run in their own process, so the harness does not disturb them. */
function runMicro(name: string, args: string[]): unknown {
  const file = join(ROOT, args[0]!);
  if (!existsSync(file)) {
    out(`! scenario ${name}: ${args[0]} not found`);
    return undefined;
  }
  try {
    const text = execFileSync(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 600_000, stdio: ['ignore', 'pipe', 'inherit'] });
    const line = text.split('\n').find((l) => l.startsWith('BENCHJSON '));
    return line ? JSON.parse(line.slice('BENCHJSON '.length)) : { table: text.trim() };
  } catch (err) {
    out(`! scenario ${name} failed: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    void stopAll().then(() => process.exit(130));
  });
}
main().then(
  async (code) => {
    await stopAll();
    process.exit(code);
  },
  async (err: Error) => {
    await stopAll();
    process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
