import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { parseConfigText } from '../../src/io/config-file.ts';
import { tempDir } from '../helpers/gateway.ts';
import type { HttpIntegrationConfig } from '../../src/integrations/http.ts';
import { BAD, httpApi, jwt, mock, restApi } from './bad-configs.ts';

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
  assert.equal(integration.type === 'http' && (integration as HttpIntegrationConfig).requestParameters?.['overwrite:header.x-id'], '${request.path.id}');
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

test('defaultAuthorizerId gives every route without an authorizer its authorizer; authorizationType NONE opts out', () => {
  const cfg = parseConfig({ apis: [{ name: 'a', protocol: 'http', stage: '$default', defaultAuthorizerId: 'j', authorizers: { j: { authorizerType: 'JWT', jwtConfiguration: { issuer: 'https://issuer.example', audience: ['x'] } } }, routes: { 'GET /a': { integration: { type: 'mock' } }, 'GET /open': { authorizationType: 'NONE', integration: { type: 'mock' } } } }] }, {});
  assert.equal(cfg.apis[0]!.routes['GET /a']!.authorizerId, 'j');
  assert.equal(cfg.apis[0]!.routes['GET /open']!.authorizerId, undefined);
  assert.throws(() => parseConfig({ apis: [{ name: 'a', protocol: 'http', stage: '$default', defaultAuthorizerId: 'nope', routes: { 'GET /a': { integration: { type: 'mock' } } } }] }, {}), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(err.issues.map((i) => `${i.path}: ${i.message}`), ['apis[0].defaultAuthorizerId: unknown authorizer "nope" (known: none)']);
    return true;
  });
});
