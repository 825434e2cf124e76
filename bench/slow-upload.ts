/**
 * Slow uploads: many concurrent large request bodies, each sent slowly, to a Lambda route of a real
 * `portcullis start` gateway (one process), while a health route (mock integration) is probed. On
 * loopback only, bounded in time (every upload and probe gives up after --timeout seconds).
 *
 *   node --import tsx bench/slow-upload.ts [--uploads 100] [--mb 9] [--rate 3] [--chunked]
 *        [--max-buffered BYTES] [--portcullis-root DIR] [--out result.json] [--json]
 *   npm run bench -- --scenario 7                 the same, as the suite's scenario 7 (defaults above)
 *
 * Each upload is `--mb` MiB written in 64 KiB chunks at `--rate` MiB/s, with a Content-Length (or
 * chunked with `--chunked`). Measured: the gateway's peak RSS (VmHWM, and the highest VmRSS sampled
 * every 100 ms), the health route's latency (a GET every 100 ms, one at a time, from a separate
 * process), and the uploads'
 * statuses (0: the connection was reset before the answer could be read). `--portcullis-root` runs another checkout's `bin/portcullis.mjs` (before/after runs);
 * `--max-buffered` sets `server.maxBufferedBodyBytes` (left out otherwise, so older checkouts accept
 * the config). Results: docs/BENCHMARKS.md › Slow uploads.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    uploads: { type: 'string', default: '100' },
    mb: { type: 'string', default: '9' },
    rate: { type: 'string', default: '3' },
    chunked: { type: 'boolean', default: false },
    'max-buffered': { type: 'string' },
    'portcullis-root': { type: 'string' },
    timeout: { type: 'string', default: '45' },
    out: { type: 'string' },
    /** For bench/run.ts (scenario 7): one `BENCHJSON {table, result, target}` line. */
    json: { type: 'boolean', default: false },
  },
});
const uploads = Number(args.uploads);
const bodyBytes = Math.round(Number(args.mb) * 1024 * 1024);
const bytesPerSecond = Number(args.rate) * 1024 * 1024;
const timeoutMs = Number(args.timeout) * 1000;
const root = resolve(args['portcullis-root'] ?? new URL('..', import.meta.url).pathname);
const CHUNK = 64 * 1024;

const work = mkdtempSync(join(tmpdir(), 'portcullis-slow-upload-'));
writeFileSync(join(work, 'count.mjs'), `export const handler = async (event) => ({ statusCode: 200, body: String(event.body ? event.body.length : 0) });`);
writeFileSync(join(work, 'gateway.json'), JSON.stringify({
  server: { port: 0, workers: 1, shutdownTimeoutMs: 2000, requestTimeoutMs: timeoutMs + 15_000, ...(args['max-buffered'] ? { maxBufferedBodyBytes: Number(args['max-buffered']) } : {}) },
  apis: [{
    name: 'slow-upload', protocol: 'http', stage: '$default',
    routes: {
      'POST /upload': { integration: { type: 'lambda', handler: './count.mjs' } },
      'GET /health': { integration: { type: 'mock', statusCode: 200, body: 'ok' } },
    },
  }],
}));

const child = spawn(process.execPath, [join(root, 'bin/portcullis.mjs'), 'start', '--config', join(work, 'gateway.json')], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PORTCULLIS_LOG_LEVEL: 'error' } });
let stderr = '';
child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-10_000)));

function stop(): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
process.once('SIGINT', () => (stop(), process.exit(130)));

function memoryMb(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

/** One slow upload; resolves with the status (0: the connection failed, -1: no answer in time). */
function upload(url: string): Promise<number> {
  return new Promise((resolveStatus) => {
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (!args.chunked) headers['content-length'] = String(bodyBytes);
    const req = httpRequest(`${url}/upload`, { method: 'POST', headers, agent });
    const chunk = Buffer.alloc(CHUNK, 0x61);
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const done = (status: number) => {
      clearTimeout(timer);
      clearTimeout(deadline);
      resolveStatus(status);
    };
    const deadline = setTimeout(() => (req.destroy(), done(-1)), timeoutMs);
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      // An early answer (413, 503): stop sending, as a client reading the answer would.
      clearTimeout(timer);
      res.resume();
      res.on('end', () => {
        done(res.statusCode ?? 0);
        req.destroy();
      });
    });
    req.on('error', () => {
      if (!answered) done(0);
    });
    const started = Date.now();
    const pump = () => {
      if (req.destroyed || answered) return;
      const n = Math.min(CHUNK, bodyBytes - sent);
      sent += n;
      if (sent >= bodyBytes) return void req.end(n === CHUNK ? chunk : chunk.subarray(0, n));
      req.write(n === CHUNK ? chunk : chunk.subarray(0, n));
      // Paced against the start, so a slow tick does not lower the rate.
      timer = setTimeout(pump, Math.max(0, started + (sent / bytesPerSecond) * 1000 - Date.now()));
    };
    pump();
  });
}

