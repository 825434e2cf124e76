/**
 * @module supertokens/routes/userroles — UserRoles recipe CDI endpoints, all ten (spec §8.2). [glue]
 *
 * Roles and permissions are app-wide; role assignments are per tenant.
 */
import { badInput } from '../errors.ts';
import { ok, optionalStringArray, outcome, requireQuery, requireString, type Route, type RouteRequest } from './types.ts';

function requireRole(req: RouteRequest): string {
  const role = requireString(req.body, 'role');
  if (role.trim() === '') throw badInput('Field name \'role\' cannot be an empty String');
  return role;
}

export const userRoleRoutes: Route[] = [
  {
    method: 'PUT',
    path: '/recipe/role',
    scope: 'app',
    async handle(req) {
      const role = requireRole(req);
      const permissions = optionalStringArray(req.body, 'permissions') ?? [];
      return ok({ createdNewRole: await req.runtime.store.createRoleOrAddPermissions(req.appId, role, permissions) });
    },
  },
  {
    method: 'PUT',
    path: '/recipe/user/role',
    scope: 'tenant',
    async handle(req) {
      const userId = requireString(req.body, 'userId');
      const role = requireRole(req);
      const { store } = req.runtime;
      if (!(await store.roleExists(req.appId, role))) return outcome('UNKNOWN_ROLE_ERROR');
      return ok({ didUserAlreadyHaveRole: await store.addUserRole(req.appId, req.tenantId, userId, role) });
    },
  },
  {
    method: 'POST',
    path: '/recipe/user/role/remove',
    scope: 'tenant',
    async handle(req) {
      const userId = requireString(req.body, 'userId');
      const role = requireRole(req);
      const { store } = req.runtime;
      if (!(await store.roleExists(req.appId, role))) return outcome('UNKNOWN_ROLE_ERROR');
      return ok({ didUserHaveRole: await store.removeUserRole(req.appId, req.tenantId, userId, role) });
    },
  },
  {
    method: 'GET',
    path: '/recipe/user/roles',
    scope: 'tenant',
    async handle(req) {
      return ok({ roles: await req.runtime.store.getUserRoles(req.appId, req.tenantId, requireQuery(req.query, 'userId')) });
    },
  },
  {
    method: 'GET',
    path: '/recipe/role/users',
    scope: 'tenant',
    async handle(req) {
      const role = requireQuery(req.query, 'role');
      const { store } = req.runtime;
      if (!(await store.roleExists(req.appId, role))) return outcome('UNKNOWN_ROLE_ERROR');
      return ok({ users: await store.getUsersWithRole(req.appId, req.tenantId, role) });
    },
  },
  {
    method: 'GET',
    path: '/recipe/role/permissions',
    scope: 'app',
    async handle(req) {
      const role = requireQuery(req.query, 'role');
      const { store } = req.runtime;
      if (!(await store.roleExists(req.appId, role))) return outcome('UNKNOWN_ROLE_ERROR');
      return ok({ permissions: await store.getRolePermissions(req.appId, role) });
    },
  },
  {
    method: 'GET',
    path: '/recipe/permission/roles',
    scope: 'app',
    async handle(req) {
      return ok({ roles: await req.runtime.store.getRolesForPermission(req.appId, requireQuery(req.query, 'permission')) });
    },
  },
  {
    method: 'POST',
    path: '/recipe/role/permissions/remove',
    scope: 'app',
    async handle(req) {
      const role = requireRole(req);
      const permissions = optionalStringArray(req.body, 'permissions');
      const { store } = req.runtime;
      if (!(await store.roleExists(req.appId, role))) return outcome('UNKNOWN_ROLE_ERROR');
      await store.removeRolePermissions(req.appId, role, permissions);
      return ok();
    },
  },
  {
    method: 'POST',
    path: '/recipe/role/remove',
    scope: 'app',
    async handle(req) {
      return ok({ didRoleExist: await req.runtime.store.deleteRole(req.appId, requireRole(req)) });
    },
  },
  {
    method: 'GET',
    path: '/recipe/roles',
    scope: 'app',
    async handle(req) {
      return ok({ roles: await req.runtime.store.listRoles(req.appId) });
    },
  },
];
