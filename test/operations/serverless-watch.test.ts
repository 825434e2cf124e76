/**
 * `portcullis start --config serverless.yml --watch` under load, with real file edits: a change to a
 * TypeScript handler or to a module it imports is served by the next requests without a restart,
 * requests in flight finish on the old code, a serverless.yml edit reloads the routes, an invalid
 * edit is reported while the old config keeps serving, and no request fails throughout.
 * Edit-to-new-code latency is measured and printed (target < 1 s).
 */
import { after, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/gateway.ts';
import { eventually, killChildren, listeningUrl, loadProgress, runLoad, send, startCli } from './helpers.ts';

after(killChildren);

const SERVERLESS = (extra = '') => `service: watched
provider:
  name: aws
  runtime: nodejs20.x
  stage: dev
functions:
  hello:
    handler: src/hello.handler
    timeout: 29
    events:
      - httpApi: 'GET /hello'
      - http: 'GET hello'
${extra}`;

const HANDLER = (tag: string) => `import { message } from './lib/message.ts';
export async function handler(event: { queryStringParameters?: Record<string, string> }) {
  const sleep = Number(event.queryStringParameters?.sleep ?? 0);
  if (sleep) await new Promise((r) => setTimeout(r, sleep));
  return { statusCode: 200, body: \`\${message()} \${'${tag}'}\` };
}
`;
const MESSAGE = (v: string) => `export function message(): string {\n  return '${v}';\n}\n`;

/**
 * Saves a file as editors with "safe write" do (write aside, then rename over it): a save that truncates
 * in place has an instant when the file is empty, and an environment that starts then loads that
 * (docs/serverless.md says so); this test is about reloads, not about half-written files.
 */
function save(path: string, text: string): void {
  writeFileSync(`${path}.tmp-save`, text);
  renameSync(`${path}.tmp-save`, path);
}

/** Milliseconds from `edit()` to the first 200 whose body is `expected` (polling with fresh requests). */
async function editToServed(url: string, edit: () => void, expected: string): Promise<number> {
  const t0 = performance.now();
  edit();
  for (;;) {
    const r = await send('GET', url);
    if (r.status === 200 && r.body === expected) return performance.now() - t0;
    if (performance.now() - t0 > 25_000) throw new Error(`still "${r.body}" (${r.status}) 25 s after the edit`);
  }
}

test('--watch: handler and imported-module edits are served by the next requests, under load (3 request loops), with no failed request', { timeout: 150_000 }, async () => {
  const dir = tempDir({ 'serverless.yml': SERVERLESS(), 'src/hello.ts': HANDLER('h1'), 'src/lib/message.ts': MESSAGE('m1') });
  const child = startCli(['start', '--config', join(dir, 'serverless.yml'), '--port', '0', '--watch'], { env: { PORTCULLIS_LOG_LEVEL: 'warn' } });
  await child.waitFor('gateway listening on', 30_000);
  const url = listeningUrl(child);
  assert.equal((await send('GET', `${url}/hello`)).body, 'm1 h1', 'the HTTP API route at the root');
  assert.equal((await send('GET', `${url}/dev/hello`)).body, 'm1 h1', 'the REST route under /dev');

  // In flight across the edit, on an environment that loaded the old code (the one the requests above
  // warmed): it finishes on the old code. (An environment that starts after an edit loads what is on
  // disk then, whichever generation it belongs to: docs/serverless.md.)
  const inFlight = send('GET', `${url}/hello?sleep=2500`);
  await new Promise((r) => setTimeout(r, 100));
  let stopLoad!: () => void;
  const load = runLoad(`${url}/hello`, 3, new Promise<void>((r) => (stopLoad = r)), 100_000);
  try {
    await loadProgress(load, 50);
    const latencies: number[] = [];
    latencies.push(await editToServed(`${url}/hello`, () => save(join(dir, 'src/lib/message.ts'), MESSAGE('m2')), 'm2 h1'));
    const old = await inFlight;
    assert.equal(`${old.status} ${old.body}`, '200 m1 h1', 'the request in flight during the edit finished on the old code');
    latencies.push(await editToServed(`${url}/hello`, () => save(join(dir, 'src/hello.ts'), HANDLER('h2')), 'm2 h2'));
    // The load loops too get the new code before the next edit (on a loaded machine they may not send
    // a request between the probe seeing it and the next save).
    await eventually(async () => load.live.bodies.has('m2 h2'), 20_000, 'the load loops served m2 h2');
    latencies.push(await editToServed(`${url}/dev/hello`, () => save(join(dir, 'src/lib/message.ts'), MESSAGE('m3')), 'm3 h2'));
    const reloads = [...child.stdout().matchAll(/source change: [^)]*, generation \d+, (\d+) ms\)/g)].map((m) => m[1]);
    process.stdout.write(`# edit-to-new-code latency (ms): ${latencies.map((l) => l.toFixed(0)).join(', ')}; reload (trigger to swap): ${reloads.join(', ')}\n`);
    // The target is < 1 s (docs/serverless.md has the measurements); the bound here only says "served
    // by the next requests, not after a restart", on a shared 2-core machine under this test's own load.
    for (const l of latencies) assert.ok(l < 20_000, `edit-to-new-code took ${l.toFixed(0)} ms`);

    // serverless.yml: a new route is served after the edit; an invalid edit keeps the old config.
    const route = `  added:\n    handler: src/hello.handler\n    events:\n      - httpApi: 'GET /added'\n`;
    writeFileSync(join(dir, 'serverless.yml'), SERVERLESS(route));
    await eventually(async () => (await send('GET', `${url}/added`)).status === 200, 10_000, 'GET /added after the serverless.yml edit');
    writeFileSync(join(dir, 'serverless.yml'), SERVERLESS(route.replace('src/hello.handler', 'src/missing.handler')));
    await child.waitFor('config reload rejected', 10_000, 'stdout').catch(() => child.waitFor('config reload rejected', 1, 'stderr'));
    const logs = child.stdout() + child.stderr();
    assert.match(logs, /functions\.added\.handler: \\"src\/missing\.handler\\": no module src\/missing\.\{ts,js,mjs,cjs\}/);
    assert.equal((await send('GET', `${url}/added`)).status, 200, 'the old config keeps serving after an invalid edit');
  } finally {
    stopLoad();
  }
  const result = await load;
  assert.ok(result.sent > 50, `load sent ${result.sent} requests`);
  assert.deepEqual(result.failures, [], 'no request failed during the edits');
  assert.ok(result.bodies.has('m1 h1') && result.bodies.has('m2 h2'), `bodies seen: ${[...result.bodies.keys()].join(' | ')}`);
  child.kill('SIGTERM');
  assert.deepEqual(await child.exited, { code: 0, signal: null });
});
