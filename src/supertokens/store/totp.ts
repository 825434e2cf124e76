/**
 * @module supertokens/store/totp — `TotpStore`: the TOTP recipe's users (one row per user with a
 * device: the lock every code check of the user takes), devices (app-wide, by user and name) and the
 * codes checked per tenant and user (kept for replay refusal and the failed-attempt limit). [io]
 *
 * User ids are stored as given, as the Java core stores them (the SDK passes the session's user id,
 * an external id for a mapped user).
 */
import type { TotpUsedCode } from '../totp.ts';
import type { SqlDriver, SqlExecutor } from './sql.ts';

export interface TotpDeviceRow {
  userId: string;
  name: string;
  /** Base32, as the device (authenticator app) holds it. */
  secret: string;
  periodSeconds: number;
  skew: number;
  verified: boolean;
  createdAtMs: number;
}

/** What `recordTotpCode`'s `decide` returns: the code to record (if any) and the answer for each case. */
export interface TotpRecordDecision<T> {
  record?: TotpUsedCode;
  result: T;
  /** The answer when `record` collides with a code recorded in the same ms. */
  resultIfRecordFails?: T;
}

export interface TotpStore {
  /**
   * Creates a device; `name` undefined takes `nameFor(existing devices)`. An unverified device of
   * the same name is replaced; a verified one makes it `DEVICE_EXISTS`.
   */
  createTotpDevice(
    appId: string,
    device: Omit<TotpDeviceRow, 'name'> & { name: string | undefined },
    nameFor: (existing: readonly TotpDeviceRow[]) => string,
  ): Promise<TotpDeviceRow | 'DEVICE_EXISTS'>;
  /** The user's devices, oldest first. */
  listTotpDevices(appId: string, userId: string): Promise<TotpDeviceRow[]>;
  renameTotpDevice(appId: string, userId: string, from: string, to: string): Promise<'OK' | 'UNKNOWN_DEVICE' | 'DEVICE_EXISTS'>;
  /** False when there was no such device. The last device takes the user's TOTP data (used codes too) with it. */
  removeTotpDevice(appId: string, userId: string, name: string): Promise<boolean>;
  /** False when the device is gone. */
  markTotpDeviceVerified(appId: string, userId: string, name: string): Promise<boolean>;
  /**
   * Under a lock on the user, reads its used codes in the tenant (newest first) and lets `decide`
   * say what to record and answer. `UNKNOWN_USER` when the user has no TOTP data (its last device
   * was removed meanwhile).
   */
  recordTotpCode<T>(
    appId: string,
    tenantId: string,
    userId: string,
    decide: (usedCodes: TotpUsedCode[]) => TotpRecordDecision<T>,
  ): Promise<T | 'UNKNOWN_USER'>;
  /** Every device and used code of the user (user removal). */
  deleteTotpUser(appId: string, userId: string): Promise<void>;
  /** Cleanup: used codes that expired before `expiredBeforeMs` (every app). */
  deleteExpiredTotpCodes(expiredBeforeMs: number): Promise<number>;
}

interface DeviceDbRow {
  user_id: string;
  device_name: string;
  secret_key: string;
  period: number | string;
  skew: number | string;
  verified: number | string;
  created_at: number | string;
}

interface UsedCodeDbRow {
  code: string;
  is_valid: number | string;
  expires_at: number | string;
  created_at: number | string;
}

function toDevice(r: DeviceDbRow): TotpDeviceRow {
  return {
    userId: r.user_id,
    name: r.device_name,
    secret: r.secret_key,
    periodSeconds: Number(r.period),
    skew: Number(r.skew),
    verified: Number(r.verified) === 1,
    createdAtMs: Number(r.created_at),
  };
}

async function devicesOf(db: SqlExecutor, appId: string, userId: string): Promise<TotpDeviceRow[]> {
  const rows = await db.all<DeviceDbRow>(
    'SELECT * FROM st_totp_devices WHERE app_id = ? AND user_id = ? ORDER BY created_at, device_name',
    [appId, userId],
  );
  return rows.map(toDevice);
}

/**
 * Locks the user's TOTP row until the transaction ends (a no-op UPDATE: PostgreSQL row lock; SQLite
 * serialises writers anyway), so concurrent checks of one user take turns. False when there is none.
 */
async function lockUser(tx: SqlExecutor, appId: string, userId: string): Promise<boolean> {
  const rows = await tx.all('UPDATE st_totp_users SET user_id = user_id WHERE app_id = ? AND user_id = ? RETURNING user_id', [appId, userId]);
  return rows.length > 0;
}

async function deleteUserRows(tx: SqlExecutor, appId: string, userId: string): Promise<void> {
  for (const table of ['st_totp_used_codes', 'st_totp_devices', 'st_totp_users']) {
    await tx.run(`DELETE FROM ${table} WHERE app_id = ? AND user_id = ?`, [appId, userId]);
  }
}

