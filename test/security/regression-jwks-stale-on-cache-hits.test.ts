/**
 * Regression: the JWKS max age was only enforced on verified-token cache *misses*. io/keys.ts
 * started its background refresh of stale keys from `getKey()`, which the JWT authorizer calls only
 * when a token is not in its verified-token cache; a cache hit only asked `isCurrent()`. While
 * traffic consisted of already-verified tokens, the keys were never refreshed, so a key the issuer
 * had replaced or withdrawn kept admitting its cached tokens until they expired, past
 * `jwksCacheMaxAgeSeconds`. Found by test/security/faults-authorizers.test.ts ("the issuer replaces
 * the key under the same kid").
 */
import { after, before, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { GatewayError } from '../../src/core/errors.ts';
import { bearer, claims, jwtConfig, makeAuthorizer, makeKey, makeRequest, sign, startIdp, type Idp } from '../jwt/fixtures.ts';

let idp: Idp;
before(async () => {
  idp = await startIdp();
});
after(() => idp.close());

test('cache hits alone refresh stale keys: a replaced key stops admitting its cached tokens', async () => {
  const key = await makeKey('stale-hit');
  const impostor = await makeKey('stale-hit-other');
  const { issuer, state } = idp.tenant('stale-hits', [key.jwk]);
  const { authorizer, clock } = makeAuthorizer(jwtConfig(issuer, { jwksCacheMaxAgeSeconds: 60 }));
  const token = await sign(key, claims(issuer));
  assert.equal((await authorizer.authorize(makeRequest(bearer(token)))).kind, 'jwt');
  assert.equal(state.hits.jwks, 1);
  state.keys = [{ ...impostor.jwk, kid: key.kid }]; // the issuer withdraws the key
  clock.advance(60_000);
  // Only the cached token is presented (no warmUp(), no other token): the stale keys must refresh.
  assert.equal((await authorizer.authorize(makeRequest(bearer(token)))).kind, 'jwt', 'stale keys still serve while refreshing');
  for (let i = 0; i < 50 && state.hits.jwks < 2; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(state.hits.jwks, 2, 'a cache hit on stale keys started one background refresh');
  await new Promise((r) => setTimeout(r, 50));
  await assert.rejects(authorizer.authorize(makeRequest(bearer(token))), (e: GatewayError) => e.status === 401);
  assert.equal(state.hits.jwks, 2, 'one refresh, not one per hit');
});
