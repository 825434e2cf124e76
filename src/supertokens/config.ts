/**
 * @module supertokens/config — the `core:` section of portcullis.yaml. [pure]
 *
 * One zod schema with every default written once, in the unit its name carries. `startCore()` and
 * `portcullis core` both parse through it, so a value that reaches the core has been validated.
 * The names follow the SuperTokens core's config keys (`access_token_validity` →
 * `accessTokenValiditySeconds`) with the unit added.
 *
 * Must not: read files, the environment or the clock.
 */
import { z } from 'zod';
import { signInRateLimitSchema } from './rate-limit.ts';

/** SuperTokens' own rule for API keys: at least 20 characters from `[A-Za-z0-9=-]`. */
const apiKey = z
  .string()
  .regex(/^[A-Za-z0-9=-]{20,}$/, 'api keys must be at least 20 characters from [A-Za-z0-9=-]');

/** App and tenant ids as the core accepts them in paths (it compares them lowercased). */
const scopeId = z
  .string()
  .regex(/^[a-z0-9-]{1,64}$/, 'must be 1-64 characters from [a-z0-9-] (lowercase)');

const sqliteDatabase = z.strictObject({
  kind: z.literal('sqlite'),
  /** Database file. Default is `<dataDir>/core.sqlite`; a relative path is resolved against `dataDir`. */
  file: z.string().min(1).optional(),
});

const postgresDatabase = z.strictObject({
  kind: z.literal('postgres'),
  /** A libpq-style URL, e.g. `postgres://postgres@127.0.0.1:5432/test`. */
  connectionString: z.string().min(1),
  /** Schema holding the core's tables; created on first start. Default is `public`. */
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a plain lowercase PostgreSQL identifier')
    .default('public'),
  /** Maximum pooled connections. Default is 10. */
  poolMax: z.number().int().min(1).max(200).default(10),
  /** Wait for a free pooled connection (or a new one) at most this long. Default is 5000 (5 seconds). */
  connectTimeoutMs: z.number().int().min(100).default(5000),
  /** Client-side limit for a single query. Default is 10000 (10 seconds). */
  queryTimeoutMs: z.number().int().min(100).default(10000),
});

const passwordHashing = z.strictObject({
  /**
   * Algorithm for new hashes. Existing bcrypt (`$2a$`, `$2b$`, `$2y$`) and argon2 (`$argon2id$`,
   * `$argon2i$`, `$argon2d$`) hashes always verify, whatever this says. Default is `argon2id`.
   */
  algorithm: z.enum(['argon2id', 'bcrypt']).default('argon2id'),
  /** Argon2 memory cost in KiB. Default is 19456 (19 MiB, the OWASP minimum for argon2id). */
  argon2MemoryKib: z.number().int().min(1024).default(19456),
  /** Argon2 passes. Default is 2. */
  argon2Iterations: z.number().int().min(1).default(2),
  /** Argon2 lanes. Default is 1. */
  argon2Parallelism: z.number().int().min(1).max(16).default(1),
  /** bcrypt cost (log2 rounds). Default is 11, as the SuperTokens core. */
  bcryptLogRounds: z.number().int().min(4).max(16).default(11),
});

/**
 * Schema of the `core:` section. Every key is optional; `coreConfigSchema.parse({})` is a complete,
 * working configuration (SQLite under `.portcullis/`, listening on 127.0.0.1:3567).
 */
