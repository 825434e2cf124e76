/**
 * The rejection matrix through the plug-in's `authorize()`: status, public message, `www-authenticate`
 * and `$context.authorizer.error` for every case in rejection-cases.ts.
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { GatewayError } from '../../src/core/errors.ts';
import { jwtConfig, makeAuthorizer, makeKey, makeRequest, startIdp, type Idp, type TestKey } from './fixtures.ts';
import { REJECTION_CASES, type CaseEnv } from './rejection-cases.ts';

describe('JWT rejection matrix (plug-in)', () => {
  let idp: Idp;
  let rsa: TestKey;
  let n = 0;
  before(async () => {
    idp = await startIdp();
    rsa = await makeKey('rsa-1');
  });
  after(() => idp.close());

  test('has at least 30 cases with unique names', () => {
    assert.ok(REJECTION_CASES.length >= 30, `${REJECTION_CASES.length} cases`);
    assert.equal(new Set(REJECTION_CASES.map((c) => c.name)).size, REJECTION_CASES.length);
  });

  for (const c of REJECTION_CASES) {
    test(`${c.status}: ${c.name}`, async (t) => {
      const env: CaseEnv = {
        idp,
        rsa,
        tenant: async (extra = {}) => {
          const { keys = [rsa], ...rest } = extra;
          return idp.tenant(`u${n++}`, keys.map((k) => k.jwk), rest).issuer;
        },
      };
      const setup = await c.setup(env);
      const { authorizer } = makeAuthorizer(jwtConfig(setup.issuer, setup.config));
      // Closed: an issuer that failed keeps a background retry scheduled until then.
      t.after(() => authorizer.close());
      const err = await authorizer.authorize(makeRequest(setup.request)).then(
        (outcome) => assert.fail(`expected a rejection, got ${JSON.stringify(outcome)}`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof GatewayError, `not a GatewayError: ${String(err)}`);
      assert.equal(err.status, c.status);
      assert.equal(err.publicMessage, c.status === 401 ? 'Unauthorized' : 'Forbidden');
      assert.equal(err.detail, c.detail ?? c.description);
      assert.deepEqual(
        err.headers,
        c.description === null ? {} : { 'www-authenticate': `Bearer scope="" error="invalid_token" error_description="${c.description}"` },
      );
    });
  }
});
