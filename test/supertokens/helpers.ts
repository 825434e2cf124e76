/**
 * Shared test helpers for the SuperTokens-compatible core: temporary cores on SQLite or a
 * per-run PostgreSQL schema, the PostgreSQL reachability rule, and a raw CDI client.
 *
 * PostgreSQL rule (project-wide): with CI=true the PostgreSQL suites always run and fail loudly if
 * the server is unreachable; otherwise they are skipped with a one-line reason.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startCore, type CoreOptions, type RunningCore } from '../../src/supertokens/index.ts';
import { MIGRATIONS } from '../../src/supertokens/store/migrations.ts';

export const PG_HOST = '127.0.0.1';
export const PG_PORT = 5432;
export const PG_DATABASE = 'test';

/** Candidate connection strings (trust auth; user postgres or root). */
const PG_URLS = [
  process.env.PORTCULLIS_TEST_PG_URL,
  `postgres://postgres@${PG_HOST}:${PG_PORT}/${PG_DATABASE}`,
  `postgres://root@${PG_HOST}:${PG_PORT}/${PG_DATABASE}`,
].filter((u): u is string => typeof u === 'string' && u !== '');

let probe: Promise<{ url: string } | { error: string }> | undefined;

/** Finds a working PostgreSQL connection string, once per process. */
export function probePostgres(): Promise<{ url: string } | { error: string }> {
  probe ??= (async () => {
    let lastError = 'no connection string';
    for (const url of PG_URLS) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return { url };
      } catch (err) {
        lastError = (err as Error).message;
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    return { error: lastError };
  })();
  return probe;
}

/**
 * Returns a connection string, or a skip reason. Under CI=true an unreachable server throws
 * (the suite must fail, not skip).
 */
export async function postgresOrSkipReason(): Promise<{ url: string } | { skip: string }> {
  const result = await probePostgres();
  if ('url' in result) return result;
  const reason = `PostgreSQL not reachable at ${PG_HOST}:${PG_PORT}: ${result.error}`;
  if (process.env.CI === 'true') throw new Error(`${reason} (CI=true requires it)`);
  return { skip: reason };
}

/**
 * A test core on `kind`, or the reason PostgreSQL is skipped (under CI=true its absence throws, as
 * `postgresOrSkipReason` does).
 */
export async function startTestCoreOrSkip(kind: StoreKind, extra: CoreOptions = {}): Promise<TestCore | { skip: string }> {
  let pgUrl: string | undefined;
  if (kind === 'postgres') {
    const state = await postgresOrSkipReason();
    if ('skip' in state) return state;
    pgUrl = state.url;
  }
  return startTestCore(kind, extra, pgUrl);
}

/** A unique schema name for this test run. */
export function uniqueSchema(): string {
  return `pc_test_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export type StoreKind = 'sqlite' | 'postgres';

export interface TestCore {
  core: RunningCore;
  /** Options used, to restart on the same data. */
  options: CoreOptions;
  /** Closes the core and deletes its data. */
  dispose(): Promise<void>;
}

/**
 * Starts a core on 127.0.0.1:0 with fresh storage of the given kind. For PostgreSQL pass the URL
 * from `postgresOrSkipReason()`.
 */
export async function startTestCore(kind: StoreKind, extra: CoreOptions = {}, pgUrl?: string): Promise<TestCore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pc-core-'));
  let schema: string | undefined;
  const options: CoreOptions = {
    port: 0,
    dataDir,
    log: () => undefined,
    // Cheap hashing keeps tests fast; production defaults are tested separately.
    passwordHashing: { algorithm: 'argon2id', argon2MemoryKib: 1024, argon2Iterations: 1, argon2Parallelism: 1, bcryptLogRounds: 4 },
    ...extra,
  };
  if (kind === 'postgres') {
    if (pgUrl === undefined) throw new Error('startTestCore(postgres) needs a connection string');
    schema = uniqueSchema();
    options.database = { kind: 'postgres', connectionString: pgUrl, schema };
  }
  const core = await startCore(options);
  return {
    core,
    options,
    async dispose() {
      await core.close().catch(() => undefined);
      if (schema !== undefined && pgUrl !== undefined) await dropSchema(pgUrl, schema);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface CdiResponse {
  status: number;
  text: string;
  json: any;
  headers: Headers;
}

/** A raw CDI client (what the SDK's querier sends). */
export function cdiClient(baseUrl: string, defaults: Record<string, string> = { 'cdi-version': '5.4' }) {
  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<CdiResponse> {
    const res = await fetch(baseUrl + path, {
      method,
      headers: { ...defaults, ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json, headers: res.headers };
  }
  return {
    call,
    get: (path: string, headers?: Record<string, string>) => call('GET', path, undefined, headers),
    post: (path: string, body: unknown, headers?: Record<string, string>) => call('POST', path, body, headers),
    put: (path: string, body: unknown, headers?: Record<string, string>) => call('PUT', path, body, headers),
  };
}

/** Decodes a JWT part without verifying (test inspection only). */
export function decodeJwtPart(token: string, index: 0 | 1): Record<string, any> {
  const part = token.split('.')[index];
  if (part === undefined) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, any>;
}

/**
 * Puts a stopped core's database back to schema `version`, as an older release left it: a table a later
 * migration rebuilt (`CREATE TABLE t_vN …; ALTER TABLE t_vN RENAME TO t`) gets its earlier definition and
 * indexes back with its rows; every table a later migration created is dropped; those migrations are
 * forgotten. Returns the dropped tables.
 */
export async function rollBackSchema(options: CoreOptions, version: number): Promise<string[]> {
  const later = MIGRATIONS.slice(version).flat();
  const earlier = MIGRATIONS.slice(0, version).flat();
  const renamed = new Map<string, string>();
  for (const sql of later) {
    const rename = /ALTER TABLE (\w+) RENAME TO (\w+)/.exec(sql);
    if (rename !== null) renamed.set(rename[1]!, rename[2]!);
  }
  const added = later.flatMap((sql) => [.../CREATE TABLE (\w+)/.exec(sql)?.slice(1) ?? []]).filter((table) => !renamed.has(table));
  const rebuilt = [...new Set(renamed.values())].filter((table) => !added.includes(table));
  const restore = rebuilt.flatMap((table) => [
    `CREATE TABLE ${table}_rollback AS SELECT * FROM ${table}`,
    `DROP TABLE ${table}`,
    ...earlier.filter((sql) => new RegExp(`^\\s*CREATE (TABLE ${table} |(UNIQUE )?INDEX \\w+ ON ${table} )`).test(sql)),
    `INSERT INTO ${table} SELECT * FROM ${table}_rollback`,
    `DROP TABLE ${table}_rollback`,
  ]);
  const statements = [...restore, ...added.map((table) => `DROP TABLE ${table}`), `DELETE FROM st_schema_migrations WHERE version > ${version}`];
  const database = options.database;
  if (database?.kind !== 'postgres') {
    const db = new Database(join(options.dataDir!, 'core.sqlite'));
    try {
      for (const sql of statements) db.exec(sql);
    } finally {
      db.close();
    }
  } else {
    const client = new pg.Client({ connectionString: database.connectionString });
    await client.connect();
    try {
      await client.query(`SET search_path TO "${database.schema}"`);
      for (const sql of statements) await client.query(sql);
    } finally {
      await client.end();
    }
  }
  return added;
}
