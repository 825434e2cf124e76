/**
 * @module supertokens/store/passwordless — `PasswordlessStore`: the Passwordless recipe's users (one per
 * tenant and email, or tenant and phone number), its devices (one sign-in attempt: the email or phone it
 * is for, the failed-attempt counter) and their codes. [io]
 *
 * Nothing secret is stored in clear: a device is keyed by `deviceIdHash` (= the `preAuthSessionId`),
 * a code by `linkCodeHash` (routes/passwordless.ts derives both; the user input code itself is never
 * stored). Consuming a code claims it with one `DELETE … RETURNING` inside a transaction, so two
 * concurrent consumers of one code cannot both succeed.
 *
 * A user's tenants are its memberships (`store/usertenants.ts`), whose unique indexes keep an email and
 * a phone number to one passwordless user per tenant; `tenantId` on a user row is the tenant of sign-up.
 */
import { isUniqueViolation, placeholders, type SqlDriver, type SqlExecutor, type SqlValue } from './sql.ts';
import { accountInfoChangeRefused, inAccountLinkingTransaction } from './accountlinking.ts';
import { accountInfoTakenInUserTenants, deleteMemberships, insertMembership, updateMembershipAccountInfo } from './usertenants.ts';

export interface PasswordlessUserRow {
  appId: string;
  userId: string;
  tenantId: string;
  email?: string | undefined;
  phoneNumber?: string | undefined;
  timeJoinedMs: number;
}

export interface PasswordlessCodeRow {
  codeId: string;
  linkCodeHash: string;
  createdAtMs: number;
  /** Creation time plus the code lifetime configured then. */
  expiresAtMs: number;
}

export interface PasswordlessDeviceRow {
  deviceIdHash: string;
  email?: string | undefined;
  phoneNumber?: string | undefined;
  failedAttempts: number;
  codes: PasswordlessCodeRow[];
}

export type ConsumeCodeResult =
  | { status: 'OK'; device: PasswordlessDeviceRow }
  | { status: 'RESTART_FLOW' }
  | { status: 'INCORRECT' | 'EXPIRED'; failedAttempts: number };

export interface ConsumeCodeInput {
  linkCodeHash: string;
  /** The device the caller names (`preAuthSessionId`); a code of another device does not match. Absent: the code's device. */
  deviceIdHash: string | undefined;
  /** True when the caller typed a code (`deviceId` + `userInputCode`): a miss counts as a failed attempt. */
  countsAttempt: boolean;
  /**
   * True for consumeCode: a matching code is used up with its device (and the account's other
   * devices). False for checkCode (`/recipe/signinup/code/check`): a match leaves everything in place,
   * as the Java core's `checkCodeAndReturnDevice(…, deleteCodeOnSuccess = false)`, so the SDK can check
   * a code (to verify the session user's email in an MFA flow) and then consume it.
   */
  consumesOnSuccess: boolean;
  nowMs: number;
  maxAttempts: number;
}

export interface PasswordlessStore {
  /** A new device with its first code; false if the device id (or link code) already exists. */
  createPasswordlessDevice(appId: string, tenantId: string, device: Omit<PasswordlessDeviceRow, 'codes' | 'failedAttempts'>, code: PasswordlessCodeRow): Promise<boolean>;
  /** Another code for an existing device: `RESTART_FLOW` when the device is gone, `CODE_USED` when the link code exists. */
  createPasswordlessCode(appId: string, tenantId: string, deviceIdHash: string, code: PasswordlessCodeRow): Promise<'OK' | 'RESTART_FLOW' | 'CODE_USED'>;
  getPasswordlessDevice(appId: string, tenantId: string, deviceIdHash: string): Promise<PasswordlessDeviceRow | undefined>;
  listPasswordlessDevices(appId: string, tenantId: string, by: { email: string } | { phoneNumber: string }): Promise<PasswordlessDeviceRow[]>;
  /**
   * Consumes (or, with `consumesOnSuccess: false`, only checks) a code: on success the device (and
   * every other device for the same email or phone number in the tenant) is removed. A typed code that misses or has expired counts a failed
   * attempt; the attempt that reaches `maxAttempts` removes the device (`RESTART_FLOW`).
   */
  consumePasswordlessCode(appId: string, tenantId: string, input: ConsumeCodeInput): Promise<ConsumeCodeResult>;
  removePasswordlessCode(appId: string, tenantId: string, codeId: string): Promise<void>;
  removePasswordlessDevices(appId: string, tenantId: string, by: { email: string } | { phoneNumber: string }): Promise<void>;

