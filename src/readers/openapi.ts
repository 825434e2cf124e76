/**
 * @module readers/openapi — OpenAPI 3.0 (HTTP APIs and REST exports) and Swagger 2.0 (REST) documents
 * with API Gateway's `x-amazon-apigateway-*` extensions: what `aws apigatewayv2 export-api` and
 * `aws apigateway get-export` produce, and what SAM's `DefinitionBody` and CloudFormation's `Body`
 * hold. [pure]
 *
 * Read: `x-amazon-apigateway-integration` (`aws_proxy` to a Lambda, `http_proxy`, `mock`;
 * `payloadFormatVersion`, `timeoutInMillis`, `requestParameters`, `responseParameters`),
 * `x-amazon-apigateway-any-method`, greedy `{proxy+}` paths, `/$default`, security schemes with
 * `x-amazon-apigateway-authorizer` (`jwt`, `request`, `token`) and per-operation `security` with
 * scopes, `x-amazon-apigateway-cors`, `x-amazon-apigateway-gateway-responses`,
 * `x-amazon-apigateway-binary-media-types`, servers/basePath → stage. Reported: everything else
 * that changes behaviour (`x-amazon-apigateway-api-key-source`, request validators, …); refused
 * unless `--allow-unenforced`: IAM (`awsSigv4`), Cognito user-pool authorizers, API keys, resource
 * policies.
 */
import { ConfigBuilder, isObject, joinPath, type LocalFunction, type RawApi, type RouteSpec } from './build.ts';
import { FunctionTable } from './functions.ts';
import type { ConfigReader, ReaderContext, ReaderResult } from './reader.ts';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'];

/** Root extensions that change behaviour and are not reproduced. */
const IGNORED_ROOT: Readonly<Record<string, string>> = {
  'x-amazon-apigateway-api-key-source': 'API keys are not enforced',
  'x-amazon-apigateway-request-validators': 'request validation is not reproduced (requests reach the integration unvalidated)',
  'x-amazon-apigateway-request-validator': 'request validation is not reproduced (requests reach the integration unvalidated)',
  'x-amazon-apigateway-minimum-compression-size': 'response compression is not reproduced',
  'x-amazon-apigateway-endpoint-configuration': 'endpoint configuration (private/regional endpoints) is not reproduced',
  'x-amazon-apigateway-disable-execute-api-endpoint': 'the execute-api endpoint switch is not reproduced',
};

/** Is this OpenAPI/Swagger document a REST API (else an HTTP API)? */
export function isRestDocument(doc: Record<string, unknown>): boolean {
  if (typeof doc.swagger === 'string') return true;
  if (doc['x-amazon-apigateway-api-key-source'] !== undefined || doc['x-amazon-apigateway-gateway-responses'] !== undefined || doc['x-amazon-apigateway-binary-media-types'] !== undefined || doc['x-amazon-apigateway-policy'] !== undefined) return true;
  const schemes = securitySchemesOf(doc);
  for (const s of Object.values(schemes)) {
    if (!isObject(s)) continue;
    if (s['x-amazon-apigateway-authtype'] !== undefined) return true;
    const a = s['x-amazon-apigateway-authorizer'];
    if (isObject(a) && typeof a.type === 'string' && /^(token|cognito_user_pools)$/i.test(a.type)) return true;
    if (isObject(a) && typeof a.identitySource === 'string' && a.identitySource.startsWith('method.request.')) return true;
  }
  return false;
}

function securitySchemesOf(doc: Record<string, unknown>): Record<string, unknown> {
  if (isObject(doc.components) && isObject(doc.components.securitySchemes)) return doc.components.securitySchemes;
  if (isObject(doc.securityDefinitions)) return doc.securityDefinitions;
  return {};
}

