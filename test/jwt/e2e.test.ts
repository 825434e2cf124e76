/**
 * JWT authorizers through the real gateway on 127.0.0.1:0: the rejection matrix on the wire
 * (status, `www-authenticate`, body, `apigw-requestid`, `$context.authorizer.error` in the access
 * log), claims to Lambda payload 2.0 / 1.0 and to an HTTP backend through parameter mapping, and
 * key rotation at the issuer with an injected clock.
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createManualClock } from '../../src/core/clock.ts';
import { startGateway, startUpstream, tempDir, type TestUpstream } from '../helpers/gateway.ts';
import { claims, makeKey, NOW_MS, NOW_S, sign, startIdp, type Idp, type RequestSpec, type TestKey } from './fixtures.ts';
import { REJECTION_CASES, type CaseEnv } from './rejection-cases.ts';

const AUDIENCE = ['api://default', 'client-1'];

function apiConfig(issuer: string, options: { authorizer?: Record<string, unknown>; routes?: Record<string, unknown>; accessLog?: string } = {}) {
  return {
    apis: [
      {
        name: 'jwt-e2e',
        protocol: 'http',
        stage: '$default',
        authorizers: { jwt: { authorizerType: 'JWT', jwtConfiguration: { issuer, audience: AUDIENCE }, ...options.authorizer } },
        routes: options.routes ?? { 'GET /hello': { authorizerId: 'jwt', integration: { type: 'mock', statusCode: 200, body: 'ok' } } },
        ...(options.accessLog ? { accessLogSettings: { format: '$context.status $context.authorizer.error', destination: options.accessLog } } : {}),
      },
    ],
  };
}

async function send(url: string, spec: RequestSpec) {
  const res = await fetch(`${url}/hello${spec.rawQueryString ? `?${spec.rawQueryString}` : ''}`, { headers: spec.headers ?? {} });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

describe('JWT authorizer through the gateway', () => {
  let idp: Idp;
  let rsa: TestKey;
  let n = 0;
  before(async () => {
    idp = await startIdp();
    rsa = await makeKey('rsa-1');
  });
  after(() => idp.close());

  const env = (): CaseEnv => ({
    idp,
    rsa,
    tenant: async (extra = {}) => {
      const { keys = [rsa], ...rest } = extra;
      return idp.tenant(`e${n++}`, keys.map((k) => k.jwk), rest).issuer;
    },
  });

  describe('rejection matrix on the wire', () => {
    for (const c of REJECTION_CASES) {
      test(`${c.status}: ${c.name}`, async () => {
        const setup = await c.setup(env());
        const dir = tempDir();
        const log = join(dir, 'access.log');
        const scopes = setup.request.authorizationScopes;
        const gw = await startGateway(
          apiConfig(setup.issuer, {
            authorizer: setup.config ?? {},
            accessLog: log,
            routes: { 'GET /hello': { authorizerId: 'jwt', ...(scopes ? { authorizationScopes: scopes } : {}), integration: { type: 'mock', statusCode: 200, body: 'ok' } } },
          }),
          { clock: createManualClock(NOW_MS) },
        );
        let res;
        try {
          res = await send(gw.url, setup.request);
        } finally {
          await gw.close();
        }
        assert.equal(res.status, c.status);
        assert.equal(res.body, c.status === 401 ? '{"message":"Unauthorized"}' : '{"message":"Forbidden"}');
        assert.equal(res.headers.get('content-type'), 'application/json');
        assert.equal(res.headers.get('content-length'), c.status === 401 ? '26' : '23');
        assert.match(res.headers.get('apigw-requestid') ?? '', /^\S+$/);
        assert.equal(
          res.headers.get('www-authenticate'),
          c.description === null ? null : `Bearer scope="" error="invalid_token" error_description="${c.description}"`,
        );
        assert.equal(readFileSync(log, 'utf8'), `${c.status} ${c.detail ?? c.description}\n`);
      });
    }
  });

  describe('claims reach the integration', () => {
    let issuer: string;
    let upstream: TestUpstream;
    let gw: Awaited<ReturnType<typeof startGateway>>;
    let dir: string;
    before(async () => {
      issuer = idp.tenant('claims', [rsa.jwk]).issuer;
      upstream = await startUpstream();
      dir = tempDir({
        'echo.mjs': 'export const handler = async (event) => ({ statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ authorizer: event.requestContext.authorizer, authorization: event.headers?.authorization ?? event.headers?.Authorization }) });\n',
      });
      gw = await startGateway(
        apiConfig(issuer, {
          accessLog: join(dir, 'access.log'),
          routes: {
            'GET /v2': { authorizerId: 'jwt', integration: { type: 'lambda', handler: './echo.mjs' } },
            'GET /v2/scoped': { authorizerId: 'jwt', authorizationScopes: ['read'], integration: { type: 'lambda', handler: './echo.mjs' } },
            'GET /v1': { authorizerId: 'jwt', authorizationScopes: ['read'], integration: { type: 'lambda', handler: './echo.mjs', payloadFormatVersion: '1.0' } },
            'GET /backend': {
              authorizerId: 'jwt',
              integration: {
                type: 'http',
                uri: `${upstream.url}/whoami`,
                requestParameters: {
                  'overwrite:header.x-user-id': '$context.authorizer.claims.sub',
                  'overwrite:header.x-groups': '$context.authorizer.claims.cognito:groups',
                  'append:querystring.tenant': '${context.authorizer.claims.tenant}',
                },
              },
            },
          },
        }),
        { baseDir: dir, clock: createManualClock(NOW_MS) },
      );
    });
    after(async () => {
      await gw.close();
      await upstream.close();
    });

    const token = () =>
      sign(rsa, claims(issuer, { 'cognito:groups': ['a', 'b'], exp: 1718722804, email_verified: true, scope: 'read write', tenant: 'acme' }));

    test('payload 2.0: requestContext.authorizer.jwt = {claims, scopes}; scopes null without route scopes', async () => {
      const t = await token();
      const res = await fetch(`${gw.url}/v2`, { headers: { authorization: `Bearer ${t}` } });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { authorizer: { jwt: { claims: Record<string, string>; scopes: unknown } }; authorization: string };
      assert.deepEqual(body.authorizer, {
        jwt: {
          claims: {
            iss: issuer,
            sub: 'user-1',
            aud: 'api://default',
            iat: String(NOW_S - 10),
            exp: '1718722804',
            'cognito:groups': '[a b]',
            email_verified: 'true',
            scope: 'read write',
            tenant: 'acme',
          },
          scopes: null,
        },
      });
      assert.equal(body.authorization, `Bearer ${t}`, 'the original header still reaches the integration');
    });

    test('payload 2.0 with route scopes: the token\'s full scope list (conformance 7)', async () => {
      const res = await fetch(`${gw.url}/v2/scoped`, { headers: { authorization: `Bearer ${await token()}` } });
      const body = (await res.json()) as { authorizer: { jwt: { scopes: unknown } } };
      assert.deepEqual(body.authorizer.jwt.scopes, ['read', 'write']);
    });

    test('payload 1.0: flat requestContext.authorizer.claims / scopes (conformance 10)', async () => {
      const res = await fetch(`${gw.url}/v1`, { headers: { authorization: `Bearer ${await token()}` } });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { authorizer: { claims: Record<string, string>; scopes: unknown } };
      assert.equal(body.authorizer.claims['cognito:groups'], '[a b]');
      assert.equal(body.authorizer.claims.exp, '1718722804');
      assert.equal(body.authorizer.claims.email_verified, 'true');
      assert.deepEqual(body.authorizer.scopes, ['read', 'write']);
    });

    test('HTTP backend gets claims through parameter mapping', async () => {
      const res = await fetch(`${gw.url}/backend`, { headers: { authorization: `Bearer ${await token()}` } });
      assert.equal(res.status, 200);
      const seen = upstream.requests.at(-1)!;
      assert.equal(seen.headers['x-user-id'], 'user-1');
      assert.equal(seen.headers['x-groups'], '[a b]');
      assert.match(seen.url, /[?&]tenant=acme(&|$)/);
    });
  });

  test('key rotation at the issuer while the gateway runs', async () => {
    const k1 = await makeKey('rot-1');
    const k2 = await makeKey('rot-2');
    const { issuer, state } = idp.tenant('rotation', [k1.jwk]);
    const clock = createManualClock(NOW_MS);
    const gw = await startGateway(apiConfig(issuer, { authorizer: { jwksCooldownSeconds: 300 } }), { clock });
    try {
      assert.deepEqual(state.hits, { discovery: 1, jwks: 1 }, 'keys prefetched at start');
      const long = { exp: NOW_S + 86_400 };
      const t1 = await sign(k1, claims(issuer, long));
      const t2 = await sign(k2, claims(issuer, long));
      assert.equal((await send(gw.url, { headers: { authorization: `Bearer ${t1}` } })).status, 200);
      state.keys = [k1.jwk, k2.jwk];
      const early = await send(gw.url, { headers: { authorization: `Bearer ${t2}` } });
      assert.equal(early.status, 401);
      assert.match(early.headers.get('www-authenticate') ?? '', /no key in the issuer's JWKS matches/);
      clock.advance(300_000);
      assert.equal((await send(gw.url, { headers: { authorization: `Bearer ${t2}` } })).status, 200);
      assert.equal((await send(gw.url, { headers: { authorization: `Bearer ${t1}` } })).status, 200);
      assert.equal(state.hits.jwks, 2);
    } finally {
      await gw.close();
    }
  });
});
