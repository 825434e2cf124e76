/**
 * @module supertokens/routes/multitenancy — tenants: create or update (`PUT /recipe/multitenancy/tenant/v2`,
 * and the v1 `PUT /recipe/multitenancy/tenant` of CDI <= 5.0), read (`GET /<t>/…/tenant/v2`, v1
 * `…/tenant`), list (`…/tenant/list/v2`, v1 `…/tenant/list`) and delete (`POST …/tenant/remove`). [glue]
 *
 * A tenant is either configured (`tenantIds`: always there, never deleted at runtime) or created through
 * the CDI (a row of `store/multitenancy.ts`). A user belongs to the tenant of the path it signed up under
 * (`/<t>/recipe/signup`) and to every tenant it is associated with (`POST /<t>/recipe/multitenancy/tenant/user`,
 * CDI 3.0; removed with `…/tenant/user/remove`): memberships, `store/usertenants.ts`. Sessions belong to
 * the tenant they were created in. The Java core licenses more than one tenant; this core needs no licence key.
 *
 * Update semantics (as the Java core's v2 API): a field absent from the request keeps its value; `null`
 * clears `firstFactors` / `requiredSecondaryFactors`; `coreConfig` is merged key by key, a `null` value
 * removing its key. The v1 flags map to first factors (`emailPasswordEnabled` → `emailpassword`,
 * `thirdPartyEnabled` → `thirdparty`, `passwordlessEnabled` → `otp-email`, `otp-phone`, `link-email`,
 * `link-phone`); every recipe enabled is stored as "no restriction" (`firstFactors` absent). From CDI
 * 5.0 the v1 shapes also carry `firstFactors` / `requiredSecondaryFactors` (supertokens-node 17–18 send
 * them; 18 reads them).
 */
import { CoreHttpError, badInput, invalidField } from '../errors.ts';
import type { JsonObject, TenantConfigRow, TenantRow } from '../store.ts';
import { ok, optionalObject, outcome, requireString, type Route, type RouteRequest } from './types.ts';
import { findMapping, resolveUserId } from './useridmapping.ts';

const PASSWORDLESS_FACTORS = ['otp-email', 'otp-phone', 'link-email', 'link-phone'];

/** Path words a tenant id may not be (they would be read as a CDI path), as the Java core refuses them. */
const RESERVED_TENANT_IDS = new Set(['recipe', 'config', 'users', 'user', 'hello', 'apiversion', 'jwt', 'session', 'appid']);

/** The tenant id of a create/update body: trimmed, lowercased (paths are matched lowercased). */
function tenantIdOf(body: JsonObject): string {
  const tenantId = requireString(body, 'tenantId').trim().toLowerCase();
  if (tenantId === '' || !/^[a-z0-9_-]+$/.test(tenantId) || tenantId.length > 64) throw invalidField('tenantId');
  if (RESERVED_TENANT_IDS.has(tenantId) || tenantId.startsWith('appid-')) {
    throw badInput(`Cannot use '${tenantId}' as a tenantId`);
  }
  return tenantId;
}

/** A `string[] | null` field: `undefined` when absent (keep), `null` to clear. */
function factorList(body: JsonObject, name: string): string[] | null | undefined {
  if (!(name in body)) return undefined;
  const value = body[name];
  if (value === null) return null;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw invalidField(name);
  return [...new Set(value as string[])];
}