  /** The user for the device's email or phone number, created with `newUser` when there is none. */
  signInUpPasswordlessUser(newUser: PasswordlessUserRow): Promise<{ created: boolean; user: PasswordlessUserRow }>;
  getPasswordlessUser(appId: string, userId: string): Promise<PasswordlessUserRow | undefined>;
  getPasswordlessUserByAccount(appId: string, tenantId: string, by: { email: string } | { phoneNumber: string }): Promise<PasswordlessUserRow | undefined>;
  listPasswordlessUsersByIds(appId: string, userIds: readonly string[]): Promise<PasswordlessUserRow[]>;
  /** `undefined` leaves a field, `null` clears it; clearing both is refused by the route. */
  updatePasswordlessUser(
    appId: string,
    userId: string,
    change: { email?: string | null; phoneNumber?: string | null },
  ): Promise<PasswordlessUpdateResult>;
  deletePasswordlessUser(appId: string, userId: string): Promise<boolean>;
  /** Cleanup: expired codes, then devices left without a code (every app). Returns the devices removed. */
  deleteExpiredPasswordlessCodes(nowMs: number): Promise<number>;
}

/**
 * `EMAIL_EXISTS` / `PHONE_EXISTS`: another passwordless user has it in one of the user's tenants (also
 * when it took it a moment ago); `EMAIL_CHANGE_NOT_ALLOWED` / `PHONE_CHANGE_NOT_ALLOWED`: the user is
 * linked and another primary user has it (the account-linking rule, checked in the same transaction under
 * the linking lock).
 */
export type PasswordlessUpdateResult = 'OK' | 'UNKNOWN_USER' | 'EMAIL_EXISTS' | 'PHONE_EXISTS' | 'EMAIL_CHANGE_NOT_ALLOWED' | 'PHONE_CHANGE_NOT_ALLOWED';

interface UserDbRow {
  app_id: string;
  user_id: string;
  tenant_id: string;
  email: string | null;
  phone_number: string | null;
  time_joined: number | string;
}

interface DeviceDbRow {
  device_id_hash: string;
  email: string | null;
  phone_number: string | null;
  failed_attempts: number | string;
}

interface CodeDbRow {
  code_id: string;
  device_id_hash: string;
  link_code_hash: string;
  created_at: number | string;
  expires_at: number | string;
}

function toUser(r: UserDbRow): PasswordlessUserRow {
  return {
    appId: r.app_id,
    userId: r.user_id,
    tenantId: r.tenant_id,
    ...(r.email === null ? {} : { email: r.email }),
    ...(r.phone_number === null ? {} : { phoneNumber: r.phone_number }),
    timeJoinedMs: Number(r.time_joined),
  };
}

function accountColumn(by: { email: string } | { phoneNumber: string }): [string, string] {
  return 'email' in by ? ['email', by.email] : ['phone_number', by.phoneNumber];
}

