/**
 * @module core/context — `$context` variables and `$variable` templates. [pure]
 *
 * One resolver (`contextVariable`) serves access logs, gateway response templates and parameters,
 * and parameter mapping, so `$context.authorizer.claims.sub` means the same thing everywhere.
 * Templates are compiled once at config time (`compileTemplate`): unknown variables are config
 * errors, never silent empty strings. Values placed inside a JSON string literal of the template
 * are JSON-escaped, so a claim or header value cannot break out of its string (AWS leaves this to
 * the user; we do not — see docs).
 */
import type { RequestContext } from './model.ts';
import type { Result } from './result.ts';

const SIMPLE_VARIABLES: Record<string, (ctx: RequestContext) => string | number | null | undefined> = {
  requestId: (c) => c.requestId,
  extendedRequestId: (c) => c.extendedRequestId,
  awsEndpointRequestId: (c) => c.requestId,
  requestTime: (c) => c.requestTime,
  requestTimeEpoch: (c) => c.requestTimeEpoch,
  httpMethod: (c) => c.httpMethod,
  protocol: (c) => c.protocol,
  'identity.sourceIp': (c) => c.sourceIp,
  'identity.userAgent': (c) => c.userAgent,
  'identity.caller': () => undefined,
  'identity.user': () => undefined,
  'identity.userArn': () => undefined,
  'identity.accountId': () => undefined,
  'identity.apiKey': () => undefined,
  'identity.apiKeyId': () => undefined,
  domainName: (c) => c.domainName,
  domainPrefix: (c) => c.domainPrefix,
  accountId: (c) => c.accountId,
  apiId: (c) => c.apiId,
  apiName: (c) => c.apiName,
  stage: (c) => c.stage,
  routeKey: (c) => c.routeKey,
  resourcePath: (c) => c.resourcePath,
  resourceId: (c) => c.resourcePath,
  path: (c) => c.path,
  status: (c) => c.status,
  responseLength: (c) => c.responseLength,
  dataProcessed: (c) => c.responseLength,
  integrationLatency: (c) => c.integrationLatencyMs,
  'integration.latency': (c) => c.integrationLatencyMs,
  integrationStatus: (c) => c.integrationStatus,
  'integration.status': (c) => c.integrationStatus,
  'integration.integrationStatus': (c) => c.integrationStatus,
  integrationErrorMessage: (c) => c.integrationErrorMessage,
  'integration.error': (c) => c.integrationErrorMessage,
  responseLatency: (c) => c.responseLatencyMs,
  'error.message': (c) => c.error?.message ?? undefined,
  'error.messageString': (c) => (c.error ? JSON.stringify(c.error.message) : undefined),
  'error.responseType': (c) => c.error?.responseType,
  'error.validationErrorString': () => undefined,
  'authorizer.error': (c) => c.authorizerError,
  'authorize.error': (c) => c.authorizerError,
  'authorizer.latency': (c) => c.authorizerLatencyMs,
  'authorize.latency': (c) => c.authorizerLatencyMs,
  'authorizer.principalId': (c) => c.authorizer?.principalId,
  'authorizer.integrationLatency': (c) => c.authorizer?.integrationLatencyMs,
  'authorizer.status': (c) => (c.authorizer ? 200 : c.authorizerError ? c.status : undefined),
  'authorize.status': (c) => (c.authorizer ? 200 : c.authorizerError ? c.status : undefined),
  'customDomain.basePathMatched': () => undefined,
  xrayTraceId: () => undefined,
};

/** Names a template may use after `$context.` (for did-you-mean in config errors). */
export const KNOWN_CONTEXT_VARIABLES: readonly string[] = [...Object.keys(SIMPLE_VARIABLES), 'authorizer.claims.NAME', 'authorizer.NAME'];

/** True when `name` (without `$context.`) is a variable we can resolve. */
export function isKnownContextVariable(name: string): boolean {
  if (name in SIMPLE_VARIABLES) return true;
  if (name.startsWith('authorizer.claims.') && name.length > 'authorizer.claims.'.length) return true;
  if (name === 'authorizer.claims') return true;
  // Lambda authorizer context keys: `$context.authorizer.<key>` (one segment).
  return /^authorizer\.[A-Za-z0-9_$-]+$/.test(name);
}