function mergeCoreConfig(current: JsonObject, update: JsonObject | undefined): JsonObject {
  if (update === undefined) return current;
  const merged: JsonObject = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

/** The stored configuration of a tenant, or the default one of a configured tenant without a row. */
async function currentConfig(req: RouteRequest, tenantId: string): Promise<{ row: TenantConfigRow; exists: boolean }> {
  const row = await req.runtime.store.getTenant(req.appId, tenantId);
  if (row !== undefined) return { row, exists: true };
  const configured = req.runtime.config.tenantIds.includes(tenantId);
  return { row: { firstFactors: null, requiredSecondaryFactors: null, coreConfig: {} }, exists: configured };
}

async function putTenant(req: RouteRequest, tenantId: string, next: (current: TenantConfigRow) => TenantConfigRow) {
  const { row: current, exists } = await currentConfig(req, tenantId);
  const config = next(current);
  const { createdNew } = await req.runtime.store.putTenant({ appId: req.appId, tenantId, createdAtMs: req.runtime.clock.nowMs(), ...config });
  return ok({ createdNew: createdNew && !exists });
}

function tenantV2Json(tenantId: string, config: TenantConfigRow): Record<string, unknown> {
  return {
    tenantId,
    thirdParty: { providers: [] },
    ...(config.firstFactors !== null ? { firstFactors: config.firstFactors } : {}),
    ...(config.requiredSecondaryFactors !== null ? { requiredSecondaryFactors: config.requiredSecondaryFactors } : {}),
    coreConfig: config.coreConfig,
  };
}

/** The v1 shape; from CDI 5.0 (supertokens-node 18, MFA) it also carries `firstFactors` / `requiredSecondaryFactors`. */
function tenantV1Json(tenantId: string, config: TenantConfigRow, withFactors: boolean): Record<string, unknown> {
  const has = (factors: string[]) => config.firstFactors === null || factors.some((f) => config.firstFactors!.includes(f));
  return {
    tenantId,
    emailPassword: { enabled: has(['emailpassword']) },
    passwordless: { enabled: has(PASSWORDLESS_FACTORS) },
    thirdParty: { enabled: has(['thirdparty']), providers: [] },
    ...(withFactors && config.firstFactors !== null ? { firstFactors: config.firstFactors } : {}),
    ...(withFactors && config.requiredSecondaryFactors !== null ? { requiredSecondaryFactors: config.requiredSecondaryFactors } : {}),
    coreConfig: config.coreConfig,
  };
}

/** Every tenant of the app: the configured ones (with their stored configuration if any), then the created ones. */
async function allTenants(req: RouteRequest): Promise<{ tenantId: string; config: TenantConfigRow }[]> {
  const stored = new Map<string, TenantRow>((await req.runtime.store.listTenants(req.appId)).map((t) => [t.tenantId, t]));
  const defaults: TenantConfigRow = { firstFactors: null, requiredSecondaryFactors: null, coreConfig: {} };
  const configured = req.runtime.config.tenantIds.map((tenantId) => ({ tenantId, config: stored.get(tenantId) ?? defaults }));
  const created = [...stored.values()]
    .filter((t) => !req.runtime.config.tenantIds.includes(t.tenantId))
    .map((t) => ({ tenantId: t.tenantId, config: t as TenantConfigRow }));
  return [...configured, ...created];
}

/** The user id of an association body: `recipeUserId` from CDI 4.0, `userId` before; trimmed, not empty. */
function associationUserId(req: RouteRequest): string {
  const userId = requireString(req.body, req.cdi.hasAccountLinking ? 'recipeUserId' : 'userId').trim();
  // The Java core names `userId` in this message whichever field was sent.
  if (userId === '') throw badInput("Field name 'userId' cannot be an empty String");
  return userId;
}

/** `ASSOCIATE` statuses of the store's clashes, as the Java core's AssociateUserToTenantAPI answers them. */
const CLASH_STATUS = {
  UNKNOWN_USER: 'UNKNOWN_USER_ID_ERROR',
  EMAIL_EXISTS: 'EMAIL_ALREADY_EXISTS_ERROR',
  PHONE_EXISTS: 'PHONE_NUMBER_ALREADY_EXISTS_ERROR',
  THIRD_PARTY_EXISTS: 'THIRD_PARTY_USER_ALREADY_EXISTS_ERROR',
} as const;

export const multitenancyRoutes: Route[] = [
  {
    // Associates a user (either id of a mapped user) with the path's tenant. CDI 3.0.
    method: 'POST',
    path: '/recipe/multitenancy/tenant/user',
    scope: 'tenant',
    async handle(req) {
      const { store } = req.runtime;
      const userId = await resolveUserId(store, req.appId, associationUserId(req));
      // The account-linking rule is checked with the insert, in one transaction (store/usertenants.ts).
      const result = await store.addUserToTenant(req.appId, req.tenantId, userId);
      if (result.status === 'ASSOCIATION_NOT_ALLOWED') return outcome('ASSOCIATION_NOT_ALLOWED_ERROR', { reason: result.reason });
      if (result.status !== 'OK') return outcome(CLASH_STATUS[result.status]);
      return ok({ wasAlreadyAssociated: result.wasAlreadyAssociated });
    },
  },
  {
    // Removes a user from the path's tenant with its sessions, roles and verification tokens there;
    // the user itself stays (also when in no tenant any more). CDI 3.0.
    method: 'POST',
    path: '/recipe/multitenancy/tenant/user/remove',
    scope: 'tenant',
    async handle(req) {
      const { store } = req.runtime;
      const given = associationUserId(req);
      const mapping = await findMapping(req, given, 'ANY');
      const superTokensUserId = mapping?.superTokensUserId ?? given;
      // Non-auth recipes hold the id the SDK was given: the external one when mapped.
      const nonAuthUserId = mapping?.externalUserId ?? given;
      return ok({ wasAssociated: await store.removeUserFromTenant(req.appId, req.tenantId, superTokensUserId, nonAuthUserId) });
    },
  },
  {
    method: 'PUT',
    path: '/recipe/multitenancy/tenant/v2',
    scope: 'app',
    async handle(req) {
      const tenantId = tenantIdOf(req.body);
      const firstFactors = factorList(req.body, 'firstFactors');
      const requiredSecondaryFactors = factorList(req.body, 'requiredSecondaryFactors');
      const coreConfig = optionalObject(req.body, 'coreConfig');
      return putTenant(req, tenantId, (current) => ({
        firstFactors: firstFactors === undefined ? current.firstFactors : firstFactors,
        requiredSecondaryFactors: requiredSecondaryFactors === undefined ? current.requiredSecondaryFactors : requiredSecondaryFactors,
        coreConfig: mergeCoreConfig(current.coreConfig, coreConfig),
      }));
    },
  },
  {
    // CDI <= 5.0 (supertokens-node 16–18): per-recipe `…Enabled` flags instead of `firstFactors`.
    method: 'PUT',
    path: '/recipe/multitenancy/tenant',
    scope: 'app',
    async handle(req) {
      const tenantId = tenantIdOf(req.body);
      const flags: [string, string[]][] = [
        ['emailPasswordEnabled', ['emailpassword']],
        ['thirdPartyEnabled', ['thirdparty']],
        ['passwordlessEnabled', PASSWORDLESS_FACTORS],
      ];
      for (const [name] of flags) {
        if (req.body[name] !== undefined && req.body[name] !== null && typeof req.body[name] !== 'boolean') throw invalidField(name);
      }
      const coreConfig = optionalObject(req.body, 'coreConfig');
      // CDI 5.0 (supertokens-node 17–18) may send the v2 fields too; they win over the flags.
      const firstFactors = factorList(req.body, 'firstFactors');
      const requiredSecondaryFactors = factorList(req.body, 'requiredSecondaryFactors');
      return putTenant(req, tenantId, (current) => {
        const enabled = new Set(current.firstFactors ?? flags.flatMap(([, factors]) => factors));
        for (const [name, factors] of flags) {
          const value = req.body[name];
          if (value === true) factors.forEach((f) => enabled.add(f));
          if (value === false) factors.forEach((f) => enabled.delete(f));
        }
        const all = flags.flatMap(([, factors]) => factors).every((f) => enabled.has(f));
        const fromFlags = all && current.firstFactors === null ? null : [...enabled];
        return {
          firstFactors: firstFactors === undefined ? fromFlags : firstFactors,
          requiredSecondaryFactors: requiredSecondaryFactors === undefined ? current.requiredSecondaryFactors : requiredSecondaryFactors,
          coreConfig: mergeCoreConfig(current.coreConfig, coreConfig),
        };
      });
    },
  },
  {
    method: 'GET',
    path: '/recipe/multitenancy/tenant/v2',
    scope: 'tenant',
    acceptsUnknownTenant: true,
    async handle(req) {
      const { row, exists } = await currentConfig(req, req.tenantId);
      if (!exists) return outcome('TENANT_NOT_FOUND_ERROR');
      return ok(tenantV2Json(req.tenantId, row));
    },
  },
  {
    // The v1 shape (CDI <= 5.0; supertokens-node 16–18 read it on every sign-in).
    method: 'GET',
    path: '/recipe/multitenancy/tenant',
    scope: 'tenant',
    acceptsUnknownTenant: true,
    async handle(req) {
      const { row, exists } = await currentConfig(req, req.tenantId);
      if (!exists) return outcome('TENANT_NOT_FOUND_ERROR');
      return ok(tenantV1Json(req.tenantId, row, req.cdi.atLeast('5.0')));
    },
  },
  {
    method: 'GET',
    path: '/recipe/multitenancy/tenant/list/v2',
    scope: 'app',
    async handle(req) {
      return ok({ tenants: (await allTenants(req)).map((t) => tenantV2Json(t.tenantId, t.config)) });
    },
  },
  {
    method: 'GET',
    path: '/recipe/multitenancy/tenant/list',
    scope: 'app',
    async handle(req) {
      return ok({ tenants: (await allTenants(req)).map((t) => tenantV1Json(t.tenantId, t.config, req.cdi.atLeast('5.0'))) });
    },
  },
  {
    method: 'POST',
    path: '/recipe/multitenancy/tenant/remove',
    scope: 'app',
    async handle(req) {
      const tenantId = requireString(req.body, 'tenantId').trim().toLowerCase();
      if (tenantId === 'public') {
        throw new CoreHttpError('ERR_CORE_CANNOT_DELETE_TENANT', 403, 'Cannot delete public tenant, use remove app API instead');
      }
      if (req.runtime.config.tenantIds.includes(tenantId)) {
        throw new CoreHttpError('ERR_CORE_CANNOT_DELETE_TENANT', 403, `Cannot delete tenant '${tenantId}': it is listed in the core's tenantIds configuration`);
      }
      return ok({ didExist: await req.runtime.store.deleteTenant(req.appId, tenantId) });
    },
  },
];
