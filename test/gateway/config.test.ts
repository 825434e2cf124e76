import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/core/config.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { parseConfigText } from '../../src/io/config-file.ts';
import { tempDir } from '../helpers/gateway.ts';

const mock = { integration: { type: 'mock' } };
const httpApi = (extra: object = {}, routes: object = { 'GET /x': mock }) => ({ apis: [{ name: 'a', protocol: 'http', stage: '$default', routes, ...extra }] });
const restApi = (extra: object = {}, routes: object = { 'GET /x': mock }) => ({ apis: [{ name: 'r', protocol: 'rest', stage: 'prod', routes, ...extra }] });
const jwt = { authorizerType: 'JWT', jwtConfiguration: { issuer: 'https://issuer.example', audience: ['a'] } };

/** [name, config, exact expected issue lines] */
const BAD: Array<[string, unknown, string[]]> = [
  ['integration uri not http(s)', httpApi({}, { 'GET /x': { integration: { type: 'http', uri: 'ftp://x' } } }), ['apis[0].routes["GET /x"].integration.uri: must be an absolute http(s) URL']],
  ['misspelt key gets a did-you-mean', httpApi({}, { 'GET /x': { integration: { type: 'http', uri: 'http://u', timeoutInMilis: 3 } } }), ['apis[0].routes["GET /x"].integration.timeoutInMilis: unknown key (did you mean "timeoutInMillis"?)']],
  ['unknown API key', httpApi({ protocl: 'http' }), ['apis[0].protocl: unknown key (did you mean "protocol"?)']],
  ['bad protocol', { apis: [{ name: 'a', protocol: 'grpc', stage: '$default', routes: {} }] }, ['apis[0].protocol: must be one of "http", "rest", got "grpc"']],
  ['unknown authorizer reference', httpApi({}, { 'GET /x': { authorizerId: 'nope', ...mock } }), ['apis[0].routes["GET /x"].authorizerId: unknown authorizer "nope" (known: none)']],
  ['unknown integration type', httpApi({}, { 'GET /x': { integration: { type: 'lambada' } } }), ['apis[0].routes["GET /x"].integration.type: must be one of "lambda", "http", "mock", got "lambada"']],
  ['unknown method in route key', httpApi({}, { 'FETCH /x': mock }), ['apis[0].routes["FETCH /x"]: unknown method "FETCH" (one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY)']],
  ['two JWT identity sources', httpApi({ authorizers: { j: { ...jwt, identitySource: ['$request.header.A', '$request.header.B'] } } }), ['apis[0].authorizers.j.identitySource: must be exactly one identity source, got 2']],
  ['credentials with a wildcard origin', httpApi({ cors: { allowOrigins: ['*'], allowCredentials: true } }), ['apis[0].cors.allowCredentials: cannot be true while allowOrigins contains "*" (browsers reject credentials with a wildcard origin)']],
  ['unknown context variable in a REST mapping', restApi({}, { 'GET /x': { integration: { type: 'http', uri: 'http://u', requestParameters: { 'integration.request.header.x': 'context.authorizer.principalId.foo' } } } }), ['apis[0].routes["GET /x"].integration.requestParameters["integration.request.header.x"]: unknown variable context.authorizer.principalId.foo']],
  ['uri parameter the route lacks', httpApi({}, { 'GET /x': { integration: { type: 'http', uri: 'http://u/{id}' } } }), ['apis[0].routes["GET /x"].integration.uri: uses {id} but the route has no such path parameter (has: none)']],
  ['port out of range', { server: { port: 70000 } }, ['server.port: must be <= 65535, got number 70000']],
  ['workers neither a count nor auto', { server: { workers: 'many' } }, ['server.workers: must be one of "auto", got "many"']],
  ['no workers', { server: { workers: 0 } }, ['server.workers: must be >= 1, got number 0']],
  ['unset environment variable', { apis: [{ name: 'a', protocol: 'http', stage: '${STAGE}', routes: {} }] }, ['apis[0].stage: environment variable STAGE is not set (write ${STAGE:-default} for a default)']],
  ['apis not a list', { apis: 'x' }, ['apis: must be an array, got "x"']],
  ['reserved header mapping', httpApi({}, { 'GET /x': { integration: { type: 'http', uri: 'http://u', requestParameters: { 'overwrite:header.Authorization': 'x' } } } }), ['apis[0].routes["GET /x"].integration.requestParameters["overwrite:header.Authorization"]: header "Authorization" is reserved and cannot be mapped (AWS rejects it)']],
  ['more than 10 authorizers', httpApi({ authorizers: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, jwt])) }), ['apis[0].authorizers: at most 10 authorizers per API (AWS limit), got 11']],
  ['JWT authorizer on a REST API', restApi({ authorizers: { j: jwt } }), ['apis[0].authorizers.j.authorizerType: JWT authorizers are an HTTP API feature (use a REQUEST or TOKEN authorizer on REST APIs)']],
  ['gateway responses on an HTTP API', httpApi({ gatewayResponses: { UNAUTHORIZED: {} } }), ['apis[0].gatewayResponses: gateway responses are a REST API feature (HTTP APIs have none)']],
  ['misspelt gateway response type', restApi({ gatewayResponses: { ACCES_DENIED: {} } }), ['apis[0].gatewayResponses.ACCES_DENIED: unknown gateway response type (did you mean "ACCESS_DENIED"?)']],
  ['unknown template variable', restApi({ gatewayResponses: { UNAUTHORIZED: { responseTemplates: { 'application/json': '{"id":"$context.requestIdd"}' } } } }), ['apis[0].gatewayResponses.UNAUTHORIZED.responseTemplates["application/json"]: unknown variable $context.requestIdd (did you mean $context.requestId?)']],
  ['unknown access-log variable', httpApi({ accessLogSettings: { format: '$context.statuss' } }), ['apis[0].accessLogSettings.format: unknown variable $context.statuss (did you mean $context.status?)']],
  ['greedy parameter not last', httpApi({}, { 'GET /{p+}/x': mock }), ['apis[0].routes["GET /{p+}/x"]: greedy parameter {p+} must be the last segment']],
  ['two APIs on one stage', { apis: [httpApi().apis[0], { ...httpApi().apis[0], name: 'b' }] }, ['apis[1].stage: stage "$default" is already served by API "a" on this listener']],
  ['scopes without a JWT authorizer', httpApi({}, { 'GET /x': { authorizationScopes: ['read'], ...mock } }), ['apis[0].routes["GET /x"].authorizationScopes: needs a JWT authorizer on the route']],
  ['TOKEN authorizer without a function', restApi({ authorizers: { t: { authorizerType: 'TOKEN' } } }), ['apis[0].authorizers.t: needs a `function` (handler module) or an `authorizerUri` (HTTP endpoint)']],
  ['missing required route integration', httpApi({}, { 'GET /x': {} }), ['apis[0].routes["GET /x"].integration: is required (object)']],
];

