/**
 * One supertokens-node release, unmodified, through the flows of the compatibility matrix
 * (test/compat/node-sdk.test.ts starts this file once per release, each in its own process: the
 * SDK is a per-process singleton).
 *
 * Environment: COMPAT_SDK_DIR (an `npm install --prefix` folder holding the release),
 * COMPAT_CONNECTION_URI (the core), COMPAT_EXPECT_TOKEN_VERSION (3, 4 or 5).
 * Output: one `FLOW {"flow":…,"ok":…,"error"?:…}` line per flow on stdout; exit 0 when every flow ran.
 *
 * The flows go through the SDK's own HTTP APIs (awsLambda framework, header mode, as a frontend
 * would call them) and through the server-side functions whose signatures every release shares;
 * where a signature changed (tenant ids from 15, `getUser` from 16) both forms are called by major.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { base32Decode, totpAt } from '../../src/supertokens/totp.ts';
import { headerModeClient, type HeaderModeTokens, type SdkLambdaHandler } from '../helpers/sdk-lambda-client.ts';

const dir = process.env.COMPAT_SDK_DIR!;
const connectionURI = process.env.COMPAT_CONNECTION_URI!;
const expectTokenVersion = process.env.COMPAT_EXPECT_TOKEN_VERSION!;
const requireSdk = createRequire(join(dir, 'node_modules', 'index.js'));
const sdkVersion: string = JSON.parse(readFileSync(join(dir, 'node_modules', 'supertokens-node', 'package.json'), 'utf8')).version;
const major = Number.parseInt(sdkVersion, 10);

const supertokens: any = requireSdk('supertokens-node');
const { middleware }: any = requireSdk('supertokens-node/framework/awsLambda');
const Session: any = requireSdk('supertokens-node/recipe/session');
const EmailPassword: any = requireSdk('supertokens-node/recipe/emailpassword');
const EmailVerification: any = requireSdk('supertokens-node/recipe/emailverification');
const UserRoles: any = requireSdk('supertokens-node/recipe/userroles');
const UserMetadata: any = requireSdk('supertokens-node/recipe/usermetadata');
const ThirdParty: any = requireSdk('supertokens-node/recipe/thirdparty');
const Passwordless: any = requireSdk('supertokens-node/recipe/passwordless');
// TOTP and MultiFactorAuth arrived in supertokens-node 17 (CDI 5.0); TOTP turns MFA on for the app.
const Totp: any = major >= 17 ? requireSdk('supertokens-node/recipe/totp') : undefined;
const MultiFactorAuth: any = major >= 17 ? requireSdk('supertokens-node/recipe/multifactorauth') : undefined;

const sentLinks: { type: string; link: string; email: string }[] = [];

supertokens.init({
  framework: 'awsLambda',
  supertokens: { connectionURI },
  appInfo: { appName: 'compat', apiDomain: 'https://api.example.com', websiteDomain: 'https://app.example.com', apiBasePath: '/auth' },
  isInServerlessEnv: true,
  recipeList: [
    EmailPassword.init({
      emailDelivery: {
        override: (original: any) => ({
          ...original,
          sendEmail: async (input: any) => {
            sentLinks.push({ type: input.type, link: input.passwordResetLink, email: input.user.email });
          },
        }),
      },
    }),
    EmailVerification.init({
      mode: 'OPTIONAL',
      emailDelivery: {
        override: (original: any) => ({
          ...original,
          sendEmail: async (input: any) => {
            sentLinks.push({ type: input.type, link: input.emailVerifyLink, email: input.user.email });
          },
        }),
      },
    }),
    UserRoles.init(),
    UserMetadata.init(),
    ThirdParty.init({
      signInAndUpFeature: {
        providers:
          major >= 15
            ? [{ config: { thirdPartyId: 'google', clients: [{ clientId: 'compat-client', clientSecret: 'compat-secret' }] } }]
            : [ThirdParty.Google({ clientId: 'compat-client', clientSecret: 'compat-secret' })],
      },
    }),
    Passwordless.init({ contactMethod: 'EMAIL_OR_PHONE', flowType: 'USER_INPUT_CODE_AND_MAGIC_LINK' }),
    Session.init({ getTokenTransferMethod: () => 'header' }),
    ...(major >= 17 ? [Totp.init(), MultiFactorAuth.init()] : []),
  ],
});

const handler = middleware(async (event: any) => {
  if (event.path === '/app/me') {
    const session = await Session.getSession(event, event);
    return { statusCode: 200, body: JSON.stringify({ userId: session.getUserId(), handle: session.getHandle() }) };
  }
  return { statusCode: 404, body: '{}' };
});

type Tokens = HeaderModeTokens;

/** One request as a frontend in header mode sends it; the tokens the SDK hands back replace ours. */
const call = headerModeClient(handler as unknown as SdkLambdaHandler);

