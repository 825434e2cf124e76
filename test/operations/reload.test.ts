/**
 * Config reload without downtime, in process (`RunningGateway.reload`): under a bounded load a
 * valid config takes over for new requests, an invalid one is refused while the old one keeps
 * serving, no request fails, a request in flight across the swap finishes on the generation it
 * started on, and the replaced generation's Lambda pools and access logs close afterwards.
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { startGateway, tempDir, type TestGateway } from '../helpers/gateway.ts';
import { ECHO_HANDLER, eventually, fileLines, loadProgress, parsePrometheus, runLoad, send } from './helpers.ts';

let dir: string;
let gw: TestGateway;

/** The same API in three shapes: v1, v2 (new body, new route, new env), broken (unopenable access log). */
function config(version: '1' | '2' | 'broken') {
  return {
    admin: { port: 0 },
    apis: [
      {
        name: 'app',
        protocol: 'http',
        stage: '$default',
        accessLogSettings: { format: '$context.requestId $context.routeKey $context.status', destination: version === 'broken' ? './no/such/dir/access.log' : `./access-v${version}.log` },
        routes: {
          'GET /hot': { integration: { type: 'mock', body: `v${version}` } },
          'GET /slow': { integration: { type: 'lambda', handler: './echo.mjs', environment: { VERSION: version } } },
          ...(version === '2' ? { 'GET /new': { integration: { type: 'mock', body: 'new' } } } : {}),
        },
      },
    ],
  };
}

before(async () => {
  dir = tempDir({ 'echo.mjs': ECHO_HANDLER });
  gw = await startGateway(config('1'), { baseDir: dir });
});

after(async () => {
  await gw.close();
});

describe('reload under load', () => {
  test('valid then invalid config while requests run: none fail, v2 serves new requests, the invalid one is refused', async () => {
    assert.equal((await send('GET', `${gw.url}/new`)).status, 404);
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const load = runLoad(`${gw.url}/hot`, 6, stopped, 3000);
    // A request in flight across the swap (Lambda sleeping 300 ms on generation 1).
    const inFlight = send('GET', `${gw.url}/slow?sleep=300`);
    await loadProgress(load, 20);

    const result = await gw.reload(parseConfig(config('2')), dir);
    assert.equal(result.generation, 2);
    assert.deepEqual(result.ignored, []);
    await loadProgress(load, 20);

    await assert.rejects(gw.reload(parseConfig(config('broken')), dir), (err: unknown) => err instanceof ConfigError && /access log file/.test(err.message));
    assert.equal(gw.generation, 2);
    await loadProgress(load, 20);
    stop();
    const done = await load;

    assert.deepEqual(done.failures, []);
    assert.ok(done.ok >= 60, `only ${done.ok} requests`);
    assert.ok((done.bodies.get('v1') ?? 0) > 0 && (done.bodies.get('v2') ?? 0) > 0, JSON.stringify([...done.bodies]));

    const slow = await inFlight;
    assert.equal(slow.status, 200);
    assert.equal((JSON.parse(slow.body) as { version: string }).version, '1', 'the in-flight request finished on its own generation');
    const fresh = await send('GET', `${gw.url}/slow?sleep=1`);
    assert.equal((JSON.parse(fresh.body) as { version: string }).version, '2');
    assert.equal((await send('GET', `${gw.url}/new`)).body, 'new');
    assert.equal((await send('GET', `${gw.url}/hot`)).body, 'v2');
  });

  test('the replaced generation closed after its last request; its access log has every one of its lines', async () => {
    let metrics = parsePrometheus((await send('GET', `${gw.adminUrl}/metrics`)).body);
    await eventually(async () => {
      metrics = parsePrometheus((await send('GET', `${gw.adminUrl}/metrics`)).body);
      return metrics.sum('portcullis_config_generations_retiring') === 0;
    }, 5000, 'old generation disposed');
    assert.equal(metrics.sum('portcullis_config_reloads_total', { outcome: 'success' }), 1);
    assert.equal(metrics.sum('portcullis_config_reloads_total', { outcome: 'failure' }), 1);
    assert.equal(metrics.sum('portcullis_config_generation'), 2);
    const served = metrics.sum('portcullis_requests_total');
    await eventually(() => fileLines(join(dir, 'access-v1.log')).length + fileLines(join(dir, 'access-v2.log')).length >= served, 3000, 'all lines written');
    const v1 = fileLines(join(dir, 'access-v1.log'));
    const v2 = fileLines(join(dir, 'access-v2.log'));
    assert.equal(v1.length + v2.length, served, 'one line per request across both generations');
    assert.ok(v1.some((l) => l.endsWith('GET /slow 200')));
    assert.ok(v2.some((l) => l.endsWith('GET /new 200')));
  });

  test('listener settings cannot change on reload: reported as ignored, the rest applies', async () => {
    const next = parseConfig({ ...config('2'), server: { port: 1 }, admin: { port: 0, host: '127.0.0.2' } });
    const result = await gw.reload(next, dir);
    assert.deepEqual(result.ignored, ['server.port', 'admin']);
    assert.equal(gw.generation, 3);
  });
});
