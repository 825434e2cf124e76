import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { createDecisionCache, decisionCacheKey } from '../../src/authorizers/decision-cache.ts';
import { createManualClock } from '../../src/core/clock.ts';

test('entries expire exactly at the TTL (absolute, from the decision)', () => {
  const clock = createManualClock(0);
  const c = createDecisionCache<string>({ clock });
  c.set('k', 'v', 1000, 10);
  clock.advance(999);
  assert.equal(c.get('k'), 'v');
  clock.advance(1);
  assert.equal(c.get('k'), undefined);
  assert.equal(c.stats().entries, 0, 'expired entries are dropped on read');
});

test('reads do not extend the TTL', () => {
  const clock = createManualClock(0);
  const c = createDecisionCache<string>({ clock });
  c.set('k', 'v', 1000, 10);
  for (let i = 0; i < 9; i++) {
    clock.advance(100);
    c.get('k');
  }
  clock.advance(100);
  assert.equal(c.get('k'), undefined);
});

test('bounded by entries: the least recently used entry is evicted first', () => {
  const c = createDecisionCache<number>({ clock: createManualClock(0), maxEntries: 2 });
  c.set('a', 1, 10_000, 1);
  c.set('b', 2, 10_000, 1);
  c.get('a');
  c.set('c', 3, 10_000, 1);
  assert.equal(c.get('b'), undefined);
  assert.equal(c.get('a'), 1);
  assert.equal(c.get('c'), 3);
  assert.equal(c.stats().evictions, 1);
});

test('bounded by bytes: big entries push out old ones; an entry over the limit is not stored', () => {
  const c = createDecisionCache<string>({ clock: createManualClock(0), maxBytes: 1000 });
  c.set('a', 'x', 10_000, 400);
  c.set('b', 'y', 10_000, 400);
  assert.equal(c.stats().entries, 1, 'two entries of 400 + overhead exceed 1000 bytes');
  assert.equal(c.get('b'), 'y');
  c.set('huge', 'z', 10_000, 5000);
  assert.equal(c.get('huge'), undefined);
  assert.ok(c.stats().bytes <= 1000);
});

test('TTL 0 stores nothing; clear() empties', () => {
  const c = createDecisionCache<string>({ clock: createManualClock(0) });
  c.set('a', 'x', 0, 1);
  assert.equal(c.get('a'), undefined);
  c.set('b', 'x', 1000, 1);
  c.clear();
  assert.equal(c.get('b'), undefined);
  assert.equal(c.stats().bytes, 0);
});

test('keys hash identity values: no raw token in the key; order and boundaries matter', () => {
  const token = 'Bearer eyJhbGciOiJSUzI1NiJ9.secret.sig';
  const k = decisionCacheKey('auth', 'prod', [token]);
  assert.ok(!k.includes('secret'));
  assert.notEqual(decisionCacheKey('auth', 'prod', ['a,b']), decisionCacheKey('auth', 'prod', ['a', 'b']));
  assert.notEqual(decisionCacheKey('auth', 'prod', ['a', 'b']), decisionCacheKey('auth', 'prod', ['b', 'a']));
  assert.notEqual(decisionCacheKey('auth', 'prod', ['a']), decisionCacheKey('auth', 'dev', ['a']));
  assert.notEqual(decisionCacheKey('auth', 'prod', ['a']), decisionCacheKey('other', 'prod', ['a']));
  assert.equal(decisionCacheKey('auth', 'prod', ['a']), decisionCacheKey('auth', 'prod', ['a']));
});
