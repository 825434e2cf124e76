/**
 * @module core/routes — route keys, the compiled route table, and `matchRoute()`. [pure]
 *
 * Match order (AWS http-api-develop-routes, plus our documented tie-breaks):
 *   1. Paths are compared segment by segment, left to right: a literal segment beats `{var}`,
 *      `{var}` beats `{var+}` (greedy, one or more remaining segments).
 *   2. At the same path, an explicit method beats `ANY` (`ANY` matches every method not defined
 *      for that path).
 *   3. `$default` (HTTP APIs) catches everything else.
 * A single trailing slash is ignored for matching. Path parameter values are percent-decoded per
 * segment (so `%2F` inside a segment does not split it); greedy values exclude the leading slash.
 *
 * The table is a segment trie: matching cost depends on the path's depth, not the route count.
 */
import type { Result } from './result.ts';

export const ROUTE_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY'] as const;
export type RouteMethod = (typeof ROUTE_METHODS)[number];

export type ParsedRouteKey =
  | { kind: 'default' }
  | {
      kind: 'path';
      method: RouteMethod;
      /** The path template as written: `/pets/{id}`. */
      path: string;
      /** Template with parameter names erased (`/pets/{}`), for conflict detection. */
      normalized: string;
      segments: TemplateSegment[];
      params: string[];
    };

export type TemplateSegment =
  | { type: 'literal'; value: string }
  | { type: 'param'; name: string }
  | { type: 'greedy'; name: string };

/** Parses `GET /pets/{id}`, `ANY /{proxy+}` or `$default`. Errors read as config messages. */
export function parseRouteKey(routeKey: string): Result<ParsedRouteKey> {
  if (routeKey === '$default') return { ok: true, value: { kind: 'default' } };
  const m = /^([A-Z]+) (\/.*)$/.exec(routeKey);
  if (!m) return { ok: false, error: 'route key must be "METHOD /path" (e.g. "GET /pets/{id}") or "$default"' };
  const method = m[1]!;
  const path = m[2]!;
  if (!(ROUTE_METHODS as readonly string[]).includes(method)) {
    return { ok: false, error: `unknown method "${method}" (one of ${ROUTE_METHODS.join(', ')})` };
  }
  const parsed = parsePathTemplate(path);
  if (!parsed.ok) return parsed;
  const { segments } = parsed.value;
  return {
    ok: true,
    value: {
      kind: 'path',
      method: method as RouteMethod,
      path,
      normalized: '/' + segments.map((s) => (s.type === 'literal' ? s.value : s.type === 'param' ? '{}' : '{+}')).join('/'),
      segments,
      params: segments.flatMap((s) => (s.type === 'literal' ? [] : [s.name])),
    },
  };
}

