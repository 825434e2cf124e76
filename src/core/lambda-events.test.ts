import { test } from '../../test/helpers/node-test.ts';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { invocationPayloadBytes, parseResultV1, parseResultV2 } from './lambda-events.ts';

// The REST proxy response validation matrix (spec §8.5, AWS-validated snapshot).
const V1_MATRIX: Array<[string, unknown, number | 'malformed', Array<[string, string]>?, string?]> = [
  ['statusCode only', { statusCode: 200 }, 200, [], undefined],
  ['non-string header values are coerced', { statusCode: 200, headers: { 'test-header': 'value', 'header-bool': true } }, 200, [['test-header', 'value'], ['header-bool', 'true']]],
  ['headers: null', { statusCode: 200, headers: null }, 200, []],
  ['unknown key', { statusCode: 200, wrongValue: 'value' }, 'malformed'],
  ['empty object', {}, 'malformed'],
  ['base64 body without binary media types stays base64 text', { statusCode: 200, body: 'aGVsbG8=', isBase64Encoded: true }, 200, [], 'aGVsbG8='],
  ['multiValueHeaders joined with ", "', { statusCode: 200, multiValueHeaders: { 'test-multi': ['value1', 'value2'] } }, 200, [['test-multi', 'value1, value2']]],
  ['same header in both: multi first, casing from multi', { statusCode: 200, multiValueHeaders: { 'Test-Dup': ['value-multi'] }, headers: { 'test-dup': 'value-solo' } }, 200, [['Test-Dup', 'value-multi, value-solo']]],
  ['multiValueHeaders value not a list', { statusCode: 200, multiValueHeaders: { x: 'v' } }, 'malformed'],
  ['statusCode not a number', { statusCode: 'test' }, 'malformed'],
  ['numeric string statusCode', { statusCode: '201' }, 201, []],
  ['a bare string', 'justAString', 'malformed'],
  ['no statusCode with headers', { headers: { 'test-header': 'value' } }, 200, [['test-header', 'value']]],
  ['null', null, 'malformed'],
  ['an array', [1], 'malformed'],
  ['body must be a string', { statusCode: 200, body: { a: 1 } }, 'malformed'],
];

for (const [name, payload, expected, headers, body] of V1_MATRIX) {
  test(`REST proxy result: ${name}`, () => {
    const r = parseResultV1(payload, 'rest');
    if (expected === 'malformed') {
      assert.equal(r.ok, false);
      return;
    }
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.equal(r.value.status, expected);
    if (headers) assert.deepEqual(r.value.headers, headers);
    if (body !== undefined) assert.equal(r.value.body, body);
  });
}

test('payload 1.0 on HTTP APIs requires statusCode, accepts cookies and decodes base64', () => {
  assert.equal(parseResultV1({ headers: {} }, 'http').ok, false);
  const r = parseResultV1({ statusCode: 200, cookies: ['a=1'], body: 'aGk=', isBase64Encoded: true }, 'http');
  assert.ok(r.ok);
  assert.deepEqual(r.value.headers, [['set-cookie', 'a=1']]);
  assert.equal(String(r.value.body), 'hi');
});

test('payload 2.0 inference: bare values become a 200 application/json body', () => {
  for (const [payload, body] of [[{ a: 1 }, '{"a":1}'], ['Hello', 'Hello'], [[1, 2], '[1,2]'], [42, '42'], [null, 'null']] as const) {
    const r = parseResultV2(payload);
    assert.ok(r.ok);
    assert.equal(r.value.status, 200);
    assert.deepEqual(r.value.headers, [['content-type', 'application/json']]);
    assert.equal(r.value.body, body);
  }
});

test('payload 2.0 structured: cookies become Set-Cookie lines, base64 bodies are decoded, bad statusCode is malformed', () => {
  const r = parseResultV2({ statusCode: 201, headers: { 'x-a': 1 }, cookies: ['a=1; Path=/', 'b=2'], body: 'aGk=', isBase64Encoded: true });
  assert.ok(r.ok);
  assert.equal(r.value.status, 201);
  assert.deepEqual(r.value.headers, [['x-a', '1'], ['set-cookie', 'a=1; Path=/'], ['set-cookie', 'b=2']]);
  assert.equal(String(r.value.body), 'hi');
  assert.equal(parseResultV2({ statusCode: 'nope' }).ok, false);
  assert.equal(parseResultV2({ statusCode: 700 }).ok, false);
});

test('invocationPayloadBytes is the UTF-8 length of the event serialised as JSON, for any body', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.boolean(), fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 20 }), { maxKeys: 4 }), (body, isBase64Encoded, headers) => {
      const event = { version: '2.0', headers, body, isBase64Encoded: isBase64Encoded && /^[A-Za-z0-9+/=]*$/.test(body) };
      assert.equal(invocationPayloadBytes(event), Buffer.byteLength(JSON.stringify(event)));
    }),
    { seed: 20261206, numRuns: 500 },
  );
  assert.equal(invocationPayloadBytes({ body: null, isBase64Encoded: false }), Buffer.byteLength('{"body":null,"isBase64Encoded":false}'));
});
