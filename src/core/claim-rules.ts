/**
 * @module core/claim-rules — per-route claim requirements for JWT authorizer routes (beyond AWS). [pure]
 *
 * AWS's JWT authorizer checks signature, issuer, audience, times and scopes, and nothing else; a
 * route's `claims:` adds declarative checks on the verified token's payload, compiled once at config
 * load:
 *
 *   claims:
 *     st-ev.v: true                               equality (any JSON scalar)
 *     st-role.v: { includes: admin }              the array holds the value
 *     st-perm.v: { includesAny: [write, admin] }  … at least one of them
 *     amr: { includesAll: [pwd, otp] }            … every one of them
 *     cognito:groups: { excludes: banned }        … not this one
 *     email: { exists: true }                     present (not null) / absent
 *     acr: { equals: "2" }                        equality, spelled out
 *     level: { min: 2, max: 5 }                   numeric bounds (inclusive)
 *     auth_time: { maxAgeSeconds: 300 }           a time claim no older than this
 *
 * Paths are dotted (`st-ev.v` reads `payload["st-ev"].v`); a claim name that itself holds dots
 * (`https://example.com/roles`) is matched whole first. A failed rule is reported in SuperTokens' own
 * `claimValidationErrors` shape (what `verifySession` answers, what `supertokens-web-js` reacts to):
 * the `id` is the top-level claim's name (`st-ev`), the `reason` is the validator's
 * (`{"message":"wrong value","expectedValue":true,"actualValue":false}`).
 *
 * Must not: read the clock (time comes in as `nowMs`), do I/O, or throw on any payload.
 */
import type { Result } from './result.ts';

/** Operators a rule object may use. */
export const CLAIM_OPERATORS = ['equals', 'includes', 'includesAny', 'includesAll', 'excludes', 'exists', 'min', 'max', 'maxAgeSeconds'] as const;
export type ClaimOperator = (typeof CLAIM_OPERATORS)[number];

/** One failed rule: the wire shape (`id`, `reason`) and the words for logs and the console. */
export interface ClaimFailure {
  /** Top-level claim name (SuperTokens' claim id): `st-ev`, `cognito:groups`. */
  readonly id: string;
  /** The rule's configured path: `st-ev.v`. */
  readonly path: string;
  /** SuperTokens validator reason, JSON-ready. */
  readonly reason: Readonly<Record<string, unknown>>;
  /** A sentence: `claim st-ev.v is false (required: true)`. */
  readonly explanation: string;
}

interface CompiledCheck {
  readonly op: ClaimOperator;
  /** `undefined` when the claim passes this check. */
  readonly test: (value: unknown, present: boolean, nowMs: number) => Omit<ClaimFailure, 'id' | 'path'> | undefined;
}

export interface CompiledClaimRule {
  readonly path: string;
  readonly segments: readonly string[];
  readonly checks: readonly CompiledCheck[];
}

export interface CompiledClaimRules {
  readonly rules: readonly CompiledClaimRule[];
}

export interface ClaimRuleIssue {
  /** Keys under the route's `claims` (`["st-role.v", "includesAny"]`). */
  readonly path: ReadonlyArray<string | number>;
  readonly message: string;
}

type Scalar = string | number | boolean | null;

