/**
 * Signing-key rotation coordinated through one PostgreSQL schema by several instances
 * (src/supertokens/keys.ts): each instance is a `SigningKeys` on its own pool with its own clock
 * (skewed by seconds, as real machines are). Checked at every step of a rotation: exactly one key
 * per generation however many instances race, no instance signs with a key that some instance's
 * JWKS does not list yet, all instances sign with one and the same key once it is due, a token
 * signed by any instance verifies on every other, and retired keys go away everywhere.
 * Skips with the reason when PostgreSQL is unreachable, unless CI=true.
 */
import { after, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { sign, verify } from 'node:crypto';
import { createManualClock } from '../../src/core/clock.ts';
import { createSigningKeys, type SigningKeys } from '../../src/supertokens/keys.ts';
import { openPostgresStore } from '../../src/supertokens/store-postgres.ts';
import type { Store } from '../../src/supertokens/store.ts';
import { dropSchema, postgresOrSkipReason, uniqueSchema } from './helpers.ts';

const pg = await postgresOrSkipReason();
const skip = 'skip' in pg ? pg.skip : false;
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
});

const HOUR = 3_600_000;
const timing = { updateIntervalMs: HOUR, publishAheadMs: 10 * 60_000, accessTokenValidityMs: 5 * 60_000 };
const START = 1_800_000_000_000;
/** Clock skews of the three instances (ms). */
const SKEWS = [0, 2_000, -1_500];

test('three instances on one schema: one key per rotation, published everywhere before anyone signs with it, one current key', { skip, timeout: 120_000 }, async () => {
  if (!('url' in pg)) return;
  const schema = uniqueSchema();
  const options = { connectionString: pg.url, schema, poolMax: 4, connectTimeoutMs: 5000, queryTimeoutMs: 10_000 };
  const stores: Store[] = await Promise.all(SKEWS.map(() => openPostgresStore(options)));
  cleanups.push(async () => {
    for (const s of stores) await s.close();
    await dropSchema(pg.url, schema);
  });
  const clocks = SKEWS.map((skew) => createManualClock(START + skew));
  const advance = (ms: number) => clocks.forEach((c) => c.advance(ms));

  // A fresh database, three instances starting at once: one static key, one dynamic key.
  const instances: SigningKeys[] = await Promise.all(stores.map((s, i) => createSigningKeys(s, 'public', clocks[i]!, timing)));
  const rows = async () => (await stores[0]!.listSigningKeys('public')).map((r) => `${r.kind}:${r.seq}`).sort();
  assert.deepEqual(await rows(), ['dynamic:1', 'static:0']);

  /** Every instance's view, at the instances' current clocks, checked against the invariants. */
  async function check(step: string): Promise<{ signer: string; published: string[] }> {
    const jwks = await Promise.all(instances.map((k) => k.jwks()));
    const signers = await Promise.all(instances.map((k) => k.signer(true)));
    for (const [i, key] of signers.entries()) {
      // Only the very first key of a fresh database signs before it has been published for publishAhead.
      assert.ok(key.seq === 1 || key.createdAtMs + timing.publishAheadMs <= clocks[i]!.nowMs(), `${step}: instance ${i} signs with ${key.kid} before its publish-ahead time`);
      for (const [j, set] of jwks.entries()) {
        assert.ok(set.keys.some((k) => k.kid === key.kid), `${step}: instance ${i} signs with ${key.kid}, which instance ${j}'s JWKS does not list`);
      }
      // A token signed by instance i verifies on every instance.
      const data = Buffer.from(`${step}-${i}`);
      const signature = sign('sha256', data, key.privateKey);
      for (const [j, other] of instances.entries()) {
        const verifier = await other.verificationKey(key.kid);
        assert.ok(verifier && verify('sha256', data, verifier.publicKey, signature), `${step}: instance ${j} verifies instance ${i}'s token`);
      }
    }
    return { signer: signers[0]!.kid, published: jwks[0]!.keys.map((k) => k.kid) };
  }

  const first = await check('start');
  // Through two full rotations, in steps that land before, at and after each due time.
  const steps = [HOUR - 60_000, 58_000, 4_000, 5 * 60_000, 5 * 60_000 - 3_000, 6_000, 30 * 60_000, HOUR - 36 * 60_000 + 1_000, 10 * 60_000 + 5_000, 20 * 60_000];
  let signer = first.signer;
  const signersSeen = [signer];
  for (const [n, ms] of steps.entries()) {
    advance(ms);
    // The instances race: each rotates (as its timer would) while the others serve JWKS and sign.
    await Promise.all(instances.flatMap((k) => [k.rotate(), k.jwks(), k.signer(true)]));
    const view = await check(`step ${n}`);
    if (view.signer !== signer) {
      signer = view.signer;
      signersSeen.push(signer);
    }
    const dynamic = (await rows()).filter((r) => r.startsWith('dynamic:'));
    assert.equal(new Set(dynamic).size, dynamic.length, 'one key per generation');
  }
  assert.equal(signersSeen.length, 3, `two rotations took place: ${signersSeen.join(' → ')}`);
  // Older keys retire once no token they signed can be valid (2 × access-token validity after they
  // stopped signing): 20 minutes after the last switch only the current generation is left.
  await Promise.all(instances.map((k) => k.rotate()));
  assert.deepEqual(await rows(), ['dynamic:3', 'static:0']);
  for (const k of instances) await k.reload();
  for (const k of instances) {
    for (const kid of signersSeen.slice(0, 2)) assert.equal(await k.verificationKey(kid), undefined, `retired ${kid} is gone everywhere`);
  }
});
