/**
 * @module core/origins — CORS origins parsed before they are matched. [pure]
 *
 * An `Origin` header is the serialization of RFC 6454 §6.2: `scheme "://" host [ ":" port ]` and
 * nothing else. Matching a wildcard pattern against the raw text (a glob over the string) lets
 * `http://localhost:3000.evil.com` pass `http://localhost:*` and `https://evil.com/.example.com`
 * pass `https://*.example.com`. So the origin is parsed first — anything with a path, query,
 * fragment, userinfo, a bad host or a bad port matches nothing — and the pattern is compared part by
 * part: a `*` port matches only a port number, a `*.` host matches only whole labels.
 */

/** An origin as RFC 6454 §6.2 serializes it; scheme and host lowercased (§4: they compare case-insensitively). */
export interface ParsedOrigin {
  readonly scheme: string;
  readonly host: string;
  /** The port as written, or `undefined` when the origin names none or names its scheme's default. */
  readonly port: number | undefined;
}

const ORIGIN = /^([a-z][a-z0-9+.-]*):\/\/(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::([0-9]+))?$/;
/** One DNS label (RFC 1123 §2.1 letters, digits, hyphens; not starting or ending with a hyphen) — `_` is seen in practice on private names. */
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;
const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443, ws: 80, wss: 443 };

/** A port as RFC 6454 serializes it: decimal, no leading zero, 1–65535. */
function parsePort(text: string): number | undefined {
  if (!/^[1-9][0-9]{0,4}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65_535 ? port : undefined;
}

function isValidHost(host: string): boolean {
  if (host.startsWith('[')) return host.endsWith(']') && host.length > 2;
  if (host.length > 253) return false;
  return host.split('.').every((label) => label.length <= 63 && LABEL.test(label));
}

/**
 * Parses an `Origin` header value (or a configured origin). Returns `undefined` for anything that is
 * not exactly `scheme://host[:port]`: `null`, a path (even `/`), a query, a fragment, userinfo, an
 * empty or malformed host label, a port that is not 1–65535 written plainly.
 */
export function parseOrigin(text: string): ParsedOrigin | undefined {
  const m = ORIGIN.exec(text.toLowerCase());
  if (!m) return undefined;
  const [, scheme, host, portText] = m as unknown as [string, string, string, string | undefined];
  if (!isValidHost(host)) return undefined;
  let port: number | undefined;
  if (portText !== undefined) {
    port = parsePort(portText);
    if (port === undefined) return undefined;
    if (DEFAULT_PORTS[scheme] === port) port = undefined;
  }
  return { scheme, host, port };
}

export type OriginMatcher = (origin: string) => boolean;

/**
 * Compiles one `allowOrigins` entry, or returns why it cannot be one. The forms:
 * - `*` — any origin (the answer is then the literal `*`, never an echo);
 * - `scheme://*` — any well-formed origin of that scheme (AWS's documented `https://*`);
 * - `scheme://*.example.com[:port|:*]` — hosts that end in `.example.com` with at least one more label;
 * - `scheme://host:*` — that host on any port, the scheme's default included (`http://localhost:*`);
 * - `scheme://host[:port]` — exactly that origin (case-insensitive, default port implied,
 *   a trailing `/` in the config ignored).
 * A `*` anywhere else is refused, so no entry is ever a glob over the raw header.
 */
export function compileOriginPattern(pattern: string): OriginMatcher | string {
  if (pattern === '*') return () => true;
  const text = pattern.toLowerCase().replace(/\/$/, '');
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/.exec(text);
  if (!m) return 'must be "*" or an origin scheme://host[:port] (no path, query or fragment)';
  const scheme = m[1]!;
  const rest = m[2]!;
  if (rest === '*') return (o) => parseOrigin(o)?.scheme === scheme;
  const colon = rest.startsWith('[') ? rest.indexOf(':', rest.indexOf(']')) : rest.lastIndexOf(':');
  const hostPart = colon < 0 ? rest : rest.slice(0, colon);
  const portPart = colon < 0 ? undefined : rest.slice(colon + 1);
  const anyPort = portPart === '*';
  let port: number | undefined;
  if (portPart !== undefined && !anyPort) {
    port = parsePort(portPart);
    if (port === undefined) return `port "${portPart}" must be a number 1-65535 or "*"`;
    if (DEFAULT_PORTS[scheme] === port) port = undefined;
  }
  const anySubdomain = hostPart.startsWith('*.');
  const host = anySubdomain ? hostPart.slice(2) : hostPart;
  if (!isValidHost(host)) {
    return hostPart.includes('*')
      ? 'a "*" may only be the whole origin, the whole host ("https://*"), the first host label ("https://*.example.com") or the port ("http://localhost:*")'
      : `host "${hostPart}" is not a valid host`;
  }
  const hostMatches = anySubdomain ? (h: string) => h.endsWith(`.${host}`) : (h: string) => h === host;
  return (o) => {
    const origin = parseOrigin(o);
    return origin !== undefined && origin.scheme === scheme && hostMatches(origin.host) && (anyPort || origin.port === port);
  };
}