export class SqlTotpStore implements TotpStore {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  async createTotpDevice(
    appId: string,
    device: Omit<TotpDeviceRow, 'name'> & { name: string | undefined },
    nameFor: (existing: readonly TotpDeviceRow[]) => string,
  ): Promise<TotpDeviceRow | 'DEVICE_EXISTS'> {
    return this.#db.transaction(async (tx) => {
      await tx.run('INSERT INTO st_totp_users (app_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [appId, device.userId]);
      await lockUser(tx, appId, device.userId);
      const existing = await devicesOf(tx, appId, device.userId);
      const name = device.name ?? nameFor(existing);
      const same = existing.find((d) => d.name === name);
      if (same?.verified) return 'DEVICE_EXISTS';
      if (same !== undefined) {
        await tx.run('DELETE FROM st_totp_devices WHERE app_id = ? AND user_id = ? AND device_name = ?', [appId, device.userId, name]);
      }
      await tx.run(
        `INSERT INTO st_totp_devices (app_id, user_id, device_name, secret_key, period, skew, verified, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [appId, device.userId, name, device.secret, device.periodSeconds, device.skew, device.verified ? 1 : 0, device.createdAtMs],
      );
      return { ...device, name };
    });
  }

  async listTotpDevices(appId: string, userId: string): Promise<TotpDeviceRow[]> {
    return devicesOf(this.#db, appId, userId);
  }

  async renameTotpDevice(appId: string, userId: string, from: string, to: string): Promise<'OK' | 'UNKNOWN_DEVICE' | 'DEVICE_EXISTS'> {
    return this.#db.transaction(async (tx) => {
      if (!(await lockUser(tx, appId, userId))) return 'UNKNOWN_DEVICE';
      const names = (await devicesOf(tx, appId, userId)).map((d) => d.name);
      if (!names.includes(from)) return 'UNKNOWN_DEVICE';
      if (from !== to && names.includes(to)) return 'DEVICE_EXISTS';
      await tx.run('UPDATE st_totp_devices SET device_name = ? WHERE app_id = ? AND user_id = ? AND device_name = ?', [to, appId, userId, from]);
      return 'OK';
    });
  }

  async removeTotpDevice(appId: string, userId: string, name: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      if (!(await lockUser(tx, appId, userId))) return false;
      const removed = await tx.run('DELETE FROM st_totp_devices WHERE app_id = ? AND user_id = ? AND device_name = ?', [appId, userId, name]);
      if (removed === 0) return false;
      // As in the Java core, the user's TOTP row (and with it every used code) goes with its last device.
      if ((await devicesOf(tx, appId, userId)).length === 0) await deleteUserRows(tx, appId, userId);
      return true;
    });
  }

  async markTotpDeviceVerified(appId: string, userId: string, name: string): Promise<boolean> {
    const n = await this.#db.run('UPDATE st_totp_devices SET verified = 1 WHERE app_id = ? AND user_id = ? AND device_name = ?', [appId, userId, name]);
    return n > 0;
  }

  async recordTotpCode<T>(
    appId: string,
    tenantId: string,
    userId: string,
    decide: (usedCodes: TotpUsedCode[]) => TotpRecordDecision<T>,
  ): Promise<T | 'UNKNOWN_USER'> {
    return this.#db.transaction(async (tx) => {
      if (!(await lockUser(tx, appId, userId))) return 'UNKNOWN_USER';
      const rows = await tx.all<UsedCodeDbRow>(
        'SELECT code, is_valid, expires_at, created_at FROM st_totp_used_codes WHERE app_id = ? AND tenant_id = ? AND user_id = ? ORDER BY created_at DESC',
        [appId, tenantId, userId],
      );
      const decision = decide(
        rows.map((r) => ({ code: r.code, isValid: Number(r.is_valid) === 1, expiresAtMs: Number(r.expires_at), createdAtMs: Number(r.created_at) })),
      );
      if (decision.record === undefined) return decision.result;
      const { code, isValid, expiresAtMs, createdAtMs } = decision.record;
      const inserted = await tx.run(
        `INSERT INTO st_totp_used_codes (app_id, tenant_id, user_id, code, is_valid, expires_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        [appId, tenantId, userId, code, isValid ? 1 : 0, expiresAtMs, createdAtMs],
      );
      return inserted === 1 ? decision.result : (decision.resultIfRecordFails ?? decision.result);
    });
  }

  async deleteTotpUser(appId: string, userId: string): Promise<void> {
    await this.#db.transaction((tx) => deleteUserRows(tx, appId, userId));
  }

  async deleteExpiredTotpCodes(expiredBeforeMs: number): Promise<number> {
    return this.#db.run('DELETE FROM st_totp_used_codes WHERE expires_at < ?', [expiredBeforeMs]);
  }
}
