import { describe, it } from '../../test/helpers/node-test.ts';
import assert from 'node:assert/strict';
import { decodeJsonObjectSegment, decodeJsonSegment, encodeCompactJws, encodeJsonSegment, isBase64urlSegment, splitCompactJws } from './jwt-codec.ts';

describe('the compact JWS codec', () => {
  it('splits exactly three segments and keeps the signing input as sent', () => {
    assert.deepEqual(splitCompactJws('aa.bb.cc'), { header: 'aa', payload: 'bb', signature: 'cc', signingInput: 'aa.bb' });
    assert.deepEqual(splitCompactJws('..'), { header: '', payload: '', signature: '', signingInput: '.' });
    for (const bad of ['', 'a', 'a.b', 'a.b.c.d', '....']) assert.equal(splitCompactJws(bad), undefined, bad);
  });

  it('accepts only unpadded base64url of a possible length (Node itself would read all of these)', () => {
    assert.equal(isBase64urlSegment('eyJhIjoxfQ'), true);
    assert.equal(isBase64urlSegment(''), true);
    for (const bad of ['eyJhIjoxfQ==', 'a+b/', 'abcde', 'ab cd']) assert.equal(isBase64urlSegment(bad), false, bad);
  });

  it('round-trips JSON segments byte for byte, UTF-8 included, and drops __proto__ keys', () => {
    const value = { alg: 'RS256', name: 'é☃', list: [1, null, { x: true }] };
    assert.equal(encodeJsonSegment(value), Buffer.from(JSON.stringify(value), 'utf8').toString('base64url'));
    assert.deepEqual(decodeJsonSegment(encodeJsonSegment(value)), value);
    const polluted = decodeJsonObjectSegment(Buffer.from('{"__proto__":{"admin":true},"a":{"\\u005f_proto__":1}}').toString('base64url'));
    assert.deepEqual(polluted, { a: {} });
    assert.equal(Object.hasOwn(polluted!, '__proto__'), false);
  });

  it('decodeJsonObjectSegment: undefined for anything but a JSON object; decodeJsonSegment throws on non-JSON', () => {
    for (const text of ['[1]', 'null', '"s"', '1', '{', '']) assert.equal(decodeJsonObjectSegment(Buffer.from(text).toString('base64url')), undefined, text);
    assert.throws(() => decodeJsonSegment(Buffer.from('{').toString('base64url')), SyntaxError);
    assert.deepEqual(decodeJsonSegment(Buffer.from('[1]').toString('base64url')), [1]);
  });

  it('encodeCompactJws signs the ASCII bytes of header.payload and appends the signature in base64url', () => {
    let signed = '';
    const token = encodeCompactJws({ alg: 'none' }, { sub: 'x' }, (input) => {
      signed = input.toString('latin1');
      return Buffer.from([0xfb, 0xff]);
    });
    assert.equal(token, `${signed}.-_8`);
    assert.equal(signed, `${encodeJsonSegment({ alg: 'none' })}.${encodeJsonSegment({ sub: 'x' })}`);
  });
});
