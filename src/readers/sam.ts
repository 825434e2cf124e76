/**
 * @module readers/sam — SAM templates (`Transform: AWS::Serverless-2016-10-31`). [pure]
 *
 * `AWS::Serverless::Function` (functions.ts) and its `Events` of type `HttpApi` and `Api` (explicit
 * APIs by `ApiId`/`RestApiId`, else the implicit `ServerlessHttpApi`/`ServerlessRestApi`, as SAM
 * names them), `AWS::Serverless::HttpApi` (`Auth.Authorizers` JWT and Lambda, `DefaultAuthorizer`,
 * `CorsConfiguration`, `StageName`, `StageVariables`, `DefinitionBody`/`DefinitionUri`,
 * `AccessLogSettings`) and `AWS::Serverless::Api` (`Auth.Authorizers` TOKEN/REQUEST,
 * `DefaultAuthorizer`, `AddDefaultAuthorizerToCorsPreflight`, `GatewayResponses`, `Cors`,
 * `StageName`, `BinaryMediaTypes`, `DefinitionBody`/`DefinitionUri`), with `Globals.Api`/`HttpApi`.
 * The rest of the template (plain CloudFormation resources) is read by cloudformation.ts.
 */
import { isObject, joinPath, type ConfigBuilder, type LocalFunction, type RawApi } from './build.ts';
import { mergeGlobals, type FunctionTable } from './functions.ts';
import { describe, type IntrinsicResolver } from './intrinsics.ts';
import { corsOf, readOpenApiInto } from './openapi.ts';
import { readTemplate } from './cloudformation.ts';
import type { ConfigReader } from './reader.ts';

export const SAM_TRANSFORM = 'AWS::Serverless-2016-10-31';

export function hasSamTransform(doc: unknown): boolean {
  if (!isObject(doc)) return false;
  const t = doc.Transform;
  return t === SAM_TRANSFORM || (Array.isArray(t) && t.includes(SAM_TRANSFORM));
}

/** Resource types this module reads. */
export const SAM_API_TYPES = new Set(['AWS::Serverless::Api', 'AWS::Serverless::HttpApi']);

/** API properties that change behaviour and are not reproduced. */
const IGNORED_API_PROPERTIES: Readonly<Record<string, string>> = {
  Domain: 'custom domains are not reproduced (the API is served on the gateway port)',
  RouteSettings: 'route throttling settings are not reproduced',
  DefaultRouteSettings: 'throttling settings are not reproduced',
  MethodSettings: 'method settings (throttling, caching) are not reproduced',
  CacheClusterEnabled: 'the API cache is not reproduced',
  MinimumCompressionSize: 'response compression is not reproduced',
  Models: 'request models are not validated',
  DisableExecuteApiEndpoint: 'the execute-api endpoint switch is not reproduced',
  EndpointConfiguration: 'endpoint configuration (private/regional endpoints) is not reproduced',
  CanarySetting: 'canary deployments are not reproduced',
  MergeDefinitions: 'MergeDefinitions is not reproduced (events and DefinitionBody are read side by side)',
};

interface AuthInfo {
  /** Authorizer ids of the API, with the scopes SAM gives their routes by default (JWT). */
  scopes: Map<string, string[]>;
  /** Ids that are Cognito user-pool authorizers (REST): not reproduced. */
  cognito: Set<string>;
  defaultAuthorizer?: string;
  authPath: string;
  addDefaultToPreflight: boolean;
  apiKeyRequired: boolean;
}

interface SamApi {
  logicalId: string;
  api: RawApi;
  auth: AuthInfo;
  /** REST `Cors` (origin etc., quoted values as SAM takes them). */
  restCors?: { path: string; origin: string; headers?: string; methods?: string; credentials?: boolean; maxAge?: string };
}

