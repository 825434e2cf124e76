/**
 * @module core/digest — SHA-256 of strings, the one helper both halves use. [pure, shared primitive]
 *
 * Callers: the gateway's verified-token and decision cache keys (hot path), the session core's
 * refresh-token hashes (`Utils.hashSHA256`: lowercase hex), e-mail token hashes and API-key digests
 * (raw bytes for `timingSafeEqual`), and the default API id.
 *
 * `crypto.hash()` (Node ≥ 20.12) digests in one call without a `Hash` object; it cost about a
 * third of `createHash().update().digest()` per token in the gateway's profile. Older Node 20
 * releases fall back to the latter. Strings are hashed as UTF-8 either way.
 */
import * as crypto from 'node:crypto';

type TextEncoding = 'base64' | 'base64url' | 'hex';

interface Sha256 {
  /** The digest's 32 bytes. */
  (text: string, encoding: 'buffer'): Buffer;
  (text: string, encoding: TextEncoding): string;
}

export const sha256: Sha256 = (
  typeof crypto.hash === 'function'
    ? (text: string, encoding: TextEncoding | 'buffer') => crypto.hash('sha256', text, encoding)
    : (text: string, encoding: TextEncoding | 'buffer') => (encoding === 'buffer' ? crypto.createHash('sha256').update(text).digest() : crypto.createHash('sha256').update(text).digest(encoding))
) as Sha256;
