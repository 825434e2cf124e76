/**
 * @module supertokens/store/userroles — roles, their permissions and their assignments. [io]
 */
import { placeholders, type SqlDriver } from './sql.ts';

/** The UserRoles recipe's rows (`routes/userroles.ts`). */
export interface UserRolesStore {
  /** Creates the role if missing and adds permissions; returns whether the role was new. */
  createRoleOrAddPermissions(appId: string, role: string, permissions: readonly string[]): Promise<boolean>;
  roleExists(appId: string, role: string): Promise<boolean>;
  getRolePermissions(appId: string, role: string): Promise<string[]>;
  /** Removes the given permissions, or all when `permissions` is undefined. */
  removeRolePermissions(appId: string, role: string, permissions: readonly string[] | undefined): Promise<void>;
  /** Deletes the role, its permissions and its assignments; returns whether it existed. */
  deleteRole(appId: string, role: string): Promise<boolean>;
  listRoles(appId: string): Promise<string[]>;
  getRolesForPermission(appId: string, permission: string): Promise<string[]>;
  /** Returns whether the user already had the role. */
  addUserRole(appId: string, tenantId: string, userId: string, role: string): Promise<boolean>;
  /** Returns whether the user had the role. */
  removeUserRole(appId: string, tenantId: string, userId: string, role: string): Promise<boolean>;
  getUserRoles(appId: string, tenantId: string, userId: string): Promise<string[]>;
  getUsersWithRole(appId: string, tenantId: string, role: string): Promise<string[]>;
}

/** The `UserRolesStore` on top of a SQL driver. */
export class SqlUserRolesStore implements UserRolesStore {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  async createRoleOrAddPermissions(appId: string, role: string, permissions: readonly string[]): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const created = await tx.run('INSERT INTO st_roles (app_id, role) VALUES (?, ?) ON CONFLICT DO NOTHING', [appId, role]);
      for (const permission of new Set(permissions)) {
        await tx.run(
          'INSERT INTO st_role_permissions (app_id, role, permission) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
          [appId, role, permission],
        );
      }
      return created === 1;
    });
  }

  async roleExists(appId: string, role: string): Promise<boolean> {
    const rows = await this.#db.all('SELECT 1 AS x FROM st_roles WHERE app_id = ? AND role = ?', [appId, role]);
    return rows.length > 0;
  }

  async getRolePermissions(appId: string, role: string): Promise<string[]> {
    const rows = await this.#db.all<{ permission: string }>(
      'SELECT permission FROM st_role_permissions WHERE app_id = ? AND role = ? ORDER BY permission',
      [appId, role],
    );
    return rows.map((r) => r.permission);
  }

  async removeRolePermissions(appId: string, role: string, permissions: readonly string[] | undefined): Promise<void> {
    if (permissions === undefined) {
      await this.#db.run('DELETE FROM st_role_permissions WHERE app_id = ? AND role = ?', [appId, role]);
      return;
    }
    if (permissions.length === 0) return;
    await this.#db.run(
      `DELETE FROM st_role_permissions WHERE app_id = ? AND role = ? AND permission IN (${placeholders(permissions.length)})`,
      [appId, role, ...permissions],
    );
  }

  async deleteRole(appId: string, role: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const n = await tx.run('DELETE FROM st_roles WHERE app_id = ? AND role = ?', [appId, role]);
      await tx.run('DELETE FROM st_role_permissions WHERE app_id = ? AND role = ?', [appId, role]);
      await tx.run('DELETE FROM st_user_roles WHERE app_id = ? AND role = ?', [appId, role]);
      return n > 0;
    });
  }

  async listRoles(appId: string): Promise<string[]> {
    const rows = await this.#db.all<{ role: string }>('SELECT role FROM st_roles WHERE app_id = ? ORDER BY role', [appId]);
    return rows.map((r) => r.role);
  }

  async getRolesForPermission(appId: string, permission: string): Promise<string[]> {
    const rows = await this.#db.all<{ role: string }>(
      'SELECT role FROM st_role_permissions WHERE app_id = ? AND permission = ? ORDER BY role',
      [appId, permission],
    );
    return rows.map((r) => r.role);
  }

  async addUserRole(appId: string, tenantId: string, userId: string, role: string): Promise<boolean> {
    const n = await this.#db.run(
      'INSERT INTO st_user_roles (app_id, tenant_id, user_id, role) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [appId, tenantId, userId, role],
    );
    return n === 0;
  }

  async removeUserRole(appId: string, tenantId: string, userId: string, role: string): Promise<boolean> {
    const n = await this.#db.run('DELETE FROM st_user_roles WHERE app_id = ? AND tenant_id = ? AND user_id = ? AND role = ?', [
      appId,
      tenantId,
      userId,
      role,
    ]);
    return n > 0;
  }

  async getUserRoles(appId: string, tenantId: string, userId: string): Promise<string[]> {
    const rows = await this.#db.all<{ role: string }>(
      'SELECT role FROM st_user_roles WHERE app_id = ? AND tenant_id = ? AND user_id = ? ORDER BY role',
      [appId, tenantId, userId],
    );
    return rows.map((r) => r.role);
  }

  async getUsersWithRole(appId: string, tenantId: string, role: string): Promise<string[]> {
    const rows = await this.#db.all<{ user_id: string }>(
      'SELECT user_id FROM st_user_roles WHERE app_id = ? AND tenant_id = ? AND role = ? ORDER BY user_id',
      [appId, tenantId, role],
    );
    return rows.map((r) => r.user_id);
  }
}