function parsePathTemplate(path: string): Result<{ segments: TemplateSegment[] }> {
  if (/[?#\s]/.test(path)) return { ok: false, error: 'route path may not contain a query, fragment or spaces' };
  const trimmed = path === '/' ? '' : path.replace(/\/$/, '').slice(1);
  const raw = trimmed === '' ? [] : trimmed.split('/');
  const segments: TemplateSegment[] = [];
  const names = new Set<string>();
  for (let i = 0; i < raw.length; i++) {
    const seg = raw[i]!;
    if (seg === '') return { ok: false, error: 'route path may not contain empty segments ("//")' };
    const pm = /^\{([A-Za-z0-9._-]+)(\+?)\}$/.exec(seg);
    if (pm) {
      const name = pm[1]!;
      if (names.has(name)) return { ok: false, error: `path parameter {${name}} appears twice` };
      names.add(name);
      if (pm[2]) {
        if (i !== raw.length - 1) return { ok: false, error: `greedy parameter {${name}+} must be the last segment` };
        segments.push({ type: 'greedy', name });
      } else segments.push({ type: 'param', name });
      continue;
    }
    if (/[{}]/.test(seg)) return { ok: false, error: `segment "${seg}" mixes a parameter with text (a parameter must be a whole segment)` };
    segments.push({ type: 'literal', value: seg });
  }
  return { ok: true, value: { segments } };
}

// ---------------------------------------------------------------------------------------------

interface TrieNode<T> {
  literal: Map<string, TrieNode<T>>;
  param: TrieNode<T> | null;
  paramName: string | null;
  greedy: { name: string; routes: MethodTable<T> } | null;
  routes: MethodTable<T> | null;
}

type MethodTable<T> = Map<string, RouteEntry<T>>;

export interface RouteEntry<T> {
  routeKey: string;
  /** Template path (`/pets/{id}`) or `$default`. */
  resourcePath: string;
  /** Parameter names in template order, compiled once; a greedy one is marked. */
  params: ReadonlyArray<{ name: string; greedy: boolean }>;
  value: T;
}

export interface RouteTable<T> {
  root: TrieNode<T>;
  defaultRoute: RouteEntry<T> | null;
  size: number;
}

export interface RouteMatch<T> {
  entry: RouteEntry<T>;
  pathParameters: Record<string, string>;
  /** The same values as received (percent-encoding intact; a greedy value's segments joined by `/`). */
  rawPathParameters: Record<string, string>;
}

function newNode<T>(): TrieNode<T> {
  return { literal: new Map(), param: null, paramName: null, greedy: null, routes: null };
}

/** Builds the trie. Route keys must already be valid (config validation reports bad ones). */
export function compileRoutes<T>(routes: ReadonlyArray<{ routeKey: string; value: T }>): RouteTable<T> {
  const table: RouteTable<T> = { root: newNode<T>(), defaultRoute: null, size: 0 };
  for (const { routeKey, value } of routes) {
    const parsed = parseRouteKey(routeKey);
    if (!parsed.ok) throw new Error(`invalid route key ${JSON.stringify(routeKey)}: ${parsed.error}`);
    table.size++;
    const key = parsed.value;
    if (key.kind === 'default') {
      table.defaultRoute = { routeKey, resourcePath: '$default', params: [], value };
      continue;
    }
    let node = table.root;
    let methods: MethodTable<T> | null = null;
    for (const seg of key.segments) {
      if (seg.type === 'literal') {
        let next = node.literal.get(seg.value);
        if (!next) node.literal.set(seg.value, (next = newNode<T>()));
        node = next;
      } else if (seg.type === 'param') {
        // Different names at the same position share the node; each route keeps its own names.
        node.param ??= newNode<T>();
        node = node.param;
      } else {
        node.greedy ??= { name: seg.name, routes: new Map() };
        methods = node.greedy.routes;
      }
    }
    if (!methods) methods = node.routes ??= new Map();
    const params = key.segments.flatMap((seg) => (seg.type === 'literal' ? [] : [{ name: seg.name, greedy: seg.type === 'greedy' }]));
    methods.set(key.method, { routeKey, resourcePath: key.path, params, value });
  }
  return table;
}

/**
 * Finds the route for `method` and `path` (path relative to the stage, starting with `/`,
 * percent-encoding intact). Returns `null` when nothing matches.
 */
export function matchRoute<T>(table: RouteTable<T>, method: string, path: string): RouteMatch<T> | null {
  let p = path;
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  const segments = p === '/' || p === '' ? [] : p.slice(1).split('/');
  const captured: number[] = [];
  const found = walk(table.root, segments, 0, method, captured);
  if (found) {
    const decoded = captured.map((i) => safeDecode(segments[i]!));
    const raw = captured.map((i) => segments[i]!);
    const greedyRaw = found.greedyFrom === null ? null : segments.slice(found.greedyFrom).join('/');
    const greedyDecoded = found.greedyFrom === null ? null : segments.slice(found.greedyFrom).map(safeDecode).join('/');
    return { entry: found.entry, pathParameters: bindParams(found.entry.params, decoded, greedyDecoded), rawPathParameters: bindParams(found.entry.params, raw, greedyRaw) };
  }
  if (table.defaultRoute) return { entry: table.defaultRoute, pathParameters: {}, rawPathParameters: {} };
  return null;
}

interface WalkResult<T> {
  entry: RouteEntry<T>;
  /** Index of the first segment the greedy parameter took, or `null`. */
  greedyFrom: number | null;
}

function pick<T>(methods: MethodTable<T> | null, method: string): RouteEntry<T> | undefined {
  if (!methods) return undefined;
  return methods.get(method) ?? methods.get('ANY');
}

// Depth-first in priority order (literal, param, greedy); the first complete match is the most specific.
// `captured` holds the indexes of the segments single parameters took.
function walk<T>(node: TrieNode<T>, segments: string[], i: number, method: string, captured: number[]): WalkResult<T> | null {
  if (i === segments.length) {
    const entry = pick(node.routes, method);
    return entry ? { entry, greedyFrom: null } : null;
  }
  const seg = segments[i]!;
  const decoded = safeDecode(seg);
  const lit = node.literal.get(decoded);
  if (lit) {
    const r = walk(lit, segments, i + 1, method, captured);
    if (r) return r;
  }
  if (node.param && decoded !== '') {
    captured.push(i);
    const r = walk(node.param, segments, i + 1, method, captured);
    if (r) return r;
    captured.pop();
  }
  if (node.greedy) {
    const entry = pick(node.greedy.routes, method);
    if (entry) {
      if (segments.slice(i).join('/') !== '') return { entry, greedyFrom: i };
    }
  }
  return null;
}

function bindParams(names: RouteEntry<unknown>['params'], captured: readonly string[], greedyValue: string | null): Record<string, string> {
  const params: Record<string, string> = {};
  let k = 0;
  for (const p of names) params[p.name] = p.greedy ? (greedyValue ?? '') : (captured[k++] ?? '');
  return params;
}

/** Percent-decodes one path segment; malformed escapes leave the segment as received. */
export function safeDecode(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