/** The stage a document's `servers[0].variables.basePath` or Swagger `basePath` names, if any. */
export function stageOfDocument(doc: Record<string, unknown>): string | undefined {
  let base: unknown;
  if (typeof doc.basePath === 'string') base = doc.basePath;
  else if (Array.isArray(doc.servers) && isObject(doc.servers[0])) {
    const vars = doc.servers[0].variables;
    if (isObject(vars) && isObject(vars.basePath)) base = vars.basePath.default;
  }
  if (typeof base !== 'string') return undefined;
  const stage = base.replace(/^\/+|\/+$/g, '');
  return stage === '' ? undefined : stage;
}

export interface OpenApiReadOptions {
  /** Template path of the document (`Resources.Api.Properties.DefinitionBody`), or '' for a document of its own. */
  at: string;
  functions: FunctionTable;
}

/**
 * Adds the document's routes, authorizers (one per security scheme a route uses, by the scheme's
 * name), CORS, gateway responses and binary media types to `api`; problems go to `builder`.
 */
export function readOpenApiInto(doc: Record<string, unknown>, api: RawApi, builder: ConfigBuilder, options: OpenApiReadOptions): void {
  const at = (...parts: Array<string | number>) => joinPath(options.at ? [options.at, ...parts] : parts);
  for (const [key, why] of Object.entries(IGNORED_ROOT)) if (doc[key] !== undefined) builder.warn(at(key), why);
  if (doc['x-amazon-apigateway-policy'] !== undefined) builder.unenforced(at('x-amazon-apigateway-policy'), 'resource policies are not enforced by portcullis');
  const cors = doc['x-amazon-apigateway-cors'];
  if (cors !== undefined) {
    if (api.protocol === 'http' && isObject(cors)) api.cors = corsOf(cors);
    else builder.warn(at('x-amazon-apigateway-cors'), api.protocol === 'http' ? 'must be a mapping; ignored' : 'is an HTTP API extension; ignored on a REST API');
  }
  const responses = doc['x-amazon-apigateway-gateway-responses'];
  if (isObject(responses)) {
    if (api.protocol === 'rest') api.gatewayResponses = { ...api.gatewayResponses, ...gatewayResponsesOf(responses) };
    else builder.warn(at('x-amazon-apigateway-gateway-responses'), 'gateway responses are a REST API feature; ignored on an HTTP API');
  }
  const binary = doc['x-amazon-apigateway-binary-media-types'];
  if (Array.isArray(binary)) {
    if (api.protocol === 'rest') api.binaryMediaTypes = binary.filter((b): b is string => typeof b === 'string').map((b) => b.replace(/~1/g, '/'));
    else builder.warn(at('x-amazon-apigateway-binary-media-types'), 'binary media types are a REST API setting; ignored on an HTTP API');
  }
  const schemes = securitySchemesOf(doc);
  const schemesKey = isObject(doc.components) && isObject(doc.components.securitySchemes) ? ['components', 'securitySchemes'] : ['securityDefinitions'];
  const paths = isObject(doc.paths) ? doc.paths : {};
  for (const [path, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const [method, op] of Object.entries(item)) {
      const verb = method === 'x-amazon-apigateway-any-method' ? 'ANY' : METHODS.includes(method.toLowerCase()) ? method.toUpperCase() : null;
      if (verb === null || !isObject(op)) continue;
      const opPath = at('paths', path, method);
      const routeKey = api.protocol === 'http' && (path === '/$default' || path === '$default') ? '$default' : `${verb} ${path}`;
      const integration = integrationOf(op['x-amazon-apigateway-integration'], joinPath([opPath, 'x-amazon-apigateway-integration']), api, builder, options.functions);
      if (integration === null) continue;
      const spec: RouteSpec = { integration };
      if (api.protocol === 'rest') spec.responseParameters = methodResponseParameters(op['x-amazon-apigateway-integration']);
      if (op['x-amazon-apigateway-request-validator'] !== undefined) builder.warn(joinPath([opPath, 'x-amazon-apigateway-request-validator']), IGNORED_ROOT['x-amazon-apigateway-request-validator']!);
      const security = op.security !== undefined ? op.security : doc.security;
      const securityPath = op.security !== undefined ? joinPath([opPath, 'security']) : at('security');
      if (Array.isArray(security)) {
        // Each requirement lists schemes AWS applies together (an authorizer and the API key); the
        // authorizer of the first requirement that names one is the route's.
        security.forEach((requirement, ri) => {
          if (!isObject(requirement)) return;
          for (const name of Object.keys(requirement)) {
            const scheme = schemes[name];
            const schemePath = at(...schemesKey, name);
            if (!isObject(scheme)) {
              if (name !== 'NONE') builder.error(joinPath([securityPath, ri]), `names security scheme "${name}", which is not defined${Object.keys(schemes).length ? ` (known: ${Object.keys(schemes).join(', ')})` : ''}`);
              continue;
            }
            const kind = addSchemeAuthorizer(name, scheme, schemePath, api, builder, options.functions);
            if (kind === 'unenforced') {
              builder.unenforced(schemePath, unenforcedReason(scheme));
              continue;
            }
            if (spec.authorizerId !== undefined) {
              if (spec.authorizerId !== name) builder.warn(joinPath([securityPath, ri]), `names another authorizer ("${name}"); only "${spec.authorizerId}" is enforced (API Gateway runs one authorizer per route)`);
              continue;
            }
            spec.authorizerId = name;
            const scopes = requirement[name];
            if (Array.isArray(scopes) && scopes.length) {
              if (api.authorizers[name]?.authorizerType === 'JWT') spec.authorizationScopes = scopes.filter((s): s is string => typeof s === 'string');
              else builder.warn(joinPath([securityPath, ri, name]), 'scopes are checked by JWT authorizers only; ignored');
            }
          }
        });
      }
      builder.addRoute(api, routeKey, spec, opPath);
    }
  }
}