async function devicesWithCodes(db: SqlExecutor, appId: string, tenantId: string, devices: DeviceDbRow[]): Promise<PasswordlessDeviceRow[]> {
  if (devices.length === 0) return [];
  const codes = await db.all<CodeDbRow>(
    `SELECT code_id, device_id_hash, link_code_hash, created_at, expires_at FROM st_passwordless_codes
     WHERE app_id = ? AND tenant_id = ? AND device_id_hash IN (${placeholders(devices.length)}) ORDER BY created_at, code_id`,
    [appId, tenantId, ...devices.map((d) => d.device_id_hash)],
  );
  return devices.map((d) => ({
    deviceIdHash: d.device_id_hash,
    ...(d.email === null ? {} : { email: d.email }),
    ...(d.phone_number === null ? {} : { phoneNumber: d.phone_number }),
    failedAttempts: Number(d.failed_attempts),
    codes: codes
      .filter((c) => c.device_id_hash === d.device_id_hash)
      .map((c) => ({ codeId: c.code_id, linkCodeHash: c.link_code_hash, createdAtMs: Number(c.created_at), expiresAtMs: Number(c.expires_at) })),
  }));
}

async function deleteDevice(db: SqlExecutor, appId: string, tenantId: string, deviceIdHash: string): Promise<void> {
  await db.run('DELETE FROM st_passwordless_codes WHERE app_id = ? AND tenant_id = ? AND device_id_hash = ?', [appId, tenantId, deviceIdHash]);
  await db.run('DELETE FROM st_passwordless_devices WHERE app_id = ? AND tenant_id = ? AND device_id_hash = ?', [appId, tenantId, deviceIdHash]);
}

