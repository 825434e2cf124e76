/**
 * Broken serverless.yml files (test/fixtures/serverless/invalid/) through the real command: `validate`
 * and `start` print exactly these lines and exit 2, before anything listens.
 */
import { after, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { killChildren, startCli } from '../operations/helpers.ts';

after(killChildren);

const DIR = new URL('../fixtures/serverless/invalid/', import.meta.url).pathname.replace(/\/$/, '');

/** file → the exact problem lines (after `portcullis: invalid configuration (N problems):`). */
const EXPECTED: Record<string, string[]> = {
  'yaml-syntax-error.yml': ['line 7, column 14: Nested mappings are not allowed in compact mappings', 'line 7, column 14: Implicit keys need to be on a single line'],
  'yaml-duplicate-key.yml': ['line 8, column 5: Map keys must be unique'],
  'unknown-authorizer.yml': ['functions.hello.events[0].httpApi.authorizer.name: unknown authorizer "cognito" (provider.httpApi.authorizers: auth0)'],
  'handler-missing.yml': [`functions.hello.handler: "src/missing.hello": no module src/missing.{ts,js,mjs,cjs} in ${DIR}`],
  'handler-without-export.yml': ['functions.hello.handler: "handler" must be path/to/file.exportName (e.g. src/handler.hello)'],
  'variable-unset-env.yml': ['provider.environment.DATABASE_URL: ${env:PORTCULLIS_TEST_UNSET_DATABASE_URL}: environment variable PORTCULLIS_TEST_UNSET_DATABASE_URL is not set and the variable has no fallback'],
  'variable-cycle.yml': ['custom.a: variable cycle: ${self:custom.a} → ${self:custom.b} → ${self:custom.a}', 'custom.b: variable cycle: ${self:custom.b} → ${self:custom.a} → ${self:custom.b}'],
  'variable-ssm.yml': ["functions.hello.environment.API_KEY: ${ssm:/broken/api-key} needs AWS Systems Manager Parameter Store, which Portcullis does not call; supply the value locally with --param 'ssm:/broken/api-key=VALUE' (or give the variable a fallback, e.g. ${ssm:/broken/api-key, ${env:NAME}})"],
  'variable-param-missing.yml': ["functions.hello.environment.DOMAIN: ${param:domain}: no parameter \"domain\" (pass --param 'domain=VALUE', or set params.dev.domain or params.default.domain)"],
  'provider-not-aws.yml': ['provider.name: must be aws, got "google" (Portcullis runs AWS services)'],
  'jwt-authorizer-without-issuer.yml': ['provider.httpApi.authorizers.auth0.issuerUrl: is required for a jwt authorizer (the token issuer, e.g. https://cognito-idp.REGION.amazonaws.com/POOL_ID)'],
  'aws-iam-authorizer.yml': ['functions.hello.events[0].http.authorizer.type: aws_iam (SigV4) authorization is not enforced by Portcullis; rather than serve the route open, it is refused'],
  'rest-authorizer-unknown-function.yml': ['functions.hello.events[0].http.authorizer: unknown function "tokenAuthorizer" (functions: hello)'],
  'ruby-runtime.yml': ['provider.runtime: ruby3.3: Portcullis runs Node.js, Python 3.9-3.13 and provided runtimes (nodejs18.x, nodejs20.x, nodejs22.x, python3.9, python3.10, python3.11, python3.12, python3.13, provided, provided.al2, provided.al2023)'],
  'duplicate-route.yml': ['functions.again.events[0].httpApi: route "GET /hello" is already defined by functions.hello.events[0].httpApi'],
  'http-proxy-without-uri.yml': ['functions.hello.events[0].http.request.uri: is required for integration http-proxy'],
  'cognito-rest-authorizer.yml': ['functions.hello.events[0].http.authorizer: Cognito user pool authorizers on REST APIs are not run by Portcullis yet; use an httpApi event with a jwt authorizer (issuerUrl of the pool)'],
  'httpapi-event-without-path.yml': ["functions.hello.events[0].httpApi: \"GET\" must be '*' or 'METHOD /path' (e.g. 'GET /users/{id}')"],
};

const stderrFor = (lines: string[]) => `portcullis: invalid configuration (${lines.length} ${lines.length === 1 ? 'problem' : 'problems'}):\n${lines.map((l) => `  ${l}\n`).join('')}`;

test('every fixture file has its expected lines, and there are at least 12', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yml')).sort();
  assert.deepEqual(files, Object.keys(EXPECTED).sort());
  assert.ok(files.length >= 12);
});

