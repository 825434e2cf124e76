import { test } from '../../test/helpers/node-test.ts';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildMethodArn,
  buildRouteArn,
  decidePolicy,
  evaluatePolicy,
  matchGlob,
  parsePolicyDocument,
  type PolicyDecision,
} from './policy.ts';

const A = 'arn:aws:execute-api:us-east-1:123456789012:abc123';
const allow = (Resource: unknown, Action: unknown = 'execute-api:Invoke') => ({ Effect: 'Allow', Action, Resource });
const deny = (Resource: unknown, Action: unknown = 'execute-api:Invoke') => ({ Effect: 'Deny', Action, Resource });
const doc = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });

interface Case {
  name: string;
  policy: unknown;
  arn: string;
  expected: PolicyDecision | 'malformed';
}

const cases: Case[] = [
  // --- basics
  { name: 'exact resource allows', policy: doc(allow(`${A}/prod/GET/pets`)), arn: `${A}/prod/GET/pets`, expected: 'allow' },
  { name: 'other method is an implicit deny', policy: doc(allow(`${A}/prod/GET/pets`)), arn: `${A}/prod/POST/pets`, expected: 'implicit-deny' },
  { name: 'empty statement list is an implicit deny', policy: doc(), arn: `${A}/prod/GET/pets`, expected: 'implicit-deny' },
  { name: 'single Statement object (not array) is accepted', policy: { Version: '2012-10-17', Statement: allow(`${A}/prod/GET/pets`) }, arn: `${A}/prod/GET/pets`, expected: 'allow' },
  { name: 'Resource as an array, second entry matches', policy: doc(allow([`${A}/prod/GET/x`, `${A}/prod/GET/pets`])), arn: `${A}/prod/GET/pets`, expected: 'allow' },
  { name: 'Action as an array', policy: doc(allow(`${A}/prod/GET/pets`, ['s3:GetObject', 'execute-api:Invoke'])), arn: `${A}/prod/GET/pets`, expected: 'allow' },
  { name: 'resource matching is case-sensitive', policy: doc(allow(`${A}/prod/GET/Pets`)), arn: `${A}/prod/GET/pets`, expected: 'implicit-deny' },
  { name: 'prefix of the ARN does not match (anchored at the end)', policy: doc(allow(`${A}/prod/GET/pets`)), arn: `${A}/prod/GET/pets/1`, expected: 'implicit-deny' },
  { name: 'suffix of the ARN does not match (anchored at the start)', policy: doc(allow(`GET/pets`)), arn: `${A}/prod/GET/pets`, expected: 'implicit-deny' },
  // --- wildcards
  { name: '* spans "/" across segments', policy: doc(allow(`${A}/prod/*`)), arn: `${A}/prod/GET/pets/1/toys`, expected: 'allow' },
  { name: 'stage/*/* allows the root path /GET/ (* matches empty)', policy: doc(allow(`${A}/prod/*/*`)), arn: `${A}/prod/GET/`, expected: 'allow' },
  { name: 'stage/*/* allows a deep path', policy: doc(allow(`${A}/prod/*/*`)), arn: `${A}/prod/DELETE/a/b/c`, expected: 'allow' },
  { name: 'root resource exact ARN ending in /GET/', policy: doc(allow(`${A}/prod/GET/`)), arn: `${A}/prod/GET/`, expected: 'allow' },
  { name: 'root ARN does not allow /GET/pets', policy: doc(allow(`${A}/prod/GET/`)), arn: `${A}/prod/GET/pets`, expected: 'implicit-deny' },
  { name: 'a lone * resource allows anything', policy: doc(allow('*')), arn: `${A}/prod/GET/pets`, expected: 'allow' },
  { name: '? matches exactly one character', policy: doc(allow(`${A}/prod/GET/pet?`)), arn: `${A}/prod/GET/pets`, expected: 'allow' },
  { name: '? does not match zero characters', policy: doc(allow(`${A}/prod/GET/pets?`)), arn: `${A}/prod/GET/pets`, expected: 'implicit-deny' },
  { name: '? does not match two characters', policy: doc(allow(`${A}/prod/GET/pe?`)), arn: `${A}/prod/GET/pets`, expected: 'implicit-deny' },
  { name: '* in the middle of a segment', policy: doc(allow(`${A}/prod/GET/p*s`)), arn: `${A}/prod/GET/pets`, expected: 'allow' },
  { name: 'wildcard region and account run past ":"', policy: doc(allow('arn:aws:execute-api:*:abc123/prod/GET/*')), arn: `${A}/prod/GET/pets`, expected: 'allow' },
  { name: 'wildcard stage', policy: doc(allow(`${A}/*/GET/pets`)), arn: `${A}/dev/GET/pets`, expected: 'allow' },
  { name: 'wildcard method still needs the path', policy: doc(allow(`${A}/prod/*/pets`)), arn: `${A}/prod/GET/cats`, expected: 'implicit-deny' },
  { name: 'several stars with backtracking', policy: doc(allow(`${A}/*/GET/*/toys/*`)), arn: `${A}/prod/GET/pets/1/toys/2`, expected: 'allow' },
  { name: 'several stars that cannot all match', policy: doc(allow(`${A}/*/GET/*/toys/*`)), arn: `${A}/prod/GET/pets/1/food/2`, expected: 'implicit-deny' },
  // --- $default and regex metacharacters are literal
  { name: '$default stage in the ARN matches itself', policy: doc(allow(`${A}/$default/POST/lambda`)), arn: `${A}/$default/POST/lambda`, expected: 'allow' },
  { name: '$default with wildcards', policy: doc(allow(`${A}/$default/*`)), arn: `${A}/$default/GET/`, expected: 'allow' },
  { name: '"$" is not an end anchor', policy: doc(allow(`${A}/$default/*`)), arn: `${A}/default/GET/x`, expected: 'implicit-deny' },
  { name: '"." is literal, not any character', policy: doc(allow(`${A}/prod/GET/a.b`)), arn: `${A}/prod/GET/axb`, expected: 'implicit-deny' },
  { name: '"." matches a literal dot', policy: doc(allow(`${A}/prod/GET/a.b`)), arn: `${A}/prod/GET/a.b`, expected: 'allow' },
  { name: '"+" is literal', policy: doc(allow(`${A}/prod/GET/a+`)), arn: `${A}/prod/GET/aaa`, expected: 'implicit-deny' },
  { name: 'parentheses and pipes are literal', policy: doc(allow(`${A}/prod/GET/(a|b)`)), arn: `${A}/prod/GET/a`, expected: 'implicit-deny' },
  { name: 'brackets are literal', policy: doc(allow(`${A}/prod/GET/[ab]`)), arn: `${A}/prod/GET/[ab]`, expected: 'allow' },
  { name: 'braces from a template are literal', policy: doc(allow(`${A}/prod/GET/pets/{id}`)), arn: `${A}/prod/GET/pets/7`, expected: 'implicit-deny' },
  { name: 'backslash is literal', policy: doc(allow(`${A}/prod/GET/a\\d`)), arn: `${A}/prod/GET/a1`, expected: 'implicit-deny' },
  { name: '".*" is a literal dot then a wildcard', policy: doc(allow(`${A}/prod/GET/.*`)), arn: `${A}/prod/GET/pets`, expected: 'implicit-deny' },
  // --- Deny wins
  { name: 'explicit Deny beats an Allow for the same ARN', policy: doc(allow(`${A}/prod/*`), deny(`${A}/prod/DELETE/*`)), arn: `${A}/prod/DELETE/pets/1`, expected: 'explicit-deny' },
  { name: 'Deny listed before Allow still wins', policy: doc(deny(`${A}/prod/*`), allow(`${A}/prod/*`)), arn: `${A}/prod/GET/pets`, expected: 'explicit-deny' },
  { name: 'Deny for another ARN leaves the Allow in force', policy: doc(allow(`${A}/prod/*`), deny(`${A}/prod/DELETE/*`)), arn: `${A}/prod/GET/pets`, expected: 'allow' },
  { name: 'Deny alone for another ARN is an implicit deny', policy: doc(deny(`${A}/prod/DELETE/*`)), arn: `${A}/prod/GET/pets`, expected: 'implicit-deny' },
  { name: 'Deny with Resource * denies everything', policy: doc(allow('*'), deny('*')), arn: `${A}/prod/GET/`, expected: 'explicit-deny' },
  // --- Action / NotAction
  { name: 'execute-api:* is accepted', policy: doc(allow(`${A}/prod/*`, 'execute-api:*')), arn: `${A}/prod/GET/pets`, expected: 'allow' },
  { name: 'Action * is accepted', policy: doc(allow(`${A}/prod/*`, '*')), arn: `${A}/prod/GET/pets`, expected: 'allow' },
  { name: 'action names are case-insensitive', policy: doc(allow(`${A}/prod/*`, 'Execute-API:invoke')), arn: `${A}/prod/GET/pets`, expected: 'allow' },
  { name: 'a different action does not allow', policy: doc(allow(`${A}/prod/*`, 'execute-api:ManageConnections')), arn: `${A}/prod/GET/pets`, expected: 'implicit-deny' },
  { name: 'a Deny for a different action does not deny', policy: doc(allow(`${A}/prod/*`), deny(`${A}/prod/*`, 's3:*')), arn: `${A}/prod/GET/pets`, expected: 'allow' },
  { name: 'NotAction excluding another action allows Invoke', policy: doc({ Effect: 'Allow', NotAction: 's3:*', Resource: `${A}/prod/*` }), arn: `${A}/prod/GET/pets`, expected: 'allow' },
  { name: 'NotAction excluding Invoke does not allow', policy: doc({ Effect: 'Allow', NotAction: ['execute-api:Invoke'], Resource: `${A}/prod/*` }), arn: `${A}/prod/GET/pets`, expected: 'implicit-deny' },
  // --- NotResource
  { name: 'NotResource allows every other ARN', policy: doc({ Effect: 'Allow', Action: 'execute-api:Invoke', NotResource: `${A}/prod/*/admin/*` }), arn: `${A}/prod/GET/pets`, expected: 'allow' },
  { name: 'NotResource does not allow the excluded ARN', policy: doc({ Effect: 'Allow', Action: 'execute-api:Invoke', NotResource: [`${A}/prod/*/admin/*`] }), arn: `${A}/prod/GET/admin/users`, expected: 'implicit-deny' },
  { name: 'Deny with NotResource denies everything outside it', policy: doc(allow('*'), { Effect: 'Deny', Action: '*', NotResource: `${A}/prod/GET/*` }), arn: `${A}/prod/POST/pets`, expected: 'explicit-deny' },
  { name: 'Deny with NotResource spares what it lists', policy: doc(allow('*'), { Effect: 'Deny', Action: '*', NotResource: `${A}/prod/GET/*` }), arn: `${A}/prod/GET/pets`, expected: 'allow' },
  // --- Condition [INF: fail closed]
  { name: 'Allow with a Condition does not match', policy: doc({ ...allow('*'), Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }), arn: `${A}/prod/GET/pets`, expected: 'implicit-deny' },
  { name: 'Deny with a Condition matches', policy: doc(allow('*'), { ...deny('*'), Condition: { Bool: { 'aws:SecureTransport': 'false' } } }), arn: `${A}/prod/GET/pets`, expected: 'explicit-deny' },
  { name: 'an empty Condition object is no condition', policy: doc({ ...allow('*'), Condition: {} }), arn: `${A}/prod/GET/pets`, expected: 'allow' },
  // --- malformed documents
  { name: 'missing Statement is malformed', policy: { Version: '2012-10-17' }, arn: `${A}/prod/GET/`, expected: 'malformed' },
  { name: 'Effect in lower case is malformed', policy: doc({ Effect: 'allow', Action: '*', Resource: '*' }), arn: `${A}/prod/GET/`, expected: 'malformed' },
  { name: 'Resource as a number is malformed', policy: doc(allow(42)), arn: `${A}/prod/GET/`, expected: 'malformed' },
  { name: 'both Resource and NotResource is malformed', policy: doc({ ...allow('*'), NotResource: '*' }), arn: `${A}/prod/GET/`, expected: 'malformed' },
  { name: 'neither Action nor NotAction is malformed', policy: doc({ Effect: 'Allow', Resource: '*' }), arn: `${A}/prod/GET/`, expected: 'malformed' },
  { name: 'a string policyDocument is malformed', policy: 'Allow', arn: `${A}/prod/GET/`, expected: 'malformed' },
  { name: 'a statement that is an array is malformed', policy: doc([allow('*')]), arn: `${A}/prod/GET/`, expected: 'malformed' },
];

