/**
 * @module supertokens/totp — time-based one-time passwords (RFC 6238 over RFC 4226) and the Java
 * core's rules for checking them: the skew window, codes used once, and the failed-attempt limit
 * with its cooldown. [pure]
 *
 * Secrets are 20 random bytes (160 bits, HMAC-SHA1's block of key the core generates), written as
 * unpadded RFC 4648 base32: what authenticator apps read from the `otpauth://` URI the SDK builds.
 * Codes are 6 digits, HMAC-SHA1, counter = floor(ms since epoch / period), as the core's
 * `TimeBasedOneTimePasswordGenerator` computes them.
 *
 * Must not: touch storage or read the clock (times are passed in).
 */
import { createHmac, randomBytes } from 'node:crypto';

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(data: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/**
 * Decodes base32 leniently, as Apache Commons' `Base32.decode` (the Java core's decoder) does:
 * case-insensitive, padding and characters outside the alphabet skipped, a trailing partial byte
 * dropped. An imported secret is therefore never refused for its spelling.
 */
export function base32Decode(text: string): Buffer {
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text.toUpperCase()) {
    const index = BASE32_ALPHABET.indexOf(ch);
    if (index < 0) continue;
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** A new device secret: 160 random bits in base32 (32 characters, no padding needed). */
export function newTotpSecret(): string {
  return base32Encode(randomBytes(20));
}

export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

/** RFC 4226 HOTP: HMAC of the 8-byte big-endian counter, dynamic truncation, `digits` decimal digits. */
export function hotp(key: Uint8Array, counter: number, digits = 6, algorithm: TotpAlgorithm = 'sha1'): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** RFC 6238 TOTP at `atMs`: HOTP with counter floor(atMs / period). */
export function totpAt(key: Uint8Array, atMs: number, periodSeconds: number, digits = 6, algorithm: TotpAlgorithm = 'sha1'): string {
  return hotp(key, Math.floor(atMs / (periodSeconds * 1000)), digits, algorithm);
}

/** What the check needs of a device. */
export interface TotpDeviceSpec {
  secret: string;
  periodSeconds: number;
  skew: number;
}

/**
 * True when `code` is the device's code at any of the 2·skew+1 periods around `nowMs`
 * (now − skew·period … now + skew·period), as the Java core's `checkCode` does.
 */
export function codeMatchesDevice(device: TotpDeviceSpec, code: string, nowMs: number): boolean {
  const key = base32Decode(device.secret);
  for (let i = -device.skew; i <= device.skew; i++) {
    if (totpAt(key, nowMs + i * device.periodSeconds * 1000, device.periodSeconds) === code) return true;
  }
  return false;
}

/** A code already checked for a (tenant, user): kept until it expires, for replay and rate limiting. */
export interface TotpUsedCode {
  code: string;
  isValid: boolean;
  expiresAtMs: number;
  createdAtMs: number;
}

export interface TotpLimits {
  /** `totp_max_attempts`: consecutive invalid codes that lock the user out. */
  maxAttempts: number;
  /** `totp_rate_limit_cooldown_sec`, in ms. */
  cooldownMs: number;
}

/** The outcome of checking a code, before it is recorded. */
export type TotpCheck =
  /** Locked out: nothing is recorded (recording would extend the lockout). */
  | { kind: 'LIMIT_REACHED'; retryAfterMs: number; currentAttempts: number; maxAttempts: number }
  /** Longer than 8 characters: refused without being recorded. */
  | { kind: 'INVALID_UNRECORDED'; currentAttempts: number; maxAttempts: number }
  /**
   * Record `record`; then the answer is OK when it is valid, else INVALID with `failedAttempts`
   * (`failedAttemptsIfRecordFails` when the record collides with another one of the same ms).
   */
  | { kind: 'RECORD'; record: TotpUsedCode; failedAttempts: number; failedAttemptsIfRecordFails: number; maxAttempts: number };

/**
 * The Java core's `checkAndStoreCode`, minus the storage: `usedCodes` newest first (expired ones
 * included: dropping them would end a lockout early or start one for nothing), `devices` the ones the
 * code may belong to (the verified ones, or the one device being verified).
 *
 * The user is locked out when the newest `maxAttempts` codes are all invalid and fall within one
 * cooldown of the newest; the lockout ends a cooldown after that newest one, and then the count
 * starts again from 0. A valid code is refused (counted as invalid) when the same code was accepted
 * before and has not expired: each code signs in once. A code lives period·(2·skew+1) seconds of
 * the device it matched (or of the longest-lived device when it matched none).
 */
export function checkTotpCode(
  input: { code: string; devices: readonly TotpDeviceSpec[]; usedCodes: readonly TotpUsedCode[]; nowMs: number },
  limits: TotpLimits,
): TotpCheck {
  const { code, devices, usedCodes, nowMs } = input;
  const n = limits.maxAttempts;
  const latestInvalid = takeWhile(usedCodes.slice(0, n), (c) => !c.isValid);
  let invalidOutOfN =
    latestInvalid.length === 0 ? 0 : takeWhile(latestInvalid, (c) => c.createdAtMs > latestInvalid[0]!.createdAtMs - limits.cooldownMs).length;
  if (invalidOutOfN === n) {
    const sinceLatest = nowMs - latestInvalid[0]!.createdAtMs;
    if (sinceLatest < limits.cooldownMs) {
      return { kind: 'LIMIT_REACHED', retryAfterMs: limits.cooldownMs - sinceLatest, currentAttempts: invalidOutOfN, maxAttempts: n };
    }
    invalidOutOfN = 0;
  }
  if (code.length > 8) return { kind: 'INVALID_UNRECORDED', currentAttempts: invalidOutOfN + 1, maxAttempts: n };

  const matching = devices.find((d) => codeMatchesDevice(d, code, nowMs));
  const replayed = usedCodes.some((c) => c.code === code && c.isValid && c.expiresAtMs > nowMs);
  const isValid = matching !== undefined && !replayed;
  const lifetimeSeconds = (d: TotpDeviceSpec) => d.periodSeconds * (2 * d.skew + 1);
  const expireInSeconds = matching !== undefined ? lifetimeSeconds(matching) : Math.max(0, ...devices.map(lifetimeSeconds));
  return {
    kind: 'RECORD',
    record: { code, isValid, expiresAtMs: nowMs + expireInSeconds * 1000, createdAtMs: nowMs },
    failedAttempts: invalidOutOfN + 1,
    failedAttemptsIfRecordFails: invalidOutOfN,
    maxAttempts: n,
  };
}

function takeWhile<T>(items: readonly T[], keep: (item: T) => boolean): T[] {
  const out: T[] = [];
  for (const item of items) {
    if (!keep(item)) break;
    out.push(item);
  }
  return out;
}

/**
 * The name the core gives a device created without one: "TOTP Device <n>", n starting at the number
 * of verified devices and counting up past names held by verified devices (an unverified device of
 * that name is replaced, as any unverified device is when a device of its name is created).
 */
export function generatedDeviceName(devices: readonly { name: string; verified: boolean }[]): string {
  let n = devices.filter((d) => d.verified).length;
  while (devices.some((d) => d.verified && d.name === `TOTP Device ${n}`)) n++;
  return `TOTP Device ${n}`;
}
