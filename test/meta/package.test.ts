/**
 * The package as a user gets it: `npm pack` of a copy of this repo (whose `prepare` script builds dist/),
 * installed into an empty project, runs `portcullis --help`, `validate` and `start` from the compiled
 * JavaScript (the installed package has no src/ and no dev dependencies), with a `.ts` and a `.mjs` Lambda
 * handler, and answers real HTTP requests on both routes.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;

/** Without what `npm test` exports about this repo (its package and its folder), which a nested npm would read. */
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_(package_|lifecycle_|config_local_prefix$)/i.test(k)));

// Installing needs the registry for Portcullis's runtime dependencies (a warm cache may serve them all).
const registryDown = process.env.CI === 'true' ? false : spawnSync('npm', ['ping', '--fetch-retries=0', '--fetch-timeout=5000'], { env: ENV, timeout: 10_000, stdio: 'ignore' }).status !== 0;
const skip = registryDown ? 'the npm registry is unreachable (`npm ping` failed), so the package cannot be installed' : false;

/** Folders of the repo that are neither package contents nor build inputs (dist/ is built afresh by `npm pack`). */
const NOT_COPIED = new Set(['node_modules', '.git', 'dist', '.portcullis', 'test-artifacts', 'coverage', '.bench-work']);

const CONFIG = (port: number) => `server:
  port: ${port}
  workers: 1
apis:
  - name: hello
    protocol: http
    stage: $default
    routes:
      "GET /mjs/{name}":
        integration: { type: lambda, handler: ./hello.mjs }
      "GET /ts/{name}":
        integration: { type: lambda, handler: ./hello.ts }
`;
const MJS_HANDLER = 'export const handler = async (event) => ({ statusCode: 200, body: `mjs ${event.pathParameters.name}` });\n';
const TS_HANDLER = `interface Event { pathParameters: { name: string } }
export const handler = async (event: Event): Promise<{ statusCode: number; body: string }> => ({ statusCode: 200, body: \`ts \${event.pathParameters.name}\` });
`;

interface Ran {
  code: number | null;
  out: string;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('npm pack, then npm i of the tarball into an empty project: --help, validate and start run from dist/ with .ts and .mjs handlers', { skip, timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-package-'));
  // Every command runs in its own process group, killed whole when the test ends (npx runs portcullis as a grandchild).
  const groups = new Set<number>();
  t.after(() => {
    for (const pid of groups) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const launch = (command: string, args: string[], cwd: string) => {
    const child = spawn(command, args, { cwd, env: ENV, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    groups.add(child.pid!);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    // 'close' (all pipes closed), not 'exit': a grandchild may outlive the child.
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    return { child, output: () => out, exited };
  };
  const run = async (command: string, args: string[], cwd: string): Promise<Ran> => {
    const p = launch(command, args, cwd);
    return { code: await p.exited, out: p.output() };
  };

  // A copy of the repo, so that packing (which rebuilds dist/) leaves this checkout's dist/ alone for the tests beside it.
  const stage = join(dir, 'portcullis');
  cpSync(ROOT, stage, { recursive: true, filter: (src) => !NOT_COPIED.has(relative(ROOT, src).split('/')[0]!) });
  symlinkSync(join(ROOT, 'node_modules'), join(stage, 'node_modules'));
  const app = join(dir, 'app');
  mkdirSync(app);
  const packed = await run('npm', ['pack', '--pack-destination', app], stage);
  assert.equal(packed.code, 0, packed.out);
  const tarball = readdirSync(app).find((f) => /^portcullis-.*\.tgz$/.test(f));
  assert.ok(tarball, `no tarball in ${app}: ${packed.out}`);

  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }, null, 2));
  // --ignore-scripts: the dependencies' install scripts are not what is tested here, and better-sqlite3's
  // (download a prebuilt binary from GitHub, else compile SQLite: minutes) would dominate the test.
  // The gateway never opens SQLite, and better-sqlite3 loads its binary only when a database is opened.
  const installed = await run('npm', ['i', '-D', `./${tarball}`, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], app);
  assert.equal(installed.code, 0, installed.out);
  const pkg = join(app, 'node_modules', 'portcullis');
  assert.ok(existsSync(join(pkg, 'dist', 'cli.js')), 'dist/cli.js is in the package');
  assert.ok(existsSync(join(pkg, 'dist', 'gateway.d.ts')), 'declarations are in the package');
  assert.equal(existsSync(join(pkg, 'src')), false, 'the package ships no src/, so the command can only run dist/');
  for (const dev of ['typescript', '@types/node', 'fast-check']) assert.equal(existsSync(join(app, 'node_modules', dev)), false, `dev dependency ${dev} was installed`);

  const help = await run('npx', ['portcullis', '--help'], app);
  assert.equal(help.code, 0, help.out);
  assert.match(help.out, /portcullis start \[--config FILE\]/);

  const entry = await run(process.execPath, ['--input-type=module', '-e', "const g = await import('portcullis'); const c = await import('portcullis/core'); console.log(typeof g.startGateway, typeof g.loadConfigFile, typeof c.startCore)"], app);
  assert.equal(entry.out.trim(), 'function function function', entry.out);

  const port = await freePort();
  writeFileSync(join(app, 'portcullis.yaml'), CONFIG(port));
  writeFileSync(join(app, 'hello.mjs'), MJS_HANDLER);
  writeFileSync(join(app, 'hello.ts'), TS_HANDLER);
  const validated = await run('npx', ['portcullis', 'validate', 'portcullis.yaml'], app);
  assert.equal(validated.code, 0, validated.out);
  assert.match(validated.out, /portcullis\.yaml: valid \(1 API, 2 routes\)/);

  const gateway = launch('npx', ['portcullis', 'start', '--config', 'portcullis.yaml'], app);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not listening after 30 s:\n${gateway.output()}`)), 30_000);
    const check = () => {
      if (!gateway.output().includes(`listening on http://127.0.0.1:${port}`)) return;
      clearTimeout(timer);
      resolve();
    };
    gateway.child.stdout.on('data', check);
    void gateway.exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`exited before listening:\n${gateway.output()}`));
    });
  });
  for (const [path, body] of [['/mjs/world', 'mjs world'], ['/ts/world', 'ts world']] as const) {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    const text = await res.text();
    assert.deepEqual({ status: res.status, text }, { status: 200, text: body }, `GET ${path}\n${gateway.output()}`);
  }
  // To the whole process group, as Ctrl-C in a terminal does: npx does not pass a signal on to the
  // command it runs. The pipes close once every process holding them (portcullis last) has exited.
  process.kill(-gateway.child.pid!, 'SIGTERM');
  await gateway.exited;
  assert.match(gateway.output(), /SIGTERM, draining in-flight requests/);
  // The last of them may still be being reaped by its new parent for a moment.
  const groupAlive = () => {
    try {
      process.kill(-gateway.child.pid!, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (let waited = 0; groupAlive() && waited < 10_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
  assert.equal(groupAlive(), false, `still running 10 s after SIGTERM: ${spawnSync('ps', ['-o', 'pid,stat,args', '--pgid', String(gateway.child.pid)], { encoding: 'utf8' }).stdout}`);
});