test('policy table has at least 40 cases', () => {
  assert.ok(cases.length >= 40, `only ${cases.length} cases`);
});

for (const c of cases) {
  test(`evaluatePolicy: ${c.name}`, () => {
    const r = decidePolicy(c.policy, c.arn);
    if (c.expected === 'malformed') {
      assert.equal(r.ok, false);
      return;
    }
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.equal(r.value.decision, c.expected);
  });
}

test('conditions leave a warning for the log', () => {
  const parsed = parsePolicyDocument(doc({ ...allow('*'), Condition: { IpAddress: { 'aws:SourceIp': '1.2.3.4' } } }));
  assert.ok(parsed.ok);
  const ev = evaluatePolicy(parsed.value, `${A}/prod/GET/`);
  assert.equal(ev.decision, 'implicit-deny');
  assert.equal(ev.warnings.length, 1);
});

test('malformed documents name the field, not the values', () => {
  const r = parsePolicyDocument(doc(allow(['ok', 7])));
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.error, /Statement\[0\]\.Resource/);
});

test('matchGlob: a glob without wildcards is plain equality (property)', () => {
  fc.assert(
    fc.property(fc.string().filter((s) => !/[*?]/.test(s)), fc.string(), (p, t) => {
      assert.equal(matchGlob(p, t), p === t);
      assert.equal(matchGlob(p, p), true);
    }),
  );
});

