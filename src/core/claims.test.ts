import { describe, test } from '../../test/helpers/node-test.ts';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkJwtClaims,
  checkJwtTimes,
  checkRouteScopes,
  extractScopes,
  formatWwwAuthenticate,
  hasValidAudience,
  rejection,
  stringifyClaims,
  stringifyClaimValue,
  toGatewayError,
  type ClaimRules,
} from './claims.ts';
import { decodeUnverifiedJwt, isJwtRejection } from './jwt.ts';

const NOW = 1_718_722_000_000;
const rules: ClaimRules = { issuer: 'https://idp.example', audience: new Set(['api', 'client-1']), clockSkewMs: 0, requireExp: false };
const base = { iss: 'https://idp.example', aud: 'api', iat: NOW / 1000 - 1, exp: NOW / 1000 + 60 };
const reason = (v: unknown) => (v && typeof v === 'object' && 'reason' in v ? (v as { reason: string }).reason : 'ok');

describe('checkJwtClaims', () => {
  test('accepts a valid claims set and returns its times', () => {
    assert.deepEqual(checkJwtClaims(base, rules, NOW), { exp: base.exp, nbf: undefined, iat: base.iat });
  });
  test('checks in AWS order: iss before aud before exp', () => {
    assert.equal(reason(checkJwtClaims({ ...base, iss: 'x', aud: 'y', exp: 1 }, rules, NOW)), 'issuer_mismatch');
    assert.equal(reason(checkJwtClaims({ ...base, aud: 'y', exp: 1 }, rules, NOW)), 'audience_invalid');
    assert.equal(reason(checkJwtClaims({ ...base, exp: 1, nbf: NOW }, rules, NOW)), 'expired');
    assert.equal(reason(checkJwtClaims({ ...base, nbf: NOW / 1000 + 1, iat: NOW / 1000 + 1 }, rules, NOW)), 'not_yet_valid');
  });
  test('iss is compared exactly, trailing slash included', () => {
    assert.equal(reason(checkJwtClaims({ ...base, iss: 'https://idp.example/' }, rules, NOW)), 'issuer_mismatch');
    assert.equal(reason(checkJwtClaims({ ...base, iss: 'HTTPS://idp.example' }, rules, NOW)), 'issuer_mismatch');
  });
  test('absent time claims pass unless requireExp', () => {
    assert.equal(reason(checkJwtClaims({ iss: base.iss, aud: 'api' }, rules, NOW)), 'ok');
    assert.equal(reason(checkJwtClaims({ iss: base.iss, aud: 'api' }, { ...rules, requireExp: true }, NOW)), 'exp_missing');
  });
  test('non-numeric time claims are refused', () => {
    assert.equal(reason(checkJwtClaims({ ...base, exp: '9999999999' }, rules, NOW)), 'exp_invalid');
    assert.equal(reason(checkJwtClaims({ ...base, nbf: true }, rules, NOW)), 'nbf_invalid');
    assert.equal(reason(checkJwtClaims({ ...base, iat: [1] }, rules, NOW)), 'iat_invalid');
  });
  test('a time claim set to null is present and refused, not read as absent (unlike aud: null)', () => {
    assert.equal(reason(checkJwtClaims({ ...base, exp: null }, rules, NOW)), 'exp_invalid');
    assert.equal(reason(checkJwtClaims({ ...base, nbf: null }, rules, NOW)), 'nbf_invalid');
    assert.equal(reason(checkJwtClaims({ ...base, iat: null }, rules, NOW)), 'iat_invalid');
  });
});

describe('hasValidAudience', () => {
  const aud = new Set(['api', 'client-1']);
  test('aud string or array: one listed value is enough', () => {
    assert.equal(hasValidAudience({ aud: 'api' }, aud), true);
    assert.equal(hasValidAudience({ aud: ['x', 'api'] }, aud), true);
    assert.equal(hasValidAudience({ aud: ['x', 7] }, aud), false);
  });
  test('client_id counts only when aud is absent', () => {
    assert.equal(hasValidAudience({ client_id: 'client-1' }, aud), true);
    assert.equal(hasValidAudience({ aud: null, client_id: 'client-1' }, aud), true);
    assert.equal(hasValidAudience({ aud: 'x', client_id: 'client-1' }, aud), false);
    assert.equal(hasValidAudience({ aud: [], client_id: 'client-1' }, aud), false);
    assert.equal(hasValidAudience({}, aud), false);
  });
});

describe('checkJwtTimes', () => {
  const t = { exp: NOW / 1000 + 10, nbf: NOW / 1000, iat: NOW / 1000 };
  const r = { clockSkewMs: 0, requireExp: false };
  test('exp must be strictly after now; nbf and iat may equal now', () => {
    assert.equal(checkJwtTimes(t, r, NOW), null);
    assert.equal(reason(checkJwtTimes(t, r, NOW + 10_000)), 'expired');
    assert.equal(checkJwtTimes(t, r, NOW + 9_999), null);
    assert.equal(reason(checkJwtTimes(t, r, NOW - 1)), 'not_yet_valid');
  });
  test('clock skew widens every window', () => {
    const skew = { clockSkewMs: 5_000, requireExp: false };
    assert.equal(checkJwtTimes(t, skew, NOW + 14_999), null);
    assert.equal(checkJwtTimes(t, skew, NOW - 5_000), null);
    assert.equal(reason(checkJwtTimes({ ...t, nbf: undefined }, skew, NOW - 5_001)), 'used_before_issued');
  });
});

