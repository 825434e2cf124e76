/**
 * @module supertokens/passwords — password hashing. [io: runs off the event loop]
 *
 * New hashes are argon2id (via @node-rs/argon2, computed on libuv's thread pool) or bcrypt (bcryptjs'
 * async API, which yields between rounds). Verification accepts both families whatever the setting,
 * so users imported from a Java SuperTokens core (bcrypt `$2a$`/`$2b$`/`$2y$` or `$argon2…$`) sign in
 * unchanged.
 *
 * Must not: log passwords or hashes.
 */
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import type { CoreConfig } from './config.ts';

const ARGON2ID = 2;

export type PasswordHashingConfig = CoreConfig['passwordHashing'];

/** Hashes a password for storage. */
export async function hashPassword(password: string, config: PasswordHashingConfig): Promise<string> {
  if (config.algorithm === 'bcrypt') return bcrypt.hash(password, config.bcryptLogRounds);
  return argon2Hash(password, {
    // `Algorithm.Argon2id` is an ambient const enum, which verbatimModuleSyntax cannot import.
    algorithm: ARGON2ID,
    memoryCost: config.argon2MemoryKib,
    timeCost: config.argon2Iterations,
    parallelism: config.argon2Parallelism,
  });
}

/** The hash families we can verify. */
export function isSupportedPasswordHash(stored: string): boolean {
  return /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(stored) || /^\$argon2(id|i|d)\$/.test(stored);
}

/** Verifies a password against a stored bcrypt or argon2 hash; false for anything else. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (stored.startsWith('$2a$') || stored.startsWith('$2b$') || stored.startsWith('$2y$')) {
    // bcryptjs treats $2y$ like $2b$ only when told; the formats are identical apart from the tag.
    const normalised = stored.startsWith('$2y$') ? `$2b$${stored.slice(4)}` : stored;
    return bcrypt.compare(password, normalised);
  }
  if (stored.startsWith('$argon2')) {
    try {
      return await argon2Verify(stored, password);
    } catch {
      return false;
    }
  }
  return false;
}
