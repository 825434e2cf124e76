/**
 * A token Portcullis did not mint: `oidc-provider` (a certified OpenID Provider) runs on loopback,
 * issues an RS256 JWT access token for the client-credentials grant with a resource indicator,
 * and the JWT authorizer discovers its keys and accepts the token.
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import { createManualClock } from '../../src/core/clock.ts';
import { GatewayError } from '../../src/core/errors.ts';
import { jwtConfig, makeAuthorizer, makeRequest } from './fixtures.ts';

const RESOURCE = 'https://api.portcullis.test';

interface ProviderLike {
  callback(): (req: unknown, res: unknown) => void;
}

describe('oidc-provider on loopback as the issuer', () => {
  let server: Server;
  let issuer: string;
  before(async () => {
    let handler: (req: unknown, res: unknown) => void = (_req, res) => (res as { end(): void }).end();
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const signingJwk = { ...(await exportJWK(privateKey)), kid: 'op-key-1', use: 'sig', alg: 'RS256' };
    const mod = (await import('oidc-provider' as string)) as { default: new (issuer: string, config: unknown) => ProviderLike };
    const provider = new mod.default(issuer, {
      clients: [
        {
          client_id: 'reporting-service',
          client_secret: 'a-long-enough-client-secret-for-tests',
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
        },
      ],
      jwks: { keys: [signingJwk] },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => RESOURCE,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({
            scope: 'reports:read reports:write',
            audience: RESOURCE,
            accessTokenTTL: 600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          }),
        },
      },
    });
    handler = provider.callback();
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function getToken(scope: string): Promise<string> {
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('reporting-service:a-long-enough-client-secret-for-tests').toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: RESOURCE, scope }).toString(),
    });
    const body = (await res.json()) as { access_token?: string; token_type?: string };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.token_type, 'Bearer');
    assert.ok(body.access_token && body.access_token.split('.').length === 3, 'a JWT access token');
    return body.access_token;
  }

  test('an RS256 client-credentials access token is accepted with its scopes and claims', async () => {
    const token = await getToken('reports:read');
    const { authorizer } = makeAuthorizer(jwtConfig(issuer, { jwtConfiguration: { issuer, audience: [RESOURCE] } }), {
      clock: createManualClock(Date.now()),
    });
    await authorizer.warmUp();
    assert.equal(authorizer.status().ready, true, authorizer.status().detail);
    const out = await authorizer.authorize(makeRequest({ headers: { authorization: `Bearer ${token}` }, authorizationScopes: ['reports:read'] }));
    assert.equal(out.claims?.iss, issuer);
    assert.equal(out.claims?.aud, RESOURCE);
    assert.equal(out.claims?.client_id, 'reporting-service');
    assert.match(out.claims?.exp ?? '', /^\d+$/);
    assert.deepEqual(out.scopes, ['reports:read']);
  });

  test('the same token is refused by a route needing another scope, and by another audience', async () => {
    const token = await getToken('reports:read');
    const clock = createManualClock(Date.now());
    const { authorizer } = makeAuthorizer(jwtConfig(issuer, { jwtConfiguration: { issuer, audience: [RESOURCE] } }), { clock });
    await assert.rejects(
      authorizer.authorize(makeRequest({ headers: { authorization: `Bearer ${token}` }, authorizationScopes: ['reports:write'] })),
      (e: GatewayError) => e.status === 403,
    );
    const other = makeAuthorizer(jwtConfig(issuer, { jwtConfiguration: { issuer, audience: ['https://other.test'] } }), { clock }).authorizer;
    await assert.rejects(
      other.authorize(makeRequest({ headers: { authorization: `Bearer ${token}` } })),
      (e: GatewayError) => e.detail === 'the token does not have a valid audience',
    );
  });
});