export const coreConfigSchema = z
  .strictObject({
    /** Listen address. Default is `127.0.0.1` (loopback only, like the SuperTokens core). */
    host: z.string().min(1).default('127.0.0.1'),
    /** Listen port; 0 picks an ephemeral port. Default is 3567, the SuperTokens core's port. */
    port: z.number().int().min(0).max(65535).default(3567),
    /** Data directory (SQLite file); relative to the working directory. Default is `.portcullis`. */
    dataDir: z.string().min(1).default('.portcullis'),
    /** Storage. Default is `{ kind: 'sqlite' }` (a file under `dataDir`). */
    database: z.discriminatedUnion('kind', [sqliteDatabase, postgresDatabase]).default({ kind: 'sqlite' }),
    /**
     * API keys accepted in the `api-key` header or as `Authorization: Bearer <key>`. Empty means the
     * core is open to anyone who can reach it (only sensible on loopback). Default is `[]`.
     */
    apiKeys: z.array(apiKey).default([]),
    /** Apps reachable through the `/appid-<app>/` path prefix. Default is `['public']`. */
    appIds: z.array(scopeId).min(1).default(['public']),
    /** Tenants of every app, reachable through the `/<tenant>/` path prefix. Default is `['public']`. */
    tenantIds: z.array(scopeId).min(1).default(['public']),
    /** Access-token lifetime (`access_token_validity`). Default is 3600 (1 hour). */
    accessTokenValiditySeconds: z.number().int().min(1).max(86_400 * 365).default(3600),
    /**
     * Freshly minted access tokens (create, refresh) live up to this fraction shorter, at random
     * (`access_token_validity_jitter` of core 12.1). 0 disables it. Default is 0.05.
     */
    accessTokenValidityJitterRatio: z.number().min(0).max(0.5).default(0.05),
    /** Refresh-token (and session) lifetime, sliding on every promotion. Default is 144000 (100 days). */
    refreshTokenValidityMinutes: z.number().int().min(1).default(144_000),
    /** How long one dynamic signing key signs before the next takes over. Default is 168 (7 days). */
    accessTokenSigningKeyUpdateIntervalHours: z.number().positive().default(168),
    /**
     * A new dynamic key is published in the JWKS this long before it signs anything, so caches that
     * keep a JWKS for up to this long (AWS HTTP-API JWT authorizers: 2 hours) never meet an unknown
     * `kid`. Must be shorter than the update interval. Default is 10800 (3 hours).
     */
    accessTokenSigningKeyPublishAheadSeconds: z.number().int().min(0).default(10_800),
    /** Email-verification token lifetime (`email_verification_token_lifetime`). Default is 86400 (1 day). */
    emailVerificationTokenLifetimeSeconds: z.number().int().min(1).default(86_400),
    /** Password-reset token lifetime (`password_reset_token_lifetime`). Default is 3600 (1 hour). */
    passwordResetTokenLifetimeSeconds: z.number().int().min(1).default(3600),
    /** Passwordless code lifetime (`passwordless_code_lifetime`). Default is 900 (15 minutes). */
    passwordlessCodeLifetimeSeconds: z.number().int().min(1).default(900),
    /** Wrong user input codes a passwordless device survives (`passwordless_max_code_input_attempts`). Default is 5. */
    passwordlessMaxCodeInputAttempts: z.number().int().min(1).default(5),
    /** Consecutive invalid TOTP codes that lock a user out, per tenant (`totp_max_attempts`). Default is 5. */
    totpMaxAttempts: z.number().int().min(1).default(5),
    /** How long a TOTP lockout lasts after the last invalid code (`totp_rate_limit_cooldown_sec`). Default is 900 (15 minutes). */
    totpRateLimitCooldownSeconds: z.number().int().min(1).default(900),
    /** Password hashing for new users and password changes. */
    passwordHashing: passwordHashing.default({
      algorithm: 'argon2id',
      argon2MemoryKib: 19456,
      argon2Iterations: 2,
      argon2Parallelism: 1,
      bcryptLogRounds: 11,
    }),
    /** Expired sessions, tokens and retired keys are deleted this often. Default is 600 (10 minutes). */
    cleanupIntervalSeconds: z.number().int().min(1).default(600),
    /** Largest accepted request body. Default is 1048576 (1 MiB). */
    maxRequestBodyBytes: z.number().int().min(1024).default(1_048_576),
    /** Sign-in rate limiting per account (on) and per client (off); see rate-limit.ts. */
    signInRateLimit: signInRateLimitSchema,
  })
  .superRefine((cfg, ctx) => {
    if (cfg.accessTokenSigningKeyPublishAheadSeconds >= cfg.accessTokenSigningKeyUpdateIntervalHours * 3600) {
      ctx.addIssue({
        code: 'custom',
        path: ['accessTokenSigningKeyPublishAheadSeconds'],
        message: 'must be shorter than accessTokenSigningKeyUpdateIntervalHours',
      });
    }
    const limit = cfg.signInRateLimit;
    if (limit.backend === 'redis' && limit.redis === undefined) {
      ctx.addIssue({ code: 'custom', path: ['signInRateLimit', 'redis'], message: 'is required with backend: redis' });
    }
    if (limit.backend !== 'redis' && limit.redis !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['signInRateLimit', 'redis'], message: `is only used with backend: redis (backend is ${limit.backend})` });
    }
    if (!cfg.appIds.includes('public')) {
      ctx.addIssue({ code: 'custom', path: ['appIds'], message: 'must include "public", the default app' });
    }
    if (!cfg.tenantIds.includes('public')) {
      ctx.addIssue({ code: 'custom', path: ['tenantIds'], message: 'must include "public", the default tenant' });
    }
  });

/** The validated, defaulted `core:` section. */
export type CoreConfig = z.infer<typeof coreConfigSchema>;
/** What a user may write in the `core:` section (everything optional). */
export type CoreConfigInput = z.input<typeof coreConfigSchema>;

/** Formats zod issues as `path: message` lines, one per issue. */
export function formatConfigIssues(error: z.ZodError, prefix = 'core'): string[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    return `${path}: ${issue.message}`;
  });
}