function unenforcedReason(scheme: Record<string, unknown>): string {
  const authType = String(scheme['x-amazon-apigateway-authtype'] ?? '').toLowerCase();
  const a = isObject(scheme['x-amazon-apigateway-authorizer']) ? scheme['x-amazon-apigateway-authorizer'] : {};
  if (authType === 'cognito_user_pools' || String(a.type).toLowerCase() === 'cognito_user_pools') return 'Cognito user-pool authorizers are not reproduced on REST APIs';
  if (authType === 'awssigv4' || authType === 'aws_iam') return 'IAM authorization (SigV4) is not enforced by portcullis';
  return 'API keys are not enforced by portcullis';
}

/**
 * Registers the authorizer a security scheme describes (once per API). `authorizer`: the route can
 * name it; `unenforced`: a protection Portcullis does not reproduce (IAM, Cognito on REST, API key).
 */
function addSchemeAuthorizer(name: string, scheme: Record<string, unknown>, path: string, api: RawApi, builder: ConfigBuilder, functions: FunctionTable): 'authorizer' | 'unenforced' {
  if (builder.hasAuthorizer(api, name)) return 'authorizer';
  const a = scheme['x-amazon-apigateway-authorizer'];
  const authType = String(scheme['x-amazon-apigateway-authtype'] ?? '').toLowerCase();
  if (!isObject(a)) return 'unenforced';
  const type = String(a.type ?? '').toLowerCase();
  const ap = joinPath([path, 'x-amazon-apigateway-authorizer']);
  if (type === 'cognito_user_pools' || authType === 'cognito_user_pools' || authType === 'awssigv4') return 'unenforced';
  if (type === 'jwt') {
    const jwt = isObject(a.jwtConfiguration) ? a.jwtConfiguration : {};
    let issuer = jwt.issuer;
    if (issuer === undefined && typeof scheme.openIdConnectUrl === 'string') issuer = scheme.openIdConnectUrl.replace(/\/\.well-known\/openid-configuration$/, '');
    const authorizer: Record<string, unknown> = { authorizerType: 'JWT', jwtConfiguration: { issuer, audience: Array.isArray(jwt.audience) ? jwt.audience : jwt.audience === undefined ? [] : [jwt.audience] } };
    if (a.identitySource !== undefined) authorizer.identitySource = identitySourceList(a.identitySource);
    builder.addAuthorizer(api, name, authorizer, ap);
    return 'authorizer';
  }
  if (type === 'request' || type === 'token') {
    if (api.protocol === 'http' && type === 'token') builder.error(joinPath([ap, 'type']), 'token authorizers are a REST API feature (HTTP APIs use request)');
    const uri = typeof a.authorizerUri === 'string' ? a.authorizerUri : '';
    const fn = lambdaOf(uri, joinPath([ap, 'authorizerUri']), functions);
    const f = builder.authorizerFunction(fn, ap);
    if (f === 'refuse') {
      builder.addAuthorizer(api, name, 'refuse', ap);
      return 'authorizer';
    }
    const authorizer: Record<string, unknown> = { authorizerType: type === 'token' ? 'TOKEN' : 'REQUEST', function: f };
    if (a.identitySource !== undefined && !(typeof a.identitySource === 'string' && a.identitySource.trim() === '')) {
      authorizer.identitySource = type === 'token' ? String(a.identitySource).trim() : api.protocol === 'rest' ? String(a.identitySource).split(',').map((s) => s.trim()).filter(Boolean) : identitySourceList(a.identitySource);
    }
    if (typeof a.authorizerResultTtlInSeconds === 'number') authorizer.authorizerResultTtlInSeconds = a.authorizerResultTtlInSeconds;
    if (type === 'token' && typeof a.identityValidationExpression === 'string') authorizer.identityValidationExpression = a.identityValidationExpression;
    if (api.protocol === 'http') {
      if (a.authorizerPayloadFormatVersion !== undefined) authorizer.authorizerPayloadFormatVersion = String(a.authorizerPayloadFormatVersion);
      if (a.enableSimpleResponses !== undefined) authorizer.enableSimpleResponses = a.enableSimpleResponses === true;
    }
    if (a.authorizerCredentials !== undefined) builder.warn(joinPath([ap, 'authorizerCredentials']), 'the invoke role is not used (the function runs in-process)');
    builder.addAuthorizer(api, name, authorizer, ap);
    return 'authorizer';
  }
  builder.error(joinPath([ap, 'type']), `unknown authorizer type ${JSON.stringify(a.type)} (known: jwt, request, token, cognito_user_pools)`);
  return 'unenforced';
}

