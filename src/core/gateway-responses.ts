/**
 * @module core/gateway-responses — how a `GatewayError` becomes an HTTP answer. [pure]
 *
 * HTTP APIs have no gateway responses: the body is `{"message":"<public message>"}` and the status
 * the error's own. REST APIs render through the 21 gateway response types (spec §4): built-in
 * default `{"message":$context.error.messageString}` plus `x-amzn-ErrorType`, customisable per
 * type with `statusCode`, `responseParameters` and `responseTemplates`, with the DEFAULT_4XX /
 * DEFAULT_5XX fallback of §4.3. Customisations are compiled once (`compileGatewayResponses`).
 */
import type { ApiConfig } from './config.ts';
import { compileTemplate, renderTemplate, type CompiledTemplate } from './context.ts';
import { ClaimValidationError, type GatewayError, type GatewayResponseType } from './errors.ts';
import { compileRestHeaderMapping, isHeaderValue, type MappingSource } from './mapping.ts';
import type { GatewayResponse, RequestContext } from './model.ts';

/** Default status and `x-amzn-ErrorType` of each REST gateway response type (spec §4.2). */
export const GATEWAY_RESPONSE_DEFAULTS: Record<GatewayResponseType, { status: number | null; errorType: string | null }> = {
  ACCESS_DENIED: { status: 403, errorType: 'AccessDeniedException' },
  API_CONFIGURATION_ERROR: { status: 500, errorType: 'ApiConfigurationException' },
  AUTHORIZER_CONFIGURATION_ERROR: { status: 500, errorType: 'AuthorizerConfigurationException' },
  AUTHORIZER_FAILURE: { status: 500, errorType: 'AuthorizerFailureException' },
  BAD_REQUEST_PARAMETERS: { status: 400, errorType: 'BadRequestException' },
  BAD_REQUEST_BODY: { status: 400, errorType: 'BadRequestException' },
  DEFAULT_4XX: { status: null, errorType: null },
  DEFAULT_5XX: { status: null, errorType: null },
  EXPIRED_TOKEN: { status: 403, errorType: 'ExpiredTokenException' },
  INTEGRATION_FAILURE: { status: 504, errorType: 'InternalServerErrorException' },
  INTEGRATION_TIMEOUT: { status: 504, errorType: 'InternalServerErrorException' },
  INVALID_API_KEY: { status: 403, errorType: 'ForbiddenException' },
  INVALID_SIGNATURE: { status: 403, errorType: 'InvalidSignatureException' },
  MISSING_AUTHENTICATION_TOKEN: { status: 403, errorType: 'MissingAuthenticationTokenException' },
  QUOTA_EXCEEDED: { status: 429, errorType: 'LimitExceededException' },
  REQUEST_TOO_LARGE: { status: 413, errorType: null },
  RESOURCE_NOT_FOUND: { status: 404, errorType: 'NotFoundException' },
  THROTTLED: { status: 429, errorType: 'TooManyRequestsException' },
  UNAUTHORIZED: { status: 401, errorType: 'UnauthorizedException' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, errorType: 'BadRequestException' },
  WAF_FILTERED: { status: 403, errorType: null },
};

interface CompiledGatewayResponse {
  status: number | null;
  headers: Array<[string, (s: MappingSource) => string | undefined]>;
  templates: Array<{ contentType: string; template: CompiledTemplate }>;
}

export interface CompiledGatewayResponses {
  byType: Map<string, CompiledGatewayResponse>;
  accessDeniedMessageKey: 'message' | 'Message';
}

const NO_CUSTOMISATION: CompiledGatewayResponses = { byType: new Map(), accessDeniedMessageKey: 'message' };

const DEFAULT_TEMPLATE = compileTemplate('{"message":$context.error.messageString}');

/** Compiles an API's `gatewayResponses`. Returns config issues (relative paths) instead of throwing. */
export function compileGatewayResponses(api: Readonly<ApiConfig>): { compiled: CompiledGatewayResponses; issues: Array<{ path: string[]; message: string }> } {
  const byType = new Map<string, CompiledGatewayResponse>();
  const issues: Array<{ path: string[]; message: string }> = [];
  for (const [type, cfg] of Object.entries(api.gatewayResponses)) {
    const headers = compileRestHeaderMapping(cfg.responseParameters, 'gatewayresponse.header.');
    if (!headers.ok) issues.push({ path: [type, 'responseParameters'], message: headers.error });
    const templates: CompiledGatewayResponse['templates'] = [];
    for (const [contentType, source] of Object.entries(cfg.responseTemplates)) {
      const t = compileTemplate(source);
      if (!t.ok) issues.push({ path: [type, 'responseTemplates', contentType], message: t.error.join('; ') });
      else templates.push({ contentType, template: t.value });
    }
    byType.set(type, {
      status: cfg.statusCode === undefined ? null : Number(cfg.statusCode),
      headers: headers.ok ? headers.value : [],
      templates,
    });
  }
  return { compiled: { byType, accessDeniedMessageKey: api.accessDeniedMessageKey }, issues };
}

/**
 * Renders `err` for an API of the given flavour. `ctx.error` must already be set (the pipeline
 * does it) so templates can read `$context.error.*`. `source` is called only when a customised
 * response maps headers from the request: rejections (a flood of bad tokens) stay cheap.
 */
export function renderGatewayError(
  err: GatewayError,
  flavour: 'http' | 'rest',
  compiled: CompiledGatewayResponses | null,
  ctx: RequestContext,
  source: () => MappingSource,
): GatewayResponse {
  const extra = Object.entries(err.headers);
  if (flavour === 'http') {
    const body = err instanceof ClaimValidationError ? err.body : JSON.stringify({ message: err.publicMessage });
    return { status: err.status, headers: [['content-type', 'application/json'], ...extra], body };
  }
  // A REST answer with no API to customise it (a path that selected no stage): AWS's defaults.
  compiled ??= NO_CUSTOMISATION;
  const type = err.responseType;
  const isClientError = err.status < 500;
  const fallback = compiled.byType.get(isClientError ? 'DEFAULT_4XX' : 'DEFAULT_5XX');
  const exact = compiled.byType.get(type);
  const custom = exact ?? fallback;
  const defaults = GATEWAY_RESPONSE_DEFAULTS[type];
  const status = exact?.status ?? fallback?.status ?? err.status;
  const headers: Array<[string, string]> = [];
  let body: string;
  let contentType = 'application/json';
  const template = custom?.templates.find((t) => t.contentType === 'application/json') ?? custom?.templates[0];
  if (template) {
    body = renderTemplate(template.template, ctx, '');
    contentType = template.contentType;
  } else if (type === 'ACCESS_DENIED' && compiled.accessDeniedMessageKey === 'Message') {
    body = JSON.stringify({ Message: err.publicMessage });
  } else {
    body = DEFAULT_TEMPLATE.ok ? renderTemplate(DEFAULT_TEMPLATE.value, ctx, '') : JSON.stringify({ message: err.publicMessage });
  }
  headers.push(['Content-Type', contentType]);
  if (defaults.errorType) headers.push(['x-amzn-ErrorType', defaults.errorType]);
  headers.push(...extra);
  const mapped = custom?.headers ?? [];
  const src = mapped.length ? source() : null;
  for (const [name, get] of mapped) {
    const value = get(src!);
    // Mapped from the request, the value may be no header value at all (CR, LF, `€`); this is
    // already an error answer, so the header is left out rather than turned into another error.
    if (value !== undefined && isHeaderValue(value)) headers.push([name, value]);
  }
  return { status, headers, body };
}
