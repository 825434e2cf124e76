/**
 * @module supertokens/store/multitenancy — `MultitenancyStore`: the tenants created at runtime
 * (`PUT /recipe/multitenancy/tenant/v2`), one row per (app, tenant) with its configuration as JSON. [io]
 *
 * The tenants of the core's configuration (`tenantIds`) exist without a row; a row only records the
 * configuration the CDI gave them. Which users belong to a tenant is `store/usertenants.ts`'s; sessions
 * and tokens carry their tenant (`tenant_id`).
 */
import type { JsonObject, SqlDriver } from './sql.ts';

/** A tenant's configuration as the CDI's v2 shape holds it; `null` means "not restricted". */
export interface TenantConfigRow {
  firstFactors: string[] | null;
  requiredSecondaryFactors: string[] | null;
  coreConfig: JsonObject;
}

export interface TenantRow extends TenantConfigRow {
  appId: string;
  tenantId: string;
  createdAtMs: number;
}

export interface MultitenancyStore {
  /** Creates or replaces the tenant's row; `createdNew` is true when there was none. */
  putTenant(row: TenantRow): Promise<{ createdNew: boolean }>;
  getTenant(appId: string, tenantId: string): Promise<TenantRow | undefined>;
  /** The app's stored tenants, by tenant id. */
  listTenants(appId: string): Promise<TenantRow[]>;
  /**
   * Removes the tenant's row and, as the Java core does, what is scoped to it: its user memberships (the
   * users themselves stay, in their other tenants or in none), sessions, role assignments, pending tokens
   * and passwordless codes; true when the row existed.
   */
  deleteTenant(appId: string, tenantId: string): Promise<boolean>;
}

interface TenantDbRow {
  app_id: string;
  tenant_id: string;
  config: string;
  created_at: number | string;
}

function toRow(r: TenantDbRow): TenantRow {
  const config = JSON.parse(r.config) as Partial<TenantConfigRow>;
  return {
    appId: r.app_id,
    tenantId: r.tenant_id,
    firstFactors: config.firstFactors ?? null,
    requiredSecondaryFactors: config.requiredSecondaryFactors ?? null,
    coreConfig: config.coreConfig ?? {},
    createdAtMs: Number(r.created_at),
  };
}

export class SqlMultitenancyStore implements MultitenancyStore {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  async putTenant(row: TenantRow): Promise<{ createdNew: boolean }> {
    const config = JSON.stringify({
      firstFactors: row.firstFactors,
      requiredSecondaryFactors: row.requiredSecondaryFactors,
      coreConfig: row.coreConfig,
    });
    const inserted = await this.#db.run(
      'INSERT INTO st_tenants (app_id, tenant_id, config, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [row.appId, row.tenantId, config, row.createdAtMs],
    );
    if (inserted === 1) return { createdNew: true };
    await this.#db.run('UPDATE st_tenants SET config = ? WHERE app_id = ? AND tenant_id = ?', [config, row.appId, row.tenantId]);
    return { createdNew: false };
  }

  async getTenant(appId: string, tenantId: string): Promise<TenantRow | undefined> {
    const rows = await this.#db.all<TenantDbRow>('SELECT * FROM st_tenants WHERE app_id = ? AND tenant_id = ?', [appId, tenantId]);
    return rows[0] === undefined ? undefined : toRow(rows[0]);
  }

  async listTenants(appId: string): Promise<TenantRow[]> {
    const rows = await this.#db.all<TenantDbRow>('SELECT * FROM st_tenants WHERE app_id = ? ORDER BY tenant_id', [appId]);
    return rows.map(toRow);
  }

  async deleteTenant(appId: string, tenantId: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const removed = await tx.run('DELETE FROM st_tenants WHERE app_id = ? AND tenant_id = ?', [appId, tenantId]);
      if (removed > 0) {
        // What is scoped to the tenant goes with it (the Java core's foreign keys cascade from its tenant row):
        // memberships, sessions, role assignments, pending tokens, passwordless codes, the TOTP codes checked
        // there (their lockouts).
        const scoped = ['st_user_tenants', 'st_sessions', 'st_user_roles', 'st_email_verification_tokens', 'st_password_reset_tokens'];
        for (const table of [...scoped, 'st_passwordless_codes', 'st_passwordless_devices', 'st_totp_used_codes']) {
          await tx.run(`DELETE FROM ${table} WHERE app_id = ? AND tenant_id = ?`, [appId, tenantId]);
        }
      }
      return removed > 0;
    });
  }
}