test('matchGlob: "*" + any literal infix + "*" is substring search (property)', () => {
  fc.assert(
    fc.property(fc.string().filter((s) => !/[*?]/.test(s)), fc.string(), fc.string(), (mid, pre, post) => {
      assert.equal(matchGlob(`*${mid}*`, pre + mid + post), true);
      assert.equal(matchGlob(`*${mid}*`, pre + post), (pre + post).includes(mid));
    }),
  );
});

test('matchGlob: pathological patterns finish quickly', () => {
  const text = 'a'.repeat(5000);
  const started = performance.now();
  assert.equal(matchGlob('*a*a*a*a*a*a*a*a*b', text), false);
  assert.ok(performance.now() - started < 500);
});

test('buildMethodArn: REST ARN without the leading slash; root ends in /GET/', () => {
  const base = { region: 'us-east-1', accountId: '123456789012', apiId: 'abc123', stage: 'prod' };
  assert.equal(buildMethodArn({ ...base, method: 'GET', path: '/pets/7' }), `${A}/prod/GET/pets/7`);
  assert.equal(buildMethodArn({ ...base, method: 'GET', path: '/' }), `${A}/prod/GET/`);
});

test('buildRouteArn: HTTP API ARN keeps the literal $default stage', () => {
  assert.equal(
    buildRouteArn({ region: 'eu-west-1', accountId: '123456789012', apiId: 'lsw1ro4ipb', stage: '$default', method: 'POST', path: '/lambda' }),
    'arn:aws:execute-api:eu-west-1:123456789012:lsw1ro4ipb/$default/POST/lambda',
  );
});