function identitySourceList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  return String(v).split(',').map((s) => s.trim()).filter(Boolean);
}

/** The local function an integration or authorizer URI names (a stand-in when none does). */
function lambdaOf(uri: string, path: string, functions: FunctionTable): LocalFunction {
  return functions.lookup(uri, path);
}

function integrationOf(raw: unknown, path: string, api: RawApi, builder: ConfigBuilder, functions: FunctionTable): Record<string, unknown> | null {
  if (!isObject(raw)) {
    builder.warn(path.replace(/\.x-amazon-apigateway-integration$/, ''), 'has no x-amazon-apigateway-integration; the route is left out');
    return null;
  }
  const type = String(raw.type ?? '').toLowerCase();
  const timeout = typeof raw.timeoutInMillis === 'number' ? raw.timeoutInMillis : undefined;
  if (type === 'aws' || type === 'http') builder.warn(joinPath([path, 'type']), `non-proxy integrations (mapping templates) are not reproduced; served as ${type === 'aws' ? 'aws_proxy' : 'http_proxy'}`);
  if (type === 'aws_proxy' || type === 'aws') {
    const uri = typeof raw.uri === 'string' ? raw.uri : '';
    if (!/lambda/.test(uri)) {
      builder.warn(joinPath([path, 'uri']), `AWS service integrations other than Lambda are not reproduced; the route answers 500`);
      return { type: 'mock', statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"message":"Internal Server Error"}' };
    }
    const fn = lambdaOf(uri, joinPath([path, 'uri']), functions);
    const integration = builder.lambdaIntegration(fn, api, { payloadFormatVersion: raw.payloadFormatVersion === undefined ? undefined : String(raw.payloadFormatVersion), timeoutInMillis: timeout });
    copyMappings(raw, integration, api);
    return integration;
  }
  if (type === 'http_proxy' || type === 'http') {
    const uri = raw.uri;
    if (typeof uri !== 'string' || !/^https?:\/\//i.test(uri)) {
      builder.warn(joinPath([path, 'uri']), `only http(s) URLs are reproduced (private integrations through VPC links are not); the route answers 500`);
      return { type: 'mock', statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"message":"Internal Server Error"}' };
    }
    const integration: Record<string, unknown> = { type: 'http', uri };
    if (typeof raw.httpMethod === 'string') integration.httpMethod = raw.httpMethod.toUpperCase();
    if (timeout !== undefined) integration.timeoutInMillis = timeout;
    copyMappings(raw, integration, api);
    return integration;
  }
  if (type === 'mock') return mockOf(raw);
  builder.error(joinPath([path, 'type']), `unknown integration type ${JSON.stringify(raw.type)} (known: aws_proxy, http_proxy, mock, aws, http)`);
  return null;
}

