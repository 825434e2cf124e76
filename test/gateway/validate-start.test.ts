/**
 * One compile pass: `portcullis validate` runs the compile `start` runs (dry: no listener, no worker,
 * no file opened for writing), so both report a bad config identically — every problem at once, one
 * path style, exit 2 — and `start` reports it before anything listens.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli.ts';
import { closedPort, tempDir } from '../helpers/gateway.ts';
import { BAD, httpApi, mock, restApi } from './bad-configs.ts';

/** Runs the command in this process, capturing what it writes to stderr and stdout. */
async function run(argv: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const err: string[] = [];
  const out: string[] = [];
  const origErr = process.stderr.write.bind(process.stderr);
  const origOut = process.stdout.write.bind(process.stdout);
  process.stderr.write = ((chunk: string | Uint8Array) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  process.stdout.write = ((chunk: string | Uint8Array) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  try {
    const code = await main(argv);
    return { code, stderr: err.join(''), stdout: out.join('') };
  } finally {
    process.stderr.write = origErr;
    process.stdout.write = origOut;
  }
}

/** The problem lines of a `portcullis: invalid configuration (N problems):` report. */
const problemLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('  ')).map((l) => l.trim());

async function bothCommands(dir: string, config: unknown) {
  const file = join(dir, 'portcullis.json');
  writeFileSync(file, JSON.stringify(config));
  const validate = await run(['validate', file]);
  const start = await run(['start', '--config', file]);
  return { validate, start };
}

for (const [name, config, expected] of BAD) {
  // Rows that name an unset variable need the environment (the CLI reads process.env); they are parse-only.
  if (name === 'unset environment variable') continue;
  test(`validate and start agree: ${name}`, async () => {
    const { validate, start } = await bothCommands(tempDir(), config);
    assert.equal(validate.code, 2, validate.stderr);
    assert.equal(start.code, 2, start.stderr);
    assert.equal(start.stderr, validate.stderr);
    assert.deepEqual(problemLines(validate.stderr), expected);
  });
}

const port = await closedPort();

/** Problems only the compile finds, each with the path and message both commands must print. */
const COMPILE_TIME: Array<[string, (dir: string) => unknown, string[]]> = [
  [
    'a Lambda integration whose handler module does not exist',
    () => httpApi({}, { 'GET /x': { integration: { type: 'lambda', handler: './missing.mjs' } } }),
    ['apis[0].routes["GET /x"].integration.handler: handler module not found: DIR/missing.mjs'],
  ],
  [
    'a Lambda authorizer whose handler module does not exist',
    () => restApi({ authorizers: { t: { authorizerType: 'TOKEN', function: { handler: './gone.mjs' } } } }, { 'GET /x': { authorizerId: 't', integration: { type: 'mock' } } }),
    ['apis[0].authorizers.t.function.handler: handler module not found: DIR/gone.mjs'],
  ],
  [
    'a TOKEN authorizer validation expression that is not a regular expression',
    () => restApi({ authorizers: { t: { authorizerType: 'TOKEN', authorizerUri: 'http://127.0.0.1:9/auth', identityValidationExpression: '(' } } }),
    ['apis[0].authorizers.t.identityValidationExpression: is not a valid regular expression: Invalid regular expression: /^(?:()$/: Unterminated group'],
  ],
  [
    'an access-log file in a folder that does not exist',
    () => httpApi({ accessLogSettings: { format: 'clf', destination: './no/such/dir/access.log' } }),
    ['apis[0].accessLogSettings.format: cannot open access log file DIR/no/such/dir/access.log: ENOENT'],
  ],
  [
    'a misspelt key, a missing handler and an unknown authorizer: all three in one run',
    () => ({
      server: { port },
      apis: [{
        name: 'r', protocol: 'http', stage: '$default',
        routes: {
          'GET /typo': { integration: { type: 'http', uri: 'http://127.0.0.1:9', timeoutInMilis: 5 } },
          'GET /handler': { integration: { type: 'lambda', handler: './nope.mjs' } },
          'GET /auth': { authorizerId: 'missing', integration: { type: 'mock' } },
        },
      }],
    }),
    [
      'apis[0].routes["GET /typo"].integration.timeoutInMilis: unknown key (did you mean "timeoutInMillis"?)',
      'apis[0].routes["GET /auth"].authorizerId: unknown authorizer "missing" (known: none)',
      'apis[0].routes["GET /handler"].integration.handler: handler module not found: DIR/nope.mjs',
    ],
  ],
];

for (const [name, build, expected] of COMPILE_TIME) {
  test(`validate and start agree on what only the compile finds: ${name}`, async () => {
    const dir = tempDir();
    const { validate, start } = await bothCommands(dir, build(dir));
    assert.equal(validate.code, 2, validate.stderr);
    assert.equal(start.code, 2, start.stderr);
    assert.equal(start.stderr, validate.stderr);
    assert.deepEqual(problemLines(validate.stderr), expected.map((l) => l.replaceAll('DIR', dir)));
  });
}

/**
 * The `core:` section belongs to the session core: the gateway config takes it as a mapping and the CLI
 * checks it with the core's schema in the same pass. Its problems read as they did when the gateway's
 * schema embedded the core's (same paths, messages, did-you-mean, order), and come with the others.
 */
const CORE_SECTION: Array<[string, unknown, string[]]> = [
  ['a misspelt key gets a did-you-mean', { core: { portt: 1 } }, ['core.portt: unknown key (did you mean "port"?)']],
  ['a value of the wrong type', { core: { port: 'x' } }, ['core.port: must be a number, got "x"']],
  ['an unknown database kind', { core: { database: { kind: 'mysql' } } }, ['core.database.kind: must be one of "sqlite", "postgres", got "mysql"']],
  [
    'a misspelt database key',
    { core: { database: { kind: 'postgres', connectionStrng: 'postgres://x' } } },
    ['core.database.connectionString: is required (string)', 'core.database.connectionStrng: unknown key (did you mean "connectionString"?)'],
  ],
  [
    "the core schema's own cross-checks",
    { core: { appIds: ['a'], accessTokenSigningKeyUpdateIntervalHours: 1, accessTokenSigningKeyPublishAheadSeconds: 3600 } },
    ['core.accessTokenSigningKeyPublishAheadSeconds: must be shorter than accessTokenSigningKeyUpdateIntervalHours', 'core.appIds: must include "public", the default app'],
  ],
  ['a nested strict object', { core: { signInRateLimit: { perAccount: 5, perClnt: {} } } }, ['core.signInRateLimit.perAccount: unknown key', 'core.signInRateLimit.perClnt: unknown key']],
  ['not a mapping', { core: 5 }, ['core: must be an object, got number 5']],
  ['null', { core: null }, ['core: must be an object, got null']],
  [
    'in the order of the schema, among the top-level problems',
    { servr: {}, server: { port: 70000 }, core: { dataDir: '', apiKeys: ['short'] }, ...httpApi({}, { 'GET /x': { integration: { type: 'http', uri: 'http://u', timeoutInMilis: 3 } } }) },
    [
      'server.port: must be <= 65535, got number 70000',
      'core.dataDir: must be a non-empty string',
      'core.apiKeys[0]: api keys must be at least 20 characters from [A-Za-z0-9=-]',
      'servr: unknown key (did you mean "server"?)',
      'apis[0].routes["GET /x"].integration.timeoutInMilis: unknown key (did you mean "timeoutInMillis"?)',
    ],
  ],
  [
    'with what only the semantic checks and the compile find',
    {
      core: { portt: 1 },
      ...httpApi({}, { 'GET /auth': { authorizerId: 'nope', ...mock }, 'GET /handler': { integration: { type: 'lambda', handler: './missing.mjs' } } }),
    },
    [
      'core.portt: unknown key (did you mean "port"?)',
      'apis[0].routes["GET /auth"].authorizerId: unknown authorizer "nope" (known: none)',
      'apis[0].routes["GET /handler"].integration.handler: handler module not found: DIR/missing.mjs',
    ],
  ],
];

for (const [name, config, expected] of CORE_SECTION) {
  test(`validate and start agree on the core: section: ${name}`, async () => {
    const dir = tempDir();
    const { validate, start } = await bothCommands(dir, config);
    assert.equal(validate.code, 2, validate.stderr);
    assert.equal(start.code, 2, start.stderr);
    assert.equal(start.stderr, validate.stderr);
    assert.deepEqual(problemLines(validate.stderr), expected.map((l) => l.replaceAll('DIR', dir)));
  });
}

test('a valid core: section is counted by validate', async () => {
  const dir = tempDir();
  const { validate } = await bothCommandsValidOnly(dir, { core: { port: 0, database: { kind: 'sqlite' } }, ...httpApi() });
  assert.equal(validate.code, 0, validate.stderr);
  assert.match(validate.stdout, /valid \(1 API, 1 route, core\)/);
});

test('validate opens no file for writing: the access log a valid config names is not created', async () => {
  const dir = tempDir();
  const { validate } = await bothCommandsValidOnly(dir, httpApi({ accessLogSettings: { format: 'clf', destination: './access.log' } }));
  assert.equal(validate.code, 0, validate.stderr);
  assert.match(validate.stdout, /valid \(1 API, 1 route\)/);
  assert.equal(existsSync(join(dir, 'access.log')), false);
});

async function bothCommandsValidOnly(dir: string, config: unknown) {
  const file = join(dir, 'portcullis.json');
  writeFileSync(file, JSON.stringify(config));
  return { validate: await run(['validate', file]) };
}

test('the real command: validate and start print the same three problems and exit 2, and start listens on nothing', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const file = join(dir, 'portcullis.yaml');
  writeFileSync(file, JSON.stringify(COMPILE_TIME.at(-1)![1](dir)));
  const bin = new URL('../../bin/portcullis.mjs', import.meta.url).pathname;
  const runBin = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
  const [v, s] = await Promise.all([runBin(['validate', file]), runBin(['start', '--config', file])]);
  assert.equal(v.code, 2, v.stderr);
  assert.equal(s.code, 2, s.stderr);
  assert.equal(s.stderr, v.stderr);
  assert.match(v.stderr, /invalid configuration \(3 problems\)/);
});
