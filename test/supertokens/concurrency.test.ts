// Concurrent refreshes and verifies of one session (Lambda fan-out), on SQLite and on PostgreSQL
// with two core instances sharing one database; plus a PostgreSQL outage during requests.
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { startCore, type RunningCore } from '../../src/supertokens/index.ts';
import { cdiClient, decodeJwtPart, dropSchema, postgresOrSkipReason, startTestCore, uniqueSchema, type TestCore } from './helpers.ts';

type Cdi = ReturnType<typeof cdiClient>;

const createBody = { userId: 'racer', userDataInJWT: {}, userDataInDatabase: {}, useDynamicSigningKey: true, enableAntiCsrf: false };
const refresh = (cdi: Cdi, refreshToken: string) =>
  cdi.post('/recipe/session/refresh', { refreshToken, enableAntiCsrf: false, useDynamicSigningKey: true });

/** The scenarios, against one or two instances (requests alternate between them). */
function raceScenarios(name: string, setup: () => Promise<{ clients: Cdi[]; dispose(): Promise<void> } | string>): void {
  describe(`parallel refreshes of one session (${name})`, () => {
    let clients: Cdi[] = [];
    let dispose: (() => Promise<void>) | undefined;
    let skip: string | undefined;
    before(async () => {
      const s = await setup();
      if (typeof s === 'string') skip = s;
      else ({ clients, dispose } = s);
    });
    after(async () => dispose?.());
    const pick = (i: number) => clients[i % clients.length]!;
    function test(title: string, fn: () => Promise<void>) {
      it(title, async (t) => {
        if (skip !== undefined) return void t.skip(skip);
        await fn();
      });
    }

    test('N refreshes with the committed parent all succeed and write nothing', async () => {
      const created = await pick(0).post('/public/recipe/session', createBody);
      const rt0 = created.json.refreshToken.token;
      const results = await Promise.all(Array.from({ length: 16 }, (_, i) => refresh(pick(i), rt0)));
      assert.ok(results.every((r) => r.json.status === 'OK'));
      assert.equal(new Set(results.map((r) => r.json.refreshToken.token)).size, 16, 'distinct children');
      assert.equal((await refresh(pick(0), rt0)).json.status, 'OK', 'the parent is still current');
    });

    test('siblings racing to promote: exactly one lineage wins, the other is theft, no fork', async () => {
      for (let round = 0; round < 5; round++) {
        const created = await pick(0).post('/public/recipe/session', createBody);
        const rt0 = created.json.refreshToken.token;
        const [a, b] = await Promise.all([refresh(pick(0), rt0), refresh(pick(1), rt0)]);
        const siblings = [a!.json.refreshToken.token as string, b!.json.refreshToken.token as string];
        const attempts = Array.from({ length: 12 }, (_, i) => ({ sibling: i % 2, i }));
        const results = await Promise.all(attempts.map(({ sibling, i }) => refresh(pick(i), siblings[sibling]!)));
        const winners = new Set(attempts.filter((_, i) => results[i]!.json.status === 'OK').map((x) => x.sibling));
        assert.equal(winners.size, 1, `round ${round}: exactly one sibling's lineage succeeds`);
        const winner = [...winners][0]!;
        attempts.forEach((x, i) => {
          const status = results[i]!.json.status;
          assert.equal(status, x.sibling === winner ? 'OK' : 'TOKEN_THEFT_DETECTED', `round ${round}, attempt ${i}`);
        });
        // The session continues on the winner's lineage, and theft detection still works.
        const grandchild = results.find((r) => r.json.status === 'OK')!.json.refreshToken.token;
        assert.equal((await refresh(pick(round), grandchild)).json.status, 'OK');
        assert.equal((await refresh(pick(round + 1), rt0)).json.status, 'TOKEN_THEFT_DETECTED');
        assert.equal((await refresh(pick(round), siblings[1 - winner]!)).json.status, 'TOKEN_THEFT_DETECTED');
      }
    });

    test('verifies of the child and refreshes with it, interleaved, all succeed on one lineage', async () => {
      const created = await pick(0).post('/public/recipe/session', createBody);
      const child = await refresh(pick(0), created.json.refreshToken.token);
      const at1 = child.json.accessToken.token;
      const rt1 = child.json.refreshToken.token;
      const ops = Array.from({ length: 16 }, (_, i) =>
        i % 2 === 0
          ? pick(i).post('/recipe/session/verify', { accessToken: at1, doAntiCsrfCheck: false, enableAntiCsrf: false, checkDatabase: false })
          : refresh(pick(i), rt1),
      );
      const results = await Promise.all(ops);
      assert.ok(results.every((r) => r.json.status === 'OK'), JSON.stringify(results.map((r) => r.json.status)));
      for (const r of results.filter((_, i) => i % 2 === 0)) {
        assert.equal(decodeJwtPart(r.json.accessToken.token, 1).parentRefreshTokenHash1, null);
      }
      assert.equal((await refresh(pick(0), created.json.refreshToken.token)).json.status, 'TOKEN_THEFT_DETECTED');
    });
  });
}