/** Reads the SAM APIs and the routes of the functions' events into `builder`. */
export function readSamResources(template: Record<string, unknown>, resolver: IntrinsicResolver, builder: ConfigBuilder, functions: FunctionTable): void {
  const resources = isObject(template.Resources) ? template.Resources : {};
  const globals = isObject(template.Globals) ? template.Globals : {};
  const apis = new Map<string, SamApi>();

  const makeApi = (logicalId: string, kind: 'AWS::Serverless::Api' | 'AWS::Serverless::HttpApi', own: Record<string, unknown>, implicit: boolean): SamApi => {
    const g = kind === 'AWS::Serverless::Api' ? globals.Api : globals.HttpApi;
    const path = joinPath(['Resources', logicalId]);
    const props = resolver.resolve(mergeGlobals(isObject(g) ? g : {}, own), joinPath([path, 'Properties']));
    const p = isObject(props) ? props : {};
    const at = (...k: Array<string | number>) => joinPath([path, 'Properties', ...k]);
    const rest = kind === 'AWS::Serverless::Api';
    let stage = p.StageName;
    if (stage === undefined) stage = rest ? 'Prod' : '$default';
    if (typeof stage !== 'string') {
      builder.error(at('StageName'), `must be a string, got ${describe(stage)}`);
      stage = rest ? 'Prod' : '$default';
    }
    const api = builder.addApi({ name: logicalId, protocol: rest ? 'rest' : 'http', stage: stage as string, authorizers: {}, routes: {} }, implicit ? `${path} (the implicit API SAM creates for the functions' ${rest ? 'Api' : 'HttpApi'} events)` : path);
    if (isObject(p.StageVariables)) api.stageVariables = Object.fromEntries(Object.entries(p.StageVariables).map(([k, v]) => [k, String(v)]));
    for (const [key, why] of Object.entries(IGNORED_API_PROPERTIES)) if (p[key] !== undefined) builder.warn(at(key), why);
    const logSettings = rest ? p.AccessLogSetting : p.AccessLogSettings;
    if (isObject(logSettings) && typeof logSettings.Format === 'string') {
      api.accessLogSettings = { format: logSettings.Format, destination: 'stdout' };
      if (logSettings.DestinationArn !== undefined) builder.warn(at(rest ? 'AccessLogSetting' : 'AccessLogSettings', 'DestinationArn'), 'access logs go to stdout, not to CloudWatch Logs');
    }
    const auth: AuthInfo = { scopes: new Map(), cognito: new Set(), authPath: at('Auth'), addDefaultToPreflight: true, apiKeyRequired: false };
    const a = isObject(p.Auth) ? p.Auth : {};
    if (typeof a.DefaultAuthorizer === 'string') auth.defaultAuthorizer = a.DefaultAuthorizer;
    if (a.AddDefaultAuthorizerToCorsPreflight === false) auth.addDefaultToPreflight = false;
    if (a.UsagePlan !== undefined) builder.warn(at('Auth', 'UsagePlan'), 'usage plans are not enforced');
    if (a.ResourcePolicy !== undefined) builder.unenforced(at('Auth', 'ResourcePolicy'), 'resource policies are not enforced by portcullis');
    if (a.ApiKeyRequired === true) auth.apiKeyRequired = true;
    if (a.InvokeRole !== undefined) builder.warn(at('Auth', 'InvokeRole'), 'the invoke role is not used (functions run in-process)');
    const authorizers = isObject(a.Authorizers) ? a.Authorizers : {};
    for (const [name, raw] of Object.entries(authorizers)) {
      const ap = at('Auth', 'Authorizers', name);
      if (!isObject(raw)) {
        builder.error(ap, `must be a mapping, got ${describe(raw)}`);
        continue;
      }
      if (rest) readRestAuthorizer(name, raw, ap, api, auth, builder, functions);
      else readHttpAuthorizer(name, raw, ap, api, auth, builder, functions);
    }
    if (!rest) {
      if (p.CorsConfiguration === true) api.cors = { allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'] };
      else if (isObject(p.CorsConfiguration)) api.cors = corsOf(p.CorsConfiguration);
    } else if (p.Cors !== undefined) {
      const c = typeof p.Cors === 'string' ? { AllowOrigin: p.Cors } : isObject(p.Cors) ? p.Cors : null;
      if (!c || typeof c.AllowOrigin !== 'string') builder.error(at('Cors'), 'must be a quoted origin ("\'*\'") or a mapping with AllowOrigin');
      else {
        const sam: SamApi['restCors'] = { path: at('Cors'), origin: unquote(c.AllowOrigin) };
        if (typeof c.AllowHeaders === 'string') sam.headers = unquote(c.AllowHeaders);
        if (typeof c.AllowMethods === 'string') sam.methods = unquote(c.AllowMethods);
        if (c.AllowCredentials === true) sam.credentials = true;
        if (c.MaxAge !== undefined) sam.maxAge = unquote(String(c.MaxAge));
        apisCors.set(logicalId, sam);
      }
    }
    if (rest && isObject(p.GatewayResponses)) {
      api.gatewayResponses = {};
      for (const [type, r] of Object.entries(p.GatewayResponses)) {
        if (!isObject(r)) continue;
        const g: Record<string, unknown> = {};
        if (r.StatusCode !== undefined) g.statusCode = Number(r.StatusCode);
        const params: Record<string, string> = {};
        const rp = isObject(r.ResponseParameters) ? r.ResponseParameters : {};
        if (isObject(rp.Headers)) for (const [k, v] of Object.entries(rp.Headers)) params[`gatewayresponse.header.${k}`] = String(v);
        for (const group of ['Paths', 'QueryStrings']) {
          if (rp[group] !== undefined) builder.warn(at('GatewayResponses', type, 'ResponseParameters', group), 'only Headers are reproduced in gateway responses');
        }
        if (Object.keys(params).length) g.responseParameters = params;
        if (isObject(r.ResponseTemplates)) g.responseTemplates = Object.fromEntries(Object.entries(r.ResponseTemplates).map(([k, v]) => [k, String(v)]));
        // Response types are AWS enum values (DEFAULT_4XX); SAM's own example writes DEFAULT_4xx.
        api.gatewayResponses[type.toUpperCase()] = g;
      }
    }
    if (rest && Array.isArray(p.BinaryMediaTypes)) api.binaryMediaTypes = p.BinaryMediaTypes.map((b) => String(b).replace(/~1/g, '/'));
    let body: unknown = p.DefinitionBody;
    let bodyPath = at('DefinitionBody');
    if (body === undefined && p.DefinitionUri !== undefined) {
      bodyPath = at('DefinitionUri');
      body = readDefinitionFile(p.DefinitionUri, bodyPath, builder, resolver);
    }
    if (isObject(body)) readOpenApiInto(body, api, builder, { at: bodyPath, functions });
    else if (body !== undefined) builder.error(bodyPath, `must be an OpenAPI document (a mapping), got ${describe(body)}`);
    const samApi: SamApi = { logicalId, api, auth };
    apis.set(logicalId, samApi);
    return samApi;
  };
  const apisCors = new Map<string, SamApi['restCors']>();

  for (const [logicalId, r] of Object.entries(resources)) {
    if (!isObject(r) || typeof r.Type !== 'string' || !SAM_API_TYPES.has(r.Type) || !resolver.isResourceIncluded(logicalId)) continue;
    makeApi(logicalId, r.Type as 'AWS::Serverless::Api', isObject(r.Properties) ? r.Properties : {}, false);
  }

  // The functions' events, in template order.
  for (const [logicalId, r] of Object.entries(resources)) {
    if (!isObject(r) || r.Type !== 'AWS::Serverless::Function' || !resolver.isResourceIncluded(logicalId)) continue;
    const fn = functions.byLogicalId.get(logicalId);
    const events = isObject(r.Properties) && isObject(r.Properties.Events) ? r.Properties.Events : {};
    for (const [eventName, ev] of Object.entries(events)) {
      const ep = joinPath(['Resources', logicalId, 'Properties', 'Events', eventName]);
      if (!isObject(ev) || typeof ev.Type !== 'string') {
        builder.error(ep, 'must be a mapping with a Type');
        continue;
      }
      if (ev.Type !== 'HttpApi' && ev.Type !== 'Api') {
        builder.warn(joinPath([ep, 'Type']), `${ev.Type} events are not reproduced (only Api and HttpApi events become routes)`);
        continue;
      }
      const props = resolver.resolve(isObject(ev.Properties) ? ev.Properties : {}, joinPath([ep, 'Properties']));
      if (!isObject(props) || !fn) continue;
      const rest = ev.Type === 'Api';
      const apiKey = rest ? 'RestApiId' : 'ApiId';
      let apiId = rest ? 'ServerlessRestApi' : 'ServerlessHttpApi';
      if (props[apiKey] !== undefined) {
        if (typeof props[apiKey] !== 'string' || !apis.has(props[apiKey] as string)) {
          builder.error(joinPath([ep, 'Properties', apiKey]), `must refer to an ${rest ? 'AWS::Serverless::Api' : 'AWS::Serverless::HttpApi'} of this template (!Ref ApiName)${apis.size ? ` (known: ${[...apis.keys()].join(', ')})` : ''}`);
          continue;
        }
        apiId = props[apiKey] as string;
      }
      const samApi = apis.get(apiId) ?? makeApi(apiId, rest ? 'AWS::Serverless::Api' : 'AWS::Serverless::HttpApi', {}, true);
      if (samApi.api.protocol !== (rest ? 'rest' : 'http')) {
        builder.error(joinPath([ep, 'Properties', apiKey]), `${apiId} is ${samApi.api.protocol === 'rest' ? 'a REST API (AWS::Serverless::Api): use an Api event' : 'an HTTP API (AWS::Serverless::HttpApi): use an HttpApi event'}`);
        continue;
      }
      addEventRoute(samApi, props, ep, fn, builder);
    }
  }

  // REST CORS: SAM adds an OPTIONS mock method to every path of the API.
  for (const [logicalId, cors] of apisCors) {
    const samApi = apis.get(logicalId);
    if (!samApi || !cors) continue;
    addRestPreflights(samApi, cors, builder);
  }
}

function unquote(v: string): string {
  return /^'.*'$/s.test(v) ? v.slice(1, -1) : v;
}

function readDefinitionFile(uri: unknown, path: string, builder: ConfigBuilder, resolver: IntrinsicResolver): unknown {
  if (typeof uri !== 'string' || /^s3:\/\//.test(uri)) {
    builder.error(path, 'must be a local file (a definition in S3 cannot be read here): put the file beside the template or use DefinitionBody');
    return undefined;
  }
  const { io, baseDir } = builder.context;
  const abs = uri.startsWith('/') ? uri : `${baseDir}/${uri}`;
  const text = io.readText(abs);
  if (text === null) {
    builder.error(path, `file ${uri} cannot be read`);
    return undefined;
  }
  const doc = io.parseDocument(text);
  if (!isObject(doc)) {
    builder.error(path, `file ${uri} is not a YAML or JSON mapping`);
    return undefined;
  }
  return resolver.resolve(doc, path);
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
}

function readHttpAuthorizer(name: string, raw: Record<string, unknown>, ap: string, api: RawApi, auth: AuthInfo, builder: ConfigBuilder, functions: FunctionTable): void {
  if (isObject(raw.JwtConfiguration)) {
    const j = raw.JwtConfiguration;
    const issuer = j.issuer ?? j.Issuer;
    const audience = stringList(j.audience ?? j.Audience);
    const authorizer: Record<string, unknown> = { authorizerType: 'JWT', jwtConfiguration: { issuer, audience } };
    if (raw.IdentitySource !== undefined) authorizer.identitySource = String(raw.IdentitySource);
    builder.addAuthorizer(api, name, authorizer, ap);
    auth.scopes.set(name, stringList(raw.AuthorizationScopes));
    return;
  }
  if (raw.FunctionArn !== undefined) {
    const fn = functionOf(raw.FunctionArn, joinPath([ap, 'FunctionArn']), functions);
    const f = builder.authorizerFunction(fn, ap);
    auth.scopes.set(name, []);
    if (f === 'refuse') return builder.addAuthorizer(api, name, 'refuse', ap);
    const authorizer: Record<string, unknown> = { authorizerType: 'REQUEST', function: f };
    if (raw.AuthorizerPayloadFormatVersion === undefined) builder.error(joinPath([ap, 'AuthorizerPayloadFormatVersion']), 'is required for Lambda authorizers of HTTP APIs ("1.0" or "2.0")');
    else authorizer.authorizerPayloadFormatVersion = String(raw.AuthorizerPayloadFormatVersion);
    if (raw.EnableSimpleResponses !== undefined) authorizer.enableSimpleResponses = raw.EnableSimpleResponses === true;
    const id = isObject(raw.Identity) ? raw.Identity : {};
    const sources = [
      ...stringList(id.Headers).map((h) => `$request.header.${h}`),
      ...stringList(id.QueryStrings).map((q) => `$request.querystring.${q}`),
      ...stringList(id.StageVariables).map((s) => `$stageVariables.${s}`),
      ...stringList(id.Context).map((c) => `$context.${c}`),
    ];
    if (sources.length) authorizer.identitySource = sources;
    if (id.ReauthorizeEvery !== undefined) authorizer.authorizerResultTtlInSeconds = Number(id.ReauthorizeEvery);
    if (raw.FunctionInvokeRole !== undefined) builder.warn(joinPath([ap, 'FunctionInvokeRole']), 'the invoke role is not used (the function runs in-process)');
    builder.addAuthorizer(api, name, authorizer, ap);
    return;
  }
  builder.error(ap, 'must have JwtConfiguration (a JWT authorizer) or FunctionArn (a Lambda authorizer)');
}

function readRestAuthorizer(name: string, raw: Record<string, unknown>, ap: string, api: RawApi, auth: AuthInfo, builder: ConfigBuilder, functions: FunctionTable): void {
  if (raw.UserPoolArn !== undefined) {
    auth.cognito.add(name);
    return;
  }
  if (raw.FunctionArn === undefined) {
    builder.error(ap, 'must have FunctionArn (a Lambda authorizer) or UserPoolArn (a Cognito authorizer)');
    return;
  }
  const fn = functionOf(raw.FunctionArn, joinPath([ap, 'FunctionArn']), functions);
  const f = builder.authorizerFunction(fn, ap);
  auth.scopes.set(name, []);
  if (f === 'refuse') return builder.addAuthorizer(api, name, 'refuse', ap);
  const type = raw.FunctionPayloadType === undefined ? 'TOKEN' : String(raw.FunctionPayloadType);
  if (type !== 'TOKEN' && type !== 'REQUEST') {
    builder.error(joinPath([ap, 'FunctionPayloadType']), `must be TOKEN or REQUEST, got ${describe(raw.FunctionPayloadType)}`);
    return;
  }
  const id = isObject(raw.Identity) ? raw.Identity : {};
  const authorizer: Record<string, unknown> = { authorizerType: type, function: f };
  if (type === 'TOKEN') {
    authorizer.identitySource = `method.request.header.${typeof id.Header === 'string' ? id.Header : 'Authorization'}`;
    if (typeof id.ValidationExpression === 'string') authorizer.identityValidationExpression = id.ValidationExpression;
  } else {
    const sources = [
      ...stringList(id.Headers).map((h) => `method.request.header.${h}`),
      ...stringList(id.QueryStrings).map((q) => `method.request.querystring.${q}`),
      ...stringList(id.StageVariables).map((s) => `stageVariables.${s}`),
      ...stringList(id.Context).map((c) => `context.${c}`),
    ];
    if (sources.length) authorizer.identitySource = sources;
  }
  if (id.ReauthorizeEvery !== undefined) authorizer.authorizerResultTtlInSeconds = Number(id.ReauthorizeEvery);
  else if (type === 'REQUEST' && authorizer.identitySource === undefined) authorizer.authorizerResultTtlInSeconds = 0;
  if (raw.FunctionInvokeRole !== undefined) builder.warn(joinPath([ap, 'FunctionInvokeRole']), 'the invoke role is not used (the function runs in-process)');
  builder.addAuthorizer(api, name, authorizer, ap);
}

function functionOf(arn: unknown, path: string, functions: FunctionTable): LocalFunction {
  return functions.lookup(arn, path);
}

function addEventRoute(samApi: SamApi, props: Record<string, unknown>, ep: string, fn: LocalFunction, builder: ConfigBuilder): void {
  const { api, auth } = samApi;
  const rest = api.protocol === 'rest';
  const pp = (...k: string[]) => joinPath([ep, 'Properties', ...k]);
  let routeKey: string;
  if (props.Path === undefined && props.Method === undefined && !rest) routeKey = '$default';
  else {
    if (typeof props.Path !== 'string' || !props.Path.startsWith('/')) {
      builder.error(pp('Path'), `must be a path starting with /, got ${describe(props.Path)}`);
      return;
    }
    if (typeof props.Method !== 'string') {
      builder.error(pp('Method'), `must be an HTTP method or any, got ${describe(props.Method)}`);
      return;
    }
    const method = props.Method.toUpperCase();
    if (!/^(ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$/.test(method)) {
      builder.error(pp('Method'), `must be an HTTP method or any, got ${describe(props.Method)}`);
      return;
    }
    routeKey = `${method} ${props.Path}`;
  }
  const ea = isObject(props.Auth) ? props.Auth : {};
  let authorizerId: string | undefined;
  let authorizerPath = pp('Auth', 'Authorizer');
  if (typeof ea.Authorizer === 'string') authorizerId = ea.Authorizer;
  else if (auth.defaultAuthorizer !== undefined && !(rest && routeKey.startsWith('OPTIONS ') && !auth.addDefaultToPreflight)) {
    authorizerId = auth.defaultAuthorizer;
    authorizerPath = joinPath([auth.authPath, 'DefaultAuthorizer']);
  }
  if (authorizerId === 'NONE') authorizerId = undefined;
  if (authorizerId === 'AWS_IAM') {
    builder.unenforced(authorizerPath, 'IAM authorization (AWS_IAM) is not enforced by portcullis');
    authorizerId = undefined;
  }
  if (authorizerId !== undefined && auth.cognito.has(authorizerId)) {
    builder.unenforced(joinPath([auth.authPath, 'Authorizers', authorizerId]), 'Cognito user-pool authorizers are not reproduced on REST APIs (on an HTTP API, a JWT authorizer with the pool as issuer is)');
    authorizerId = undefined;
  }
  if (authorizerId !== undefined && !builder.hasAuthorizer(api, authorizerId)) {
    if (auth.scopes.has(authorizerId)) return; // defined but broken: its own error is reported
    builder.error(authorizerPath, `unknown authorizer "${authorizerId}" (known: ${[...auth.scopes.keys(), ...auth.cognito].map((k) => `"${k}"`).join(', ') || 'none'}, NONE, AWS_IAM)`);
    return;
  }
  if (rest && (ea.ApiKeyRequired === true || (auth.apiKeyRequired && ea.ApiKeyRequired !== false))) {
    builder.unenforced(ea.ApiKeyRequired === true ? pp('Auth', 'ApiKeyRequired') : joinPath([auth.authPath, 'ApiKeyRequired']), 'API keys are not enforced by portcullis');
  }
  if (ea.ResourcePolicy !== undefined) builder.unenforced(pp('Auth', 'ResourcePolicy'), 'resource policies are not enforced by portcullis');
  if (props.RequestModel !== undefined) builder.warn(pp('RequestModel'), 'request models are not validated');
  if (props.RequestParameters !== undefined) builder.warn(pp('RequestParameters'), 'required request parameters are not validated');
  let scopes = Array.isArray(ea.AuthorizationScopes) ? ea.AuthorizationScopes.map(String) : authorizerId !== undefined ? auth.scopes.get(authorizerId) : undefined;
  if (scopes?.length && authorizerId !== undefined && api.authorizers[authorizerId]?.authorizerType !== 'JWT') {
    builder.warn(pp('Auth', 'AuthorizationScopes'), 'scopes are checked by JWT authorizers only; ignored');
    scopes = undefined;
  }
  const integration = builder.lambdaIntegration(fn, api, {
    payloadFormatVersion: props.PayloadFormatVersion === undefined ? undefined : String(props.PayloadFormatVersion),
    timeoutInMillis: typeof props.TimeoutInMillis === 'number' ? props.TimeoutInMillis : undefined,
  });
  builder.addRoute(api, routeKey, { integration, authorizerId, authorizationScopes: scopes }, ep);
}

/** SAM's CORS for REST APIs: an OPTIONS mock method on every path, answering with the Cors headers. */
function addRestPreflights(samApi: SamApi, cors: NonNullable<SamApi['restCors']>, builder: ConfigBuilder): void {
  const { api, auth } = samApi;
  const byPath = new Map<string, string[]>();
  for (const key of Object.keys(api.routes)) {
    const space = key.indexOf(' ');
    if (space < 0) continue;
    const path = key.slice(space + 1);
    const list = byPath.get(path) ?? [];
    list.push(key.slice(0, space));
    byPath.set(path, list);
  }
  for (const [path, methods] of byPath) {
    if (methods.includes('OPTIONS')) continue;
    const headers: Record<string, string> = { 'Access-Control-Allow-Origin': cors.origin };
    headers['Access-Control-Allow-Methods'] = cors.methods ?? (methods.includes('ANY') ? 'DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT' : ['OPTIONS', ...methods].sort().join(','));
    if (cors.headers !== undefined) headers['Access-Control-Allow-Headers'] = cors.headers;
    if (cors.credentials) headers['Access-Control-Allow-Credentials'] = 'true';
    if (cors.maxAge !== undefined) headers['Access-Control-Max-Age'] = cors.maxAge;
    const authorizerId = auth.defaultAuthorizer !== undefined && auth.addDefaultToPreflight && builder.hasAuthorizer(api, auth.defaultAuthorizer) ? auth.defaultAuthorizer : undefined;
    builder.addRoute(api, `OPTIONS ${path}`, { integration: { type: 'mock', statusCode: 200, headers }, authorizerId }, cors.path);
  }
}

export const samReader: ConfigReader = {
  format: 'sam',
  description: 'SAM template (Transform: AWS::Serverless-2016-10-31)',
  // The SAM translator's own test templates leave the Transform out; their resource types say it.
  detect: (doc) => hasSamTransform(doc) || (isObject(doc) && isObject(doc.Resources) && Object.values(doc.Resources).some((r) => isObject(r) && typeof r.Type === 'string' && r.Type.startsWith('AWS::Serverless::'))),
  read: (doc, context) => readTemplate(doc, context, [{ types: SAM_API_TYPES, read: readSamResources }]),
};
