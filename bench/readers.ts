/**
 * `node --import tsx bench/readers.ts`: how long a 50-function SAM template takes to be read and
 * started, and what a request to an imported Lambda route costs against the same route written as a
 * portcullis.yaml (docs/BENCHMARKS.md, "Templates").
 *
 *   --functions N   functions (and HttpApi routes) in the generated template. Default is 50.
 *   --rounds N      start-ups measured (each a fresh process). Default is 5.
 *   --requests N    sequential requests per config for the request cost. Default is 2000.
 *
 * Start-up: `portcullis start --config template.yaml --port 0` as a child process (the compiled dist/
 * when present, as an installed package runs), from spawn to the "gateway listening" line, then to
 * the first 200 from a Lambda route (its worker's cold start included). Every process it starts is
 * stopped by PID; the generated files live in a temp directory removed at the end.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { readDefinition } from '../src/io/config-file.ts';
import { renderConverted } from '../src/cli/convert.ts';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const { values: opt } = parseArgs({ options: { functions: { type: 'string', default: '50' }, rounds: { type: 'string', default: '5' }, requests: { type: 'string', default: '2000' } } });
const N = Number(opt.functions);
const ROUNDS = Number(opt.rounds);
const REQUESTS = Number(opt.requests);

function template(n: number): string {
  const lines = ['AWSTemplateFormatVersion: "2010-09-09"', 'Transform: AWS::Serverless-2016-10-31', 'Globals:', '  Function:', '    Runtime: nodejs20.x', '    CodeUri: src/', '    Timeout: 10', 'Resources:'];
  lines.push('  Api:', '    Type: AWS::Serverless::HttpApi', '    Properties:', '      StageName: dev', '      Auth:', '        Authorizers:', '          Jwt:', '            JwtConfiguration:', '              issuer: https://issuer.example', '              audience: [bench]');
  for (let i = 0; i < n; i++) {
    lines.push(`  Fn${i}:`, '    Type: AWS::Serverless::Function', '    Properties:', `      Handler: fn${i}.handler`, '      Environment:', '        Variables:', `          INDEX: "${i}"`, '          TABLE: !Sub "${AWS::StackName}-table"', '      Events:', '        Get:', '          Type: HttpApi', '          Properties:', '            ApiId: !Ref Api', `            Path: /fn${i}/{id}`, '            Method: get');
    if (i % 2 === 1) lines.push('            Auth:', '              Authorizer: Jwt');
  }
  return lines.join('\n') + '\n';
}

function startProcess(config: string): Promise<{ listeningMs: number; firstOkMs: number; stop: () => Promise<void> }> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [join(ROOT, 'bin/portcullis.mjs'), 'start', '--config', config, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no "gateway listening" within 30 s:\n${out}`));
    }, 30_000);
    const stop = () => new Promise<void>((r) => {
      if (child.exitCode !== null) return r();
      child.once('exit', () => r());
      child.kill('SIGTERM');
    });
    child.stderr.on('data', (d) => (out += d));
    child.stdout.on('data', async (d) => {
      out += d;
      const m = /gateway listening on (http:\/\/[^\s]+)/.exec(out);
      if (!m || (child as unknown as { seen?: boolean }).seen) return;
      (child as unknown as { seen?: boolean }).seen = true;
      const listeningMs = performance.now() - t0;
      const res = await fetch(`${m[1]}/dev/fn0/1`);
      await res.arrayBuffer();
      const firstOkMs = performance.now() - t0;
      clearTimeout(timer);
      if (res.status !== 200) reject(new Error(`first request: ${res.status}`));
      else resolvePromise({ listeningMs, firstOkMs, stop });
      (child as unknown as { url?: string }).url = m[1];
      urls.set(stop, m[1]!);
    });
  });
}
const urls = new Map<() => Promise<void>, string>();

async function requestCost(config: string): Promise<{ meanUs: number; p50Us: number; p99Us: number }> {
  const { stop } = await startProcess(config);
  const url = urls.get(stop)!;
  try {
    for (let i = 0; i < 200; i++) await (await fetch(`${url}/dev/fn0/${i}`)).arrayBuffer();
    const times: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t = performance.now();
      const res = await fetch(`${url}/dev/fn${i % 2 === 0 ? i % N : 0}/${i}`);
      await res.arrayBuffer();
      times.push((performance.now() - t) * 1000);
    }
    times.sort((a, b) => a - b);
    return { meanUs: times.reduce((a, b) => a + b, 0) / times.length, p50Us: times[Math.floor(times.length / 2)]!, p99Us: times[Math.floor(times.length * 0.99)]! };
  } finally {
    await stop();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-readers-'));
try {
  mkdirSync(join(dir, 'src'));
  for (let i = 0; i < N; i++) writeFileSync(join(dir, 'src', `fn${i}.mjs`), `export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ fn: ${i}, id: event.pathParameters.id }) });\n`);
  const file = join(dir, 'template.yaml');
  writeFileSync(file, template(N));
  const text = readFileSync(file, 'utf8');
  const convertMs: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const read = readDefinition(text, dir, {});
    if (!read || read.result.errors.length) throw new Error('the generated template does not convert');
    convertMs.push(performance.now() - t);
    if (i === 0) writeFileSync(join(dir, 'portcullis.yaml'), renderConverted(read.result, 'template.yaml', read.format));
  }
  convertMs.sort((a, b) => a - b);
  const starts: Array<{ listeningMs: number; firstOkMs: number }> = [];
  const yamlStarts: Array<{ listeningMs: number; firstOkMs: number }> = [];
  for (let r = 0; r < ROUNDS; r++) {
    const s = await startProcess(file);
    await s.stop();
    starts.push(s);
    const y = await startProcess(join(dir, 'portcullis.yaml'));
    await y.stop();
    yamlStarts.push(y);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const fromTemplate = await requestCost(file);
  const fromYaml = await requestCost(join(dir, 'portcullis.yaml'));
  const result = {
    functions: N,
    convertMsMedian: Number(convertMs[10]!.toFixed(2)),
    template: { listeningMsMedian: Math.round(med(starts.map((s) => s.listeningMs))), firstOkMsMedian: Math.round(med(starts.map((s) => s.firstOkMs))), runs: starts.map((s) => Math.round(s.firstOkMs)) },
    portcullisYaml: { listeningMsMedian: Math.round(med(yamlStarts.map((s) => s.listeningMs))), firstOkMsMedian: Math.round(med(yamlStarts.map((s) => s.firstOkMs))) },
    requestTemplate: fromTemplate,
    requestPortcullisYaml: fromYaml,
  };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