raceScenarios('sqlite', async () => {
  const t = await startTestCore('sqlite');
  return { clients: [cdiClient(t.core.url)], dispose: () => t.dispose() };
});

raceScenarios('postgres, two instances on one database', async () => {
  const state = await postgresOrSkipReason();
  if ('skip' in state) return state.skip;
  const first = await startTestCore('postgres', {}, state.url);
  const second = await startCore({ ...first.options, port: 0 });
  // Both instances must serve identical keys: tokens from one verify on the other.
  const created = await cdiClient(first.core.url).post('/public/recipe/session', createBody);
  const verified = await cdiClient(second.url).post('/recipe/session/verify', {
    accessToken: created.json.accessToken.token,
    doAntiCsrfCheck: false,
    enableAntiCsrf: false,
    checkDatabase: true,
  });
  assert.equal(verified.json.status, 'OK', 'an instance verifies tokens signed by another');
  return {
    clients: [cdiClient(first.core.url), cdiClient(second.url)],
    dispose: async () => {
      await second.close();
      await first.dispose();
    },
  };
});

/** A TCP proxy we can cut, to make PostgreSQL "unreachable" under a running core. */
function startProxy(targetPort: number): Promise<{ port: number; cut(): Promise<void>; server: Server }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as { port: number }).port,
        server,
        cut: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sockets) s.destroy();
          }),
      });
    });
  });
}

describe('PostgreSQL outages', () => {
  let skip: string | undefined;
  let pgUrl = '';
  before(async () => {
    const state = await postgresOrSkipReason();
    if ('skip' in state) skip = state.skip;
    else pgUrl = state.url;
  });

  it('unreachable at start: startCore rejects with a clear error', async (t) => {
    if (skip) return void t.skip(skip);
    await assert.rejects(
      startCore({ port: 0, log: () => undefined, database: { kind: 'postgres', connectionString: 'postgres://postgres@127.0.0.1:1/test', connectTimeoutMs: 500 } }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ERR_CORE_STORE_UNAVAILABLE');
        assert.match(err.message, /^database unreachable: postgres: /);
        return true;
      },
    );
  });

  it('unreachable during requests: HTTP 500 "Internal Error" quickly, never a hang', async (t) => {
    if (skip) return void t.skip(skip);
    const url = new URL(pgUrl);
    const proxy = await startProxy(Number(url.port || 5432));
    url.host = `127.0.0.1:${proxy.port}`;
    const schema = uniqueSchema();
    const lines: string[] = [];
    let core: RunningCore | undefined;
    try {
      core = await startCore({
        port: 0,
        log: (l) => lines.push(l),
        database: { kind: 'postgres', connectionString: url.toString(), schema, connectTimeoutMs: 1000, queryTimeoutMs: 2000 },
      });
      const cdi = cdiClient(core.url);
      const created = await cdi.post('/public/recipe/session', createBody);
      assert.equal(created.json.status, 'OK');
      await proxy.cut();
      const started = Date.now();
      const during = await refresh(cdi, created.json.refreshToken.token);
      assert.equal(during.status, 500);
      assert.equal(during.text, 'Internal Error');
      assert.ok(Date.now() - started < 5000, 'answered within the configured time limits');
      assert.ok(lines.some((l) => l.includes('ERR_CORE_STORE_UNAVAILABLE')));
      assert.ok(lines.every((l) => !l.includes(created.json.refreshToken.token)), 'tokens never reach the log');
      // Local checks that need no database keep working (JWKS is served from memory).
      assert.equal((await cdiClient(core.url, {}).get('/.well-known/jwks.json')).status, 200);
    } finally {
      await core?.close(1000);
      await dropSchema(pgUrl, schema);
    }
  });
});
