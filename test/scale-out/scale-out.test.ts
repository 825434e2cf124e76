/**
 * Scale-out, with real processes: three `portcullis core` processes on one PostgreSQL schema behind
 * HAProxy (round-robin, health checks on `/hello`), and two `portcullis start` gateways behind
 * HAProxy (round-robin, health checks on the admin listener's `/readyz`), the gateways' JWT
 * authorizer fetching the cores' JWKS through HAProxy too. See docs/scale-out.md.
 *
 *   1. rate limit across instances: 4 wrong passwords spread over the three cores lock the account
 *      (`accountMaxFailures: 4`), for the right password too, on every core;
 *   2. theft detection across instances: a refresh token reused on core A after its child was
 *      promoted on core C (the refresh itself on core B) is TOKEN_THEFT_DETECTED;
 *   3. a bounded load (sign-ins with session creation, refreshes, protected requests) through
 *      HAProxy, during which one core and one gateway are SIGKILLed: the only failures are 5xx of
 *      requests in flight at the kill, every session refreshes after it with the last token its
 *      client got, and each has one lineage (its previous token, once superseded, is theft);
 *   4. a rolling restart: one core and one gateway get SIGTERM under load (they drain), restart on
 *      the same ports, and HAProxy takes them back; no request fails;
 *   5. throughout, the cores rotate their signing key every 10.8 s (published 3 s ahead): the
 *      gateways accept tokens of every key, and there is one key per generation.
 *
 * Needs PostgreSQL and Debian's `haproxy` (.ci/run installs it): runs for real with CI=true (fails
 * loudly if either is missing), otherwise skips with the reason. Every child process is SIGKILLed
 * in `after`, whatever happened.
 */
