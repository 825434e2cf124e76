/**
 * @module core/config/semantics — what the schema cannot say: cross-references (a route's
 * `authorizerId`, a URI's `{param}`), AWS limits, per-protocol rules, mapping expressions and
 * templates. [pure]
 *
 * `checkSemantics()` sees only a config that parsed; each problem is pushed with its exact path.
 * Rules about one authorizer or integration type live in its plug-in (`check` in the registry
 * entry, config/plugins.ts); this file runs them and puts their issues under the section's path.
 */
import { GATEWAY_RESPONSE_TYPES, type ConfigIssue } from '../errors.ts';
import { parseRouteKey } from '../routes.ts';
import { compileTemplate, KNOWN_CONTEXT_VARIABLES } from '../context.ts';
import { compileHttpValue, compileRestExpression } from '../mapping.ts';
import { compileOriginPattern } from '../origins.ts';
import { compileClaimRules } from '../claim-rules.ts';
import { closest, formatPath, prefixIssues, type PathKey } from './issues.ts';
import type { PluginSchemas } from './plugins.ts';
import { ACCESS_LOG_PRESETS, type ApiConfig, type GatewayConfig, type RouteConfig } from './schema.ts';

// ---------------------------------------------------------------------------------------------
// Limits (AWS limits.md)

export const LIMITS = {
  audiencesPerAuthorizer: 50,
  scopesPerRoute: 10,
  authorizersPerApi: 10,
} as const;

/** Headers HTTP API parameter mapping may not touch (http-api-parameter-mapping, reserved headers). */
const RESERVED_MAPPING_HEADERS = new Set([
  'authorization', 'connection', 'content-encoding', 'content-length', 'content-location', 'forwarded',
  'keep-alive', 'origin', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailers', 'transfer-encoding',
  'upgrade', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'via',
]);

export function isReservedMappingHeader(name: string): boolean {
  const n = name.toLowerCase();
  return RESERVED_MAPPING_HEADERS.has(n) || n.startsWith('access-control-') || n.startsWith('apigw-') || n.startsWith('x-amz-') || n.startsWith('x-amzn-');
}

/** `unknown variable $context.requestIdd (did you mean $context.requestId?)` */
function templateErrors(errors: readonly string[]): string {
  return errors
    .map((e) => {
      const m = /^unknown variable \$context\.(.+)$/.exec(e);
      const s = m ? closest(m[1]!, KNOWN_CONTEXT_VARIABLES) : undefined;
      return s ? `${e} (did you mean $context.${s}?)` : e;
    })
    .join('; ');
}

/** `127.0.0.1` (any 127/8), `::1`, `localhost`. */
export function isLoopbackHost(host: string): boolean {
  return /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/i.test(host);
}

// ---------------------------------------------------------------------------------------------
// Semantic checks: references, AWS limits, per-protocol rules. Each pushes path-precise issues.

