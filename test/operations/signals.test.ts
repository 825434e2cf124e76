/**
 * The real CLI as a child process (`bin/portcullis.mjs start`): SIGUSR2 reopens access-log files
 * after rotation, SIGTERM drains in-flight requests and loses no access-log line (stdout and
 * file), SIGHUP and `--watch` reload the config under load (valid: applied; invalid: errors
 * logged as one JSON line at level error, old config keeps serving).
 */
import { after, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/gateway.ts';
import { ECHO_HANDLER, killChildren, adminUrlOf, eventually, fileLines, listeningUrl, loadProgress, parsePrometheus, runLoad, send, startCli, type Child } from './helpers.ts';

function writeConfig(dir: string, body: string, extra: Record<string, unknown> = {}, destination = './access.log'): string {
  const file = join(dir, 'portcullis.json');
  writeFileSync(
    file,
    JSON.stringify({
      server: { port: 0, shutdownTimeoutMs: 10_000 },
      admin: { port: 0 },
      apis: [
        {
          name: 'app',
          protocol: 'http',
          stage: '$default',
          accessLogSettings: { format: '$context.requestId $context.routeKey $context.status', destination },
          routes: {
            'GET /hot': { integration: { type: 'mock', body } },
            'GET /slow': { integration: { type: 'lambda', handler: './echo.mjs' } },
          },
        },
      ],
      ...extra,
    }),
  );
  return file;
}

after(killChildren);

async function start(dir: string, args: string[] = []): Promise<Child> {
  const child = startCli(['start', '--config', join(dir, 'portcullis.json'), ...args], { cwd: dir });
  await child.waitFor('admin (/metrics');
  return child;
}

async function stop(child: Child): Promise<{ code: number | null }> {
  child.kill('SIGTERM');
  return child.exited;
}

describe('SIGUSR2: access-log rotation', () => {
  test('after a rename and SIGUSR2 new lines go to a new file; the rotated file keeps the old ones', async () => {
    const dir = tempDir({ 'echo.mjs': ECHO_HANDLER });
    writeConfig(dir, 'v1');
    const child = await start(dir);
    try {
      const url = listeningUrl(child);
      for (let i = 0; i < 5; i++) assert.equal((await send('GET', `${url}/hot`)).status, 200);
      await eventually(() => fileLines(join(dir, 'access.log')).length === 5, 5000, '5 lines');
      renameSync(join(dir, 'access.log'), join(dir, 'access.log.1'));
      child.kill('SIGUSR2');
      // Until the signal is handled lines still go to the renamed file; then to a new access.log.
      let sent = 5;
      await eventually(async () => {
        await send('GET', `${url}/hot`);
        sent++;
        return fileLines(join(dir, 'access.log')).length > 0;
      }, 5000, 'a new access.log');
      for (let i = 0; i < 3; i++, sent++) await send('GET', `${url}/hot`);
      const total = () => fileLines(join(dir, 'access.log')).length + fileLines(join(dir, 'access.log.1')).length;
      await eventually(() => total() === sent, 5000, 'every line in one of the two files');
      assert.ok(fileLines(join(dir, 'access.log.1')).length >= 5);
      assert.ok(fileLines(join(dir, 'access.log')).length >= 4);
    } finally {
      assert.equal((await stop(child)).code, 0, child.stderr());
    }
  });
});

describe('SIGTERM: graceful shutdown', () => {
  test('in-flight requests finish and every answered request has its access-log line (stdout and file)', async () => {
    const dir = tempDir({ 'echo.mjs': ECHO_HANDLER });
    const file = writeConfig(dir, 'v1', {}, 'stdout');
    // A second API logging to a file, same traffic pattern.
    const cfg = JSON.parse((await import('node:fs')).readFileSync(file, 'utf8')) as { apis: Array<Record<string, unknown>> };
    cfg.apis.push({ ...cfg.apis[0]!, name: 'filed', stage: 'filed', accessLogSettings: { format: '$context.requestId $context.routeKey $context.status', destination: './filed.log' } });
    writeFileSync(file, JSON.stringify(cfg));
    const child = await start(dir);
    const url = listeningUrl(child);
    const answered: string[] = [];
    const fire = (path: string) => send('GET', `${url}${path}`).then((r) => {
      if (r.status === 200) answered.push(r.headers['apigw-requestid']!);
      return r.status;
    });
    const burst: Array<Promise<number>> = [];
    for (let i = 0; i < 100; i++) burst.push(fire(i % 2 ? '/hot' : '/filed/hot'));
    await Promise.all(burst);
    // Slow requests in flight when SIGTERM arrives.
    const slow = [fire('/slow?sleep=400'), fire('/filed/slow?sleep=400'), fire('/slow?sleep=300')];
    const admin = adminUrlOf(child);
    await eventually(async () => parsePrometheus((await send('GET', `${admin}/metrics`)).body).sum('portcullis_inflight_requests') >= 3, 10_000, 'slow requests in flight');
    child.kill('SIGTERM');
    const statuses = await Promise.all(slow);
    assert.deepEqual(statuses, [200, 200, 200]);
    const { code } = await child.exited;
    assert.equal(code, 0, child.stderr());
    const logged = [...child.stdout().split('\n'), ...fileLines(join(dir, 'filed.log'))].filter((l) => / \d{3}$/.test(l)).map((l) => l.split(' ')[0]);
    assert.equal(answered.length, 103);
    for (const id of answered) assert.ok(logged.includes(id), `no access-log line for ${id}`);
    assert.equal(logged.length, 103);
  });
});

describe('SIGHUP and --watch: config reload', () => {
  test('SIGHUP with a valid then an invalid config under load: no request fails, errors logged, old config serves', async () => {
    const dir = tempDir({ 'echo.mjs': ECHO_HANDLER });
    const file = writeConfig(dir, 'v1');
    const child = await start(dir);
    try {
      const url = listeningUrl(child);
      let stopLoad!: () => void;
      const load = runLoad(`${url}/hot`, 4, new Promise<void>((r) => (stopLoad = r)), 4000);
      await loadProgress(load, 20);
      writeConfig(dir, 'v2');
      child.kill('SIGHUP');
      // Every gateway process reloads on its own (`workers: auto`): wait for all of them before the file
      // changes again, or a slower one reads the broken file below for this reload and stays on v1.
      const workers = Number(/\((\d+) workers:/.exec(child.stdout())?.[1] ?? 1);
      await eventually(() => (child.stdout().match(/config reloaded from/g)?.length ?? 0) >= workers, 10_000, `${workers} reload lines`);
      await loadProgress(load, 20);
      // Invalid: an unknown key and a bad route reference, both reported with their paths.
      const broken = JSON.parse((await import('node:fs')).readFileSync(file, 'utf8')) as { apis: Array<{ routes: Record<string, unknown> }> } & Record<string, unknown>;
      broken['serverr'] = {};
      broken.apis[0]!.routes['GET /x'] = { authorizerId: 'nope', integration: { type: 'mock' } };
      writeFileSync(file, JSON.stringify(broken));
      child.kill('SIGHUP');
      await child.waitFor('config reload rejected', 10_000, 'stderr');
      await loadProgress(load, 20);
      stopLoad();
      const result = await load;
      assert.deepEqual(result.failures, []);
      assert.ok((result.bodies.get('v1') ?? 0) > 0 && (result.bodies.get('v2') ?? 0) > 0, JSON.stringify([...result.bodies]));
      assert.equal((await send('GET', `${url}/hot`)).body, 'v2');

      const errorLine = child.stderr().split('\n').find((l) => l.includes('config reload rejected'))!;
      const parsed = JSON.parse(errorLine) as { level: string; time: string; msg: string; issues: string[] };
      assert.equal(parsed.level, 'error');
      assert.ok(!Number.isNaN(Date.parse(parsed.time)));
      assert.ok(parsed.issues.some((i) => i.startsWith('serverr: unknown key')), parsed.issues.join('\n'));

      const m = parsePrometheus((await send('GET', `${adminUrlOf(child)}/metrics`)).body);
      assert.equal(m.sum('portcullis_config_generation'), 2);
      // stderr holds only that JSON line, once per gateway process (quiet by default; `workers: auto`
      // runs one per core, and each worker reloads and reports on its own).
      assert.deepEqual(child.stderr().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { level: string }).level), Array(workers).fill('error'));
    } finally {
      assert.equal((await stop(child)).code, 0, child.stderr());
    }
  });

  test('--watch: saving the file reloads it', async () => {
    const dir = tempDir({ 'echo.mjs': ECHO_HANDLER });
    writeConfig(dir, 'v1');
    const child = await start(dir, ['--watch']);
    try {
      const url = listeningUrl(child);
      assert.equal((await send('GET', `${url}/hot`)).body, 'v1');
      writeConfig(dir, 'v2');
      // Every gateway process reloads on its own (`workers: auto`): wait for all of them, not the first.
      const workers = Number(/\((\d+) workers:/.exec(child.stdout())?.[1] ?? 1);
      await eventually(() => (child.stdout().match(/config reloaded from/g)?.length ?? 0) >= workers, 10_000, `${workers} reload lines`);
      assert.match(child.stdout(), /\(watch, generation 2, \d+ ms\)/);
      assert.equal((await send('GET', `${url}/hot`)).body, 'v2');
    } finally {
      assert.equal((await stop(child)).code, 0, child.stderr());
    }
  });
});