for (const [file, lines] of Object.entries(EXPECTED)) {
  test(`validate ${file}: exit 2 with exactly its problems`, { timeout: 30_000 }, async () => {
    assert.equal(process.env.PORTCULLIS_TEST_UNSET_DATABASE_URL, undefined);
    const child = startCli(['validate', join(DIR, file)]);
    const { code } = await child.exited;
    assert.equal(child.stderr(), stderrFor(lines));
    assert.equal(code, 2);
    assert.equal(child.stdout(), '');
  });
}

for (const file of ['unknown-authorizer.yml', 'variable-cycle.yml', 'handler-missing.yml']) {
  test(`start --config ${file}: the same lines, exit 2, nothing listens`, { timeout: 30_000 }, async () => {
    const child = startCli(['start', '--config', join(DIR, file), '--port', '0']);
    const { code } = await child.exited;
    assert.equal(child.stderr(), stderrFor(EXPECTED[file]!));
    assert.equal(code, 2);
    assert.doesNotMatch(child.stdout(), /listening/);
  });
}

test('--format serverless on a portcullis.yaml names what is missing; --format portcullis reads a serverless.yml as portcullis.yaml', { timeout: 30_000 }, async () => {
  const forced = startCli(['validate', '--format', 'portcullis', join(DIR, 'handler-missing.yml')]);
  assert.equal((await forced.exited).code, 2);
  assert.match(forced.stderr(), /^portcullis: invalid configuration \(\d+ problems?\):\n {2}service: unknown key/);
  const bad = startCli(['validate', '--format', 'terraform', join(DIR, 'handler-missing.yml')]);
  assert.equal((await bad.exited).code, 2);
  assert.equal(bad.stderr(), 'portcullis: --format must be one of portcullis, serverless, sam, cloudformation, openapi, got "terraform"\n');
  const badParam = startCli(['validate', '--param', 'novalue', join(DIR, 'handler-missing.yml')]);
  assert.equal((await badParam.exited).code, 2);
  assert.equal(badParam.stderr(), 'portcullis: --param must be key=value, got "novalue"\n');
});

test('a serverless.ts / serverless.js config is named as such, exit 2', { timeout: 30_000 }, async () => {
  const child = startCli(['validate', join(DIR, 'serverless.ts')]);
  assert.equal((await child.exited).code, 2);
  assert.equal(child.stderr(), `portcullis: ${join(DIR, 'serverless.ts')} is a JavaScript/TypeScript config, which Portcullis does not run; write it out as YAML (\`serverless print > serverless.yml\`) or JSON and pass that\n`);
});

test('serverless-offline flags are named with their Portcullis equivalent (or why there is none), exit 2', { timeout: 30_000 }, async () => {
  const noAuth = startCli(['start', '--config', join(DIR, 'handler-missing.yml'), '--noAuth']);
  assert.equal((await noAuth.exited).code, 2);
  assert.equal(noAuth.stderr(), 'portcullis: --noAuth is a serverless-offline option: there is none, deliberately: Portcullis enforces every authorizer (docs/serverless.md lists every one)\n');
  const port = startCli(['start', '--httpPort=4000']);
  assert.equal((await port.exited).code, 2);
  assert.equal(port.stderr(), 'portcullis: --httpPort is a serverless-offline option: use --port N (docs/serverless.md lists every one)\n');
});