/**
 * REST method response headers (`responses.*.responseParameters` with `method.response.header.*` keys)
 * → the route's `responseParameters`. DIVERGENCE: AWS ignores integration responses of proxy
 * integrations; portcullis applies them, as its own routes' `responseParameters` (the seeds use it).
 */
function methodResponseParameters(raw: unknown): Record<string, string> | undefined {
  if (!isObject(raw) || !isObject(raw.responses) || String(raw.type).toLowerCase() === 'mock') return undefined;
  const out: Record<string, string> = {};
  for (const r of Object.values(raw.responses)) {
    if (!isObject(r) || !isObject(r.responseParameters)) continue;
    for (const [k, v] of Object.entries(r.responseParameters)) if (k.startsWith('method.response.header.')) out[k] = String(v);
  }
  return Object.keys(out).length ? out : undefined;
}

function copyMappings(raw: Record<string, unknown>, integration: Record<string, unknown>, api: RawApi): void {
  if (integration.type === 'mock') return;
  if (isObject(raw.requestParameters) && Object.keys(raw.requestParameters).length) integration.requestParameters = stringValues(raw.requestParameters);
  if (api.protocol === 'http' && isObject(raw.responseParameters) && Object.keys(raw.responseParameters).length) {
    const out: Record<string, Record<string, string>> = {};
    for (const [status, m] of Object.entries(raw.responseParameters)) if (isObject(m)) out[status] = stringValues(m);
    integration.responseParameters = out;
  }
}

/** A mock integration: the status from `requestTemplates` (`{"statusCode": 200}`), headers and body from the default response. */
function mockOf(raw: Record<string, unknown>): Record<string, unknown> {
  let statusCode = 200;
  const templates = isObject(raw.requestTemplates) ? raw.requestTemplates : {};
  const t = templates['application/json'];
  if (typeof t === 'string') {
    const m = /"?statusCode"?\s*:\s*(\d{3})/.exec(t);
    if (m) statusCode = Number(m[1]);
  }
  const responses = isObject(raw.responses) ? raw.responses : {};
  const response = Object.entries(responses).find(([k, r]) => isObject(r) && (k === 'default' || String(r.statusCode) === String(statusCode)))?.[1];
  const headers: Record<string, string> = {};
  let body = '';
  if (isObject(response)) {
    if (response.statusCode !== undefined && /^\d{3}$/.test(String(response.statusCode))) statusCode = Number(response.statusCode);
    if (isObject(response.responseParameters)) {
      for (const [k, v] of Object.entries(response.responseParameters)) {
        const m = /^method\.response\.header\.(.+)$/.exec(k);
        if (m && typeof v === 'string' && /^'.*'$/s.test(v)) headers[m[1]!] = v.slice(1, -1);
      }
    }
    if (isObject(response.responseTemplates) && typeof response.responseTemplates['application/json'] === 'string') body = response.responseTemplates['application/json'];
  }
  return { type: 'mock', statusCode, ...(Object.keys(headers).length ? { headers } : {}), ...(body ? { body } : {}) };
}

