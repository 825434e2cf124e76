// `portcullis core` as a process: start-up line, graceful SIGTERM, database unreachable at start,
// and the kill -9 test (SIGKILL under refresh load, restart on the same data directory).
import { after, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startCore } from '../../src/supertokens/index.ts';
import { cdiClient } from './helpers.ts';

const CLI = new URL('./fixtures/cli-main.ts', import.meta.url).pathname;
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pc-cli-'));
  dirs.push(dir);
  return dir;
}
const children = new Set<ChildProcess>();
after(() => {
  // A test that failed before its own kill leaves no core process behind.
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function runCli(args: string[]): { child: ChildProcess; firstLine: Promise<string>; exit: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const firstLine = new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', () => reject(new Error(`exited before printing; stderr: ${stderr}`)));
  });
  firstLine.catch(() => undefined);
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
  return { child, firstLine, exit };
}

describe('portcullis core (process)', () => {
  it('prints one start-up line, serves, and exits 0 on SIGTERM', async () => {
    const dataDir = tempDir();
    const { child, firstLine, exit } = runCli(['--port', '0', '--data-dir', dataDir]);
    const line = await firstLine;
    const match = /^portcullis core listening on (http:\/\/127\.0\.0\.1:\d+) \(sqlite: (.*)\)$/.exec(line);
    assert.ok(match, line);
    assert.equal(match[2], join(dataDir, 'core.sqlite'));
    assert.equal((await cdiClient(match[1]!, {}).get('/hello')).text, 'Hello');
    child.kill('SIGTERM');
    assert.equal((await exit).code, 0);
  });

  it('reads the core: section of a YAML config; --port overrides it', async () => {
    const dataDir = tempDir();
    const file = join(dataDir, 'portcullis.yaml');
    writeFileSync(file, `core:\n  port: 1\n  dataDir: ${dataDir}/from-config\n  apiKeys: ["config-key-01234567890123"]\n`);
    const { child, firstLine, exit } = runCli(['--config', file, '--port', '0']);
    const line = await firstLine;
    assert.match(line, /\(sqlite: .*from-config\/core\.sqlite\)$/);
    const url = /(http:\/\/\S+)/.exec(line)![1]!;
    assert.equal((await cdiClient(url).get('/recipe/roles')).status, 401, 'the api key from the file is enforced');
    child.kill('SIGINT');
    assert.equal((await exit).code, 0);
  });

  it('database unreachable at start: one line on stderr, exit 1', async () => {
    const dir = tempDir();
    const file = join(dir, 'portcullis.yaml');
    writeFileSync(
      file,
      'core:\n  database:\n    kind: postgres\n    connectionString: "postgres://postgres:secret@127.0.0.1:1/test"\n    connectTimeoutMs: 500\n',
    );
    const { exit } = runCli(['--config', file, '--port', '0']);
    const { code, stderr } = await exit;
    assert.equal(code, 1);
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0]!, /^portcullis core: database unreachable: postgres: /);
    assert.ok(!stderr.includes('secret'), 'the password in the connection string is not printed');
  });

  it('bad arguments and bad config exit non-zero with a message', async () => {
    const bad = await runCli(['--port', 'x']).exit;
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--port must be an integer/);
    const dir = tempDir();
    writeFileSync(join(dir, 'c.yaml'), 'core:\n  apiKeys: [short]\n');
    const invalid = await runCli(['--config', join(dir, 'c.yaml')]).exit;
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /invalid core config: core\.apiKeys\.0: api keys must be at least 20 characters/);
  });

  it('kill -9 under refresh load loses no committed session: after restart every session refreshes', async () => {
    const dataDir = tempDir();
    const { child, firstLine, exit } = runCli(['--port', '0', '--data-dir', dataDir]);
    const url = /(http:\/\/\S+)/.exec(await firstLine)![1]!;
    const cdi = cdiClient(url);
    const body = { userDataInJWT: { iss: 'x' }, userDataInDatabase: {}, useDynamicSigningKey: true, enableAntiCsrf: false };
    const latest: string[] = [];
    for (let i = 0; i < 24; i++) {
      const r = await cdi.post('/public/recipe/session', { ...body, userId: `u${i}` });
      latest.push(r.json.refreshToken.token);
    }
    let stop = false;
    let refreshes = 0;
    const workers = latest.map(async (_, i) => {
      while (!stop) {
        try {
          // Each refresh presents the last child received, so every call also commits (case B).
          const r = await cdi.post('/recipe/session/refresh', { refreshToken: latest[i], enableAntiCsrf: false, useDynamicSigningKey: true });
          if (r.json?.status !== 'OK') throw new Error(`unexpected ${r.status} ${r.text}`);
          latest[i] = r.json.refreshToken.token;
          refreshes++;
        } catch (err) {
          if (!stop) throw err;
        }
      }
    });
    // Kill while the load runs, once it has committed enough refreshes: on a loaded machine that
    // takes longer than the 400 ms it takes on an idle one (a fixed sleep failed there).
    const loadDeadline = Date.now() + 20_000;
    await new Promise((r) => setTimeout(r, 400));
    while (refreshes <= 20 && Date.now() < loadDeadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(refreshes > 20, `load ran (${refreshes} refreshes)`);
    stop = true;
    child.kill('SIGKILL');
    await exit;
    await Promise.allSettled(workers);

    const restarted = await startCore({ port: 0, dataDir, log: () => undefined });
    try {
      const after = cdiClient(restarted.url);
      const outcomes = await Promise.all(
        latest.map((rt) => after.post('/recipe/session/refresh', { refreshToken: rt, enableAntiCsrf: false, useDynamicSigningKey: true })),
      );
      for (const o of outcomes) {
        assert.equal(o.status, 200);
        assert.ok(o.json.status === 'OK' || o.json.status === 'UNAUTHORISED', o.text);
      }
      assert.equal(outcomes.filter((o) => o.json.status === 'OK').length, latest.length, 'no committed session was lost');
      const verified = await after.post('/recipe/session/verify', {
        accessToken: outcomes[0]!.json.accessToken.token,
        doAntiCsrfCheck: false,
        enableAntiCsrf: false,
        checkDatabase: true,
      });
      assert.equal(verified.json.status, 'OK', 'signing keys survived too');
    } finally {
      await restarted.close();
    }
  });
});
