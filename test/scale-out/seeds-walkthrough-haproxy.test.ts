/**
 * The README walkthrough (examples/seeds/WALKTHROUGH.md) through HAProxy in front of two seed demos
 * on one PostgreSQL schema: two gateway processes, each with its in-process core, round-robin, so
 * consecutive steps of one user land on different gateways and cores (sign-up on one, the e-mail
 * verification token created on one and consumed on the other, cookies minted by one accepted by
 * the other). Every command's output must match the walkthrough, as on one demo, except for the case
 * of header names (HAProxy lower-cases them; HTTP header names are case-insensitive). The demos share
 * one log file, which the walkthrough greps for the e-mail link. Needs PostgreSQL and Debian's
 * `haproxy`: runs with CI=true (fails if either is missing), otherwise skips with the reason.
 */
import { after, before, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropSchema, postgresOrSkipReason, uniqueSchema } from '../supertokens/helpers.ts';
import { freeDemoPort, startDemo, type Demo } from '../e2e/helpers.ts';
import { runWalkthrough } from '../e2e/walkthrough-suite.ts';

const pg = await postgresOrSkipReason();
const haproxyMissing = spawnSync('haproxy', ['-v']).error !== undefined;
if (haproxyMissing && process.env.CI === 'true') throw new Error('haproxy is not installed (CI=true requires it: apt-get install -y haproxy, as .ci/run does)');
const skip = 'skip' in pg ? pg.skip : haproxyMissing ? 'haproxy is not installed (apt-get install -y haproxy)' : false;

const schema = uniqueSchema();
const workDir = mkdtempSync(join(tmpdir(), 'pc-seeds-ha-'));
const demos: Demo[] = [];
let haproxy: ChildProcess | undefined;
let publicPort = 0;
let statsPort = 0;
process.once('exit', () => haproxy?.kill('SIGKILL'));

before(async () => {
  if (skip || !('url' in pg)) return;
  publicPort = await freeDemoPort(); // HAProxy on publicPort; publicPort + 1 (the website's in the text) is free too
  statsPort = publicPort + 2;
  const env = { PORTCULLIS_DATABASE_URL: pg.url, PORTCULLIS_DATABASE_SCHEMA: schema, SEEDS_PUBLIC_PORT: String(publicPort) };
  // One after the other: the first creates the schema; each start waits for its own "ready" line.
  for (let i = 0; i < 2; i++) demos.push(await startDemo({ ...env, PORTCULLIS_DATA_DIR: join(workDir, `data-${i}`) }, { workDir }));
  const config = `global
  maxconn 500
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch 1
frontend seeds
  bind 127.0.0.1:${publicPort}
  default_backend demos
backend demos
  balance roundrobin
  # No keep-alive reuse across client requests: each request is balanced on its own.
  http-reuse never
  option http-server-close
${demos.map((d, i) => `  server demo${i} 127.0.0.1:${d.port} check inter 500ms`).join('\n')}
frontend stats
  bind 127.0.0.1:${statsPort}
  stats enable
  stats uri /stats
`;
  writeFileSync(join(workDir, 'haproxy.cfg'), config);
  haproxy = spawn('haproxy', ['-db', '-f', join(workDir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${statsPort}/stats;csv`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error('haproxy did not answer within 10 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  // Each gateway's JWT authorizer finds its issuer (the auth Lambda) at the public address, i.e.
  // through HAProxy, which started after the demos: wait until both have fetched the signing keys
  // (a bogus token is then refused for itself, not for missing keys), as a load balancer's
  // readiness check would.
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const probe = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'readiness-probe' })}.${b64({ iss: `http://localhost:${publicPort}/dev/auth`, sub: 'probe', exp: 4_000_000_000 })}.AAAA`;
  for (const d of demos) {
    const until = Date.now() + 30_000;
    for (;;) {
      const res = await fetch(`http://127.0.0.1:${d.port}/dev/wishlist`, { headers: { authorization: `Bearer ${probe}` } });
      await res.arrayBuffer();
      if (!/signing keys/.test(res.headers.get('www-authenticate') ?? '')) break;
      if (Date.now() > until) throw new Error(`demo on ${d.port}: no signing keys within 30 s: ${res.headers.get('www-authenticate')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
});

after(async () => {
  haproxy?.kill('SIGKILL');
  for (const d of demos) assert.equal(await d.stop(), 0);
  if ('url' in pg) await dropSchema(pg.url, schema).catch(() => undefined);
  rmSync(workDir, { recursive: true, force: true });
});

test('README walkthrough through HAProxy, two demos on one PostgreSQL: every command and its output', { skip, timeout: 120_000 }, async (t) => {
  assert.equal(demos.length, 2);
  const first = demos[0]!;
  // The walkthrough talks to HAProxy's port, and greps the log both demos write.
  const viaHaproxy: Demo = { ...first, port: publicPort, apiDomain: `http://localhost:${publicPort}`, websiteDomain: `http://localhost:${publicPort + 1}` };
  // HAProxy sends header names in lower case (HTTP/1 through its HTX layer): compared without case.
  await runWalkthrough(t, viaHaproxy, { headerNamesCaseInsensitive: true });
  // Both demos served the walkthrough's requests (HAProxy's per-server session totals, CSV column 8).
  const csv = await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`)).text();
  const served = csv.split('\n').filter((l) => l.startsWith('demos,demo')).map((l) => Number(l.split(',')[7]));
  assert.equal(served.length, 2);
  for (const n of served) assert.ok(n >= 3, `each demo served part of the walkthrough: ${served.join(', ')}`);
});
