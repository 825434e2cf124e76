// The Store contract, run against SQLite and PostgreSQL (same assertions, same code path).
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SessionRow, Store } from '../../src/supertokens/store.ts';
import { openSqliteStore } from '../../src/supertokens/store-sqlite.ts';
import { openPostgresStore } from '../../src/supertokens/store-postgres.ts';
import { dropSchema, postgresOrSkipReason, uniqueSchema } from './helpers.ts';
import { MIGRATIONS } from '../../src/supertokens/store/migrations.ts';

function session(handle: string, overrides: Partial<SessionRow> = {}): SessionRow {
  return {
    appId: 'public',
    handle,
    tenantId: 'public',
    userId: 'u1',
    refreshTokenHash2: 'h0',
    sessionData: { a: 1 },
    jwtPayload: { iss: 'x' },
    expiresAtMs: 10_000,
    createdAtMs: 1000,
    useStaticKey: false,
    ...overrides,
  };
}

function storeContract(kind: 'sqlite' | 'postgres', open: () => Promise<{ store: Store; cleanup(): Promise<void> } | string>): void {
  describe(`Store contract (${kind})`, () => {
    let store: Store | undefined;
    let cleanup: (() => Promise<void>) | undefined;
    let skip: string | undefined;
    before(async () => {
      const opened = await open();
      if (typeof opened === 'string') skip = opened;
      else ({ store, cleanup } = opened);
    });
    after(async () => {
      await store?.close();
      await cleanup?.();
    });
    function test(name: string, fn: (s: Store) => Promise<void>): void {
      it(name, async (t) => {
        if (skip !== undefined) return void t.skip(skip);
        await fn(store!);
      });
    }

    test('migrations are idempotent and report the schema version', async (s) => {
      assert.equal(await s.migrate(), MIGRATIONS.length);
      assert.equal(await s.migrate(), MIGRATIONS.length);
    });

    test('app secrets: first writer wins', async (s) => {
      assert.equal(await s.getOrCreateAppSecret('public', 'k', 'first'), 'first');
      assert.equal(await s.getOrCreateAppSecret('public', 'k', 'second'), 'first');
      assert.equal(await s.getOrCreateAppSecret('other', 'k', 'third'), 'third');
    });

    test('signing keys: unique generation per (app, kind), listed newest first, deletable', async (s) => {
      const key = { appId: 'public', kind: 'dynamic' as const, publicJwk: '{}', privatePem: 'pem' };
      assert.equal(await s.insertSigningKey({ ...key, kid: 'd-1', seq: 1, createdAtMs: 1 }), true);
      assert.equal(await s.insertSigningKey({ ...key, kid: 'd-2', seq: 1, createdAtMs: 2 }), false, 'same seq loses');
      assert.equal(await s.insertSigningKey({ ...key, kid: 'd-3', seq: 2, createdAtMs: 3 }), true);
      assert.deepEqual((await s.listSigningKeys('public')).map((k) => k.kid), ['d-3', 'd-1']);
      assert.equal(await s.deleteSigningKeys('public', ['d-1']), 1);
      assert.deepEqual((await s.listSigningKeys('public')).map((k) => k.kid), ['d-3']);
    });

    test('sessions: compare-and-set on the refresh hash has exactly one winner', async (s) => {
      await s.insertSession(session('s1'));
      const results = await Promise.all([
        s.casSessionRefreshHash('public', 's1', 'h0', 'h1a', 20_000),
        s.casSessionRefreshHash('public', 's1', 'h0', 'h1b', 20_000),
        s.casSessionRefreshHash('public', 's1', 'h0', 'h1c', 20_000),
      ]);
      assert.equal(results.filter(Boolean).length, 1);
      const row = await s.getSession('public', 's1');
      assert.ok(row);
      assert.equal(row.refreshTokenHash2, ['h1a', 'h1b', 'h1c'][results.indexOf(true)]);
      assert.equal(row.expiresAtMs, 20_000);
      assert.deepEqual(row.sessionData, { a: 1 });
      assert.equal(await s.casSessionRefreshHash('public', 'missing', 'h0', 'x', 1), false);
    });

    test('sessions: payload and data updates, static-key flag, per-user listing, deletion', async (s) => {
      await s.insertSession(session('s2', { userId: 'u2', tenantId: 't1' }));
      await s.insertSession(session('s3', { userId: 'u2', expiresAtMs: 500 }));
      assert.equal(await s.updateSessionJwtPayload('public', 's2', { role: 'x' }), true);
      assert.equal(await s.updateSessionData('public', 's2', { cart: 2 }), true);
      assert.equal(await s.updateSessionData('public', 'nope', {}), false);
      await s.setSessionUseStaticKey('public', 's2', true);
      const row = await s.getSession('public', 's2');
      assert.deepEqual([row?.jwtPayload, row?.sessionData, row?.useStaticKey], [{ role: 'x' }, { cart: 2 }, true]);
      assert.deepEqual(await s.listSessionHandlesForUser('public', null, 'u2', 1000), ['s2']);
      assert.deepEqual((await s.listSessionHandlesForUser('public', null, 'u2', 0)).sort(), ['s2', 's3']);
      assert.deepEqual(await s.listSessionHandlesForUser('public', 't1', 'u2', 0), ['s2']);
      assert.deepEqual(await s.deleteSessions('public', ['s2', 'ghost']), ['s2']);
      assert.equal(await s.getSession('public', 's2'), undefined);
      assert.equal(await s.getSession('other', 's3'), undefined, 'sessions are scoped by app');
    });

    test('users: unique email per tenant, update with clash detection, listing with pagination, delete', async (s) => {
      const base = { appId: 'public', tenantId: 'public', passwordHash: 'h' };
      assert.equal(await s.insertUser({ ...base, userId: 'a', email: 'a@x', timeJoinedMs: 1 }), true);
      assert.equal(await s.insertUser({ ...base, userId: 'b', email: 'a@x', timeJoinedMs: 2 }), false);
      assert.equal(await s.insertUser({ ...base, tenantId: 't2', userId: 'c', email: 'a@x', timeJoinedMs: 3 }), true);
      assert.equal(await s.insertUser({ ...base, userId: 'd', email: 'd@x', timeJoinedMs: 4 }), true);
      assert.equal((await s.getUserByEmail('public', 'public', 'a@x'))?.userId, 'a');
      assert.equal(await s.updateUser('public', 'd', { email: 'a@x' }), 'email-taken');
      assert.equal(await s.updateUser('public', 'zz', { email: 'q@x' }), 'unknown-user');
      assert.equal(await s.updateUser('public', 'd', { email: 'e@x', passwordHash: 'h2' }), 'ok');
      assert.deepEqual([(await s.getUser('public', 'd'))?.email, (await s.getUser('public', 'd'))?.passwordHash], ['e@x', 'h2']);
      const page1 = await s.listUsers('public', 'public', 'DESC', 1);
      assert.deepEqual(page1.map((u) => u.userId), ['d']);
      const page2 = await s.listUsers('public', 'public', 'DESC', 5, { timeJoinedMs: page1[0]!.timeJoinedMs, userId: 'd' });
      assert.deepEqual(page2.map((u) => u.userId), ['a']);
      await s.setEmailVerified('public', 'a', 'a@x', true);
      await s.addUserRole('public', 'public', 'a', 'r');
      assert.equal(await s.deleteUser('public', 'a'), true);
      assert.equal(await s.getUser('public', 'a'), undefined);
      assert.equal(await s.isEmailVerified('public', 'a', 'a@x'), false);
      assert.deepEqual(await s.getUserRoles('public', 'public', 'a'), []);
    });

    test('email verification tokens: single use, all siblings consumed, expiry honoured', async (s) => {
      await s.insertEmailVerificationToken('public', 'public', 't1', 'u', 'e@x', 1000);
      await s.insertEmailVerificationToken('public', 'public', 't2', 'u', 'e@x', 1000);
      await s.insertEmailVerificationToken('public', 'public', 't3', 'u', 'old@x', 10);
      assert.equal(await s.consumeEmailVerificationToken('public', 'other', 't1', 0), undefined, 'tenant scoped');
      assert.deepEqual(await s.consumeEmailVerificationToken('public', 'public', 't1', 500), { userId: 'u', email: 'e@x', expiresAtMs: 1000 });
      assert.equal(await s.isEmailVerified('public', 'u', 'e@x'), true);
      assert.equal(await s.consumeEmailVerificationToken('public', 'public', 't2', 500), undefined, 'siblings died');
      assert.equal(await s.consumeEmailVerificationToken('public', 'public', 't3', 500), undefined, 'expired');
      assert.equal(await s.isEmailVerified('public', 'u', 'old@x'), false);
      assert.deepEqual(await s.listVerifiedEmails('public', ['u', 'v']), new Set(['u\u0000e@x']));
    });

    test('password reset tokens: single use, expiry honoured, all of the user consumed', async (s) => {
      await s.insertPasswordResetToken('public', 'public', 'p1', 'u', 'e@x', 1000);
      await s.insertPasswordResetToken('public', 'public', 'p2', 'u', 'e@x', 1000);
      await s.insertPasswordResetToken('public', 'public', 'p3', 'w', 'w@x', 10);
      assert.deepEqual(await s.consumePasswordResetToken('public', 'p1', 0), { userId: 'u', email: 'e@x', expiresAtMs: 1000 });
      assert.equal(await s.consumePasswordResetToken('public', 'p2', 0), undefined);
      assert.equal(await s.consumePasswordResetToken('public', 'p3', 100), undefined);
    });

    test('roles: create, permissions, assignment per tenant, delete cascades', async (s) => {
      assert.equal(await s.createRoleOrAddPermissions('public', 'r1', ['p1', 'p1', 'p2']), true);
      assert.equal(await s.createRoleOrAddPermissions('public', 'r1', ['p3']), false);
      assert.deepEqual(await s.getRolePermissions('public', 'r1'), ['p1', 'p2', 'p3']);
      await s.removeRolePermissions('public', 'r1', ['p2']);
      assert.deepEqual(await s.getRolesForPermission('public', 'p3'), ['r1']);
      assert.equal(await s.addUserRole('public', 't1', 'u', 'r1'), false);
      assert.equal(await s.addUserRole('public', 't1', 'u', 'r1'), true);
      assert.deepEqual(await s.getUserRoles('public', 't1', 'u'), ['r1']);
      assert.deepEqual(await s.getUserRoles('public', 'public', 'u'), []);
      assert.deepEqual(await s.getUsersWithRole('public', 't1', 'r1'), ['u']);
      await s.removeRolePermissions('public', 'r1', undefined);
      assert.deepEqual(await s.getRolePermissions('public', 'r1'), []);
      assert.equal(await s.deleteRole('public', 'r1'), true);
      assert.equal(await s.deleteRole('public', 'r1'), false);
      assert.deepEqual(await s.getUserRoles('public', 't1', 'u'), []);
      assert.equal(await s.roleExists('public', 'r1'), false);
    });

    test('metadata: shallow merge with null removal, delete', async (s) => {
      assert.deepEqual(await s.mergeUserMetadata('public', 'u', { a: 1, b: { c: 2 } }), { a: 1, b: { c: 2 } });
      assert.deepEqual(await s.mergeUserMetadata('public', 'u', { a: null, d: 'x' }), { b: { c: 2 }, d: 'x' });
      assert.deepEqual(await s.getUserMetadata('public', 'u'), { b: { c: 2 }, d: 'x' });
      await s.deleteUserMetadata('public', 'u');
      assert.deepEqual(await s.getUserMetadata('public', 'u'), {});
    });

    test('memberships: a user in several tenants, account info unique per tenant and recipe, removal', async (s) => {
      const user = (userId: string, tenantId: string, email: string) => ({ appId: 'm', userId, tenantId, email, passwordHash: 'h', timeJoinedMs: 1 });
      assert.equal(await s.insertUser(user('m1', 'a', 'x@example.com')), true);
      assert.equal(await s.insertUser(user('m2', 'b', 'x@example.com')), true);
      assert.equal(await s.insertUser(user('m3', 'a', 'x@example.com')), false, 'the email is taken in a');
      assert.deepEqual(await s.addUserToTenant('m', 'c', 'm1'), { status: 'OK', wasAlreadyAssociated: false });
      assert.deepEqual(await s.addUserToTenant('m', 'c', 'm1'), { status: 'OK', wasAlreadyAssociated: true });
      assert.deepEqual(await s.addUserToTenant('m', 'c', 'm2'), { status: 'EMAIL_EXISTS' });
      assert.deepEqual(await s.addUserToTenant('m', 'c', 'nobody'), { status: 'UNKNOWN_USER' });
      const tp = await s.signInUpThirdPartyUser({ appId: 'm', userId: 'm4', tenantId: 'a', thirdPartyId: 'g', thirdPartyUserId: 'x', email: 'x@example.com', timeJoinedMs: 1 });
      assert.equal(tp.status === 'OK' && tp.created, true);
      assert.deepEqual(await s.addUserToTenant('m', 'c', 'm4'), { status: 'OK', wasAlreadyAssociated: false }, 'another recipe never clashes');
      assert.deepEqual(Object.fromEntries(await s.listUserTenants('m', ['m1', 'm2', 'm4', 'nobody'])), { m1: ['a', 'c'], m2: ['b'], m4: ['a', 'c'], nobody: [] });
      assert.equal((await s.getUserByEmail('m', 'c', 'x@example.com'))?.userId, 'm1');
      assert.equal(await s.removeUserFromTenant('m', 'c', 'm1', 'm1'), true);
      assert.equal(await s.removeUserFromTenant('m', 'c', 'm1', 'm1'), false);
      assert.equal(await s.getUserByEmail('m', 'c', 'x@example.com'), undefined);
      assert.deepEqual(await s.addUserToTenant('m', 'c', 'm2'), { status: 'OK', wasAlreadyAssociated: false }, 'the email is free in c again');
      assert.equal(await s.deleteUser('m', 'm2'), true);
      assert.deepEqual((await s.listUserTenants('m', ['m2'])).get('m2'), [], 'deleting a user removes its memberships');
    });

    test('cleanup deletes only expired sessions and tokens', async (s) => {
      await s.insertSession(session('live', { expiresAtMs: 1_000_000 }));
      await s.insertSession(session('dead', { expiresAtMs: 100 }));
      await s.insertEmailVerificationToken('public', 'public', 'ev-dead', 'u', 'e', 100);
      await s.insertPasswordResetToken('public', 'public', 'pr-dead', 'u', 'e', 100);
      const result = await s.deleteExpired(50_000);
      assert.ok(result.sessions >= 1 && result.emailVerificationTokens >= 1 && result.passwordResetTokens >= 1);
      assert.ok(await s.getSession('public', 'live'));
      assert.equal(await s.getSession('public', 'dead'), undefined);
    });

    test('concurrent read-modify-write transactions do not lose updates', async (s) => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => s.mergeUserMetadata('public', 'race', { [`k${i}`]: i })));
      assert.equal(Object.keys(await s.getUserMetadata('public', 'race')).length, 20);
    });
  });
}

storeContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-store-'));
  const store = await openSqliteStore(join(dir, 'nested', 'core.sqlite'));
  return { store, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

storeContract('postgres', async () => {
  const state = await postgresOrSkipReason();
  if ('skip' in state) return state.skip;
  const schema = uniqueSchema();
  const store = await openPostgresStore({ connectionString: state.url, schema, poolMax: 5, connectTimeoutMs: 3000, queryTimeoutMs: 5000 });
  return { store, cleanup: () => dropSchema(state.url, schema) };
});