export function checkSemantics(config: GatewayConfig, issues: ConfigIssue[], plugins: PluginSchemas): void {
  if (config.admin && config.admin.port !== 0 && config.admin.port === config.server.port) {
    issues.push({ path: 'admin.port', message: `must differ from server.port (${config.server.port}): the admin endpoints get their own listener` });
  }
  if (config.admin?.console === true && !config.admin.token && !isLoopbackHost(config.admin.host)) {
    issues.push({ path: 'admin.token', message: `is required to serve the console on ${config.admin.host}, a non-loopback address (the console shows every authorization decision)` });
  }
  const names = new Map<string, number>();
  const mounts = new Map<string, string>();
  config.apis.forEach((api, i) => {
    const at = (...rest: PathKey[]) => formatPath(['apis', i, ...rest]);
    if (names.has(api.name)) issues.push({ path: at('name'), message: `duplicate API name "${api.name}" (also apis[${names.get(api.name)}])` });
    names.set(api.name, i);
    const mount = api.stage;
    const other = mounts.get(mount);
    if (other !== undefined) {
      issues.push({ path: at('stage'), message: `stage "${mount}" is already served by API "${other}" on this listener` });
    }
    mounts.set(mount, api.name);
    if (api.protocol === 'rest' && api.stage === '$default') {
      issues.push({ path: at('stage'), message: 'REST APIs need a named stage (`$default` is an HTTP API feature)' });
    }
    if (api.protocol === 'rest' && api.cors) {
      issues.push({ path: at('cors'), message: 'CORS configuration is an HTTP API feature; for REST APIs add an OPTIONS route with a mock integration and gateway response headers' });
    }
    if (api.protocol === 'http' && api.binaryMediaTypes.length) {
      issues.push({ path: at('binaryMediaTypes'), message: 'binary media types are a REST API setting (HTTP APIs decide by content type)' });
    }
    if (api.protocol === 'http' && Object.keys(api.gatewayResponses).length) {
      issues.push({ path: at('gatewayResponses'), message: 'gateway responses are a REST API feature (HTTP APIs have none)' });
    }
    for (const [type, response] of Object.entries(api.gatewayResponses)) {
      if (!(GATEWAY_RESPONSE_TYPES as readonly string[]).includes(type)) {
        const s = closest(type, GATEWAY_RESPONSE_TYPES);
        issues.push({ path: at('gatewayResponses', type), message: `unknown gateway response type${s ? ` (did you mean "${s}"?)` : ''}` });
      }
      for (const [key, value] of Object.entries(response.responseParameters)) {
        if (!key.startsWith('gatewayresponse.header.')) {
          issues.push({ path: at('gatewayResponses', type, 'responseParameters', key), message: 'must be gatewayresponse.header.NAME' });
          continue;
        }
        const compiled = compileRestExpression(value);
        if (!compiled.ok) issues.push({ path: at('gatewayResponses', type, 'responseParameters', key), message: compiled.error });
      }
      for (const [contentType, template] of Object.entries(response.responseTemplates)) {
        const compiled = compileTemplate(template);
        if (!compiled.ok) issues.push({ path: at('gatewayResponses', type, 'responseTemplates', contentType), message: templateErrors(compiled.error) });
      }
    }
    if (api.accessLogSettings) {
      const format = ACCESS_LOG_PRESETS[api.accessLogSettings.format] ?? api.accessLogSettings.format;
      const compiled = compileTemplate(format);
      if (!compiled.ok) issues.push({ path: at('accessLogSettings', 'format'), message: templateErrors(compiled.error) });
      else if (format.length > 3 * 1024) issues.push({ path: at('accessLogSettings', 'format'), message: `is ${format.length} bytes; AWS allows 3 KB` });
    }
    for (const [i, pattern] of (api.cors?.allowOrigins ?? []).entries()) {
      const compiled = compileOriginPattern(pattern);
      if (typeof compiled === 'string') issues.push({ path: at('cors', 'allowOrigins', i), message: `${compiled}, got "${pattern}"` });
    }
    if (api.cors?.allowCredentials && api.cors.allowOrigins.includes('*')) {
      issues.push({ path: at('cors', 'allowCredentials'), message: 'cannot be true while allowOrigins contains "*" (browsers reject credentials with a wildcard origin)' });
    }
    const authorizerIds = Object.keys(api.authorizers);
    if (authorizerIds.length > LIMITS.authorizersPerApi) {
      issues.push({ path: at('authorizers'), message: `at most ${LIMITS.authorizersPerApi} authorizers per API (AWS limit), got ${authorizerIds.length}` });
    }
    for (const [id, auth] of Object.entries(api.authorizers)) {
      const check = plugins.authorizers[auth.authorizerType]?.check;
      if (check) issues.push(...prefixIssues(at('authorizers', id), check(auth as never, { api })));
    }
    const seenKeys = new Map<string, string>();
    for (const [routeKey, route] of Object.entries(api.routes)) {
      const rat = (...rest: PathKey[]) => at('routes', routeKey, ...rest);
      const parsed = parseRouteKey(routeKey);
      if (!parsed.ok) {
        issues.push({ path: rat(), message: parsed.error });
        continue;
      }
      if (parsed.value.kind === 'default' && api.protocol === 'rest') {
        issues.push({ path: rat(), message: '`$default` routes are an HTTP API feature' });
      }
      const norm = parsed.value.kind === 'default' ? '$default' : `${parsed.value.method} ${parsed.value.normalized}`;
      if (seenKeys.has(norm)) issues.push({ path: rat(), message: `conflicts with route "${seenKeys.get(norm)}" (same method and path shape)` });
      seenKeys.set(norm, routeKey);
      checkRoute(api, route, parsed.value.kind === 'default' ? [] : parsed.value.params, rat, issues, plugins);
    }
  });
}