for (const [name, config, expected] of BAD) {
  test(`config error: ${name}`, () => {
    assert.throws(() => parseConfig(config, {}), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.issues.map((i) => `${i.path}: ${i.message}`), expected);
      return true;
    });
  });
}

test('every problem is reported at once', () => {
  const config = { server: { port: -1 }, apis: [{ name: 'a', protocol: 'http', stage: '$default', routes: { 'GET /x': { integration: { type: 'http', uri: 'nope' } } }, cors: { allowOrigins: ['*'], allowCredentials: true } }] };
  assert.throws(() => parseConfig(config, {}), (err: unknown) => err instanceof ConfigError && err.issues.length === 2);
});

test('${VAR} and ${VAR:-default} interpolate the environment', () => {
  const cfg = parseConfig({ apis: [{ name: 'a', protocol: 'http', stage: '${STAGE:-dev}', routes: { 'GET /x': { integration: { type: 'http', uri: 'http://${HOST}:8080/x' } } } }] }, { HOST: 'upstream.local' });
  assert.equal(cfg.apis[0]!.stage, 'dev');
  const integration = cfg.apis[0]!.routes['GET /x']!.integration;
  assert.equal(integration.type === 'http' && integration.uri, 'http://upstream.local:8080/x');
});

test('HTTP API mapping syntax ${request.path.id} is not mistaken for an environment variable', () => {
  const cfg = parseConfig(httpApi({}, { 'GET /x/{id}': { integration: { type: 'http', uri: 'http://u', requestParameters: { 'overwrite:header.x-id': '${request.path.id}' } } } }), {});
  const integration = cfg.apis[0]!.routes['GET /x/{id}']!.integration;
  assert.equal(integration.type === 'http' && integration.requestParameters?.['overwrite:header.x-id'], '${request.path.id}');
});

test('the parsed config is deep-frozen and carries documented defaults', () => {
  const cfg = parseConfig(httpApi(), {});
  assert.ok(Object.isFrozen(cfg) && Object.isFrozen(cfg.apis[0]));
  assert.equal(cfg.server.port, 3000);
  assert.equal(cfg.apis[0]!.maxBodyBytes, 10 * 1024 * 1024);
  assert.equal(cfg.aws.region, 'us-east-1');
});

test('YAML syntax errors name the line', () => {
  assert.throws(() => parseConfigText('apis:\n  - name: a\n   protocol: http\n'), (err: unknown) => err instanceof ConfigError && /line 3/.test(err.message));
});

test('`portcullis validate` exits 2 with every problem and 0 for a valid file', () => {
  const dir = tempDir();
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'apis:\n  - name: a\n    protocol: http\n    stage: $default\n    routes:\n      "GET /x":\n        integration: { type: http, uri: "ftp://x" }\n');
  const r = spawnSync(process.execPath, ['bin/portcullis.mjs', 'validate', bad], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /apis\[0\]\.routes\["GET \/x"\]\.integration\.uri: must be an absolute http\(s\) URL/);
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'apis:\n  - name: a\n    protocol: http\n    stage: $default\n    routes:\n      "GET /x":\n        integration: { type: mock }\n');
  const ok = spawnSync(process.execPath, ['bin/portcullis.mjs', 'validate', good], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /valid \(1 API, 1 route\)/);
});

test('`portcullis start` with a missing config exits 2 with one clear line and starts nothing', () => {
  const r = spawnSync(process.execPath, ['bin/portcullis.mjs', 'start', '--config', '/nonexistent/portcullis.yaml'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim(), 'portcullis: config file /nonexistent/portcullis.yaml does not exist');
});

test('in a config file, ${VAR} may fill numbers and booleans too; unset variables name their line', () => {
  const text = 'server:\n  port: ${GW_PORT:-4000}\napis:\n  - name: a\n    protocol: http\n    stage: $default\n    routes:\n      "GET /x": { integration: { type: mock, statusCode: ${STATUS} } }\n';
  const cfg = parseConfigText(text, { STATUS: '204' });
  assert.equal(cfg.server.port, 4000);
  const integration = cfg.apis[0]!.routes['GET /x']!.integration;
  assert.equal(integration.type === 'mock' && integration.statusCode, 204);
  assert.throws(() => parseConfigText(text, {}), (err: unknown) => err instanceof ConfigError && err.issues[0]!.path === 'line 8' && /STATUS is not set/.test(err.issues[0]!.message));
});
