/**
 * @module core/digest — SHA-256 of short strings, for cache keys on the hot path. [pure]
 *
 * `crypto.hash()` (Node ≥ 20.12) digests in one call without a `Hash` object; it cost about a
 * third of `createHash().update().digest()` per token in the gateway's profile. Older Node 20
 * releases fall back to the latter.
 */
import * as crypto from 'node:crypto';

type DigestEncoding = 'base64' | 'base64url' | 'hex';

export const sha256: (text: string, encoding: DigestEncoding) => string =
  typeof crypto.hash === 'function'
    ? (text, encoding) => crypto.hash('sha256', text, encoding)
    : (text, encoding) => crypto.createHash('sha256').update(text).digest(encoding);