function checkRoute(api: ApiConfig, route: RouteConfig, params: readonly string[], at: (...rest: PathKey[]) => string, issues: ConfigIssue[], plugins: PluginSchemas): void {
  const auth = route.authorizerId ? api.authorizers[route.authorizerId] : undefined;
  if (route.authorizerId && !auth) {
    const known = Object.keys(api.authorizers);
    issues.push({
      path: at('authorizerId'),
      message: `unknown authorizer "${route.authorizerId}" (known: ${known.length ? known.map((k) => `"${k}"`).join(', ') : 'none'})`,
    });
  }
  if (route.authorizationType && route.authorizationType !== 'NONE' && !route.authorizerId) {
    issues.push({ path: at('authorizerId'), message: `is required when authorizationType is ${route.authorizationType}` });
  }
  if (route.authorizationType === 'NONE' && route.authorizerId) {
    issues.push({ path: at('authorizationType'), message: 'is NONE but the route names an authorizer' });
  }
  const authPlugin = auth ? plugins.authorizers[auth.authorizerType] : undefined;
  if (auth && authPlugin && route.authorizationType) {
    const expected = authPlugin.routeAuthorizationType;
    if (route.authorizationType !== expected) issues.push({ path: at('authorizationType'), message: `must be ${expected} for authorizer "${route.authorizerId}" (${auth.authorizerType})` });
  }
  if (route.authorizationScopes) {
    if (route.authorizationScopes.length > LIMITS.scopesPerRoute) {
      issues.push({ path: at('authorizationScopes'), message: `at most ${LIMITS.scopesPerRoute} scopes per route (AWS limit), got ${route.authorizationScopes.length}` });
    }
    if (!authPlugin?.takesScopes) issues.push({ path: at('authorizationScopes'), message: 'needs a JWT authorizer on the route' });
  }
  if (route.claims) {
    if (!authPlugin?.takesClaims) issues.push({ path: at('claims'), message: 'needs a JWT authorizer on the route' });
    const compiled = compileClaimRules(route.claims);
    if (!compiled.ok) for (const i of compiled.error) issues.push({ path: at('claims', ...i.path), message: i.message });
  }
  const integration = plugins.integrations[route.integration.type];
  if (integration?.check) {
    issues.push(...prefixIssues(at('integration'), integration.check(route.integration as never, { api, routeParams: params })));
  }
  if (route.responseParameters) {
    if (api.protocol !== 'rest') issues.push({ path: at('responseParameters'), message: 'method responseParameters are a REST API feature' });
    for (const [key, value] of Object.entries(route.responseParameters)) {
      if (!/^method\.response\.header\.[^\s]+$/.test(key)) {
        issues.push({ path: at('responseParameters', key), message: 'must be method.response.header.NAME' });
        continue;
      }
      const compiled = compileRestExpression(value);
      if (!compiled.ok) issues.push({ path: at('responseParameters', key), message: compiled.error });
    }
  }
}

/**
 * An integration's `requestParameters` and `responseParameters` (HTTP and Lambda integrations share
 * them): issues with paths relative to the integration.
 */
export function checkIntegrationMappings(
  integration: { readonly type: 'http' | 'lambda'; readonly requestParameters?: Readonly<Record<string, string>> | undefined; readonly responseParameters?: Readonly<Record<string, Readonly<Record<string, string>>>> | undefined },
  protocol: 'http' | 'rest',
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [key, value] of Object.entries(integration.requestParameters ?? {})) {
    const problem = protocol === 'http' ? checkHttpApiMapping(key, value, integration.type) : checkRestMapping(key, value, integration.type);
    if (problem) issues.push({ path: formatPath(['requestParameters', key]), message: problem });
  }
  if (integration.responseParameters) {
    if (protocol !== 'http') issues.push({ path: 'responseParameters', message: 'integration responseParameters are an HTTP API feature (REST: use the route\'s responseParameters)' });
    for (const [status, mapping] of Object.entries(integration.responseParameters)) {
      if (!/^[1-5]\d\d$/.test(status)) issues.push({ path: formatPath(['responseParameters', status]), message: 'must be keyed by a status code such as "500"' });
      for (const [key, value] of Object.entries(mapping)) {
        if (!/^((append|overwrite|remove):header\.[^\s]+|overwrite:statuscode)$/.test(key)) {
          issues.push({ path: formatPath(['responseParameters', status, key]), message: 'must be append|overwrite|remove:header.NAME or overwrite:statuscode' });
          continue;
        }
        const compiled = compileHttpValue(value);
        if (!compiled.ok) issues.push({ path: formatPath(['responseParameters', status, key]), message: compiled.error });
      }
    }
  }
  return issues;
}

function checkHttpApiMapping(key: string, value: string, type: 'http' | 'lambda'): string | undefined {
  const m = /^(append|overwrite|remove):(header|querystring)\.(.+)$/.exec(key);
  if (!m) {
    if (key === 'overwrite:path') {
      if (type !== 'http') return 'overwrite:path applies to HTTP integrations only';
      const compiled = compileHttpValue(value);
      return compiled.ok ? undefined : compiled.error;
    }
    return 'must be append|overwrite|remove:header.NAME, append|overwrite|remove:querystring.NAME or overwrite:path';
  }
  if (m[2] === 'header' && isReservedMappingHeader(m[3]!)) return `header "${m[3]}" is reserved and cannot be mapped (AWS rejects it)`;
  if (m[1] === 'remove' && value !== '') return 'a remove: mapping takes an empty value ""';
  const compiled = compileHttpValue(value);
  return compiled.ok ? undefined : compiled.error;
}

function checkRestMapping(key: string, value: string, type: 'http' | 'lambda'): string | undefined {
  if (type === 'lambda') return 'REST Lambda proxy integrations receive the whole request; requestParameters apply to HTTP integrations';
  if (!/^integration\.request\.(header|querystring|path)\.[A-Za-z0-9._$-]+$/.test(key)) {
    return 'must be integration.request.header|querystring|path.NAME';
  }
  const compiled = compileRestExpression(value);
  return compiled.ok ? undefined : compiled.error;
}
