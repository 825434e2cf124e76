/**
 * @module supertokens/store/keys — app secrets (the refresh-token master key) and RS256 signing keys. [io]
 */
import { placeholders, type SqlDriver } from './sql.ts';

export interface SigningKeyRow {
  appId: string;
  kid: string;
  kind: 'dynamic' | 'static';
  /** Generation number: unique per (app, kind), so two instances cannot both add "the next" key. */
  seq: number;
  createdAtMs: number;
  /** Public JWK (RSA `n`, `e`) as JSON text. */
  publicJwk: string;
  /** PKCS#8 PEM. Never log. */
  privatePem: string;
}

/** Per-app secrets and signing keys (`supertokens/keys.ts`, the core's start-up in `supertokens/index.ts`). */
export interface KeyStore {
  /** Returns the stored secret, inserting `candidate` first if there is none (first writer wins). */
  getOrCreateAppSecret(appId: string, name: string, candidate: string): Promise<string>;

  listSigningKeys(appId: string): Promise<SigningKeyRow[]>;
  /** Inserts a key unless one with the same (app, kind, seq) exists; returns whether it was inserted. */
  insertSigningKey(key: SigningKeyRow): Promise<boolean>;
  deleteSigningKeys(appId: string, kids: readonly string[]): Promise<number>;
}

/** The `KeyStore` on top of a SQL driver. */
export class SqlKeyStore implements KeyStore {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  async getOrCreateAppSecret(appId: string, name: string, candidate: string): Promise<string> {
    await this.#db.run('INSERT INTO st_app_secrets (app_id, name, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [
      appId,
      name,
      candidate,
    ]);
    const rows = await this.#db.all<{ value: string }>('SELECT value FROM st_app_secrets WHERE app_id = ? AND name = ?', [
      appId,
      name,
    ]);
    const value = rows[0]?.value;
    if (value === undefined) throw new Error(`app secret ${name} vanished after insert`);
    return value;
  }

  async listSigningKeys(appId: string): Promise<SigningKeyRow[]> {
    const rows = await this.#db.all<{
      app_id: string;
      kid: string;
      kind: string;
      seq: number;
      created_at: number;
      public_jwk: string;
      private_pem: string;
    }>('SELECT * FROM st_signing_keys WHERE app_id = ? ORDER BY created_at DESC', [appId]);
    return rows.map((r) => ({
      appId: r.app_id,
      kid: r.kid,
      kind: r.kind === 'static' ? 'static' : 'dynamic',
      seq: Number(r.seq),
      createdAtMs: Number(r.created_at),
      publicJwk: r.public_jwk,
      privatePem: r.private_pem,
    }));
  }

  async insertSigningKey(key: SigningKeyRow): Promise<boolean> {
    const changed = await this.#db.run(
      `INSERT INTO st_signing_keys (app_id, kid, kind, seq, created_at, public_jwk, private_pem)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [key.appId, key.kid, key.kind, key.seq, key.createdAtMs, key.publicJwk, key.privatePem],
    );
    return changed === 1;
  }

  async deleteSigningKeys(appId: string, kids: readonly string[]): Promise<number> {
    if (kids.length === 0) return 0;
    return this.#db.run(`DELETE FROM st_signing_keys WHERE app_id = ? AND kid IN (${placeholders(kids.length)})`, [
      appId,
      ...kids,
    ]);
  }
}
