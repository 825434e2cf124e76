/**
 * Pinned SDK releases for the compatibility matrix, installed once into a cache folder outside the
 * repository (`PORTCULLIS_COMPAT_CACHE`, default `<os tmpdir>/portcullis-compat`), one folder per
 * release: `node-<version>/node_modules/supertokens-node`. A release is installed with
 * `npm install --prefix` into a scratch folder that is renamed into place when complete, so an
 * interrupted install is never mistaken for a cached one.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The latest release of each supertokens-node major from 14 to 24, with the CDI version it asks for. */
export const NODE_SDK_MATRIX: readonly { version: string; cdi: string; tokenVersion: 3 | 4 | 5 }[] = [
  { version: '14.1.4', cdi: '2.21', tokenVersion: 3 },
  { version: '15.2.3', cdi: '3.0', tokenVersion: 4 },
  { version: '16.7.6', cdi: '4.0', tokenVersion: 5 },
  { version: '17.1.5', cdi: '5.0', tokenVersion: 5 },
  { version: '18.0.1', cdi: '5.0', tokenVersion: 5 },
  { version: '19.0.2', cdi: '5.1', tokenVersion: 5 },
  { version: '20.1.7', cdi: '5.1', tokenVersion: 5 },
  { version: '21.1.2', cdi: '5.2', tokenVersion: 5 },
  { version: '22.1.1', cdi: '5.3', tokenVersion: 5 },
  { version: '23.1.0', cdi: '5.3', tokenVersion: 5 },
  { version: '24.0.3', cdi: '5.4', tokenVersion: 5 },
];

/** Every flow node-sdk-flows.ts runs, in order: a release must report each one. */
export const NODE_FLOWS = [
  'handshake',
  'sign-up and sign-in',
  'session verify, refresh, revoke',
  'theft detection',
  'email verification',
  'password reset',
  'roles and permissions',
  'user count and search',
  'user id mapping',
  'third-party sign-in-up',
  'multitenancy',
  'passwordless',
  'account linking',
  'user metadata',
  'totp',
];

/**
 * The README's "Supported SDK versions" table, generated from the matrix (readme-matrix.test.ts
 * checks that README.md holds exactly this between its compat-matrix markers).
 */
export function renderSupportTable(): string {
  const rows = NODE_SDK_MATRIX.map(
    (r) => `| supertokens-node ${r.version} (latest ${r.version.split('.')[0]}.x) | ${r.cdi} | v${r.tokenVersion} | SQLite, PostgreSQL |`,
  );
  return [
    '| SDK release | CDI version it asks for | access tokens minted | tested on |',
    '| --- | --- | --- | --- |',
    ...rows,
    ...PYTHON_SDK_MATRIX.map(
      (r) => `| supertokens-python ${r.version} (latest ${r.version.split('.').slice(0, 2).join('.')}.x) | ${r.cdi} | v${r.tokenVersion} | SQLite, PostgreSQL |`,
    ),
    '',
    `Each release runs, unmodified, through: ${NODE_FLOWS.join('; ')} (\`test/compat/node-sdk.test.ts\`, \`test/compat/python-sdk.test.ts\`).`,
  ].join('\n');
}

/** supertokens-python releases: the latest of 0.25, 0.27, 0.30 and 0.31, with the CDI version each asks for. */
export const PYTHON_SDK_MATRIX: readonly { version: string; cdi: string; tokenVersion: 5 }[] = [
  { version: '0.25.1', cdi: '5.1', tokenVersion: 5 },
  { version: '0.27.0', cdi: '5.2', tokenVersion: 5 },
  { version: '0.30.4', cdi: '5.3', tokenVersion: 5 },
  { version: '0.31.4', cdi: '5.4', tokenVersion: 5 },
];

export function compatCacheDir(): string {
  return process.env.PORTCULLIS_COMPAT_CACHE || join(tmpdir(), 'portcullis-compat');
}

function installedVersion(dir: string, pkg: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** The folder holding `supertokens-node@version`, installing it first when it is not cached. */
export async function ensureNodeSdk(version: string): Promise<string> {
  const root = compatCacheDir();
  const dir = join(root, `node-${version}`);
  if (installedVersion(dir, 'supertokens-node') === version) return dir;
  mkdirSync(root, { recursive: true });
  const scratch = join(root, `.node-${version}-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch);
  try {
    await run('npm', ['install', '--prefix', scratch, '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', `supertokens-node@${version}`], {
      timeout: 180_000,
    });
    if (installedVersion(scratch, 'supertokens-node') !== version) throw new Error(`npm installed no supertokens-node@${version}`);
    rmSync(dir, { recursive: true, force: true });
    if (!existsSync(dir)) renameSync(scratch, dir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return dir;
}

/** A Python 3.10+ interpreter for the venvs, or undefined. */
export async function findPython(): Promise<string | undefined> {
  for (const candidate of ['python3.11', 'python3.12', 'python3', 'python']) {
    try {
      const { stdout } = await run(candidate, ['-c', 'import sys; print(sys.version_info >= (3, 10))'], { timeout: 10_000 });
      if (stdout.trim() === 'True') return candidate;
    } catch {
      // not installed: try the next one
    }
  }
  return undefined;
}

/**
 * The interpreter of a venv holding `supertokens-python==version`, created (and pip-installed) first
 * when it is not cached. A venv is not relocatable, so it is built in place and marked complete last.
 */
export async function ensurePythonSdk(python: string, version: string): Promise<string> {
  const dir = join(compatCacheDir(), `py-${version}`);
  const marker = join(dir, '.portcullis-complete');
  const interpreter = join(dir, 'bin', 'python');
  if (existsSync(marker)) return interpreter;
  mkdirSync(compatCacheDir(), { recursive: true });
  rmSync(dir, { recursive: true, force: true });
  await run(python, ['-m', 'venv', dir], { timeout: 120_000 });
  await run(interpreter, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `supertokens-python==${version}`], { timeout: 300_000 });
  const { stdout } = await run(interpreter, ['-c', "import importlib.metadata as m; print(m.version('supertokens-python'))"]);
  if (stdout.trim() !== version) throw new Error(`pip installed supertokens-python ${stdout.trim()}, not ${version}`);
  writeFileSync(marker, `${version}\n`);
  return interpreter;
}
