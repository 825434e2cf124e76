/**
 * @module core/config/issues — zod issues turned into config problems a person can act on. [pure]
 *
 * One path style (`apis[0].routes["GET /x"].integration.uri`), one message style (`must be a string,
 * got number 3`, `unknown key (did you mean "issuer"?)`), whatever schema the issue came from: the
 * did-you-mean walks the schema it is given along the issue's path.
 */
import type { z } from 'zod';
import type { ConfigIssue } from '../errors.ts';

export type PathKey = string | number;

/** `apis[0].routes["GET /x"].integration.uri` */
export function formatPath(path: readonly PathKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

/** Issues whose paths are relative to a section (`function.handler`, `[0]`, `` for the section itself), under `prefix`. */
export function prefixIssues(prefix: string, issues: readonly ConfigIssue[]): ConfigIssue[] {
  return issues.map((i) => ({ path: i.path === '' ? prefix : `${prefix}${i.path.startsWith('[') ? '' : '.'}${i.path}`, message: i.message }));
}

/**
 * One zod issue as config issues (an unknown-keys issue names each key). `root` is the schema the
 * issue's path starts from, walked for the keys a did-you-mean may suggest.
 */
export function describeZodIssue(issue: z.core.$ZodIssue, input: unknown, root: z.ZodType): ConfigIssue[] {
  const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
  const at = formatPath(path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(root, path, input);
      return issue.keys.map((key) => {
        const suggestion = closest(key, known);
        return {
          path: formatPath([...path, key]),
          message: `unknown key${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`,
        };
      });
    }
    case 'invalid_type': {
      const actual = valueAt(input, path);
      if (actual === undefined) return [{ path: at, message: `is required (${issue.expected})` }];
      return [{ path: at, message: `must be ${article(issue.expected)}, got ${describeValue(actual)}` }];
    }
    case 'invalid_union': {
      const discriminator = (issue as { note?: string }).note;
      const actual = valueAt(input, path);
      if (discriminator === 'No matching discriminator') {
        const options = ((issue as { options?: unknown[] }).options ?? []).map((o) => JSON.stringify(o));
        return [{
          path: at,
          message: actual === undefined
            ? `is required (one of ${options.join(', ')})`
            : `must be one of ${options.join(', ')}, got ${describeValue(actual)}`,
        }];
      }
      // Union of alternatives (e.g. string | string[], a number | "auto"): report the problems of the
      // first alternative of the value's own type (a number too small, a string not "auto"), else the first's.
      const ofOwnType = issue.errors.find((errs) => errs.length > 0 && !errs.every((e) => e.code === 'invalid_type' && e.path.length === 0));
      const first = ofOwnType ?? issue.errors[0];
      if (first && first.length) return first.flatMap((sub) => describeZodIssue({ ...sub, path: [...issue.path, ...sub.path] } as z.core.$ZodIssue, input, root));
      return [{ path: at, message: issue.message }];
    }
    case 'invalid_value':
      return [{ path: at, message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(valueAt(input, path))}` }];
    case 'too_small':
      if (issue.origin === 'array') return [{ path: at, message: issue.message.startsWith('Too small') ? `must have at least ${issue.minimum} item(s)` : issue.message }];
      if (issue.origin === 'string') return [{ path: at, message: issue.message.startsWith('Too small') ? 'must be a non-empty string' : issue.message }];
      return [{ path: at, message: `must be >= ${issue.minimum}, got ${describeValue(valueAt(input, path))}` }];
    case 'too_big':
      return [{ path: at, message: `must be <= ${issue.maximum}, got ${describeValue(valueAt(input, path))}` }];
    default:
      return [{ path: at, message: lowerFirst(issue.message) }];
  }
}

function lowerFirst(s: string): string {
  return s.length && /^[A-Z][a-z]/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s;
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return `${typeof v} ${String(v)}`;
}

function valueAt(input: unknown, path: readonly PathKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

/** Walks the schema along `path` to list the keys an object there may have (for did-you-mean). */
function knownKeysAt(schema: z.ZodType, path: readonly PathKey[], input: unknown): string[] {
  let cur: z.ZodType | undefined = schema;
  let value: unknown = input;
  for (let i = 0; i <= path.length; i++) {
    cur = cur && unwrap(cur, value);
    if (!cur) return [];
    if (i === path.length) break;
    const key = path[i]!;
    value = value && typeof value === 'object' ? (value as Record<string | number, unknown>)[key] : undefined;
    const def: Record<string, unknown> = (cur as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
    if (def.type === 'object') cur = (def.shape as Record<string, z.ZodType>)[String(key)];
    else if (def.type === 'record') cur = def.valueType as z.ZodType;
    else if (def.type === 'array') cur = def.element as z.ZodType;
    else return [];
  }
  const def: Record<string, unknown> | undefined = cur && (cur as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  return def && def.type === 'object' ? Object.keys(def.shape as object) : [];
}

/** Unwraps optional/default/prefault and picks the union member matching the value's discriminator. */
function unwrap(schema: z.ZodType, value: unknown): z.ZodType | undefined {
  let cur: z.ZodType = schema;
  for (let guard = 0; guard < 10; guard++) {
    const def = (cur as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
    if (def.type === 'optional' || def.type === 'default' || def.type === 'prefault' || def.type === 'nullable') {
      cur = def.innerType as z.ZodType;
      continue;
    }
    if (def.type === 'union') {
      const options = def.options as z.ZodType[];
      const disc = def.discriminator as string | undefined;
      if (disc && value && typeof value === 'object') {
        const tag = (value as Record<string, unknown>)[disc];
        const match = options.find((o) => {
          const shape = ((o as unknown as { _zod: { def: { shape?: Record<string, z.ZodType> } } })._zod.def.shape ?? {})[disc];
          const values = shape ? (shape as unknown as { _zod: { def: { values?: unknown[] } } })._zod.def.values : undefined;
          return values?.includes(tag);
        });
        if (match) { cur = match; continue; }
      }
      const objectOption = options.find((o) => (o as unknown as { _zod: { def: { type: string } } })._zod.def.type === 'object');
      if (!objectOption) return undefined;
      cur = objectOption;
      continue;
    }
    return cur;
  }
  return undefined;
}

/** Closest known key by edit distance, when close enough to be a typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** Drops repeated issues (same path, same message), keeping the first. */
export function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