/**
 * The health prober runs in its own process: the uploaders keep this one's event loop busy, and
 * their delays must not count as the gateway's. It probes until its stdin ends, then prints the
 * latencies (ms; failures as null).
 */
const PROBER = `import { request } from 'node:http';
const url = process.argv[2];
const latencies = [];
let running = true;
process.stdin.resume();
process.stdin.on('end', () => (running = false));
const probe = () => new Promise((resolve) => {
  const started = process.hrtime.bigint();
  const req = request(url, { agent: false }, (res) => {
    res.resume();
    res.on('end', () => resolve(res.statusCode === 200 ? Number(process.hrtime.bigint() - started) / 1e6 : null));
  });
  req.setTimeout(${timeoutMs}, () => req.destroy());
  req.on('error', () => resolve(null));
  req.end();
});
while (running) {
  latencies.push(await probe());
  await new Promise((r) => setTimeout(r, 100));
}
process.stdout.write(JSON.stringify(latencies));
`;
writeFileSync(join(work, 'prober.mjs'), PROBER);

function startProber(url: string): { stop(): Promise<Array<number | null>> } {
  const prober = spawn(process.execPath, [join(work, 'prober.mjs'), `${url}/health`], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  prober.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => prober.once('exit', () => r()));
  return {
    async stop() {
      prober.stdin!.end();
      await exited;
      return JSON.parse(out) as Array<number | null>;
    },
  };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};

async function main(): Promise<void> {
  const url = await new Promise<string>((resolveUrl, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) resolveUrl(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the gateway exited (${code}) before listening: ${stderr}`)));
  });
  const pid = child.pid!;
  await startProber(url).stop(); // one probe: warms the route and the mock
  const baseline = memoryMb(pid);
  let peakRss = baseline.rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, memoryMb(pid).rss)), 100);

  const started = Date.now();
  const results = Promise.all(Array.from({ length: uploads }, () => upload(url)));
  const prober = startProber(url);
  const statuses = await results;
  const elapsedMs = Date.now() - started;
  const probes = await prober.stop();
  const latencies = probes.filter((ms): ms is number => ms !== null);
  const failedProbes = probes.length - latencies.length;
  clearInterval(sampler);
  const end = memoryMb(pid);
  const counts: Record<string, number> = {};
  for (const s of statuses) counts[String(s)] = (counts[String(s)] ?? 0) + 1;
  const result = {
    date: new Date().toISOString(),
    root,
    uploads,
    bodyMiB: bodyBytes / 1024 / 1024,
    rateMiBps: bytesPerSecond / 1024 / 1024,
    chunked: args.chunked,
    maxBufferedBodyBytes: args['max-buffered'] ? Number(args['max-buffered']) : 'default',
    elapsedMs,
    statuses: counts,
    rssMb: { baseline: Math.round(baseline.rss), peakSampled: Math.round(peakRss), peakHwm: Math.round(end.hwm), end: Math.round(end.rss) },
    healthMs: { probes: latencies.length, failed: failedProbes, p50: Math.round(quantile(latencies, 0.5)), p99: Math.round(quantile(latencies, 0.99)), max: Math.round(Math.max(...latencies)) },
  };
  const peak = Math.max(result.rssMb.peakHwm, result.rssMb.peakSampled);
  const target = {
    target: 'slow uploads: gateway peak RSS < 800 MB and health route max < 2000 ms',
    measured: `${peak} MB, ${result.healthMs.max} ms`,
    pass: peak < 800 && result.healthMs.max < 2000 && result.healthMs.failed === 0,
  };
  const table = [
    '| uploads | body | rate | statuses | peak RSS (MB) | health p50 / p99 / max (ms) | elapsed (ms) |',
    '|---|---|---|---|---|---|---|',
    `| ${uploads} | ${result.bodyMiB} MiB${args.chunked ? ' chunked' : ''} | ${result.rateMiBps} MiB/s | ${Object.entries(counts).map(([s, n]) => `${n}× ${s}`).join(', ')} | ${peak} (from ${result.rssMb.baseline}) | ${result.healthMs.p50} / ${result.healthMs.p99} / ${result.healthMs.max} | ${elapsedMs} |`,
  ].join('\n');
  if (args.json) process.stdout.write(`BENCHJSON ${JSON.stringify({ table, result, target })}\n`);
  else process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  if (args.out) writeFileSync(args.out, JSON.stringify(result, null, 2) + '\n');
}

main().then(
  () => stop(),
  (err) => {
    process.stderr.write(`slow-upload failed: ${(err as Error).stack ?? String(err)}\n`);
    stop();
    process.exitCode = 1;
  },
);