/** Whether the release ships `path` (a recipe it predates is absent, not broken). */
function sdkHasModule(path: string): boolean {
  try {
    requireSdk(path);
    return true;
  } catch {
    return false;
  }
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

function jwtPart(token: string, index: 0 | 1): any {
  return JSON.parse(Buffer.from(token.split('.')[index]!, 'base64url').toString('utf8'));
}

const form = (email: string, password: string) => ({ formFields: [{ id: 'email', value: email }, { id: 'password', value: password }] });
const run = `${process.pid}-${Date.now().toString(36)}`;
const PASSWORD = 'correct-horse-1';
let serial = 0;
const newEmail = () => `compat-${major}-${run}-${++serial}@example.com`;

async function signUp(email = newEmail()) {
  const res = await call('POST', '/auth/signup', {}, form(email, PASSWORD));
  check(res.status === 200 && res.json.status === 'OK', `sign-up: ${res.status} ${JSON.stringify(res.json)}`);
  check(res.tokens.access && res.tokens.refresh, 'sign-up issued no tokens');
  return { email, userId: res.json.user.id as string, tokens: res.tokens };
}

const flows: [string, () => Promise<void>][] = [
  [
    'handshake',
    async () => {
      // The first core call negotiates the CDI version; an incompatible core throws here.
      const roles = await UserRoles.getAllRoles();
      check(roles.status === 'OK', `getAllRoles: ${JSON.stringify(roles)}`);
    },
  ],
  [
    'sign-up and sign-in',
    async () => {
      const { email, userId, tokens } = await signUp();
      const header = jwtPart(tokens.access!, 0);
      check(header.version === expectTokenVersion, `access token version ${header.version}, expected ${expectTokenVersion}`);
      const payload = jwtPart(tokens.access!, 1);
      check(payload.sub === userId, 'sub is the user id');
      check(('tId' in payload) === Number(expectTokenVersion) >= 4, `tId present only from v4: ${JSON.stringify(payload)}`);
      check(('rsub' in payload) === Number(expectTokenVersion) >= 5, `rsub present only from v5: ${JSON.stringify(payload)}`);
      const again = await call('POST', '/auth/signup', {}, form(email, PASSWORD));
      check(again.json.status === 'FIELD_ERROR', `duplicate sign-up: ${JSON.stringify(again.json)}`);
      const signIn = await call('POST', '/auth/signin', {}, form(email.toUpperCase(), PASSWORD));
      check(signIn.json.status === 'OK' && signIn.json.user.id === userId, `sign-in: ${JSON.stringify(signIn.json)}`);
      const wrong = await call('POST', '/auth/signin', {}, form(email, 'wrong-password-1'));
      check(wrong.json.status === 'WRONG_CREDENTIALS_ERROR', `wrong password: ${JSON.stringify(wrong.json)}`);
      const user = major >= 16 ? await supertokens.getUser(userId) : await EmailPassword.getUserById(userId);
      const userEmail = major >= 16 ? user?.emails?.[0] : user?.email;
      check(userEmail === email, `get user by id: ${JSON.stringify(user)}`);
      const list = major >= 15 ? await supertokens.getUsersNewestFirst({ tenantId: 'public', limit: 100 }) : await supertokens.getUsersNewestFirst({ limit: 100 });
      const ids = list.users.map((u: any) => (major >= 16 ? u.id : u.user.id));
      check(ids.includes(userId), `user list lacks the new user: ${JSON.stringify(list.users.slice(0, 2))}`);
    },
  ],
  [
    'session verify, refresh, revoke',
    async () => {
      const { userId, tokens } = await signUp();
      const me = await call('GET', '/app/me', tokens);
      check(me.status === 200 && me.json.userId === userId, `getSession: ${me.status} ${JSON.stringify(me.json)}`);
      const refreshed = await call('POST', '/auth/session/refresh', tokens, undefined, true);
      check(refreshed.status === 200, `refresh: ${refreshed.status} ${JSON.stringify(refreshed.json)}`);
      check(refreshed.tokens.refresh !== tokens.refresh && refreshed.tokens.access !== tokens.access, 'refresh rotated no token');
      const header = jwtPart(refreshed.tokens.access!, 0);
      check(header.version === expectTokenVersion, `refreshed token version ${header.version}`);
      const me2 = await call('GET', '/app/me', refreshed.tokens);
      check(me2.status === 200 && me2.json.userId === userId, `getSession after refresh: ${me2.status}`);
      const handle = me2.json.handle;
      check((await Session.getSessionInformation(handle)) !== undefined, 'session information missing');
      const revoked = await Session.revokeSession(handle);
      check(revoked === true, 'revokeSession returned false');
      check((await Session.getSessionInformation(handle)) === undefined, 'revoked session still listed');
      const afterRevoke = await call('POST', '/auth/session/refresh', refreshed.tokens, undefined, true);
      check(afterRevoke.status === 401, `refresh of a revoked session: ${afterRevoke.status}`);
    },
  ],
  [
    'theft detection',
    async () => {
      const { tokens } = await signUp();
      const first = await call('POST', '/auth/session/refresh', tokens, undefined, true);
      check(first.status === 200, `refresh: ${first.status}`);
      const second = await call('POST', '/auth/session/refresh', first.tokens, undefined, true);
      check(second.status === 200, `second refresh: ${second.status}`);
      const me = await call('GET', '/app/me', second.tokens);
      check(me.status === 200, `getSession: ${me.status}`);
      // The original refresh token, replayed after its child was committed: theft.
      const replay = await call('POST', '/auth/session/refresh', tokens, undefined, true);
      check(replay.status === 401 && /theft/i.test(JSON.stringify(replay.json)), `replay: ${replay.status} ${JSON.stringify(replay.json)}`);
      check((await Session.getSessionInformation(me.json.handle)) === undefined, 'a stolen session is revoked');
    },
  ],
  [
    'email verification',
    async () => {
      const { email, tokens } = await signUp();
      const before = sentLinks.length;
      const sent = await call('POST', '/auth/user/email/verify/token', tokens);
      check(sent.json.status === 'OK', `verify token: ${JSON.stringify(sent.json)}`);
      const mail = sentLinks.slice(before).find((m) => m.type === 'EMAIL_VERIFICATION');
      check(mail && mail.email === email, 'no verification email');
      const token = new URL(mail.link).searchParams.get('token');
      const bad = await call('POST', '/auth/user/email/verify', tokens, { method: 'token', token: `${token}x` });
      check(bad.json.status === 'EMAIL_VERIFICATION_INVALID_TOKEN_ERROR', `bad token: ${JSON.stringify(bad.json)}`);
      const ok = await call('POST', '/auth/user/email/verify', tokens, { method: 'token', token });
      check(ok.json.status === 'OK', `verify: ${JSON.stringify(ok.json)}`);
      const state = await call('GET', '/auth/user/email/verify', ok.tokens);
      check(state.json.status === 'OK' && state.json.isVerified === true, `isVerified: ${JSON.stringify(state.json)}`);
    },
  ],
  [
    'password reset',
    async () => {
      const { email } = await signUp();
      const before = sentLinks.length;
      const asked = await call('POST', '/auth/user/password/reset/token', {}, { formFields: [{ id: 'email', value: email }] });
      check(asked.json.status === 'OK', `reset token: ${JSON.stringify(asked.json)}`);
      const mail = sentLinks.slice(before).find((m) => m.type === 'PASSWORD_RESET');
      check(mail, 'no password-reset email');
      const token = new URL(mail.link).searchParams.get('token');
      const reset = await call('POST', '/auth/user/password/reset', {}, { method: 'token', token, formFields: [{ id: 'password', value: 'new-password-2' }] });
      check(reset.json.status === 'OK', `reset: ${JSON.stringify(reset.json)}`);
      const signIn = await call('POST', '/auth/signin', {}, form(email, 'new-password-2'));
      check(signIn.json.status === 'OK', `sign-in with the new password: ${JSON.stringify(signIn.json)}`);
      const reuse = await call('POST', '/auth/user/password/reset', {}, { method: 'token', token, formFields: [{ id: 'password', value: 'other-password-3' }] });
      check(reuse.json.status === 'RESET_PASSWORD_INVALID_TOKEN_ERROR', `token reuse: ${JSON.stringify(reuse.json)}`);
    },
  ],
  [
    'roles and permissions',
    async () => {
      const { userId } = await signUp();
      const role = `admin-${major}-${run}`;
      check((await UserRoles.createNewRoleOrAddPermissions(role, ['read', 'write'])).status === 'OK', 'create role');
      const added = major >= 15 ? await UserRoles.addRoleToUser('public', userId, role) : await UserRoles.addRoleToUser(userId, role);
      check(added.status === 'OK', `addRoleToUser: ${JSON.stringify(added)}`);
      const roles = major >= 15 ? await UserRoles.getRolesForUser('public', userId) : await UserRoles.getRolesForUser(userId);
      check(JSON.stringify(roles.roles) === JSON.stringify([role]), `roles: ${JSON.stringify(roles)}`);
      const perms = await UserRoles.getPermissionsForRole(role);
      check(JSON.stringify([...perms.permissions].sort()) === '["read","write"]', `permissions: ${JSON.stringify(perms)}`);
      const users = major >= 15 ? await UserRoles.getUsersThatHaveRole('public', role) : await UserRoles.getUsersThatHaveRole(role);
      check(JSON.stringify(users.users) === JSON.stringify([userId]), `users with role: ${JSON.stringify(users)}`);
    },
  ],
  [
    'user count and search',
    async () => {
      // Email/password users only: the 'account linking' flow of a release running at the same time
      // links a third-party user to an email/password one, which lowers the total by one.
      const count = () => (major >= 15 ? supertokens.getUserCount(['emailpassword'], 'public') : supertokens.getUserCount(['emailpassword']));
      const before = await count();
      const { email, userId } = await signUp(`search-${run}@example.com`);
      check((await count()) >= before + 1, 'getUserCount did not grow with a sign-up');
      const found = await supertokens.getUsersNewestFirst({ tenantId: 'public', limit: 10, query: { email: `search-${run}` } });
      const ids = found.users.map((u: any) => (major >= 16 ? u.id : u.user.id));
      check(JSON.stringify(ids) === JSON.stringify([userId]), `search by email ${email}: ${JSON.stringify(ids)}`);
      const none = await supertokens.getUsersNewestFirst({ tenantId: 'public', limit: 10, query: { email: `nobody-${run}` } });
      check(none.users.length === 0, 'a search that matches nobody lists users');
    },
  ],
  [
    'user id mapping',
    async () => {
      const { email, userId } = await signUp();
      const external = `ext-${major}-${run}`;
      // The sign-up opened a session under the SuperTokens id: as the Java core, the mapping is then
      // refused ("already in use in Session recipe") unless forced.
      let refused = '';
      try {
        await supertokens.createUserIdMapping({ superTokensUserId: userId, externalUserId: external });
      } catch (err) {
        refused = String((err as Error).message);
      }
      check(refused.includes('UserId is already in use in Session recipe'), `mapping an id that has a session: ${refused || 'accepted'}`);
      const created = await supertokens.createUserIdMapping({ superTokensUserId: userId, externalUserId: external, externalUserIdInfo: 'from LDAP', force: true });
      check(created.status === 'OK', `createUserIdMapping: ${JSON.stringify(created)}`);
      const got = await supertokens.getUserIdMapping({ userId: external });
      check(got.status === 'OK' && got.superTokensUserId === userId && got.externalUserIdInfo === 'from LDAP', `getUserIdMapping: ${JSON.stringify(got)}`);
      const signIn = await call('POST', '/auth/signin', {}, form(email, PASSWORD));
      check(signIn.json.status === 'OK' && signIn.json.user.id === external, `sign-in answers the external id: ${JSON.stringify(signIn.json.user)}`);
      check(jwtPart(signIn.tokens.access!, 1).sub === external, 'the session belongs to the external id');
      const info = await supertokens.updateOrDeleteUserIdMappingInfo({ userId: external, externalUserIdInfo: undefined });
      check(info.status === 'OK', `updateOrDeleteUserIdMappingInfo: ${JSON.stringify(info)}`);
      const removed = await supertokens.deleteUserIdMapping({ userId: external });
      check(removed.status === 'OK' && removed.didMappingExist === true, `deleteUserIdMapping: ${JSON.stringify(removed)}`);
    },
  ],
  [
    'third-party sign-in-up',
    async () => {
      const providerUserId = `g-${major}-${run}`;
      const signInUp = (email: string) =>
        major >= 16
          ? ThirdParty.manuallyCreateOrUpdateUser('public', 'google', providerUserId, email, true)
          : major === 15
            ? ThirdParty.manuallyCreateOrUpdateUser('public', 'google', providerUserId, email)
            : ThirdParty.signInUp('google', providerUserId, email);
      const emailOf = (user: any) => (major >= 16 ? user.emails[0] : user.email);
      const first = await signInUp(`tp-${major}-${run}@example.com`);
      check(first.status === 'OK' && (first.createdNewRecipeUser ?? first.createdNewUser) === true, `first sign-in-up: ${JSON.stringify(first)}`);
      const second = await signInUp(`tp-new-${major}-${run}@example.com`);
      check(second.status === 'OK' && (second.createdNewRecipeUser ?? second.createdNewUser) === false, `second sign-in-up: ${JSON.stringify(second)}`);
      check(second.user.id === first.user.id, 'one user per provider user id');
      check(emailOf(second.user) === `tp-new-${major}-${run}@example.com`, `the provider's new email replaces the old: ${JSON.stringify(second.user)}`);
      if (major >= 16) {
        const user = await supertokens.getUser(first.user.id);
        const method = user.loginMethods[0];
        check(method.recipeId === 'thirdparty' && method.thirdParty.id === 'google' && method.thirdParty.userId === providerUserId, `loginMethods: ${JSON.stringify(user.loginMethods)}`);
        check(method.verified === true, 'isVerified: true marks the email verified');
      }
      if (major >= 15) {
        const found = await supertokens.getUsersNewestFirst({ tenantId: 'public', limit: 100, query: { provider: 'goo' } });
        const ids = found.users.map((u: any) => (major >= 16 ? u.id : u.user.id));
        check(ids.includes(first.user.id), 'the provider search finds the user');
      }
      // A session for the third-party user, like the sign-in-up API creates.
      const session =
        major >= 16
          ? await Session.createNewSessionWithoutRequestResponse('public', supertokens.convertToRecipeUserId(first.user.id))
          : major === 15
            ? await Session.createNewSessionWithoutRequestResponse('public', first.user.id)
            : await Session.createNewSessionWithoutRequestResponse(first.user.id);
      check(session.getUserId() === first.user.id, 'session for the third-party user');
      const payload = session.getAccessTokenPayload();
      check(payload['st-ev']?.v === (major >= 16), `the email verification claim: ${JSON.stringify(payload['st-ev'])}`);
    },
  ],
  [
    'multitenancy',
    async () => {
      // supertokens-node 14 predates multitenancy (CDI 3.0): it has no such recipe to call.
      if (major < 15) {
        check(!sdkHasModule('supertokens-node/recipe/multitenancy'), 'supertokens-node 14 has no Multitenancy recipe');
        return;
      }
      const Multitenancy: any = requireSdk('supertokens-node/recipe/multitenancy');
      const tenantId = `t${major}-${run}`;
      // 15–18 write the v1 shape (per-recipe flags), 19+ the v2 one (first factors).
      const created = await Multitenancy.createOrUpdateTenant(
        tenantId,
        major >= 19 ? { firstFactors: ['emailpassword'] } : { emailPasswordEnabled: true, thirdPartyEnabled: false, passwordlessEnabled: false },
      );
      check(created.status === 'OK' && created.createdNew === true, `createOrUpdateTenant: ${JSON.stringify(created)}`);
      const updated = await Multitenancy.createOrUpdateTenant(tenantId, { coreConfig: { email_verification_token_lifetime: 7200000 } });
      check(updated.status === 'OK' && updated.createdNew === false, `update: ${JSON.stringify(updated)}`);
      const tenant = await Multitenancy.getTenant(tenantId);
      const restricted =
        major >= 19 ? JSON.stringify(tenant?.firstFactors) === '["emailpassword"]' : tenant?.emailPassword?.enabled === true && tenant?.thirdParty?.enabled === false;
      check(restricted && tenant.coreConfig.email_verification_token_lifetime === 7200000, `getTenant: ${JSON.stringify(tenant)}`);
      check((await Multitenancy.getTenant(`nowhere-${run}`)) === undefined, 'getTenant of an unknown tenant is undefined');
      const listed = (await Multitenancy.listAllTenants()).tenants.map((x: any) => x.tenantId);
      check(listed.includes('public') && listed.includes(tenantId), `listAllTenants: ${JSON.stringify(listed)}`);
      // A user signed up in the tenant belongs to it only.
      const email = newEmail();
      const signedUp = await EmailPassword.signUp(tenantId, email, PASSWORD);
      check(signedUp.status === 'OK' && JSON.stringify(signedUp.user.tenantIds) === JSON.stringify([tenantId]), `signUp in the tenant: ${JSON.stringify(signedUp)}`);
      check((await EmailPassword.signIn(tenantId, email, PASSWORD)).status === 'OK', 'sign-in in the tenant');
      check((await EmailPassword.signIn('public', email, PASSWORD)).status === 'WRONG_CREDENTIALS_ERROR', 'the user is not in public');
      const idsOf = async (t: string) => (await supertokens.getUsersNewestFirst({ tenantId: t, limit: 100 })).users.map((u: any) => (major >= 16 ? u.id : u.user.id));
      check(JSON.stringify(await idsOf(tenantId)) === JSON.stringify([signedUp.user.id]), 'the tenant lists its user');
      check(!(await idsOf('public')).includes(signedUp.user.id), 'public does not list it');
      const session =
        major >= 16
          ? await Session.createNewSessionWithoutRequestResponse(tenantId, supertokens.convertToRecipeUserId(signedUp.user.id))
          : await Session.createNewSessionWithoutRequestResponse(tenantId, signedUp.user.id);
      check(session.getTenantId() === tenantId && session.getAccessTokenPayload().tId === tenantId, 'the session belongs to the tenant');
      // A user in several tenants (CDI 3.0; `userId` in 15, a RecipeUserId from 16): associated with a
      // second tenant it signs in there and lists both; disassociated, it is back to the first only.
      const second = `${tenantId}-b`;
      await Multitenancy.createOrUpdateTenant(second, major >= 19 ? { firstFactors: ['emailpassword'] } : { emailPasswordEnabled: true });
      const userRef = major >= 16 ? supertokens.convertToRecipeUserId(signedUp.user.id) : signedUp.user.id;
      const tenantsOfUser = async (): Promise<string[]> =>
        [...(major >= 16 ? await supertokens.getUser(signedUp.user.id) : await EmailPassword.getUserById(signedUp.user.id)).tenantIds].sort();
      const associated = await Multitenancy.associateUserToTenant(second, userRef);
      check(associated.status === 'OK' && associated.wasAlreadyAssociated === false, `associateUserToTenant: ${JSON.stringify(associated)}`);
      check((await Multitenancy.associateUserToTenant(second, userRef)).wasAlreadyAssociated === true, 'associating twice: wasAlreadyAssociated');
      check((await EmailPassword.signIn(second, email, PASSWORD)).status === 'OK', 'sign-in in the second tenant');
      check(JSON.stringify(await tenantsOfUser()) === JSON.stringify([tenantId, second].sort()), `getUser tenantIds: ${JSON.stringify(await tenantsOfUser())}`);
      const otherEmail = newEmail();
      const clashing = await EmailPassword.signUp(second, otherEmail, PASSWORD);
      const clashUser = await EmailPassword.signUp(tenantId, otherEmail, PASSWORD);
      const clash = await Multitenancy.associateUserToTenant(second, major >= 16 ? supertokens.convertToRecipeUserId(clashUser.user.id) : clashUser.user.id);
      check(clashing.status === 'OK' && clash.status === 'EMAIL_ALREADY_EXISTS_ERROR', `associating a user whose email the tenant has: ${JSON.stringify(clash)}`);
      const removed = await Multitenancy.disassociateUserFromTenant(second, userRef);
      check(removed.status === 'OK' && removed.wasAssociated === true, `disassociateUserFromTenant: ${JSON.stringify(removed)}`);
      check((await EmailPassword.signIn(second, email, PASSWORD)).status === 'WRONG_CREDENTIALS_ERROR', 'no sign-in in the tenant it left');
      check(JSON.stringify(await tenantsOfUser()) === JSON.stringify([tenantId]), `tenantIds after disassociation: ${JSON.stringify(await tenantsOfUser())}`);
      await Multitenancy.deleteTenant(second);
      const deleted = await Multitenancy.deleteTenant(tenantId);
      check(deleted.status === 'OK' && deleted.didExist === true, `deleteTenant: ${JSON.stringify(deleted)}`);
      // Its user stays, in no tenant (as the Java core keeps it).
      check(JSON.stringify(await tenantsOfUser()) === '[]', `a deleted tenant's user: ${JSON.stringify(await tenantsOfUser())}`);
      check((await Multitenancy.getTenant(tenantId)) === undefined, 'a deleted tenant is gone');
      let refused = '';
      try {
        await EmailPassword.signIn(tenantId, email, PASSWORD);
      } catch (err) {
        refused = String((err as Error).message);
      }
      check(refused.includes('AppId or tenantId not found'), `sign-in in a deleted tenant: ${refused || 'no error'}`);
    },
  ],
  [
    'passwordless',
    async () => {
      // Tenant ids are part of every call from 15; user objects carry loginMethods from 16.
      const t = major >= 15 ? { tenantId: 'public' } : {};
      const email = `pl-${major}-${run}@example.com`;
      const code = await Passwordless.createCode({ ...t, email, userInputCode: '246810' });
      check(code.status === 'OK' && code.userInputCode === '246810' && typeof code.linkCode === 'string' && code.codeLifetime === 900_000, `createCode: ${JSON.stringify(code)}`);
      const typed = { ...t, preAuthSessionId: code.preAuthSessionId, deviceId: code.deviceId };
      const wrong = await Passwordless.consumeCode({ ...typed, userInputCode: '000000' });
      check(
        wrong.status === 'INCORRECT_USER_INPUT_CODE_ERROR' && wrong.failedCodeInputAttemptCount === 1 && wrong.maximumCodeInputAttempts === 5,
        `a wrong code: ${JSON.stringify(wrong)}`,
      );
      const resent = await Passwordless.createNewCodeForDevice({ ...t, deviceId: code.deviceId, userInputCode: '135790' });
      check(resent.status === 'OK' && resent.preAuthSessionId === code.preAuthSessionId, `createNewCodeForDevice: ${JSON.stringify(resent)}`);
      const reused = await Passwordless.createNewCodeForDevice({ ...t, deviceId: code.deviceId, userInputCode: '135790' });
      check(reused.status === 'USER_INPUT_CODE_ALREADY_USED_ERROR', `a code twice: ${JSON.stringify(reused)}`);
      const devices = await Passwordless.listCodesByEmail({ ...t, email });
      check(devices.length === 1 && devices[0].codes.length === 2 && devices[0].failedCodeInputAttemptCount === 1, `listCodesByEmail: ${JSON.stringify(devices)}`);
      const byPreAuth = await Passwordless.listCodesByPreAuthSessionId({ ...t, preAuthSessionId: code.preAuthSessionId });
      check(byPreAuth?.preAuthSessionId === code.preAuthSessionId, `listCodesByPreAuthSessionId: ${JSON.stringify(byPreAuth)}`);
      const signedUp = await Passwordless.consumeCode({ ...typed, userInputCode: '135790' });
      check(signedUp.status === 'OK' && (signedUp.createdNewRecipeUser ?? signedUp.createdNewUser) === true, `consumeCode: ${JSON.stringify(signedUp)}`);
      const replay = await Passwordless.consumeCode({ ...t, preAuthSessionId: code.preAuthSessionId, linkCode: code.linkCode });
      check(replay.status === 'RESTART_FLOW_ERROR', `the consumed device's link code: ${JSON.stringify(replay)}`);
      const link = await Passwordless.createCode({ ...t, email });
      const signedIn = await Passwordless.consumeCode({ ...t, preAuthSessionId: link.preAuthSessionId, linkCode: link.linkCode });
      check(
        signedIn.status === 'OK' && (signedIn.createdNewRecipeUser ?? signedIn.createdNewUser) === false && signedIn.user.id === signedUp.user.id,
        `sign-in by link code: ${JSON.stringify(signedIn)}`,
      );
      const revoked = await Passwordless.createCode({ ...t, email });
      await Passwordless.revokeAllCodes({ ...t, email });
      check((await Passwordless.listCodesByEmail({ ...t, email })).length === 0, 'revokeAllCodes');
      const gone = await Passwordless.consumeCode({ ...t, preAuthSessionId: revoked.preAuthSessionId, linkCode: revoked.linkCode });
      check(gone.status === 'RESTART_FLOW_ERROR', `a revoked code: ${JSON.stringify(gone)}`);

      // A user by phone number, given an email with updateUser.
      const phoneNumber = `+1415${String(major).padStart(2, '0')}${String(process.pid % 100_000).padStart(5, '0')}`;
      const phoneCode = await Passwordless.createCode({ ...t, phoneNumber });
      const phoneUser = await Passwordless.consumeCode({ ...t, preAuthSessionId: phoneCode.preAuthSessionId, linkCode: phoneCode.linkCode });
      check(phoneUser.status === 'OK', `consumeCode (phone): ${JSON.stringify(phoneUser)}`);
      const id = phoneUser.user.id;
      const newEmail = `pl-phone-${major}-${run}@example.com`;
      const updated =
        major >= 16
          ? await Passwordless.updateUser({ recipeUserId: supertokens.convertToRecipeUserId(id), email: newEmail })
          : await Passwordless.updateUser({ userId: id, email: newEmail });
      check(updated.status === 'OK', `updateUser: ${JSON.stringify(updated)}`);
      if (major >= 16) {
        const user = await supertokens.getUser(id);
        const method = user.loginMethods[0];
        check(method.recipeId === 'passwordless' && method.phoneNumber === phoneNumber && method.email === newEmail, `loginMethods: ${JSON.stringify(user.loginMethods)}`);
        const byAccount = await supertokens.listUsersByAccountInfo('public', { phoneNumber });
        check(byAccount.length === 1 && byAccount[0].id === id, `listUsersByAccountInfo: ${JSON.stringify(byAccount)}`);
      } else {
        const user = await Passwordless.getUserByPhoneNumber({ ...t, phoneNumber });
        check(user?.id === id && user.email === newEmail, `getUserByPhoneNumber: ${JSON.stringify(user)}`);
      }
      if (major >= 15) {
        const found = await supertokens.getUsersNewestFirst({ tenantId: 'public', limit: 100, query: { phone: phoneNumber.slice(0, 8) } });
        const ids = found.users.map((u: any) => (major >= 16 ? u.id : u.user.id));
        check(ids.includes(id), `the phone search finds the user: ${JSON.stringify(ids)}`);
      }
    },
  ],
  [
    'account linking',
    async () => {
      // supertokens-node 14 and 15 predate account linking (CDI 4.0): they have no such recipe to call.
      if (major < 16) {
        let present = true;
        try {
          requireSdk('supertokens-node/recipe/accountlinking');
        } catch {
          present = false;
        }
        check(!present, `supertokens-node ${major} has no AccountLinking recipe`);
        return;
      }
      const AccountLinking: any = requireSdk('supertokens-node/recipe/accountlinking');
      const recipeUserId = (id: string) => supertokens.convertToRecipeUserId(id);
      const { userId: primaryId } = await signUp();
      const tpEmail = `al-tp-${major}-${run}@example.com`;
      const tp = await ThirdParty.manuallyCreateOrUpdateUser('public', 'google', `al-${major}-${run}`, tpEmail, false);
      check(tp.status === 'OK', `third-party user: ${JSON.stringify(tp)}`);
      const tpId: string = tp.user.id;
      const can = await AccountLinking.canCreatePrimaryUser(recipeUserId(primaryId));
      check(can.status === 'OK' && can.wasAlreadyAPrimaryUser === false, `canCreatePrimaryUser: ${JSON.stringify(can)}`);
      const created = await AccountLinking.createPrimaryUser(recipeUserId(primaryId));
      check(created.status === 'OK' && created.user.isPrimaryUser === true && created.user.id === primaryId, `createPrimaryUser: ${JSON.stringify(created)}`);
      const notPrimary = await AccountLinking.canLinkAccounts(recipeUserId(primaryId), tpId);
      check(notPrimary.status === 'INPUT_USER_IS_NOT_A_PRIMARY_USER', `canLinkAccounts to a non-primary user: ${JSON.stringify(notPrimary)}`);
      const canLink = await AccountLinking.canLinkAccounts(recipeUserId(tpId), primaryId);
      check(canLink.status === 'OK' && canLink.accountsAlreadyLinked === false, `canLinkAccounts: ${JSON.stringify(canLink)}`);
      const linked = await AccountLinking.linkAccounts(recipeUserId(tpId), primaryId);
      check(linked.status === 'OK' && linked.accountsAlreadyLinked === false, `linkAccounts: ${JSON.stringify(linked)}`);
      const user = await supertokens.getUser(tpId);
      const methods = user.loginMethods.map((m: any) => `${m.recipeId}:${m.recipeUserId.getAsString()}`);
      check(
        user.id === primaryId && user.isPrimaryUser && JSON.stringify(methods) === JSON.stringify([`emailpassword:${primaryId}`, `thirdparty:${tpId}`]),
        `getUser by the linked recipe user: ${JSON.stringify(user)}`,
      );
      check(user.emails.includes(tpEmail) && user.thirdParty.length === 1, `the primary user's account infos: ${JSON.stringify(user)}`);
      const session = await Session.createNewSessionWithoutRequestResponse('public', recipeUserId(tpId));
      const payload = session.getAccessTokenPayload();
      check(
        session.getUserId() === primaryId && session.getRecipeUserId().getAsString() === tpId && payload.sub === primaryId && payload.rsub === tpId,
        `a linked recipe user's session: sub ${payload.sub}, rsub ${payload.rsub}`,
      );
      const verified = await Session.getSessionWithoutRequestResponse(session.getAccessToken());
      check(verified.getUserId() === primaryId && verified.getRecipeUserId().getAsString() === tpId, 'getSession answers both ids');
      const unlinked = await AccountLinking.unlinkAccount(recipeUserId(tpId));
      check(unlinked.status === 'OK' && unlinked.wasLinked === true && unlinked.wasRecipeUserDeleted === false, `unlinkAccount: ${JSON.stringify(unlinked)}`);
      const alone = await supertokens.getUser(tpId);
      check(alone.id === tpId && alone.isPrimaryUser === false && alone.loginMethods.length === 1, `the unlinked user: ${JSON.stringify(alone)}`);
    },
  ],
  [
    'user metadata',
    async () => {
      const { userId } = await signUp();
      await UserMetadata.updateUserMetadata(userId, { plan: 'pro', nested: { a: 1 } });
      await UserMetadata.updateUserMetadata(userId, { nested: null, seen: true });
      const got = await UserMetadata.getUserMetadata(userId);
      check(JSON.stringify(got.metadata) === '{"plan":"pro","seen":true}', `metadata: ${JSON.stringify(got)}`);
      await UserMetadata.clearUserMetadata(userId);
      check(JSON.stringify((await UserMetadata.getUserMetadata(userId)).metadata) === '{}', 'metadata cleared');
    },
  ],
  [
    'totp',
    async () => {
      // supertokens-node 14-16 predate TOTP and MultiFactorAuth (CDI 5.0): there is no recipe to call.
      if (major < 17) {
        check(!sdkHasModule('supertokens-node/recipe/totp'), `supertokens-node ${major} has no TOTP recipe`);
        return;
      }
      // The code an authenticator app would show for `secret`, `offsetPeriods` periods from now.
      const codeOf = (secret: string, offsetPeriods = 0) => totpAt(base32Decode(secret), Date.now() + offsetPeriods * 30_000, 30);
      const mfaOf = (access: string) => jwtPart(access, 1)['st-mfa'];
      const { userId, email, tokens } = await signUp();
      check(mfaOf(tokens.access!)?.v === true && typeof mfaOf(tokens.access!)?.c?.emailpassword === 'number', `st-mfa after sign-up: ${JSON.stringify(mfaOf(tokens.access!))}`);

      // The steps below name codes relative to the period of the device's verification (a code is used
      // once; "now", "next", "previous"): they must run within one 30 s period. Start with at least 12 s
      // of it left, or a period boundary in between turns "previous" into the code already used.
      const leftInPeriodMs = 30_000 - (Date.now() % 30_000);
      if (leftInPeriodMs < 12_000) await new Promise((r) => setTimeout(r, leftInPeriodMs + 50));
      // Set up TOTP through the SDK's own APIs, with the session (what the prebuilt UI calls).
      const created = await call('POST', '/auth/totp/device', tokens, {});
      check(created.json.status === 'OK' && created.json.deviceName === 'TOTP Device 0' && /^[A-Z2-7]{32}$/.test(created.json.secret), `createDevicePOST: ${JSON.stringify(created.json)}`);
      check(String(created.json.qrCodeString).startsWith('otpauth://totp/compat:'), `qrCodeString: ${created.json.qrCodeString}`);
      const secret: string = created.json.secret;
      const wrong = await call('POST', '/auth/totp/device/verify', tokens, { deviceName: 'TOTP Device 0', totp: codeOf(secret, 5) });
      check(
        wrong.json.status === 'INVALID_TOTP_ERROR' && wrong.json.currentNumberOfFailedAttempts === 1 && wrong.json.maxNumberOfFailedAttempts === 5,
        `a wrong code: ${JSON.stringify(wrong.json)}`,
      );
      const verified = await call('POST', '/auth/totp/device/verify', tokens, { deviceName: 'TOTP Device 0', totp: codeOf(secret) });
      check(verified.json.status === 'OK' && verified.json.wasAlreadyVerified === false, `verifyDevicePOST: ${JSON.stringify(verified.json)}`);
      check(typeof mfaOf(verified.tokens.access!)?.c?.totp === 'number', `st-mfa after verifying the device: ${JSON.stringify(mfaOf(verified.tokens.access!))}`);
      const setUp: string[] = await MultiFactorAuth.getFactorsSetupForUser(userId);
      check(setUp.includes('totp') && setUp.includes('emailpassword'), `getFactorsSetupForUser: ${JSON.stringify(setUp)}`);

      // Require TOTP of the user (user metadata): a new sign-in is not complete until a code is given.
      await MultiFactorAuth.addToRequiredSecondaryFactorsForUser(userId, 'totp');
      check(JSON.stringify(await MultiFactorAuth.getRequiredSecondaryFactorsForUser(userId)) === '["totp"]', 'getRequiredSecondaryFactorsForUser');
      const signIn = await call('POST', '/auth/signin', {}, form(email, PASSWORD));
      check(signIn.json.status === 'OK' && mfaOf(signIn.tokens.access!)?.v === false, `st-mfa after a first factor only: ${JSON.stringify(mfaOf(signIn.tokens.access!))}`);
      const blocked = await call('GET', '/app/me', signIn.tokens);
      check(blocked.status === 403, `a session without its second factor: ${blocked.status} ${JSON.stringify(blocked.json)}`);
      const reused = await call('POST', '/auth/totp/verify', signIn.tokens, { totp: codeOf(secret) });
      check(reused.json.status === 'INVALID_TOTP_ERROR', `the code that verified the device, again: ${JSON.stringify(reused.json)}`);
      const second = await call('POST', '/auth/totp/verify', signIn.tokens, { totp: codeOf(secret, 1) });
      check(second.json.status === 'OK' && mfaOf(second.tokens.access!)?.v === true, `verifyTOTPPOST: ${JSON.stringify(second.json)} ${JSON.stringify(mfaOf(second.tokens.access!))}`);
      const allowed = await call('GET', '/app/me', second.tokens);
      check(allowed.status === 200 && allowed.json.userId === userId, `the session after TOTP: ${allowed.status}`);

      // The recipe functions against the core.
      check((await Totp.verifyTOTP('public', userId, codeOf(secret, -1))).status === 'OK', 'verifyTOTP with the previous period (skew 1)');
      const failed = await Totp.verifyTOTP('public', userId, codeOf(secret, 10));
      check(failed.status === 'INVALID_TOTP_ERROR' && failed.currentNumberOfFailedAttempts === 1, `verifyTOTP with a wrong code: ${JSON.stringify(failed)}`);
      check((await Totp.verifyTOTP('public', `nobody-${run}`, '123456')).status === 'UNKNOWN_USER_ID_ERROR', 'verifyTOTP for a user without devices');
      const extra = await Totp.createDevice(userId, undefined, 'laptop', 0, 60);
      check(extra.status === 'OK' && extra.deviceName === 'laptop', `createDevice: ${JSON.stringify(extra)}`);
      check((await Totp.createDevice(userId, undefined, 'TOTP Device 0')).status === 'DEVICE_ALREADY_EXISTS_ERROR', 'a verified name is taken');
      const listed = await Totp.listDevices(userId);
      check(
        JSON.stringify(listed.devices) ===
          JSON.stringify([
            { name: 'TOTP Device 0', period: 30, skew: 1, verified: true },
            { name: 'laptop', period: 60, skew: 0, verified: false },
          ]),
        `listDevices: ${JSON.stringify(listed)}`,
      );
      check((await Totp.updateDevice(userId, 'laptop', 'work laptop')).status === 'OK', 'updateDevice');
      check((await Totp.updateDevice(userId, 'nope', 'x')).status === 'UNKNOWN_DEVICE_ERROR', 'updateDevice of an unknown device');
      check((await Totp.updateDevice(userId, 'work laptop', 'TOTP Device 0')).status === 'DEVICE_ALREADY_EXISTS_ERROR', 'updateDevice onto a taken name');
      const removed = await Totp.removeDevice(userId, 'work laptop');
      check(removed.status === 'OK' && removed.didDeviceExist === true, `removeDevice: ${JSON.stringify(removed)}`);
      check((await Totp.removeDevice(userId, 'work laptop')).didDeviceExist === false, 'removeDevice twice');
      check((await Totp.listDevices(userId)).devices.length === 1, 'one device left');
      await MultiFactorAuth.removeFromRequiredSecondaryFactorsForUser(userId, 'totp');
      check(JSON.stringify(await MultiFactorAuth.getRequiredSecondaryFactorsForUser(userId)) === '[]', 'removeFromRequiredSecondaryFactorsForUser');

      // Required by the tenant instead (its requiredSecondaryFactors): a session there starts incomplete.
      const Multitenancy: any = requireSdk('supertokens-node/recipe/multitenancy');
      const tenantId = `mfa${major}-${run}`;
      const tenant = await Multitenancy.createOrUpdateTenant(tenantId, { firstFactors: ['emailpassword'], requiredSecondaryFactors: ['totp'] });
      check(tenant.status === 'OK', `createOrUpdateTenant with requiredSecondaryFactors: ${JSON.stringify(tenant)}`);
      check(JSON.stringify((await Multitenancy.getTenant(tenantId))?.requiredSecondaryFactors) === '["totp"]', 'getTenant returns requiredSecondaryFactors');
      const member = await EmailPassword.signUp(tenantId, newEmail(), PASSWORD);
      const memberSession = await Session.createNewSessionWithoutRequestResponse(tenantId, supertokens.convertToRecipeUserId(member.user.id));
      // A session made without the sign-in APIs has no st-mfa yet; computing the requirements writes it.
      // (17 and 18 export it on the default export only.)
      const requirements = await (MultiFactorAuth.default ?? MultiFactorAuth).getMFARequirementsForAuth(memberSession);
      check(JSON.stringify(requirements).includes('totp'), `getMFARequirementsForAuth: ${JSON.stringify(requirements)}`);
      check(memberSession.getAccessTokenPayload()['st-mfa']?.v === false, `st-mfa in a tenant requiring totp: ${JSON.stringify(memberSession.getAccessTokenPayload()['st-mfa'])}`);
      check((await Multitenancy.deleteTenant(tenantId)).didExist === true, 'deleteTenant');
    },
  ],
];

for (const [flow, fn] of flows) {
  try {
    await fn();
    console.log(`FLOW ${JSON.stringify({ flow, ok: true })}`);
  } catch (err) {
    console.log(`FLOW ${JSON.stringify({ flow, ok: false, error: String((err as Error)?.stack ?? err).slice(0, 1500) })}`);
  }
}
process.exit(0);