import { after, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg_ from 'pg';
import { dropSchema, postgresOrSkipReason, uniqueSchema } from '../supertokens/helpers.ts';

const pgClient = pg_.Client;

const BIN = new URL('../../bin/portcullis.mjs', import.meta.url).pathname;
const ISSUER = 'https://scale-out.portcullis.test';

const pg = await postgresOrSkipReason();
const haproxyMissing = spawnSync('haproxy', ['-v']).error !== undefined;
if (haproxyMissing && process.env.CI === 'true') throw new Error("haproxy is not installed (CI=true requires it: apt-get install -y haproxy, as .ci/run does)");
const skip = 'skip' in pg ? pg.skip : haproxyMissing ? 'haproxy is not installed (apt-get install -y haproxy)' : false;

const work = mkdtempSync(join(tmpdir(), 'pc-scale-out-'));
const schema = uniqueSchema();
const children = new Set<ChildProcess>();
function killAll(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
// Even if the runner kills this file, no child outlives it.
process.once('exit', killAll);
after(async () => {
  killAll();
  await Promise.all([...children].map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  if ('url' in pg) await dropSchema(pg.url, schema).catch(() => undefined);
  if (process.env.PORTCULLIS_KEEP_SCALE_OUT !== '1') rmSync(work, { recursive: true, force: true });
  else process.stdout.write(`scale-out work directory kept: ${work}\n`);
});

/** A port nothing listens on right now (bound, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

interface Proc {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
  log(): string;
}

async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 20 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Spawns a process with its output in `<work>/<name>.log`; resolves once `ready` matches that output (null: at once). */
async function startProcess(name: string, command: string, args: string[], ready: RegExp | null): Promise<Proc> {
  const logFile = join(work, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(command, args, { cwd: work, stdio: ['ignore', fd, fd], env: { ...process.env, PORTCULLIS_LOG_LEVEL: process.env.PORTCULLIS_KEEP_SCALE_OUT === '1' ? 'debug' : 'warn' } });
  closeSync(fd);
  children.add(child);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const log = () => readFileSync(logFile, 'utf8');
  const deadline = Date.now() + 30_000;
  const seen = log().length;
  while (ready !== null && !ready.test(log().slice(seen))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${log()}`);
    if (Date.now() > deadline) throw new Error(`${name} not ready within 30 s:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { name, child, exited, log };
}

async function sigkill(p: Proc): Promise<void> {
  p.child.kill('SIGKILL');
  await p.exited;
}

async function sigterm(p: Proc): Promise<void> {
  p.child.kill('SIGTERM');
  await p.exited;
  assert.equal(p.child.exitCode, 0, `${p.name} exits 0 after draining:\n${p.log()}`);
}

/** One request: its timing and outcome (`status` 0 = no HTTP answer). */
interface Outcome {
  op: string;
  startMs: number;
  endMs: number;
  status: number;
  detail: string;
}

async function call(url: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; json: any; text: string; wwwAuthenticate: string }> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'cdi-version': '5.4', ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, wwwAuthenticate: res.headers.get('www-authenticate') ?? '' };
}

test('three cores and two gateways on one PostgreSQL behind HAProxy: shared rate limit, theft detection, SIGKILL under load, rolling restart', { skip, timeout: 150_000 }, async () => {
  if (!('url' in pg)) return;
  const t0 = Date.now();
  const [corePorts, gatewayPorts, adminPorts, [haCore, haGateway, haStats]] = await Promise.all([
    Promise.all([freePort(), freePort(), freePort()]),
    Promise.all([freePort(), freePort()]),
    Promise.all([freePort(), freePort()]),
    Promise.all([freePort(), freePort(), freePort()]),
  ]);
  const coreUrls = corePorts.map((p) => `http://127.0.0.1:${p}`);
  const haCoreUrl = `http://127.0.0.1:${haCore}`;
  const haGatewayUrl = `http://127.0.0.1:${haGateway}`;

  // --- cores: one config, three processes on one schema -----------------------------------------
  writeFileSync(join(work, 'core.yaml'), JSON.stringify({
    core: {
      dataDir: join(work, 'core-data'),
      database: { kind: 'postgres', connectionString: pg.url, schema, poolMax: 5 },
      passwordHashing: { algorithm: 'argon2id', argon2MemoryKib: 1024, argon2Iterations: 1, argon2Parallelism: 1 },
      signInRateLimit: { accountMaxFailures: 4 },
      // Key rotation every 10.8 s, each key published 3 s before it signs: several rotations
      // happen during the test, coordinated by the cores through the database.
      accessTokenSigningKeyUpdateIntervalHours: 0.003,
      accessTokenSigningKeyPublishAheadSeconds: 3,
    },
  }));
  const startCore = (i: number) => startProcess(`core-${i}`, process.execPath, [BIN, 'core', '--config', join(work, 'core.yaml'), '--port', String(corePorts[i])], /portcullis core listening on/);
  // The first core creates the schema and keys; the other two start at once (a migration race too).
  const cores: Proc[] = [await startCore(0)];
  cores.push(...(await Promise.all([startCore(1), startCore(2)])));

  // --- gateways ----------------------------------------------------------------------------------
  for (const [i, port] of gatewayPorts.entries()) {
    writeFileSync(join(work, `gateway-${i}.json`), JSON.stringify({
      server: { port, shutdownTimeoutMs: 3000, workers: 1 },
      admin: { port: adminPorts[i] },
      apis: [{
        name: 'scale-out', protocol: 'http', stage: '$default',
        // Keys refreshed every 2 s (< the cores' 3 s publish-ahead), as AWS's 2 h cache is < the default 3 h.
        authorizers: { jwt: { authorizerType: 'JWT', jwtConfiguration: { issuer: ISSUER, audience: ['app'] }, jwksUri: `${haCoreUrl}/.well-known/jwks.json`, jwksCacheMaxAgeSeconds: 2 } },
        routes: { 'GET /protected': { authorizerId: 'jwt', integration: { type: 'mock', statusCode: 200, body: 'ok' } } },
      }],
    }));
  }
  const startGateway = (i: number) => startProcess(`gateway-${i}`, process.execPath, [BIN, 'start', '--config', join(work, `gateway-${i}.json`)], /portcullis admin .* on http/);

  // --- HAProxy (started before the gateways: their JWKS comes through it) ------------------------
  writeFileSync(join(work, 'haproxy.cfg'), haproxyConfig({ haCore, haGateway, haStats, corePorts, gatewayPorts, adminPorts }));
  const check = spawnSync('haproxy', ['-c', '-f', join(work, 'haproxy.cfg')], { encoding: 'utf8' });
  assert.equal(check.status, 0, `haproxy -c:\n${check.stdout}${check.stderr}`);
  // Foreground (-db); it prints nothing when all is well: ready once its stats page answers.
  await startProcess('haproxy', 'haproxy', ['-db', '-f', join(work, 'haproxy.cfg')], null);
  await waitFor(async () => (await call(`http://127.0.0.1:${haStats}/stats;csv`).catch(() => ({ status: 0 }))).status === 200, 'haproxy stats');
  const gateways: Proc[] = await Promise.all([startGateway(0), startGateway(1)]);

  /** Server states from HAProxy's CSV stats: `{ 'cores/core0': 'UP', … }`. */
  async function serverStates(): Promise<Record<string, string>> {
    const csv = (await call(`http://127.0.0.1:${haStats}/stats;csv`)).text;
    const states: Record<string, string> = {};
    for (const line of csv.split('\n').slice(1)) {
      const f = line.split(',');
      if (f[1] !== undefined && f[1] !== 'FRONTEND' && f[1] !== 'BACKEND' && f[17] !== undefined) states[`${f[0]}/${f[1]}`] = f[17];
    }
    return states;
  }
  /** HAProxy's retries and redispatches per backend (CSV columns wretr, wredis). */
  async function retries(): Promise<Record<string, { retried: number; redispatched: number }>> {
    const csv = (await call(`http://127.0.0.1:${haStats}/stats;csv`)).text;
    const out: Record<string, { retried: number; redispatched: number }> = {};
    for (const line of csv.split('\n').slice(1)) {
      const f = line.split(',');
      if (f[1] === 'BACKEND') out[f[0]!] = { retried: Number(f[15]), redispatched: Number(f[16]) };
    }
    return out;
  }
  async function waitStates(want: Record<string, string>, what: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    let states: Record<string, string> = {};
    while (Date.now() < deadline) {
      states = await serverStates();
      if (Object.entries(want).every(([k, v]) => states[k]?.startsWith(v))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`${what}: HAProxy server states ${JSON.stringify(states)}, want ${JSON.stringify(want)}`);
  }
  const allUp = { 'cores/core0': 'UP', 'cores/core1': 'UP', 'cores/core2': 'UP', 'gateways/gw0': 'UP', 'gateways/gw1': 'UP' };
  await waitStates(allUp, 'start-up');
  const startedMs = Date.now() - t0;

  const cdi = (path: string, body: unknown, base = haCoreUrl) => call(base + path, { body });
  const newSession = async (base: string, userId: string) => {
    const r = await cdi('/public/recipe/session', { userId, userDataInJWT: { iss: ISSUER, aud: 'app' }, userDataInDatabase: {}, useDynamicSigningKey: true, enableAntiCsrf: false }, base);
    assert.equal(r.json?.status, 'OK', `session create: ${r.text}`);
    return { handle: r.json.session.handle as string, refresh: r.json.refreshToken.token as string, access: r.json.accessToken.token as string };
  };
  const refresh = (token: string, base = haCoreUrl) => cdi('/public/recipe/session/refresh', { refreshToken: token, enableAntiCsrf: false }, base);

  // --- 1. the sign-in rate limit holds across instances ------------------------------------------
  assert.equal((await cdi('/public/recipe/signup', { email: 'victim@example.com', password: 'right-pw-1' })).json?.status, 'OK');
  for (let i = 0; i < 4; i++) {
    // Round-robin through HAProxy, and once on each core directly: the failures land on all three.
    const base = i < 3 ? coreUrls[i]! : haCoreUrl;
    assert.equal((await cdi('/public/recipe/signin', { email: 'victim@example.com', password: `guess-${i}` }, base)).json?.status, 'WRONG_CREDENTIALS_ERROR');
  }
  for (const base of [...coreUrls, haCoreUrl]) {
    assert.equal((await cdi('/public/recipe/signin', { email: 'victim@example.com', password: 'right-pw-1' }, base)).json?.status, 'WRONG_CREDENTIALS_ERROR', `locked on ${base}`);
  }

  // --- 2. theft detection across instances -------------------------------------------------------
  {
    const s = await newSession(coreUrls[0]!, 'theft-user');
    const r1 = await refresh(s.refresh, coreUrls[1]);
    assert.equal(r1.json?.status, 'OK');
    const r2 = await refresh(r1.json.refreshToken.token, coreUrls[2]); // promotes r1's child
    assert.equal(r2.json?.status, 'OK');
    const reuse = await refresh(s.refresh, coreUrls[0]);
    assert.equal(reuse.json?.status, 'TOKEN_THEFT_DETECTED', reuse.text);
    assert.equal(reuse.json?.session?.handle, s.handle);
    // A token minted by one core passes the gateways (JWKS from any core through HAProxy).
    const ok = await call(`${haGatewayUrl}/protected`, { headers: { authorization: `Bearer ${r2.json.accessToken.token}` } });
    assert.equal(ok.status, 200, ok.text);
  }

  // --- 3. load, and a SIGKILL of one core and one gateway -----------------------------------------
  const USERS = 12;
  for (let i = 0; i < USERS; i++) assert.equal((await cdi('/public/recipe/signup', { email: `u${i}@example.com`, password: `pw-${i}-right` })).json?.status, 'OK');
  interface Client { handle: string; refresh: string; access: string; previous: string | undefined }
  const clients: Client[] = [];
  for (let i = 0; i < 16; i++) clients.push({ ...(await newSession(haCoreUrl, `load-user-${i}`)), previous: undefined });

  const outcomes: Outcome[] = [];
  /** Signing keys (`kid`) of the access tokens the gateways accepted. */
  const kidsAccepted = new Set<string>();
  let n = 0;
  async function one(op: string, fn: () => Promise<{ ok: boolean; status: number; detail: string }>): Promise<void> {
    const startMs = Date.now();
    let result: { ok: boolean; status: number; detail: string };
    try {
      result = await fn();
    } catch (err) {
      result = { ok: false, status: 0, detail: (err as Error).message };
    }
    outcomes.push({ op, startMs, endMs: Date.now(), status: result.ok ? 200 : result.status || 0, detail: result.ok ? '' : result.detail });
  }
  const ops: (() => Promise<void>)[] = [
    // sign-in and a new session, as the SDK does
    () => one('signin', async () => {
      const i = n++ % USERS;
      const r = await cdi('/public/recipe/signin', { email: `u${i}@example.com`, password: `pw-${i}-right` });
      if (r.json?.status !== 'OK') return { ok: false, status: r.status, detail: r.text.slice(0, 200) };
      const s = await cdi('/public/recipe/session', { userId: r.json.user.id, userDataInJWT: { iss: ISSUER, aud: 'app' }, userDataInDatabase: {}, useDynamicSigningKey: true, enableAntiCsrf: false });
      return { ok: s.json?.status === 'OK', status: s.status, detail: s.text.slice(0, 200) };
    }),
    // refresh: the client keeps its last token until a refresh answers OK
    () => one('refresh', async () => {
      const c = clients[n++ % clients.length]!;
      const token = c.refresh;
      const r = await refresh(token);
      if (r.json?.status !== 'OK') return { ok: false, status: r.status, detail: r.text.slice(0, 200) };
      if (c.refresh === token) Object.assign(c, { previous: token, refresh: r.json.refreshToken.token, access: r.json.accessToken.token });
      return { ok: true, status: 200, detail: '' };
    }),
    () => one('protected', async () => {
      const c = clients[n++ % clients.length]!;
      const kid = String(JSON.parse(Buffer.from(c.access.split('.')[0]!, 'base64url').toString()).kid);
      const r = await call(`${haGatewayUrl}/protected`, { headers: { authorization: `Bearer ${c.access}` } });
      if (r.status === 200) kidsAccepted.add(kid);
      return { ok: r.status === 200, status: r.status, detail: `${kid} ${r.wwwAuthenticate} ${r.text.slice(0, 200)}` };
    }),
  ];
  /** `workers` closed-loop clients for `ms`, cycling through the ops; each refresh client is used by one request at a time. */
  async function load(ms: number, workers: number): Promise<void> {
    const until = Date.now() + ms;
    await Promise.all(Array.from({ length: workers }, async (_, w) => {
      let k = w;
      while (Date.now() < until) await ops[k++ % ops.length]!();
    }));
  }

  const loaded = load(6_000, 6);
  await new Promise((r) => setTimeout(r, 2_500));
  const killMs = Date.now();
  await Promise.all([sigkill(cores[1]!), sigkill(gateways[0]!)]);
  await loaded;
  await waitStates({ 'cores/core1': 'DOWN', 'gateways/gw0': 'DOWN' }, 'after SIGKILL');
  const retriedAtKill = await retries();

  const failures = outcomes.filter((o) => o.status !== 200);
  const total = outcomes.length;
  for (const f of failures) {
    assert.ok(f.status >= 500 && f.status <= 599, `only 5xx may fail, got ${JSON.stringify(f)}`);
    assert.ok(f.startMs <= killMs + 50 && f.endMs >= killMs, `only requests in flight at the kill may fail: ${JSON.stringify({ ...f, killMs })}`);
  }
  assert.ok(total > 100, `enough load: ${total} requests`);

  // Nothing lost, nothing forked: each client refreshes with its last token (through the survivors);
  // the token before that, superseded once the new child is promoted, is theft.
  const lineage = { ok: 0, theftDetected: 0 };
  for (const c of clients) {
    const r = await refresh(c.refresh);
    assert.equal(r.json?.status, 'OK', `session ${c.handle} lost: ${r.text}`);
    const promote = await refresh(r.json.refreshToken.token);
    assert.equal(promote.json?.status, 'OK');
    lineage.ok++;
    const stale = await refresh(c.refresh);
    assert.equal(stale.json?.status, 'TOKEN_THEFT_DETECTED', `one lineage for ${c.handle}: ${stale.text}`);
    lineage.theftDetected++;
  }

  // --- 4. rolling restart: SIGTERM (drain), restart on the same port, HAProxy takes it back -------
  // The SIGKILLed ones come back on their ports, and HAProxy takes them back.
  [cores[1], gateways[0]] = await Promise.all([startCore(1), startGateway(0)]);
  await waitStates(allUp, 'after restarting the killed instances');
  const before = outcomes.length;
  for (const c of clients) Object.assign(c, await newSession(haCoreUrl, `rolling-${c.handle.slice(0, 8)}`));
  let rollingDone = false;
  const rolling = (async () => {
    while (!rollingDone) await load(500, 4);
  })();
  // One instance at a time: drain, restart, wait until HAProxy has it UP again.
  await sigterm(cores[2]!);
  cores[2] = await startCore(2);
  await waitStates(allUp, 'core2 back');
  await sigterm(gateways[1]!);
  gateways[1] = await startGateway(1);
  await waitStates(allUp, 'gw1 back');
  // On a quick machine all of the above takes less than one rotation (10.8 s): the load goes on until the
  // gateways have accepted tokens of a second signing key (bounded; the assertion below says if not).
  const rotationDeadline = Date.now() + 25_000;
  while (kidsAccepted.size < 2 && Date.now() < rotationDeadline) await new Promise((r) => setTimeout(r, 250));
  rollingDone = true;
  await rolling;
  const rollingOutcomes = outcomes.slice(before);
  const rollingFailures = rollingOutcomes.filter((o) => o.status !== 200);
  assert.deepEqual(rollingFailures, [], 'a drained instance fails no request');
  // Key rotation reached every gateway: tokens signed by successive keys were all accepted (every
  // protected request above answered 200), and no two keys of one generation exist.
  assert.ok(kidsAccepted.size >= 2, `the gateways accepted tokens of ${kidsAccepted.size} signing key(s): ${[...kidsAccepted].join(', ')}`);
  const generations = await keyGenerations();
  assert.equal(new Set(generations).size, generations.length, `one key per generation: ${generations.join(', ')}`);

  const figures = {
    startupMs: startedMs,
    killPhase: { haproxy: retriedAtKill, requests: total, inFlightAtKill: outcomes.slice(0, total).filter((o) => o.startMs <= killMs && o.endMs >= killMs).length, failed: failures.length, failedByOp: countBy(failures.map((f) => `${f.op} ${f.status}`)), byOp: countBy(outcomes.slice(0, total).map((o) => o.op)) },
    sessionsCheckedAfterKill: lineage,
    signingKeysAccepted: kidsAccepted.size,
    keyGenerations: generations.length,
    rollingRestart: { requests: rollingOutcomes.length, failed: rollingFailures.length, haproxyTotal: await retries() },
    totalMs: Date.now() - t0,
  };
  process.stdout.write(`scale-out figures: ${JSON.stringify(figures)}\n`);
});

/** `dynamic:<seq>` of every signing key in the test's schema. */
async function keyGenerations(): Promise<string[]> {
  if (!('url' in pg)) return [];
  const client = new pgClient({ connectionString: pg.url });
  await client.connect();
  try {
    const rows = await client.query(`SELECT kind, seq FROM "${schema}".st_signing_keys WHERE kind = 'dynamic' ORDER BY seq`);
    return rows.rows.map((r: { kind: string; seq: string }) => `${r.kind}:${r.seq}`);
  } finally {
    await client.end();
  }
}

function countBy(items: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i] = (out[i] ?? 0) + 1;
  return out;
}

/** The HAProxy configuration of docs/scale-out.md, with this run's ports. */
function haproxyConfig(p: { haCore: number; haGateway: number; haStats: number; corePorts: number[]; gatewayPorts: number[]; adminPorts: number[] }): string {
  return `global
  maxconn 2000

defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 5s
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response
  default-server inter 300ms fastinter 200ms downinter 300ms fall 2 rise 2

frontend core_in
  bind 127.0.0.1:${p.haCore}
  default_backend cores

backend cores
  balance roundrobin
  option httpchk GET /hello
  http-check expect status 200
${p.corePorts.map((port, i) => `  server core${i} 127.0.0.1:${port} check`).join('\n')}

frontend gateway_in
  bind 127.0.0.1:${p.haGateway}
  default_backend gateways

backend gateways
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
${p.gatewayPorts.map((port, i) => `  server gw${i} 127.0.0.1:${port} check port ${p.adminPorts[i]}`).join('\n')}

frontend stats
  bind 127.0.0.1:${p.haStats}
  stats enable
  stats uri /stats
`;
}