function isScalar(v: unknown): v is Scalar {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/** Values in sentences: JSON, capped (claim values come from the token). */
function show(v: unknown): string {
  if (v === undefined) return 'absent';
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function scalarEquals(a: unknown, b: Scalar): boolean {
  return a === b;
}

/**
 * Compiles a route's `claims:` mapping. Every problem is reported, each with its path under `claims`.
 * @returns the compiled rules, or the issues.
 */
export function compileClaimRules(spec: Readonly<Record<string, unknown>>): Result<CompiledClaimRules, ClaimRuleIssue[]> {
  const issues: ClaimRuleIssue[] = [];
  const rules: CompiledClaimRule[] = [];
  for (const [path, rule] of Object.entries(spec)) {
    const segments = path.split('.');
    if (path === '' || segments.some((s) => s === '')) {
      issues.push({ path: [path], message: 'must be a claim name or a dotted path such as st-ev.v (no empty segments)' });
      continue;
    }
    const checks: CompiledCheck[] = [];
    if (isScalar(rule)) {
      checks.push(equalsCheck(rule));
    } else if (typeof rule === 'object' && !Array.isArray(rule)) {
      const entries = Object.entries(rule as Record<string, unknown>);
      if (entries.length === 0) issues.push({ path: [path], message: `must hold at least one of ${CLAIM_OPERATORS.join(', ')}` });
      let min: number | undefined;
      let max: number | undefined;
      for (const [op, arg] of entries) {
        const at = [path, op];
        const compiled = compileOperator(op, arg);
        if (!compiled.ok) {
          issues.push({ path: at, message: compiled.error });
          continue;
        }
        if (op === 'min') min = arg as number;
        if (op === 'max') max = arg as number;
        checks.push(compiled.value);
      }
      if (min !== undefined && max !== undefined && min > max) issues.push({ path: [path, 'min'], message: `is greater than max (${min} > ${max})` });
    } else {
      issues.push({ path: [path], message: `must be a value to compare with (string, number, boolean, null) or an object of ${CLAIM_OPERATORS.join(', ')}; got ${Array.isArray(rule) ? 'an array (use { includesAll: [...] } or { includesAny: [...] })' : typeof rule}` });
    }
    rules.push({ path, segments, checks });
  }
  return issues.length ? { ok: false, error: issues } : { ok: true, value: { rules } };
}

function compileOperator(op: string, arg: unknown): Result<CompiledCheck> {
  switch (op) {
    case 'equals':
      return isScalar(arg) ? { ok: true, value: equalsCheck(arg) } : { ok: false, error: 'must be a string, number, boolean or null' };
    case 'includes':
    case 'excludes':
      return isScalar(arg) ? { ok: true, value: arrayCheck(op, [arg]) } : { ok: false, error: 'must be a string, number, boolean or null' };
    case 'includesAny':
    case 'includesAll':
      if (!Array.isArray(arg) || arg.length === 0 || !arg.every(isScalar)) return { ok: false, error: 'must be a non-empty list of strings, numbers or booleans' };
      return { ok: true, value: arrayCheck(op, arg as Scalar[]) };
    case 'exists':
      return typeof arg === 'boolean' ? { ok: true, value: existsCheck(arg) } : { ok: false, error: 'must be true or false' };
    case 'min':
    case 'max':
      return typeof arg === 'number' && Number.isFinite(arg) ? { ok: true, value: boundCheck(op, arg) } : { ok: false, error: 'must be a number' };
    case 'maxAgeSeconds':
      return typeof arg === 'number' && Number.isInteger(arg) && arg >= 0 ? { ok: true, value: maxAgeCheck(arg) } : { ok: false, error: 'must be a whole number of seconds, 0 or more' };
    default: {
      const near = CLAIM_OPERATORS.find((o) => o.toLowerCase() === op.toLowerCase());
      return { ok: false, error: `unknown claim operator${near ? ` (did you mean "${near}"?)` : ''}; known: ${CLAIM_OPERATORS.join(', ')}` };
    }
  }
}

function equalsCheck(expected: Scalar): CompiledCheck {
  return {
    op: 'equals',
    test(value, present) {
      if (!present) return { reason: { message: 'value does not exist', expectedValue: expected }, explanation: `is absent (required: ${show(expected)})` };
      if (scalarEquals(value, expected)) return undefined;
      return { reason: { message: 'wrong value', expectedValue: expected, actualValue: value }, explanation: `is ${show(value)} (required: ${show(expected)})` };
    },
  };
}

/** SuperTokens PrimitiveArrayClaim validators: includes / includesAll → `expectedToInclude`, includesAny → `expectedToIncludeAtLeastOneOf`, excludes → `expectedToNotInclude`. */
function arrayCheck(op: 'includes' | 'excludes' | 'includesAny' | 'includesAll', values: readonly Scalar[]): CompiledCheck {
  const expectedKey = op === 'includesAny' ? 'expectedToIncludeAtLeastOneOf' : op === 'excludes' ? 'expectedToNotInclude' : 'expectedToInclude';
  const expected = op === 'includes' || op === 'excludes' ? values[0] : values;
  return {
    op,
    test(value, present) {
      if (!present) return { reason: { message: 'value does not exist', [expectedKey]: expected }, explanation: `is absent (required to ${describeArrayOp(op)} ${show(expected)})` };
      if (!Array.isArray(value)) return { reason: { message: 'wrong value', [expectedKey]: expected, actualValue: value }, explanation: `is ${show(value)}, not a list (required to ${describeArrayOp(op)} ${show(expected)})` };
      const has = (v: Scalar) => value.some((x) => scalarEquals(x, v));
      const ok = op === 'includesAny' ? values.some(has) : op === 'excludes' ? !has(values[0]!) : values.every(has);
      if (ok) return undefined;
      return { reason: { message: 'wrong value', [expectedKey]: expected, actualValue: value }, explanation: `is ${show(value)} (required to ${describeArrayOp(op)} ${show(expected)})` };
    },
  };
}

function describeArrayOp(op: 'includes' | 'excludes' | 'includesAny' | 'includesAll'): string {
  return op === 'includes' ? 'include' : op === 'excludes' ? 'not include' : op === 'includesAny' ? 'include one of' : 'include all of';
}

function existsCheck(shouldExist: boolean): CompiledCheck {
  return {
    op: 'exists',
    test(value, present) {
      const exists = present && value !== null;
      if (exists === shouldExist) return undefined;
      return shouldExist
        ? { reason: { message: 'value does not exist' }, explanation: 'is absent (required to exist)' }
        : { reason: { message: 'wrong value', expectedValue: null, actualValue: value }, explanation: `is ${show(value)} (required to be absent)` };
    },
  };
}

function boundCheck(op: 'min' | 'max', bound: number): CompiledCheck {
  return {
    op,
    test(value, present) {
      if (!present) return { reason: { message: 'value does not exist', [op === 'min' ? 'expectedMin' : 'expectedMax']: bound }, explanation: `is absent (required ${op === 'min' ? '≥' : '≤'} ${bound})` };
      const ok = typeof value === 'number' && (op === 'min' ? value >= bound : value <= bound);
      if (ok) return undefined;
      return {
        reason: { message: 'wrong value', [op === 'min' ? 'expectedMin' : 'expectedMax']: bound, actualValue: value },
        explanation: `is ${show(value)} (required ${op === 'min' ? '≥' : '≤'} ${bound})`,
      };
    },
  };
}

/**
 * A timestamp's age. JWT NumericDates are seconds; SuperTokens' claim times (`st-ev.t`) are
 * milliseconds. A value above 1e11 is read as milliseconds (as seconds it would be year 5138).
 * SuperTokens' reason shape: `{"message":"expired","ageInSeconds":…,"maxAgeInSeconds":…}`.
 */
function maxAgeCheck(maxAgeSeconds: number): CompiledCheck {
  return {
    op: 'maxAgeSeconds',
    test(value, present, nowMs) {
      if (!present) return { reason: { message: 'value does not exist', maxAgeInSeconds: maxAgeSeconds }, explanation: `is absent (required: a time at most ${maxAgeSeconds} s old)` };
      if (typeof value !== 'number' || !Number.isFinite(value)) return { reason: { message: 'wrong value', maxAgeInSeconds: maxAgeSeconds, actualValue: value }, explanation: `is ${show(value)}, not a time` };
      const ms = value > 1e11 ? value : value * 1000;
      const ageInSeconds = Math.floor((nowMs - ms) / 1000);
      if (ageInSeconds <= maxAgeSeconds) return undefined;
      return { reason: { message: 'expired', ageInSeconds, maxAgeInSeconds: maxAgeSeconds }, explanation: `is ${ageInSeconds} s old (at most ${maxAgeSeconds} s allowed)` };
    },
  };
}

/** Reads a dotted path; a top-level claim whose name holds dots is matched whole first. */
export function readClaimPath(payload: Readonly<Record<string, unknown>>, path: string, segments: readonly string[]): { present: boolean; value: unknown; id: string } {
  if (segments.length > 1 && Object.hasOwn(payload, path)) return { present: true, value: payload[path], id: path };
  let node: unknown = payload;
  for (const s of segments) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, s)) return { present: false, value: undefined, id: segments[0]! };
    node = (node as Record<string, unknown>)[s];
  }
  return { present: node !== undefined, value: node, id: segments[0]! };
}

