/**
 * The acceptance suite: the unmodified supertokens-node SDK (awsLambda framework, seed config)
 * against a Portcullis core on loopback. `defineSdkSuite('sqlite' | 'postgres')` is called by one
 * test file per store (the SDK is a per-process singleton, and node:test runs files in separate
 * processes).
 */
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import Session from 'supertokens-node/recipe/session';
import supertokens from 'supertokens-node';
import UserRoles from 'supertokens-node/recipe/userroles';
import UserMetadata from 'supertokens-node/recipe/usermetadata';
import EmailVerification from 'supertokens-node/recipe/emailverification';
import EmailPassword from 'supertokens-node/recipe/emailpassword';
import { cdiClient, decodeJwtPart, postgresOrSkipReason, startTestCore, type StoreKind, type TestCore } from './helpers.ts';
import {
  EXPECTED_ISSUER,
  SeedClient,
  httpApiAuthorizerEvent,
  initSdk,
  requestAuthorizerEvent,
  type LambdaResult,
  type SentEmail,
} from './sdk-harness.ts';

let counter = 0;
function email(): string {
  counter++;
  return `User${counter}.${process.pid}@Example.com`;
}
const PASSWORD = 'correct-horse-1';

export function defineSdkSuite(kind: StoreKind): void {
  describe(`supertokens-node 24 against the Portcullis core (${kind})`, () => {
    let core: TestCore | undefined;
    let skipReason: string | undefined;
    let handler: (event: any) => Promise<LambdaResult>;
    let sentEmails: SentEmail[];

    before(async () => {
      let pgUrl: string | undefined;
      if (kind === 'postgres') {
        const pgState = await postgresOrSkipReason();
        if ('skip' in pgState) {
          skipReason = pgState.skip;
          return;
        }
        pgUrl = pgState.url;
      }
      core = await startTestCore(kind, {}, pgUrl);
      ({ handler, sentEmails } = initSdk({ connectionURI: core.core.url }));
    });
    after(async () => {
      await core?.dispose();
    });

    /** Wraps a test so it is skipped (with the reason) when PostgreSQL is unavailable. */
    function test(name: string, fn: () => Promise<void>): void {
      it(name, async (t) => {
        if (skipReason !== undefined) {
          t.skip(skipReason);
          return;
        }
        await fn();
      });
    }

    for (const mode of ['cookie', 'header'] as const) {
      test(`sign-up and sign-in in ${mode} mode mint a v5 token with the seed's claims`, async () => {
        const client = new SeedClient(handler, mode);
        const address = email();
        const signUp = await client.signUp(address, PASSWORD);
        assert.equal(signUp.status, 200);
        assert.equal(signUp.json.status, 'OK');
        assert.equal(signUp.json.user.emails[0], address.toLowerCase());
        assert.ok(client.accessToken, 'an access token was issued');
        assert.ok(client.refreshToken, 'a refresh token was issued');
        assert.ok(client.frontToken, 'a front token was sent');
        if (mode === 'cookie') {
          const setCookies = signUp.result.multiValueHeaders?.['Set-Cookie'] ?? [];
          assert.ok(setCookies.some((c) => c.startsWith('sRefreshToken=') && c.includes('Path=/dev/auth/session/refresh')));
          assert.ok(setCookies.some((c) => c.startsWith('sAccessToken=') && c.includes('HttpOnly')));
        } else {
          assert.equal(signUp.result.multiValueHeaders?.['Set-Cookie']?.length ?? 0, 0);
        }

        const header = decodeJwtPart(client.accessToken!, 0);
        assert.deepEqual(Object.keys(header), ['alg', 'typ', 'kid', 'version']);
        assert.equal(header.version, '5');
        assert.match(header.kid, /^d-\d+$/);
        const payload = client.payload();
        assert.deepEqual(Object.keys(payload).slice(0, 9), [
          'sub',
          'exp',
          'iat',
          'tId',
          'rsub',
          'sessionHandle',
          'refreshTokenHash1',
          'parentRefreshTokenHash1',
          'antiCsrfToken',
        ]);
        assert.equal(payload.sub, signUp.json.user.id);
        assert.equal(payload.rsub, signUp.json.user.id);
        assert.equal(payload.tId, 'public');
        assert.equal(payload.parentRefreshTokenHash1, null);
        assert.equal(payload.antiCsrfToken, null);
        assert.equal(payload.iss, EXPECTED_ISSUER);
        assert.equal(payload.aud, 'jwtAuthorizers');
        assert.deepEqual(payload['st-ev'].v, false);
        assert.deepEqual(payload['st-role'].v, []);
        assert.deepEqual(payload['st-perm'].v, []);
        assert.equal(Object.keys(payload).at(-1), 'aud', 'aud is appended last by the override');

        // What an AWS HTTP-API JWT authorizer checks: signature via JWKS, iss, aud, exp.
        const jwks = createRemoteJWKSet(new URL(`${core!.core.url}/.well-known/jwks.json`));
        const verified = await jwtVerify(client.accessToken!, jwks, { issuer: EXPECTED_ISSUER, audience: 'jwtAuthorizers' });
        assert.equal(verified.payload.sub, signUp.json.user.id);

        const me = await client.send('GET', '/app/me');
        assert.equal(me.status, 200);
        assert.equal(me.json.userId, signUp.json.user.id);

        const signIn = await new SeedClient(handler, mode).signIn(address.toUpperCase(), PASSWORD);
        assert.equal(signIn.json.status, 'OK');
        assert.equal(signIn.json.user.id, signUp.json.user.id);
      });
    }

    test('duplicate sign-up gives FIELD_ERROR and a wrong password gives WRONG_CREDENTIALS_ERROR', async () => {
      const client = new SeedClient(handler, 'header');
      const address = email();
      assert.equal((await client.signUp(address, PASSWORD)).json.status, 'OK');
      const again = await new SeedClient(handler, 'header').signUp(address, PASSWORD);
      assert.deepEqual(again.json, {
        status: 'FIELD_ERROR',
        formFields: [{ id: 'email', error: 'This email already exists. Please sign in instead.' }],
      });
      const wrong = await new SeedClient(handler, 'header').signIn(address, 'wrong-password-1');
      assert.deepEqual(wrong.json, { status: 'WRONG_CREDENTIALS_ERROR' });
      const unknown = await new SeedClient(handler, 'header').signIn(`nobody-${address}`, PASSWORD);
      assert.deepEqual(unknown.json, { status: 'WRONG_CREDENTIALS_ERROR' });
    });

    test('a protected claim injected by the createNewSession override is refused by the core', async () => {
      const client = new SeedClient(handler, 'header');
      await assert.rejects(client.signUp(email(), PASSWORD, { 'x-test-inject-sub': 'yes' }), (err: Error) => {
        assert.match(err.message, /status code: 400 and message: The user payload contains protected field/);
        assert.match(err.message, /path: '\/public\/recipe\/session'/);
        return true;
      });
    });

    test('getSession works in REQUEST authorizer events (REST header, HTTP API cookies)', async () => {
      const header = new SeedClient(handler, 'header');
      const signUp = await header.signUp(email(), PASSWORD);
      const restEvent = requestAuthorizerEvent('/app/me', { authorization: `Bearer ${header.accessToken}` });
      const session = await Session.getSession(restEvent as any, restEvent as any, { sessionRequired: false, antiCsrfCheck: false });
      assert.equal(session?.getUserId(), signUp.json.user.id);
      assert.equal(session?.getAccessTokenPayload().aud, 'jwtAuthorizers');

      const cookie = new SeedClient(handler, 'cookie');
      const signUp2 = await cookie.signUp(email(), PASSWORD);
      const v2 = httpApiAuthorizerEvent('/app/me', {}, [`sAccessToken=${cookie.cookies.get('sAccessToken')}`]);
      const session2 = await Session.getSession(v2 as any, v2 as any, { sessionRequired: false, antiCsrfCheck: false });
      assert.equal(session2?.getUserId(), signUp2.json.user.id);

      const none = requestAuthorizerEvent('/app/me', {});
      assert.equal(await Session.getSession(none as any, none as any, { sessionRequired: false, antiCsrfCheck: false }), undefined);

      const tampered = requestAuthorizerEvent('/app/me', { authorization: `Bearer ${header.accessToken!.slice(0, -4)}AAAA` });
      await assert.rejects(Session.getSession(tampered as any, tampered as any, { sessionRequired: false, antiCsrfCheck: false }), {
        type: 'TRY_REFRESH_TOKEN',
      });
    });

    test('email verification round trip updates the st-ev claim', async () => {
      const client = new SeedClient(handler, 'cookie');
      const address = email();
      const signUp = await client.signUp(address, PASSWORD);
      assert.equal(client.payload()['st-ev'].v, false);
      const blocked = await client.send('GET', '/app/verified-only');
      assert.equal(blocked.status, 403);
      assert.equal(blocked.json.message, 'invalid claim');
      assert.equal(blocked.json.claimValidationErrors[0].id, 'st-ev');

      const before = sentEmails.length;
      const tokenCall = await client.send('POST', '/auth/user/email/verify/token');
      assert.deepEqual(tokenCall.json, { status: 'OK' });
      const mail = sentEmails.slice(before).find((m) => m.type === 'EMAIL_VERIFICATION');
      assert.ok(mail, 'a verification email was handed to the delivery override');
      assert.equal(mail.email, address.toLowerCase());
      const token = new URL(mail.link).searchParams.get('token');
      assert.ok(token);

      const bad = await client.send('POST', '/auth/user/email/verify', { method: 'token', token: `${token}x` });
      assert.deepEqual(bad.json, { status: 'EMAIL_VERIFICATION_INVALID_TOKEN_ERROR' });
      const verify = await client.send('POST', '/auth/user/email/verify', { method: 'token', token });
      assert.equal(verify.json.status, 'OK');
      assert.equal(client.payload()['st-ev'].v, true, 'the session claim was regenerated');
      const reuse = await client.send('POST', '/auth/user/email/verify', { method: 'token', token });
      assert.deepEqual(reuse.json, { status: 'EMAIL_VERIFICATION_INVALID_TOKEN_ERROR' }, 'tokens are single use');

      const check = await client.send('GET', '/auth/user/email/verify');
      assert.deepEqual(check.json, { status: 'OK', isVerified: true });
      assert.equal((await client.send('GET', '/app/verified-only')).status, 200);
      const user = await supertokens.getUser(signUp.json.user.id);
      assert.equal(user?.loginMethods[0]?.verified, true);
      const again = await client.send('POST', '/auth/user/email/verify/token');
      assert.deepEqual(again.json, { status: 'EMAIL_ALREADY_VERIFIED_ERROR' });

      await EmailVerification.unverifyEmail(user!.loginMethods[0]!.recipeUserId);
      assert.equal(await EmailVerification.isEmailVerified(user!.loginMethods[0]!.recipeUserId), false);
    });

    test('roles and permissions become st-role / st-perm claims; a missing role is a 403 invalid claim', async () => {
      assert.equal((await UserRoles.createNewRoleOrAddPermissions('admin', ['read:all', 'write:all'])).status, 'OK');
      const admin = new SeedClient(handler, 'header');
      const adminUp = await admin.signUp(email(), PASSWORD);
      const added = await UserRoles.addRoleToUser('public', adminUp.json.user.id, 'admin');
      assert.deepEqual(added, { status: 'OK', didUserAlreadyHaveRole: false });
      // Existing tokens keep their stale claim until re-login (observed core behaviour, spec §5).
      const stale = await admin.send('GET', '/app/admin');
      assert.equal(stale.status, 403);
      const adminIn = new SeedClient(handler, 'header');
      await adminIn.signIn(adminUp.json.user.emails[0], PASSWORD);
      assert.deepEqual(adminIn.payload()['st-role'].v, ['admin']);
      assert.deepEqual([...adminIn.payload()['st-perm'].v].sort(), ['read:all', 'write:all']);
      assert.equal((await adminIn.send('GET', '/app/admin')).status, 200);

      const user = new SeedClient(handler, 'header');
      await user.signUp(email(), PASSWORD);
      const denied = await user.send('GET', '/app/admin');
      assert.equal(denied.status, 403);
      assert.deepEqual(denied.json, {
        message: 'invalid claim',
        claimValidationErrors: [{ id: 'st-role', reason: { message: 'wrong value', expectedToInclude: 'admin', actualValue: [] } }],
      });
    });

    test('all ten UserRoles endpoints through the SDK', async () => {
      const role = `editor-${process.pid}`;
      assert.deepEqual(await UserRoles.createNewRoleOrAddPermissions(role, ['edit']), { status: 'OK', createdNewRole: true });
      assert.deepEqual(await UserRoles.createNewRoleOrAddPermissions(role, ['publish']), { status: 'OK', createdNewRole: false });
      assert.deepEqual(await UserRoles.getPermissionsForRole(role), { status: 'OK', permissions: ['edit', 'publish'] });
      assert.ok((await UserRoles.getAllRoles()).roles.includes(role));
      assert.deepEqual(await UserRoles.getRolesThatHavePermission('publish'), { status: 'OK', roles: [role] });
      assert.deepEqual(await UserRoles.addRoleToUser('public', 'user-a', role), { status: 'OK', didUserAlreadyHaveRole: false });
      assert.deepEqual(await UserRoles.addRoleToUser('public', 'user-a', role), { status: 'OK', didUserAlreadyHaveRole: true });
      assert.deepEqual(await UserRoles.getRolesForUser('public', 'user-a'), { status: 'OK', roles: [role] });
      assert.deepEqual(await UserRoles.getUsersThatHaveRole('public', role), { status: 'OK', users: ['user-a'] });
      assert.deepEqual(await UserRoles.removePermissionsFromRole(role, ['publish']), { status: 'OK' });
      assert.deepEqual(await UserRoles.getPermissionsForRole(role), { status: 'OK', permissions: ['edit'] });
      assert.deepEqual(await UserRoles.removeUserRole('public', 'user-a', role), { status: 'OK', didUserHaveRole: true });
      assert.deepEqual(await UserRoles.removeUserRole('public', 'user-a', role), { status: 'OK', didUserHaveRole: false });
      assert.deepEqual(await UserRoles.deleteRole(role), { status: 'OK', didRoleExist: true });
      assert.deepEqual(await UserRoles.deleteRole(role), { status: 'OK', didRoleExist: false });
      assert.deepEqual(await UserRoles.getPermissionsForRole(role), { status: 'UNKNOWN_ROLE_ERROR' });
      assert.deepEqual(await UserRoles.addRoleToUser('public', 'user-a', role), { status: 'UNKNOWN_ROLE_ERROR' });
      assert.deepEqual(await UserRoles.getUsersThatHaveRole('public', role), { status: 'UNKNOWN_ROLE_ERROR' });
    });

    test('user metadata get / update (merge, null removes) / clear', async () => {
      const id = `meta-${process.pid}`;
      assert.deepEqual(await UserMetadata.getUserMetadata(id), { status: 'OK', metadata: {} });
      await UserMetadata.updateUserMetadata(id, { theme: 'dark', plan: 'pro', nested: { a: 1 } });
      const updated = await UserMetadata.updateUserMetadata(id, { plan: null, lang: 'fr' });
      assert.deepEqual(updated, { status: 'OK', metadata: { theme: 'dark', nested: { a: 1 }, lang: 'fr' } });
      assert.deepEqual(await UserMetadata.clearUserMetadata(id), { status: 'OK' });
      assert.deepEqual(await UserMetadata.getUserMetadata(id), { status: 'OK', metadata: {} });
    });

    for (const mode of ['cookie', 'header'] as const) {
      test(`refresh in ${mode} mode rotates tokens; first use promotes the child`, async () => {
        const client = new SeedClient(handler, mode);
        await client.signUp(email(), PASSWORD);
        const at0 = client.accessToken!;
        const rt0 = client.refreshToken!;
        const refreshed = await client.refresh();
        assert.equal(refreshed.status, 200);
        assert.notEqual(client.refreshToken, rt0);
        assert.notEqual(client.accessToken, at0);
        const child = client.payload();
        assert.equal(typeof child.parentRefreshTokenHash1, 'string', 'a refreshed token carries its parent hash');
        assert.equal(child.aud, 'jwtAuthorizers', 'custom claims survive refresh');
        assert.equal(child.iss, EXPECTED_ISSUER);
        assert.equal(child.sessionHandle, decodeJwtPart(at0, 1).sessionHandle);

        // First use: the SDK asks the core, which promotes and sends a replacement token.
        const me = await client.send('GET', '/app/me');
        assert.equal(me.status, 200);
        assert.equal(client.payload().parentRefreshTokenHash1, null, 'the replacement has no parent hash');
        assert.equal(client.payload().refreshTokenHash1, child.refreshTokenHash1);

        // After promotion the old refresh token is theft; the new one still works.
        const second = await client.refresh();
        assert.equal(second.status, 200);
      });
    }

    test('two refreshes with the same parent both succeed (multi-tab race) until one child is used', async () => {
      const a = new SeedClient(handler, 'header');
      await a.signUp(email(), PASSWORD);
      const b = new SeedClient(handler, 'header');
      b.accessToken = a.accessToken;
      b.refreshToken = a.refreshToken;
      assert.equal((await a.refresh()).status, 200);
      assert.equal((await b.refresh()).status, 200, 'refreshing again with the uncommitted parent is fine');
      assert.equal((await a.send('GET', '/app/me')).status, 200, "a's child gets promoted");
      const theft = await b.refresh();
      assert.equal(theft.status, 401, "b's sibling is now stale");
      assert.deepEqual(theft.json, { message: 'token theft detected' });
    });

    test('token theft: reusing a replaced refresh token is a 401 and revokes the session', async () => {
      const client = new SeedClient(handler, 'header');
      await client.signUp(email(), PASSWORD);
      const handle = client.payload().sessionHandle;
      const rt0 = client.refreshToken!;
      assert.equal((await client.refresh()).status, 200);
      // An authorizer (no way to return the replacement) verifies the child: this commits it.
      const authz = requestAuthorizerEvent('/app/me', { authorization: `Bearer ${client.accessToken}` });
      const viaAuthorizer = await Session.getSession(authz as any, authz as any, { sessionRequired: false, antiCsrfCheck: false });
      assert.equal(viaAuthorizer?.getHandle(), handle);

      const attacker = new SeedClient(handler, 'header');
      attacker.refreshToken = rt0;
      const theft = await attacker.refresh();
      assert.equal(theft.status, 401);
      assert.deepEqual(theft.json, { message: 'token theft detected' });
      assert.equal(theft.result.headers['st-access-token'], '', 'tokens are cleared');
      assert.equal(await Session.getSessionInformation(handle), undefined, 'the SDK revoked the session in the core');
      const victim = await client.refresh();
      assert.equal(victim.status, 401, 'the legitimate client is logged out too');
    });

    test('sign-out clears tokens and revokes the session', async () => {
      const client = new SeedClient(handler, 'cookie');
      await client.signUp(email(), PASSWORD);
      const handle = client.payload().sessionHandle;
      assert.ok(await Session.getSessionInformation(handle));
      const out = await client.send('POST', '/auth/signout');
      assert.equal(out.status, 200);
      assert.deepEqual(out.json, { status: 'OK' });
      assert.equal(client.cookies.has('sAccessToken'), false);
      assert.equal(client.cookies.has('sRefreshToken'), false);
      assert.equal(await Session.getSessionInformation(handle), undefined);
      const after = await client.send('GET', '/app/me');
      assert.equal(after.status, 401);
    });

    test('session functions: info, handles per user, data, payload merge, revoke all', async () => {
      const client = new SeedClient(handler, 'header');
      const up = await client.signUp(email(), PASSWORD);
      const userId: string = up.json.user.id;
      const second = new SeedClient(handler, 'header');
      await second.signIn(up.json.user.emails[0], PASSWORD);
      const handles = await Session.getAllSessionHandlesForUser(userId);
      assert.equal(handles.length, 2);
      const handle = client.payload().sessionHandle;
      assert.ok(await Session.updateSessionDataInDatabase(handle, { cart: 3 }));
      const info = await Session.getSessionInformation(handle);
      assert.deepEqual(info?.sessionDataInDatabase, { cart: 3 });
      assert.equal(info?.userId, userId);
      assert.equal(info?.tenantId, 'public');
      assert.ok(await Session.mergeIntoAccessTokenPayload(handle, { plan: 'gold' }));
      const info2 = await Session.getSessionInformation(handle);
      assert.equal(info2?.customClaimsInAccessTokenPayload.plan, 'gold');
      assert.equal(info2?.customClaimsInAccessTokenPayload.aud, 'jwtAuthorizers');
      // The next refresh carries the merged claim.
      await client.refresh();
      assert.equal(client.payload().plan, 'gold');
      const revoked = await Session.revokeAllSessionsForUser(userId);
      assert.equal(revoked.length, 2);
      assert.deepEqual(await Session.getAllSessionHandlesForUser(userId), []);
      assert.equal(await Session.updateSessionDataInDatabase(handle, {}), false);
    });

    test('password reset through the SDK: token by email, consume, sign in with the new password', async () => {
      const client = new SeedClient(handler, 'header');
      const address = email();
      await client.signUp(address, PASSWORD);
      const before = sentEmails.length;
      const ask = await client.send('POST', '/auth/user/password/reset/token', { formFields: [{ id: 'email', value: address }] });
      assert.deepEqual(ask.json, { status: 'OK' });
      const mail = sentEmails.slice(before).find((m) => m.type === 'PASSWORD_RESET');
      assert.ok(mail);
      const token = new URL(mail.link).searchParams.get('token')!;
      const reset = await client.send('POST', '/auth/user/password/reset', {
        method: 'token',
        token,
        formFields: [{ id: 'password', value: 'new-password-2' }],
      });
      assert.deepEqual(reset.json, { status: 'OK' });
      assert.deepEqual((await new SeedClient(handler, 'header').signIn(address, PASSWORD)).json, { status: 'WRONG_CREDENTIALS_ERROR' });
      assert.equal((await new SeedClient(handler, 'header').signIn(address, 'new-password-2')).json.status, 'OK');
      const reuse = await client.send('POST', '/auth/user/password/reset', {
        method: 'token',
        token,
        formFields: [{ id: 'password', value: 'another-password-3' }],
      });
      assert.deepEqual(reuse.json, { status: 'RESET_PASSWORD_INVALID_TOKEN_ERROR' });

      const user = (await supertokens.listUsersByAccountInfo('public', { email: address }))[0]!;
      const changed = await EmailPassword.updateEmailOrPassword({ recipeUserId: user.loginMethods[0]!.recipeUserId, password: 'third-password-4' });
      assert.equal(changed.status, 'OK');
      assert.equal((await new SeedClient(handler, 'header').signIn(address, 'third-password-4')).json.status, 'OK');
    });

    test('JWKS and OpenID discovery are served through the SDK endpoints', async () => {
      const client = new SeedClient(handler, 'header');
      const jwks = await client.send('GET', '/auth/jwt/jwks.json');
      assert.equal(jwks.status, 200);
      const direct = await cdiClient(core!.core.url).get('/.well-known/jwks.json');
      assert.deepEqual(jwks.json, direct.json);
      assert.ok(jwks.json.keys.some((k: any) => k.kid.startsWith('d-')));
      assert.ok(jwks.json.keys.some((k: any) => k.kid.startsWith('s-')));
      const cacheControl = Object.entries(jwks.result.headers).find(([k]) => k.toLowerCase() === 'cache-control')?.[1];
      assert.match(String(cacheControl), /max-age=\d+, must-revalidate/);

      const discovery = await client.send('GET', '/auth/.well-known/openid-configuration');
      assert.equal(discovery.status, 200);
      assert.equal(discovery.json.issuer, EXPECTED_ISSUER);
      assert.equal(discovery.json.jwks_uri, `${EXPECTED_ISSUER}/jwt/jwks.json`);
    });

    test('user lookups: getUser, listUsersByAccountInfo, getUsersNewestFirst, deleteUser', async () => {
      const client = new SeedClient(handler, 'header');
      const address = email();
      const up = await client.signUp(address, PASSWORD);
      const user = await supertokens.getUser(up.json.user.id);
      assert.equal(user?.emails[0], address.toLowerCase());
      assert.equal(user?.loginMethods[0]?.recipeId, 'emailpassword');
      const listed = await supertokens.listUsersByAccountInfo('public', { email: `  ${address.toUpperCase()} ` });
      assert.equal(listed[0]?.id, up.json.user.id);
      const newest = await supertokens.getUsersNewestFirst({ tenantId: 'public', limit: 1 });
      assert.equal(newest.users[0]?.id, up.json.user.id);
      assert.ok(newest.nextPaginationToken);
      const page2 = await supertokens.getUsersNewestFirst({ tenantId: 'public', limit: 1, paginationToken: newest.nextPaginationToken });
      assert.notEqual(page2.users[0]?.id, up.json.user.id);
      await supertokens.deleteUser(up.json.user.id);
      assert.equal(await supertokens.getUser(up.json.user.id), undefined);
      assert.equal((await client.send('GET', '/app/me')).status, 200, 'an unexpired JWT still verifies locally');
      assert.equal((await client.refresh()).status, 401, 'but the session is gone');
    });
  });
}
