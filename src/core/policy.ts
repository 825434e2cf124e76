/**
 * @module core/policy — IAM-style policy evaluation for Lambda authorizer output, and the ARNs it
 * is evaluated against. [pure]
 *
 * `parsePolicyDocument(unknown)` checks the shape an authorizer returned (a malformed document is
 * an `AUTHORIZER_CONFIGURATION_ERROR`, decided by the caller); `evaluatePolicy(policy, arn)`
 * decides `allow` / `explicit-deny` / `implicit-deny` for one request ARN, so a cached policy can
 * be re-evaluated against every later request's own ARN (spec §3.6, §3.8).
 *
 * Matching never builds a RegExp from a pattern: `matchGlob()` is a two-pointer wildcard matcher
 * where `*` is any run of characters (including `/`, `:` and the empty string), `?` is exactly
 * one character and everything else — `$`, `.`, `(`, `+`, `[`, `{` … — is literal. (serverless-offline
 * and SAM CLI both built unescaped regexes, so `$default` stages never matched; spec §10.)
 *
 * Must not: import I/O, throw on authorizer-supplied data (it returns issues instead).
 */
import type { Result } from './result.ts';

/** The three outcomes of AWS's policy evaluation (IAM: explicit Deny > Allow > implicit deny). */
export type PolicyDecision = 'allow' | 'explicit-deny' | 'implicit-deny';

/** One statement, normalised: every list is an array, exactly one of each pair is set. */
export interface PolicyStatement {
  effect: 'Allow' | 'Deny';
  /** `Action` patterns, or `null` when the statement uses `NotAction`. */
  action: string[] | null;
  notAction: string[] | null;
  /** `Resource` patterns, or `null` when the statement uses `NotResource`. */
  resource: string[] | null;
  notResource: string[] | null;
  /** True when the statement has a non-empty `Condition` block (see `evaluatePolicy`). */
  hasCondition: boolean;
}

export interface PolicyDocument {
  version: string | undefined;
  statements: PolicyStatement[];
}

export type ParsePolicyResult = Result<PolicyDocument>;

export interface PolicyEvaluation {
  decision: PolicyDecision;
  /** Notes for the log (conditions met, never secrets). */
  warnings: string[];
}

/** The action API Gateway checks authorizer policies for. */
export const INVOKE_ACTION = 'execute-api:Invoke';

/**
 * Validates and normalises an authorizer's `policyDocument`.
 *
 * Accepted (spec §3.5/§3.6): `Statement` as one object or an array of objects; `Action` /
 * `NotAction` and `Resource` / `NotResource` as a string or an array of strings; `Effect` exactly
 * `Allow` or `Deny` ([INF] case-sensitive, as IAM documents it). An empty `Statement` array is
 * valid and denies implicitly. Anything else is an error message naming the field (no values).
 */
export function parsePolicyDocument(doc: unknown): ParsePolicyResult {
  if (!isPlainObject(doc)) return { ok: false, error: 'policyDocument must be an object' };
  const version = doc['Version'];
  if (version !== undefined && typeof version !== 'string') return { ok: false, error: 'policyDocument.Version must be a string' };
  const raw = doc['Statement'];
  if (raw === undefined) return { ok: false, error: 'policyDocument.Statement is missing' };
  const list = Array.isArray(raw) ? raw : [raw];
  const statements: PolicyStatement[] = [];
  for (let i = 0; i < list.length; i++) {
    const at = Array.isArray(raw) ? `policyDocument.Statement[${i}]` : 'policyDocument.Statement';
    const s: unknown = list[i];
    if (!isPlainObject(s)) return { ok: false, error: `${at} must be an object` };
    const effect = s['Effect'];
    if (effect !== 'Allow' && effect !== 'Deny') return { ok: false, error: `${at}.Effect must be "Allow" or "Deny"` };
    const action = stringList(s['Action']);
    const notAction = stringList(s['NotAction']);
    const resource = stringList(s['Resource']);
    const notResource = stringList(s['NotResource']);
    if (action === 'invalid' || notAction === 'invalid') return { ok: false, error: `${at}.Action/NotAction must be a string or an array of strings` };
    if (resource === 'invalid' || notResource === 'invalid') return { ok: false, error: `${at}.Resource/NotResource must be a string or an array of strings` };
    if ((action === undefined) === (notAction === undefined)) return { ok: false, error: `${at} needs exactly one of Action or NotAction` };
    if ((resource === undefined) === (notResource === undefined)) return { ok: false, error: `${at} needs exactly one of Resource or NotResource` };
    const condition = s['Condition'];
    if (condition !== undefined && condition !== null && !isPlainObject(condition)) return { ok: false, error: `${at}.Condition must be an object` };
    statements.push({
      effect,
      action: action ?? null,
      notAction: notAction ?? null,
      resource: resource ?? null,
      notResource: notResource ?? null,
      hasCondition: isPlainObject(condition) && Object.keys(condition).length > 0,
    });
  }
  return { ok: true, value: { version, statements } };
}

