import { describe, test } from '../../test/helpers/node-test.ts';
import assert from 'node:assert/strict';
import { checkClaimRules, compileClaimRules, readClaimPath, renderClaimValidationBody, type CompiledClaimRules } from './claim-rules.ts';
import { extractScopesFrom } from './claims.ts';

const NOW = 1_718_722_000_000;

function compiled(spec: Record<string, unknown>): CompiledClaimRules {
  const c = compileClaimRules(spec);
  if (!c.ok) throw new Error(JSON.stringify(c.error));
  return c.value;
}

describe('compileClaimRules', () => {
  test('bad rules are issues with their path under claims', () => {
    const c = compileClaimRules({
      'st-role.v': { inclues: 'admin' },
      'a..b': true,
      perm: { includesAny: [] },
      level: { min: 5, max: 2 },
      age: { maxAgeSeconds: -1 },
      list: ['a'],
      empty: {},
      e: { exists: 'yes' },
    });
    assert.equal(c.ok, false);
    const issues = c.ok ? [] : c.error.map((i) => `${i.path.join('/')}: ${i.message}`);
    assert.deepEqual(issues, [
      'st-role.v/inclues: unknown claim operator; known: equals, includes, includesAny, includesAll, excludes, exists, min, max, maxAgeSeconds',
      'a..b: must be a claim name or a dotted path such as st-ev.v (no empty segments)',
      'perm/includesAny: must be a non-empty list of strings, numbers or booleans',
      'level/min: is greater than max (5 > 2)',
      'age/maxAgeSeconds: must be a whole number of seconds, 0 or more',
      'list: must be a value to compare with (string, number, boolean, null) or an object of equals, includes, includesAny, includesAll, excludes, exists, min, max, maxAgeSeconds; got an array (use { includesAll: [...] } or { includesAny: [...] })',
      'empty: must hold at least one of equals, includes, includesAny, includesAll, excludes, exists, min, max, maxAgeSeconds',
      'e/exists: must be true or false',
    ]);
  });
  test('a wrongly cased operator gets a did-you-mean', () => {
    const c = compileClaimRules({ x: { IncludesAny: ['a'] } });
    assert.ok(!c.ok && /did you mean "includesAny"/.test(c.error[0]!.message));
  });
});

