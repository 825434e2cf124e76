/**
 * @module core/paths — the one resolved path a request is routed, authorized and forwarded by. [pure]
 *
 * Backends parse paths with the WHATWG URL standard (Node's `new URL()`, browsers, most frameworks),
 * which treats a percent-encoded dot as a dot: `%2e%2e`, `.%2e` and `%2e.` are double-dot segments,
 * `%2e` a single-dot one (URL standard, "path state"; RFC 3986 §2.3 and §6.2.2.2 agree that `%2E` and
 * `.` are equivalent). If the gateway routed `/open/%2e%2e/secure/x` as a path under `/open/` and
 * forwarded it as such, the backend would resolve it to `/secure/x`: a route whose authorizer never
 * ran. So the gateway resolves dot segments in every encoding once, before routing, and everything
 * after (route, authorizer, Lambda `rawPath`, upstream path) derives from that one path.
 *
 * What is sent upstream is re-encoded segment by segment (`encodePathSegment`), so an encoded slash
 * (`%2F`) or backslash (`%5C`) inside a segment stays encoded and can never become a separator, and
 * no segment the gateway forwards can be a dot segment under WHATWG or RFC 3986 rules.
 */

/** `.` or `%2e` (any case): WHATWG's "single-dot URL path segment". */
export function isSingleDotSegment(segment: string): boolean {
  return segment === '.' || (segment.length === 3 && segment.toLowerCase() === '%2e');
}

/** `..`, `.%2e`, `%2e.` or `%2e%2e` (any case): WHATWG's "double-dot URL path segment". */
export function isDoubleDotSegment(segment: string): boolean {
  if (segment === '..') return true;
  if (segment.length !== 4 && segment.length !== 6) return false;
  const s = segment.toLowerCase();
  return s === '.%2e' || s === '%2e.' || s === '%2e%2e';
}

/**
 * RFC 3986 §5.2.4 with WHATWG's dot segments: `.` and `..` in any percent-encoding are resolved, a
 * path never climbs above `/`, and a trailing dot segment leaves a trailing slash (as WHATWG does).
 */
export function removeDotSegments(path: string): string {
  // Fast path: no `.` after a slash and no encoded dot anywhere.
  if (!path.includes('/.') && !path.includes('%2e') && !path.includes('%2E')) return path;
  const out: string[] = [];
  const segments = path.split('/');
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    if (isSingleDotSegment(seg)) {
      if (last) out.push('');
    } else if (isDoubleDotSegment(seg)) {
      out.pop();
      if (last) out.push('');
    } else out.push(seg);
  }
  return '/' + out.join('/');
}

/**
 * One path segment for the upstream request, from its decoded text: percent-encoded so that `/`, `\`,
 * `?` and `#` stay data. Returns `null` for a segment that would be a dot segment (only possible for
 * values a parameter mapping produced, since request paths are resolved first): the caller refuses it.
 */
export function encodePathSegment(decoded: string): string | null {
  if (decoded === '.' || decoded === '..') return null;
  return encodeURIComponent(decoded);
}

/** Decoded segments, each encoded by `encodePathSegment` and joined with `/`; `null` if one is a dot segment. */
export function encodePathSegments(decoded: readonly string[]): string | null {
  const out: string[] = [];
  for (const segment of decoded) {
    const encoded = encodePathSegment(segment);
    if (encoded === null) return null;
    out.push(encoded);
  }
  return out.join('/');
}