/**
 * Decides one request ARN against a parsed policy (spec §3.6):
 *   1. any matching `Deny` statement → `explicit-deny`;
 *   2. else any matching `Allow` statement → `allow`;
 *   3. else `implicit-deny`.
 * A statement matches when its action part matches `execute-api:Invoke` (case-insensitive, like
 * IAM action names) and its resource part matches `arn` (case-sensitive).
 *
 * [INF] `Condition` blocks cannot be evaluated (the gateway has no IAM condition keys), so they
 * fail closed: an `Allow` with a `Condition` never matches, a `Deny` with a `Condition` always
 * matches (if its action and resource do). Each case adds a warning for the log.
 */
export function evaluatePolicy(policy: PolicyDocument, arn: string): PolicyEvaluation {
  const warnings: string[] = [];
  let allowed = false;
  for (const s of policy.statements) {
    if (!actionMatches(s) || !resourceMatches(s, arn)) continue;
    if (s.effect === 'Deny') {
      if (s.hasCondition) warnings.push('a Deny statement with a Condition was applied unconditionally (conditions are not evaluated)');
      return { decision: 'explicit-deny', warnings };
    }
    if (s.hasCondition) {
      warnings.push('an Allow statement with a Condition was ignored (conditions are not evaluated)');
      continue;
    }
    allowed = true;
  }
  return { decision: allowed ? 'allow' : 'implicit-deny', warnings };
}

/** Convenience: parse, then evaluate. A malformed document yields `{ ok: false }`. */
export function decidePolicy(doc: unknown, arn: string): Result<PolicyEvaluation> {
  const parsed = parsePolicyDocument(doc);
  if (!parsed.ok) return parsed;
  return { ok: true, value: evaluatePolicy(parsed.value, arn) };
}

function actionMatches(s: PolicyStatement): boolean {
  const target = INVOKE_ACTION.toLowerCase();
  const hit = (patterns: string[]) => patterns.some((p) => matchGlob(p.toLowerCase(), target));
  return s.action ? hit(s.action) : !hit(s.notAction ?? []);
}

function resourceMatches(s: PolicyStatement, arn: string): boolean {
  const hit = (patterns: string[]) => patterns.some((p) => matchGlob(p, arn));
  return s.resource ? hit(s.resource) : !hit(s.notResource ?? []);
}

/**
 * Anchored wildcard match: `*` = any run (empty included, `/` included), `?` = one character,
 * everything else literal. Linear-space, worst case O(pattern × text) — no backtracking blow-up.
 * Characters are UTF-16 code units, which is what IAM's matcher sees for ARNs in practice. [INF]
 */
export function matchGlob(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === '*') {
      starP = p++;
      starT = t;
    } else if (pc !== undefined && (pc === '?' || pc === text[t])) {
      p++;
      t++;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

// ---------------------------------------------------------------------------------------------
// ARNs

export interface ExecuteApiArnParts {
  region: string;
  accountId: string;
  apiId: string;
  /** Stage name as configured; HTTP APIs may use the literal `$default`. */
  stage: string;
  /** Upper-case HTTP method. */
  method: string;
  /** Request path without the stage prefix, leading slash included (`/` for the root). */
  path: string;
}

/**
 * REST `methodArn`: `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}`, the
 * path without its leading slash, so the root resource ends in `/GET/` (spec §3.4).
 */
export function buildMethodArn(parts: ExecuteApiArnParts): string {
  const path = parts.path.startsWith('/') ? parts.path.slice(1) : parts.path;
  return `arn:aws:execute-api:${parts.region}:${parts.accountId}:${parts.apiId}/${parts.stage}/${parts.method}/${path}`;
}

/**
 * HTTP API `routeArn`: `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}{path}` —
 * the same string as `buildMethodArn` (spec §2.3), e.g. `…:lsw1ro4ipb/$default/POST/lambda`.
 */
export function buildRouteArn(parts: ExecuteApiArnParts): string {
  return buildMethodArn(parts);
}

/** AWS limit on the authorized method ARN (REST, spec §3.2): longer → 414. */
export const MAX_METHOD_ARN_BYTES = 1600;

function stringList(v: unknown): string[] | undefined | 'invalid' {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return 'invalid';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