export class SqlPasswordlessStore implements PasswordlessStore {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  async createPasswordlessDevice(appId: string, tenantId: string, device: Omit<PasswordlessDeviceRow, 'codes' | 'failedAttempts'>, code: PasswordlessCodeRow): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const inserted = await tx.run(
        `INSERT INTO st_passwordless_devices (app_id, tenant_id, device_id_hash, email, phone_number, failed_attempts)
         VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT DO NOTHING`,
        [appId, tenantId, device.deviceIdHash, device.email ?? null, device.phoneNumber ?? null],
      );
      if (inserted !== 1) return false;
      const codeInserted = await tx.run(
        `INSERT INTO st_passwordless_codes (app_id, tenant_id, code_id, device_id_hash, link_code_hash, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        [appId, tenantId, code.codeId, device.deviceIdHash, code.linkCodeHash, code.createdAtMs, code.expiresAtMs],
      );
      if (codeInserted !== 1) throw new Error('passwordless link code collision');
      return true;
    });
  }

  async createPasswordlessCode(appId: string, tenantId: string, deviceIdHash: string, code: PasswordlessCodeRow): Promise<'OK' | 'RESTART_FLOW' | 'CODE_USED'> {
    return this.#db.transaction(async (tx) => {
      const device = await tx.all('SELECT 1 AS x FROM st_passwordless_devices WHERE app_id = ? AND tenant_id = ? AND device_id_hash = ?', [appId, tenantId, deviceIdHash]);
      if (device.length === 0) return 'RESTART_FLOW';
      const inserted = await tx.run(
        `INSERT INTO st_passwordless_codes (app_id, tenant_id, code_id, device_id_hash, link_code_hash, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        [appId, tenantId, code.codeId, deviceIdHash, code.linkCodeHash, code.createdAtMs, code.expiresAtMs],
      );
      return inserted === 1 ? 'OK' : 'CODE_USED';
    });
  }

  async getPasswordlessDevice(appId: string, tenantId: string, deviceIdHash: string): Promise<PasswordlessDeviceRow | undefined> {
    const rows = await this.#db.all<DeviceDbRow>(
      'SELECT * FROM st_passwordless_devices WHERE app_id = ? AND tenant_id = ? AND device_id_hash = ?',
      [appId, tenantId, deviceIdHash],
    );
    return (await devicesWithCodes(this.#db, appId, tenantId, rows))[0];
  }

  async listPasswordlessDevices(appId: string, tenantId: string, by: { email: string } | { phoneNumber: string }): Promise<PasswordlessDeviceRow[]> {
    const [column, value] = accountColumn(by);
    const rows = await this.#db.all<DeviceDbRow>(
      `SELECT * FROM st_passwordless_devices WHERE app_id = ? AND tenant_id = ? AND ${column} = ? ORDER BY device_id_hash`,
      [appId, tenantId, value],
    );
    return devicesWithCodes(this.#db, appId, tenantId, rows);
  }

  async consumePasswordlessCode(appId: string, tenantId: string, input: ConsumeCodeInput): Promise<ConsumeCodeResult> {
    return this.#db.transaction(async (tx): Promise<ConsumeCodeResult> => {
      let deviceIdHash = input.deviceIdHash;
      if (deviceIdHash === undefined) {
        const owner = await tx.all<{ device_id_hash: string }>(
          'SELECT device_id_hash FROM st_passwordless_codes WHERE app_id = ? AND tenant_id = ? AND link_code_hash = ?',
          [appId, tenantId, input.linkCodeHash],
        );
        if (owner[0] === undefined) return { status: 'RESTART_FLOW' };
        deviceIdHash = owner[0].device_id_hash;
      }
      // A no-op UPDATE locks the device row (PostgreSQL; SQLite serialises writers anyway), so concurrent
      // consumers of one device take turns and a later one sees the device gone, not a wrong code.
      const devices = await tx.all<DeviceDbRow>(
        `UPDATE st_passwordless_devices SET failed_attempts = failed_attempts
         WHERE app_id = ? AND tenant_id = ? AND device_id_hash = ? RETURNING *`,
        [appId, tenantId, deviceIdHash],
      );
      const deviceRow = devices[0];
      if (deviceRow === undefined) return { status: 'RESTART_FLOW' };
      // Consuming takes the code out as it reads it; checking only reads it.
      const codes = await tx.all<CodeDbRow>(
        input.consumesOnSuccess
          ? 'DELETE FROM st_passwordless_codes WHERE app_id = ? AND tenant_id = ? AND device_id_hash = ? AND link_code_hash = ? RETURNING *'
          : 'SELECT * FROM st_passwordless_codes WHERE app_id = ? AND tenant_id = ? AND device_id_hash = ? AND link_code_hash = ?',
        [appId, tenantId, deviceIdHash, input.linkCodeHash],
      );
      const code = codes[0];
      const expired = code !== undefined && Number(code.expires_at) <= input.nowMs;
      if (code === undefined || expired) {
        if (!input.countsAttempt) return { status: 'RESTART_FLOW' };
        const failedAttempts = Number(deviceRow.failed_attempts) + 1;
        if (failedAttempts >= input.maxAttempts) {
          await deleteDevice(tx, appId, tenantId, deviceIdHash);
          return { status: 'RESTART_FLOW' };
        }
        await tx.run('UPDATE st_passwordless_devices SET failed_attempts = ? WHERE app_id = ? AND tenant_id = ? AND device_id_hash = ?', [
          failedAttempts,
          appId,
          tenantId,
          deviceIdHash,
        ]);
        return { status: expired ? 'EXPIRED' : 'INCORRECT', failedAttempts };
      }
      const [device] = await devicesWithCodes(tx, appId, tenantId, devices);
      if (!input.consumesOnSuccess) return { status: 'OK', device: device! };
      // Success: every device of this email or phone number in the tenant is done with.
      const [column, value]: [string, SqlValue] = deviceRow.email !== null ? ['email', deviceRow.email] : ['phone_number', deviceRow.phone_number];
      const siblings = await tx.all<{ device_id_hash: string }>(
        `SELECT device_id_hash FROM st_passwordless_devices WHERE app_id = ? AND tenant_id = ? AND ${column} = ?`,
        [appId, tenantId, value],
      );
      for (const s of siblings) await deleteDevice(tx, appId, tenantId, s.device_id_hash);
      await deleteDevice(tx, appId, tenantId, deviceIdHash);
      return { status: 'OK', device: { ...device!, codes: [] } };
    });
  }

  async removePasswordlessCode(appId: string, tenantId: string, codeId: string): Promise<void> {
    await this.#db.transaction(async (tx) => {
      const removed = await tx.all<CodeDbRow>('DELETE FROM st_passwordless_codes WHERE app_id = ? AND tenant_id = ? AND code_id = ? RETURNING *', [appId, tenantId, codeId]);
      const deviceIdHash = removed[0]?.device_id_hash;
      if (deviceIdHash === undefined) return;
      // A device without codes is gone, as in the Java core.
      const left = await tx.all('SELECT 1 AS x FROM st_passwordless_codes WHERE app_id = ? AND tenant_id = ? AND device_id_hash = ?', [appId, tenantId, deviceIdHash]);
      if (left.length === 0) await deleteDevice(tx, appId, tenantId, deviceIdHash);
    });
  }

  async removePasswordlessDevices(appId: string, tenantId: string, by: { email: string } | { phoneNumber: string }): Promise<void> {
    const [column, value] = accountColumn(by);
    await this.#db.transaction(async (tx) => {
      const rows = await tx.all<{ device_id_hash: string }>(
        `SELECT device_id_hash FROM st_passwordless_devices WHERE app_id = ? AND tenant_id = ? AND ${column} = ?`,
        [appId, tenantId, value],
      );
      for (const r of rows) await deleteDevice(tx, appId, tenantId, r.device_id_hash);
    });
  }

  async signInUpPasswordlessUser(newUser: PasswordlessUserRow): Promise<{ created: boolean; user: PasswordlessUserRow }> {
    const by = newUser.email !== undefined ? { email: newUser.email } : { phoneNumber: newUser.phoneNumber ?? '' };
    const existing = await this.getPasswordlessUserByAccount(newUser.appId, newUser.tenantId, by);
    if (existing !== undefined) return { created: false, user: existing };
    const inserted = await this.#db.transaction(async (tx) => {
      const member = { ...newUser, recipeId: 'passwordless' as const };
      if (!(await insertMembership(tx, member))) return false;
      await tx.run(
        `INSERT INTO st_passwordless_users (app_id, user_id, tenant_id, email, phone_number, time_joined) VALUES (?, ?, ?, ?, ?, ?)`,
        [newUser.appId, newUser.userId, newUser.tenantId, newUser.email ?? null, newUser.phoneNumber ?? null, newUser.timeJoinedMs],
      );
      return true;
    });
    if (inserted) return { created: true, user: newUser };
    const raced = await this.getPasswordlessUserByAccount(newUser.appId, newUser.tenantId, by);
    if (raced === undefined) throw new Error('passwordless user vanished during sign-in-up');
    return { created: false, user: raced };
  }

  async getPasswordlessUser(appId: string, userId: string): Promise<PasswordlessUserRow | undefined> {
    const rows = await this.#db.all<UserDbRow>('SELECT * FROM st_passwordless_users WHERE app_id = ? AND user_id = ?', [appId, userId]);
    return rows[0] === undefined ? undefined : toUser(rows[0]);
  }

  async getPasswordlessUserByAccount(appId: string, tenantId: string, by: { email: string } | { phoneNumber: string }): Promise<PasswordlessUserRow | undefined> {
    const [column, value] = accountColumn(by);
    const rows = await this.#db.all<UserDbRow>(
      `SELECT u.* FROM st_passwordless_users u JOIN st_user_tenants m ON m.app_id = u.app_id AND m.user_id = u.user_id
       WHERE m.app_id = ? AND m.tenant_id = ? AND m.recipe_id = 'passwordless' AND m.${column} = ?`,
      [appId, tenantId, value],
    );
    return rows[0] === undefined ? undefined : toUser(rows[0]);
  }

  async listPasswordlessUsersByIds(appId: string, userIds: readonly string[]): Promise<PasswordlessUserRow[]> {
    if (userIds.length === 0) return [];
    const rows = await this.#db.all<UserDbRow>(
      `SELECT * FROM st_passwordless_users WHERE app_id = ? AND user_id IN (${placeholders(userIds.length)})`,
      [appId, ...userIds],
    );
    return rows.map(toUser);
  }

  async updatePasswordlessUser(
    appId: string,
    userId: string,
    change: { email?: string | null; phoneNumber?: string | null },
  ): Promise<PasswordlessUpdateResult> {
    const newEmail = typeof change.email === 'string' ? change.email : undefined;
    const newPhone = typeof change.phoneNumber === 'string' ? change.phoneNumber : undefined;
    // Setting an email or phone number takes the account-linking lock (its rule reads links); clearing one does not.
    const update = (tx: SqlExecutor) => this.#updatePasswordlessUser(tx, appId, userId, change);
    if (newEmail === undefined && newPhone === undefined) return this.#db.transaction(update);
    try {
      return await inAccountLinkingTransaction(this.#db, appId, update);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // A sign-up or a change to the same value committed between the check and the update: the unique
      // index refused it and the transaction rolled back. Which of the two values is now taken:
      const taken = (column: 'email' | 'phone_number', value: string) => accountInfoTakenInUserTenants(this.#db, appId, userId, 'passwordless', column, value);
      if (newEmail !== undefined && (await taken('email', newEmail))) return 'EMAIL_EXISTS';
      return newPhone !== undefined ? 'PHONE_EXISTS' : 'EMAIL_EXISTS';
    }
  }

  async #updatePasswordlessUser(tx: SqlExecutor, appId: string, userId: string, change: { email?: string | null; phoneNumber?: string | null }): Promise<PasswordlessUpdateResult> {
    const rows = await tx.all<UserDbRow>('SELECT * FROM st_passwordless_users WHERE app_id = ? AND user_id = ?', [appId, userId]);
    const user = rows[0];
    if (user === undefined) return 'UNKNOWN_USER';
    // A linked user may not take an email or phone number of another primary user (store/accountlinking.ts).
    if (typeof change.email === 'string' && (await accountInfoChangeRefused(tx, appId, userId, { email: change.email }))) return 'EMAIL_CHANGE_NOT_ALLOWED';
    if (typeof change.phoneNumber === 'string' && (await accountInfoChangeRefused(tx, appId, userId, { phoneNumber: change.phoneNumber }))) {
      return 'PHONE_CHANGE_NOT_ALLOWED';
    }
    // Taken in any of the user's tenants (the memberships' unique indexes are the last word).
    const taken = (column: 'email' | 'phone_number', value: string) => accountInfoTakenInUserTenants(tx, appId, userId, 'passwordless', column, value);
    if (typeof change.email === 'string' && (await taken('email', change.email))) return 'EMAIL_EXISTS';
    if (typeof change.phoneNumber === 'string' && (await taken('phone_number', change.phoneNumber))) return 'PHONE_EXISTS';
    const email = change.email === undefined ? user.email : change.email;
    const phone = change.phoneNumber === undefined ? user.phone_number : change.phoneNumber;
    await tx.run('UPDATE st_passwordless_users SET email = ?, phone_number = ? WHERE app_id = ? AND user_id = ?', [email, phone, appId, userId]);
    await updateMembershipAccountInfo(tx, appId, userId, { email, phoneNumber: phone });
    return 'OK';
  }

  async deletePasswordlessUser(appId: string, userId: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const removed = await tx.run('DELETE FROM st_passwordless_users WHERE app_id = ? AND user_id = ?', [appId, userId]);
      if (removed > 0) await deleteMemberships(tx, appId, userId);
      return removed > 0;
    });
  }

  async deleteExpiredPasswordlessCodes(nowMs: number): Promise<number> {
    await this.#db.run('DELETE FROM st_passwordless_codes WHERE expires_at < ?', [nowMs]);
    return this.#db.run(
      `DELETE FROM st_passwordless_devices WHERE NOT EXISTS (SELECT 1 FROM st_passwordless_codes c
         WHERE c.app_id = st_passwordless_devices.app_id AND c.tenant_id = st_passwordless_devices.tenant_id
           AND c.device_id_hash = st_passwordless_devices.device_id_hash)`,
    );
  }
}