describe('scopes', () => {
  test('scp wins over scope; arrays and space-separated strings both work', () => {
    assert.deepEqual(extractScopes({ scp: ['a', 'b'], scope: 'c' }), ['a', 'b']);
    assert.deepEqual(extractScopes({ scp: 'a  b' }), ['a', 'b']);
    assert.deepEqual(extractScopes({ scope: 'read write' }), ['read', 'write']);
    assert.deepEqual(extractScopes({ scope: ['x', 1, ''] }), ['x']);
    assert.deepEqual(extractScopes({}), []);
  });
  test('route scopes: null when none; full token list when one matches; 403 otherwise', () => {
    assert.equal(checkRouteScopes(['a'], undefined), null);
    assert.equal(checkRouteScopes(['a'], []), null);
    assert.deepEqual(checkRouteScopes(['write', 'read'], ['read']), ['write', 'read']);
    const r = checkRouteScopes(['write'], ['read', 'admin']);
    assert.equal(reason(r), 'scope_missing');
  });
});

describe('stringifyClaims (AWS §1.5)', () => {
  test('conformance vector 9: arrays, integers, booleans', () => {
    assert.deepEqual(stringifyClaims({ 'cognito:groups': ['a', 'b'], exp: 1718722804, email_verified: true }), {
      'cognito:groups': '[a b]',
      exp: '1718722804',
      email_verified: 'true',
    });
  });
  test('objects as compact JSON, nulls dropped, floats shortest', () => {
    assert.deepEqual(stringifyClaims({ addr: { country: 'JP' }, gone: null, f: 1.5, big: 1e21, neg: -3, nested: [1, [2, 3], null, { a: 1 }] }), {
      addr: '{"country":"JP"}',
      f: '1.5',
      big: '1000000000000000000000',
      neg: '-3',
      nested: '[1 [2 3] <nil> {"a":1}]',
    });
  });
  test('every value becomes a string and no key gains a prototype', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const out = stringifyClaims(obj);
        for (const [k, v] of Object.entries(out)) {
          assert.equal(typeof v, 'string');
          assert.notEqual(obj[k], null);
        }
        assert.equal(Object.getPrototypeOf(out), Object.prototype);
      }),
    );
  });
  test('integers never render with an exponent', () => {
    fc.assert(fc.property(fc.integer(), (n) => assert.match(stringifyClaimValue(n), /^-?\d+$/)));
  });
});

describe('wire forms', () => {
  test('www-authenticate is AWS byte-for-byte: single spaces, no commas', () => {
    assert.equal(
      formatWwwAuthenticate('token contains an invalid number of segments'),
      'Bearer scope="" error="invalid_token" error_description="token contains an invalid number of segments"',
    );
  });
  test('quotes, backslashes and control characters cannot escape the quoted string', () => {
    assert.equal(formatWwwAuthenticate('a"b\\c\r\nd'), 'Bearer scope="" error="invalid_token" error_description="a?b?c??d"');
  });
  test('missing token: detail is AWS log text, header says token not provided', () => {
    const err = toGatewayError(rejection('token_missing'));
    assert.equal(err.status, 401);
    assert.equal(err.detail, 'missing: token not provided');
    assert.equal(err.headers['www-authenticate'], 'Bearer scope="" error="invalid_token" error_description="token not provided"');
    assert.deepEqual(toGatewayError(rejection('token_missing'), { wwwAuthenticateOnMissingToken: false }).headers, {});
  });
  test('scope failure is 403 Forbidden without www-authenticate', () => {
    const err = toGatewayError(rejection('scope_missing'));
    assert.equal(err.status, 403);
    assert.equal(err.publicMessage, 'Forbidden');
    assert.deepEqual(err.headers, {});
  });
});

describe('decodeUnverifiedJwt', () => {
  const h = Buffer.from('{"alg":"RS256","kid":"k"}').toString('base64url');
  const p = Buffer.from('{"sub":"x","__proto__":{"admin":true}}').toString('base64url');
  test('parses header and payload and drops __proto__ keys', () => {
    const jwt = decodeUnverifiedJwt(`${h}.${p}.c2ln`);
    assert.ok(!isJwtRejection(jwt));
    assert.equal(jwt.header.alg, 'RS256');
    assert.deepEqual({ ...jwt.payload }, { sub: 'x' });
    assert.equal(({} as Record<string, unknown>).admin, undefined);
    assert.equal(jwt.signingInput, `${h}.${p}`);
    assert.equal(jwt.signature.toString(), 'sig');
  });
  test('segment count and alphabet', () => {
    assert.equal(reason(decodeUnverifiedJwt('a.b')), 'malformed_segments');
    assert.equal(reason(decodeUnverifiedJwt('a.b.c.d')), 'malformed_segments');
    assert.equal(reason(decodeUnverifiedJwt(`${h}=.${p}.c2ln`)), 'malformed_header_base64');
    assert.equal(reason(decodeUnverifiedJwt(`${h}.${p}.c2l+`)), 'malformed_signature_base64');
    assert.equal(reason(decodeUnverifiedJwt(`${h}.bnVsbA.c2ln`)), 'malformed_payload_json');
  });
  test('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.string(), (s) => void decodeUnverifiedJwt(s)));
  });
});