function stringValues(m: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) out[k] = String(v);
  return out;
}

/** `x-amazon-apigateway-cors` / `CorsConfiguration` (either key case) → `cors`. */
export function corsOf(raw: Record<string, unknown>): Record<string, unknown> {
  const get = (k: string) => raw[k] ?? raw[k[0]!.toUpperCase() + k.slice(1)];
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : undefined);
  const cors: Record<string, unknown> = {};
  for (const k of ['allowOrigins', 'allowMethods', 'allowHeaders', 'exposeHeaders']) {
    const v = list(get(k));
    if (v) cors[k] = v;
  }
  const maxAge = get('maxAge');
  if (maxAge !== undefined) cors.maxAge = Number(maxAge);
  const cred = get('allowCredentials');
  if (cred !== undefined) cors.allowCredentials = cred === true || cred === 'true';
  return cors;
}

/** `x-amazon-apigateway-gateway-responses` → `gatewayResponses`. */
export function gatewayResponsesOf(raw: Record<string, unknown>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [type, r] of Object.entries(raw)) {
    if (!isObject(r)) continue;
    const g: Record<string, unknown> = {};
    if (r.statusCode !== undefined) g.statusCode = Number(r.statusCode);
    if (isObject(r.responseParameters)) {
      // Only header parameters exist in a response; SAM's Paths/QueryStrings become these and mean nothing here.
      const params = Object.fromEntries(Object.entries(stringValues(r.responseParameters)).filter(([k]) => k.startsWith('gatewayresponse.header.')));
      if (Object.keys(params).length) g.responseParameters = params;
    }
    if (isObject(r.responseTemplates)) g.responseTemplates = stringValues(r.responseTemplates);
    out[type] = g;
  }
  return out;
}

/** A document of its own (`portcullis start --config openapi.yaml`). */
export const openApiReader: ConfigReader = {
  format: 'openapi',
  description: 'OpenAPI 3.0 / Swagger 2.0 with x-amazon-apigateway-* extensions (HTTP API and REST exports)',
  detect: (doc) => isObject(doc) && (typeof doc.openapi === 'string' || typeof doc.swagger === 'string') && isObject(doc.paths),
  read(doc: unknown, context: ReaderContext): ReaderResult {
    const builder = new ConfigBuilder(context);
    if (!isObject(doc) || !isObject(doc.paths)) {
      builder.error('paths', 'an OpenAPI document needs paths');
      return builder.result();
    }
    const rest = isRestDocument(doc);
    const info = isObject(doc.info) ? doc.info : {};
    const name = typeof info.title === 'string' && info.title.trim() ? info.title.trim().replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 128) : 'api';
    let stage = stageOfDocument(doc);
    if (stage === undefined && rest) {
      stage = 'prod';
      builder.warn(typeof doc.swagger === 'string' ? 'basePath' : 'servers', 'names no stage; the REST API is served at /prod');
    }
    const api = builder.addApi({ name, protocol: rest ? 'rest' : 'http', stage: stage ?? '$default', authorizers: {}, routes: {} }, '');
    readOpenApiInto(doc, api, builder, { at: '', functions: new FunctionTable(context) });
    return builder.result();
  },
};