/**
 * Resolves `$context.<name>` for one request. `undefined` means "no value" (access logs print `-`,
 * templates print nothing). Lambda context values and claims render as their literal text.
 */
export function contextVariable(ctx: RequestContext, name: string): string | undefined {
  const simple = SIMPLE_VARIABLES[name];
  if (simple) return stringify(simple(ctx));
  if (name.startsWith('authorizer.claims.')) {
    const claim = name.slice('authorizer.claims.'.length);
    return ctx.authorizer?.claims?.[claim];
  }
  if (name === 'authorizer.claims') return undefined;
  if (name.startsWith('authorizer.')) {
    const key = name.slice('authorizer.'.length);
    const context = ctx.authorizer?.context;
    if (!context || !Object.prototype.hasOwnProperty.call(context, key)) return undefined;
    return stringify(context[key]);
  }
  return undefined;
}

function stringify(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

// ---------------------------------------------------------------------------------------------
// Templates

export type TemplatePart =
  | { kind: 'text'; text: string }
  | { kind: 'context'; name: string; inJsonString: boolean }
  | { kind: 'stageVariable'; name: string; inJsonString: boolean };

export interface CompiledTemplate {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
}

export type TemplateResult = Result<CompiledTemplate, string[]>;

// `$context.a.b` or `${context.a.b}`; claim names may contain `:` (cognito:groups) after `claims.`.
const VARIABLE = /\$\{(context|stageVariables)\.([A-Za-z0-9_.:$-]+)\}|\$(context|stageVariables)\.((?:authorizer\.claims\.[A-Za-z0-9_:$-]+)|[A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+)*)/g;

/**
 * Compiles a `$variable` template (gateway response bodies, access-log formats). Not VTL: only
 * `$context.*` and `$stageVariables.*` substitution, as AWS does for gateway responses.
 */
export function compileTemplate(source: string): TemplateResult {
  const parts: TemplatePart[] = [];
  const errors: string[] = [];
  let last = 0;
  let inString = false;
  const scan = (text: string) => {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch === '\\') i++;
      else if (ch === '"') inString = !inString;
    }
  };
  for (const m of source.matchAll(VARIABLE)) {
    const kind = m[1] ?? m[3]!;
    let name = m[2] ?? m[4]!;
    let end = m.index + m[0].length;
    // A sentence may end right after a variable: `… $context.requestId.` — the dot is text.
    if (!m[2] && name.endsWith('.')) {
      name = name.replace(/\.+$/, '');
      end = m.index + 1 + kind.length + 1 + name.length;
    }
    const text = source.slice(last, m.index);
    if (text) parts.push({ kind: 'text', text });
    scan(text);
    if (kind === 'context') {
      if (!isKnownContextVariable(name)) errors.push(`unknown variable $context.${name}`);
      parts.push({ kind: 'context', name, inJsonString: inString && name !== 'error.messageString' });
    } else {
      parts.push({ kind: 'stageVariable', name, inJsonString: inString });
    }
    last = end;
  }
  const tail = source.slice(last);
  if (tail) parts.push({ kind: 'text', text: tail });
  if (errors.length) return { ok: false, error: errors };
  return { ok: true, value: { source, parts } };
}

/**
 * Renders a compiled template. `missing` is what an absent value prints: `''` for gateway
 * responses, `'-'` for access logs.
 */
export function renderTemplate(
  template: CompiledTemplate,
  ctx: RequestContext,
  missing: string,
): string {
  let out = '';
  for (const part of template.parts) {
    if (part.kind === 'text') {
      out += part.text;
      continue;
    }
    const value = part.kind === 'context' ? contextVariable(ctx, part.name) : ctx.stageVariables[part.name];
    const text = value ?? missing;
    out += part.inJsonString ? escapeJsonString(text) : text;
  }
  return out;
}

/** Escapes text for the inside of a JSON string literal. */
export function escapeJsonString(text: string): string {
  const quoted = JSON.stringify(text);
  return quoted.slice(1, -1);
}

/** CLF request time, `17/Jun/2024:15:49:29 +0000`. */
export function formatClfTime(epochMs: number): string {
  const d = new Date(epochMs);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