describe('checkClaimRules', () => {
  test("SuperTokens' st-ev: the reason verifySession gives, id = the claim", () => {
    const rules = compiled({ 'st-ev.v': true });
    assert.deepEqual(checkClaimRules(rules, { 'st-ev': { v: true, t: NOW } }, NOW), []);
    const [f] = checkClaimRules(rules, { 'st-ev': { v: false, t: NOW } }, NOW);
    assert.equal(f!.id, 'st-ev');
    assert.equal(f!.explanation, 'claim st-ev.v is false (required: true)');
    assert.equal(
      renderClaimValidationBody([f!]),
      '{"message":"invalid claim","claimValidationErrors":[{"id":"st-ev","reason":{"message":"wrong value","expectedValue":true,"actualValue":false}}]}',
    );
    const [missing] = checkClaimRules(rules, { sub: 'u' }, NOW);
    assert.deepEqual(missing!.reason, { message: 'value does not exist', expectedValue: true });
  });
  test('includes / includesAny / includesAll / excludes on arrays, with the SDK reason keys', () => {
    const payload = { 'st-role': { v: ['user', 'editor'] }, 'cognito:groups': ['editors'], amr: ['pwd'] };
    assert.deepEqual(checkClaimRules(compiled({ 'st-role.v': { includes: 'editor' }, 'cognito:groups': { includes: 'editors' } }), payload, NOW), []);
    const [inc] = checkClaimRules(compiled({ 'st-role.v': { includes: 'admin' } }), payload, NOW);
    assert.deepEqual(inc!.reason, { message: 'wrong value', expectedToInclude: 'admin', actualValue: ['user', 'editor'] });
    const [any] = checkClaimRules(compiled({ 'st-role.v': { includesAny: ['admin', 'root'] } }), payload, NOW);
    assert.deepEqual(any!.reason, { message: 'wrong value', expectedToIncludeAtLeastOneOf: ['admin', 'root'], actualValue: ['user', 'editor'] });
    assert.deepEqual(checkClaimRules(compiled({ 'st-role.v': { includesAny: ['admin', 'editor'] } }), payload, NOW), []);
    const [all] = checkClaimRules(compiled({ amr: { includesAll: ['pwd', 'otp'] } }), payload, NOW);
    assert.equal(all!.id, 'amr');
    assert.equal(all!.explanation, 'claim amr is ["pwd"] (required to include all of ["pwd","otp"])');
    const [ex] = checkClaimRules(compiled({ 'st-role.v': { excludes: 'user' } }), payload, NOW);
    assert.deepEqual(ex!.reason, { message: 'wrong value', expectedToNotInclude: 'user', actualValue: ['user', 'editor'] });
    const [notList] = checkClaimRules(compiled({ amr: { includes: 'pwd' } }), { amr: 'pwd' }, NOW);
    assert.match(notList!.explanation, /not a list/);
  });
  test('exists, min/max, and maxAgeSeconds on seconds (auth_time) and milliseconds (st-ev.t)', () => {
    assert.equal(checkClaimRules(compiled({ email: { exists: true } }), { email: null }, NOW).length, 1);
    assert.equal(checkClaimRules(compiled({ email: { exists: false } }), {}, NOW).length, 0);
    const bounds = compiled({ level: { min: 2, max: 5 } });
    assert.equal(checkClaimRules(bounds, { level: 2 }, NOW).length, 0);
    assert.equal(checkClaimRules(bounds, { level: 6 }, NOW)[0]!.explanation, 'claim level is 6 (required ≤ 5)');
    assert.equal(checkClaimRules(bounds, { level: '3' }, NOW).length, 1);
    const fresh = compiled({ auth_time: { maxAgeSeconds: 300 } });
    assert.equal(checkClaimRules(fresh, { auth_time: NOW / 1000 - 300 }, NOW).length, 0);
    const [old] = checkClaimRules(fresh, { auth_time: NOW / 1000 - 301 }, NOW);
    assert.deepEqual(old!.reason, { message: 'expired', ageInSeconds: 301, maxAgeInSeconds: 300 });
    const ev = compiled({ 'st-ev.t': { maxAgeSeconds: 60 } });
    assert.equal(checkClaimRules(ev, { 'st-ev': { v: true, t: NOW - 59_000 } }, NOW).length, 0);
    assert.equal(checkClaimRules(ev, { 'st-ev': { v: true, t: NOW - 61_000 } }, NOW).length, 1);
  });
  test('every failed rule is reported, one per rule, in rule order', () => {
    const rules = compiled({ 'st-ev.v': true, 'st-role.v': { includes: 'admin', exists: true } });
    assert.deepEqual(checkClaimRules(rules, { 'st-ev': { v: false }, 'st-role': { v: [] } }, NOW).map((f) => f.id), ['st-ev', 'st-role']);
  });
  test('dotted paths: a claim name holding dots is matched whole first; nothing reads the prototype', () => {
    const ns = 'https://example.com/roles';
    assert.deepEqual(readClaimPath({ [ns]: ['a'] }, ns, ns.split('.')), { present: true, value: ['a'], id: ns });
    assert.equal(readClaimPath({}, 'constructor', ['constructor']).present, false);
    assert.equal(readClaimPath({ a: 'x' }, 'a.length', ['a', 'length']).present, false);
    assert.equal(readClaimPath({ a: [1] }, 'a.0', ['a', '0']).present, false);
  });
});

describe('extractScopesFrom', () => {
  test('without scopeClaims, AWS: scp before scope; with it, the union of the listed claims', () => {
    const payload = { scope: 'openid profile', scp: ['x'], permissions: ['read:orders', 'openid'] };
    assert.deepEqual(extractScopesFrom(payload, undefined), ['x']);
    assert.deepEqual(extractScopesFrom(payload, ['scope', 'permissions']), ['openid', 'profile', 'read:orders']);
    assert.deepEqual(extractScopesFrom({ permissions: 'a' }, ['nope']), []);
  });
});