/**
 * Runs every rule against a verified payload.
 * @param nowMs current time (for `maxAgeSeconds`).
 * @returns the failures, in rule order (empty when all pass); one per rule (its first failed check).
 */
export function checkClaimRules(compiled: CompiledClaimRules, payload: Readonly<Record<string, unknown>>, nowMs: number): ClaimFailure[] {
  let failures: ClaimFailure[] | undefined;
  for (const rule of compiled.rules) {
    const { present, value, id } = readClaimPath(payload, rule.path, rule.segments);
    for (const check of rule.checks) {
      const failed = check.test(value, present, nowMs);
      if (failed) {
        (failures ??= []).push({ id, path: rule.path, reason: failed.reason, explanation: `claim ${rule.path} ${failed.explanation}` });
        break;
      }
    }
  }
  return failures ?? [];
}

/**
 * SuperTokens' 403 body for failed claims (`verifySession`'s answer):
 * `{"message":"invalid claim","claimValidationErrors":[{"id":"st-ev","reason":{…}}]}`.
 */
export function renderClaimValidationBody(failures: readonly ClaimFailure[], message = 'invalid claim'): string {
  return JSON.stringify({ message, claimValidationErrors: failures.map((f) => ({ id: f.id, reason: f.reason })) });
}

/** A rule set that refuses everything: what a route whose rules did not compile enforces (fail closed). */
export const REFUSE_ALL_CLAIM_RULES: CompiledClaimRules = Object.freeze({
  rules: Object.freeze([
    Object.freeze({
      path: '(invalid claims configuration)',
      segments: Object.freeze(['(invalid claims configuration)']),
      checks: Object.freeze([{ op: 'exists' as const, test: () => ({ reason: { message: 'invalid claims configuration' }, explanation: 'rules did not compile; the route refuses every token' }) }]),
    }),
  ]),
});
