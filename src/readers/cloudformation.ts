/**
 * @module readers/cloudformation — CloudFormation templates (YAML with short tags, or JSON; `cdk synth`
 * output included), and the template walk SAM templates share. [pure]
 *
 * Resources read: `AWS::ApiGatewayV2::Api` (`Body`, quick-create `Target`, `CorsConfiguration`),
 * `Route`, `Integration`, `Authorizer`, `Stage`; `AWS::ApiGateway::RestApi` (`Body`,
 * `BinaryMediaTypes`), `Resource`, `Method`, `Authorizer`, `GatewayResponse`, `Stage`/`Deployment`;
 * `AWS::Lambda::Function` (functions.ts). Every other resource type is listed as not reproduced,
 * except those with no effect on how a request is answered (IAM roles and policies, Lambda
 * permissions, deployments, log groups, CDK metadata).
 */
import { ConfigBuilder, isObject, joinPath, type LocalFunction, type RawApi } from './build.ts';
import { FUNCTION_TYPES, readFunctions, type FunctionTable } from './functions.ts';
import { isAbsolute, join } from 'node:path';
import { DEFAULT_IDENTITY, describe, IntrinsicResolver } from './intrinsics.ts';
import { corsOf, readOpenApiInto } from './openapi.ts';
import type { ConfigReader, ReaderContext, ReaderResult } from './reader.ts';

/** Resource types that change nothing about how a request is answered locally: not listed. */
const QUIET_TYPES = new Set([
  'AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::Lambda::Permission', 'AWS::ApiGateway::Deployment',
  'AWS::ApiGatewayV2::Deployment', 'AWS::ApiGateway::Account', 'AWS::Logs::LogGroup', 'AWS::CDK::Metadata', 'AWS::Lambda::Version',
  'AWS::Lambda::Alias', 'AWS::ApiGateway::Model', 'AWS::ApiGateway::RequestValidator',
]);

const HANDLED_TYPES = new Set([
  ...FUNCTION_TYPES,
  'AWS::ApiGatewayV2::Api', 'AWS::ApiGatewayV2::ApiGatewayManagedOverrides', 'AWS::ApiGatewayV2::Route', 'AWS::ApiGatewayV2::Integration', 'AWS::ApiGatewayV2::Authorizer', 'AWS::ApiGatewayV2::Stage',
  'AWS::ApiGateway::RestApi', 'AWS::ApiGateway::Resource', 'AWS::ApiGateway::Method', 'AWS::ApiGateway::Authorizer', 'AWS::ApiGateway::GatewayResponse', 'AWS::ApiGateway::Stage',
]);

const WHY_NOT: Readonly<Record<string, string>> = {
  'AWS::ApiGateway::UsagePlan': 'usage plans are not enforced',
  'AWS::ApiGateway::ApiKey': 'API keys are not enforced',
  'AWS::ApiGateway::UsagePlanKey': 'usage plans are not enforced',
  'AWS::ApiGateway::DomainName': 'custom domains are not reproduced',
  'AWS::ApiGatewayV2::DomainName': 'custom domains are not reproduced',
  'AWS::ApiGateway::BasePathMapping': 'custom domains are not reproduced',
  'AWS::ApiGatewayV2::ApiMapping': 'custom domains are not reproduced',
};

/** What a format built on CloudFormation adds to the template walk (SAM's resources). */
export interface TemplateExtension {
  /** Resource types it reads (not listed as unsupported). */
  readonly types: ReadonlySet<string>;
  read(template: Record<string, unknown>, resolver: IntrinsicResolver, builder: ConfigBuilder, functions: FunctionTable): void;
}

/** Reads a whole template: its functions, the extensions' resources (SAM), its API Gateway resources. */
export function readTemplate(doc: unknown, context: ReaderContext, extensions: readonly TemplateExtension[] = []): ReaderResult {
  const builder = new ConfigBuilder(context);
  if (!isObject(doc)) {
    builder.error('', 'a template must be a mapping');
    return builder.result();
  }
  if (!isObject(doc.Resources)) {
    builder.error('Resources', doc.Resources === undefined ? 'a template needs Resources' : `must be a mapping, got ${describe(doc.Resources)}`);
    return builder.result();
  }
  const resolver = new IntrinsicResolver(doc, context.parameterOverrides, builder.errors, DEFAULT_IDENTITY, (location) => {
    const text = context.io.readText(isAbsolute(location) ? location : join(context.baseDir, location));
    return text === null ? null : context.io.parseDocument(text);
  });
  for (const [id, r] of Object.entries(doc.Resources)) {
    if (!isObject(r) || typeof r.Type !== 'string') builder.error(joinPath(['Resources', id]), 'must be a mapping with a Type');
  }
  const functions = readFunctions(doc, resolver, builder);
  for (const extension of extensions) extension.read(doc, resolver, builder, functions);
  readHttpApis(doc.Resources, resolver, builder, functions);
  readRestApis(doc.Resources, resolver, builder, functions);
  for (const [id, r] of Object.entries(doc.Resources)) {
    if (!isObject(r) || typeof r.Type !== 'string' || HANDLED_TYPES.has(r.Type) || QUIET_TYPES.has(r.Type) || extensions.some((e) => e.types.has(r.Type as string))) continue;
    if (!resolver.isResourceIncluded(id)) continue;
    builder.warn(joinPath(['Resources', id]), WHY_NOT[r.Type] ?? `${r.Type} is not reproduced`);
  }
  warnMadeUpIssuers(doc.Resources, context, builder);
  if (builder.apis.length === 0 && builder.errors.length === 0) builder.warn('Resources', 'the template defines no API (no HttpApi/Api events, no API Gateway resources): nothing to serve');
  return builder.result();
}

type Resources = Record<string, unknown>;

/**
 * A JWT issuer built from a Cognito user pool of the template holds the pool's logical id, not the id
 * AWS gave it: no real token verifies. Said once per authorizer, with the way to give the real id.
 */
function warnMadeUpIssuers(resources: Resources, context: ReaderContext, builder: ConfigBuilder): void {
  builder.apis.forEach((api, i) => {
    for (const [id, authorizer] of Object.entries(api.authorizers)) {
      const jwt = authorizer.jwtConfiguration;
      const issuer = isObject(jwt) ? jwt.issuer : undefined;
      const m = typeof issuer === 'string' ? /^https:\/\/cognito-idp\.[a-z0-9-]+\.amazonaws\.com\/([A-Za-z0-9_-]+)$/.exec(issuer) : null;
      const from = builder.origins.find((o) => o.at.length === 4 && o.at[1] === i && o.at[3] === id)?.from ?? `Resources`;
      const isA = (name: string | undefined, type: string) => name !== undefined && context.parameterOverrides[name] === undefined && isObject(resources[name]) && (resources[name] as Record<string, unknown>).Type === type;
      const pool = m?.[1];
      if (isA(pool, 'AWS::Cognito::UserPool')) {
        builder.warn(from, `the issuer names user pool ${pool} of this template, whose id is made up here: pass --parameter-overrides ${pool}=<the pool's id, e.g. us-east-1_AbC123> so that its tokens verify`);
      }
      const audience = isObject(jwt) && Array.isArray(jwt.audience) ? jwt.audience.map(String) : [];
      for (const client of audience.filter((a) => isA(a, 'AWS::Cognito::UserPoolClient'))) {
        builder.warn(from, `the audience names app client ${client} of this template, whose id is made up here: pass --parameter-overrides ${client}=<the client id> so that its tokens verify`);
      }
    }
  });
}

function ofType(resources: Resources, type: string, resolver: IntrinsicResolver): Array<[string, Record<string, unknown>, string]> {
  const out: Array<[string, Record<string, unknown>, string]> = [];
  for (const [id, r] of Object.entries(resources)) {
    if (!isObject(r) || r.Type !== type || !resolver.isResourceIncluded(id)) continue;
    const path = joinPath(['Resources', id, 'Properties']);
    const props = resolver.resolve(isObject(r.Properties) ? r.Properties : {}, path);
    if (isObject(props)) out.push([id, props, path]);
  }
  return out;
}

function functionOf(uri: unknown, path: string, functions: FunctionTable): LocalFunction {
  return functions.lookup(uri, path);
}

function readBody(props: Record<string, unknown>, path: string, builder: ConfigBuilder, resolver: IntrinsicResolver): [Record<string, unknown>, string] | null {
  if (isObject(props.Body)) return [props.Body, joinPath([path, 'Body'])];
  if (props.BodyS3Location === undefined) return null;
  const at = joinPath([path, 'BodyS3Location']);
  const loc = props.BodyS3Location;
  const key = isObject(loc) && typeof loc.Key === 'string' ? loc.Key : null;
  const { io, baseDir } = builder.context;
  const text = key === null ? null : io.readText(key.startsWith('/') ? key : `${baseDir}/${key}`);
  if (text === null) {
    builder.error(at, `must name a local file in Key (relative to the template): ${key === null ? 'it has no Key' : `${key} cannot be read`}`);
    return null;
  }
  const doc = io.parseDocument(text);
  if (!isObject(doc)) {
    builder.error(at, `${key} is not a YAML or JSON mapping`);
    return null;
  }
  const resolved = resolver.resolve(doc, at);
  return isObject(resolved) ? [resolved, at] : null;
}

/** AWS::ApiGatewayV2::* (HTTP APIs). */
function readHttpApis(resources: Resources, resolver: IntrinsicResolver, builder: ConfigBuilder, functions: FunctionTable): void {
  const apis = new Map<string, RawApi>();
  const quickCreate: Array<[string, Record<string, unknown>, string, RawApi]> = [];
  const stages = ofType(resources, 'AWS::ApiGatewayV2::Stage', resolver);
  for (const [id, props, path] of ofType(resources, 'AWS::ApiGatewayV2::Api', resolver)) {
    if (props.ProtocolType !== undefined && props.ProtocolType !== 'HTTP') {
      builder.warn(joinPath([path, 'ProtocolType']), `${String(props.ProtocolType)} APIs are not reproduced (HTTP only)`);
      continue;
    }
    const own = stages.filter(([, s]) => s.ApiId === id);
    const quick = props.Target !== undefined;
    const stage = own[0]?.[1];
    const api = builder.addApi({ name: id, protocol: 'http', stage: typeof stage?.StageName === 'string' ? stage.StageName : '$default', authorizers: {}, routes: {} }, joinPath(['Resources', id]));
    if (own.length > 1) builder.warn(own[1]![2], `the API has ${own.length} stages; portcullis serves the first (${String(stage?.StageName)})`);
    if (stage && isObject(stage.StageVariables)) api.stageVariables = Object.fromEntries(Object.entries(stage.StageVariables).map(([k, v]) => [k, String(v)]));
    if (stage && isObject(stage.AccessLogSettings) && typeof stage.AccessLogSettings.Format === 'string') api.accessLogSettings = { format: stage.AccessLogSettings.Format, destination: 'stdout' };
    if (isObject(props.CorsConfiguration)) api.cors = corsOf(props.CorsConfiguration);
    if (props.DisableExecuteApiEndpoint !== undefined) builder.warn(joinPath([path, 'DisableExecuteApiEndpoint']), 'the execute-api endpoint switch is not reproduced');
    const body = readBody(props, path, builder, resolver);
    if (body) readOpenApiInto(body[0], api, builder, { at: body[1], functions });
    if (quick) quickCreate.push([id, props, path, api]);
    apis.set(id, api);
  }
  const apiOf = (props: Record<string, unknown>, path: string): RawApi | undefined => {
    const api = typeof props.ApiId === 'string' ? apis.get(props.ApiId) : undefined;
    if (!api) builder.error(joinPath([path, 'ApiId']), `must refer to an AWS::ApiGatewayV2::Api of this template (!Ref ApiName), got ${describe(props.ApiId)}`);
    return api;
  };
  for (const [id, props, path] of ofType(resources, 'AWS::ApiGatewayV2::Authorizer', resolver)) {
    const api = apiOf(props, path);
    if (!api) continue;
    const at = joinPath(['Resources', id]);
    if (props.AuthorizerType === 'JWT') {
      const j = isObject(props.JwtConfiguration) ? props.JwtConfiguration : {};
      const authorizer: Record<string, unknown> = { authorizerType: 'JWT', jwtConfiguration: { issuer: j.Issuer, audience: Array.isArray(j.Audience) ? j.Audience : [] } };
      if (Array.isArray(props.IdentitySource)) authorizer.identitySource = props.IdentitySource.map(String);
      builder.addAuthorizer(api, id, authorizer, at);
    } else if (props.AuthorizerType === 'REQUEST') {
      const f = builder.authorizerFunction(functionOf(props.AuthorizerUri, joinPath([path, 'AuthorizerUri']), functions), at);
      if (f === 'refuse') {
        builder.addAuthorizer(api, id, 'refuse', at);
        continue;
      }
      const authorizer: Record<string, unknown> = { authorizerType: 'REQUEST', function: f };
      if (Array.isArray(props.IdentitySource) && props.IdentitySource.length) authorizer.identitySource = props.IdentitySource.map(String);
      if (props.AuthorizerPayloadFormatVersion !== undefined) authorizer.authorizerPayloadFormatVersion = String(props.AuthorizerPayloadFormatVersion);
      if (props.EnableSimpleResponses !== undefined) authorizer.enableSimpleResponses = props.EnableSimpleResponses === true;
      if (props.AuthorizerResultTtlInSeconds !== undefined) authorizer.authorizerResultTtlInSeconds = Number(props.AuthorizerResultTtlInSeconds);
      builder.addAuthorizer(api, id, authorizer, at);
    } else builder.error(joinPath([path, 'AuthorizerType']), `must be JWT or REQUEST, got ${describe(props.AuthorizerType)}`);
  }
  // Quick create (`Target`): one route to the function, with what ApiGatewayManagedOverrides changes on it.
  const overrides = ofType(resources, 'AWS::ApiGatewayV2::ApiGatewayManagedOverrides', resolver);
  for (const [id, props, path, api] of quickCreate) {
    const fn = functionOf(props.Target, joinPath([path, 'Target']), functions);
    const routeKey = typeof props.RouteKey === 'string' ? props.RouteKey : '$default';
    const o = overrides.find(([, p]) => p.ApiId === id);
    const route = o && isObject(o[1].Route) ? o[1].Route : {};
    const integ = o && isObject(o[1].Integration) ? o[1].Integration : {};
    if (o && o[1].Stage !== undefined) builder.warn(joinPath([o[2], 'Stage']), 'stage overrides are not applied');
    const integration = builder.lambdaIntegration(fn, api, {
      payloadFormatVersion: integ.PayloadFormatVersion === undefined ? undefined : String(integ.PayloadFormatVersion),
      timeoutInMillis: typeof integ.TimeoutInMillis === 'number' ? integ.TimeoutInMillis : undefined,
    });
    let authorizerId: string | undefined;
    const type = route.AuthorizationType ?? 'NONE';
    const rp = o ? joinPath([o[2], 'Route']) : path;
    if (type === 'AWS_IAM') builder.unenforced(joinPath([rp, 'AuthorizationType']), 'IAM authorization (AWS_IAM) is not enforced by portcullis');
    else if (type === 'JWT' || type === 'CUSTOM') {
      if (typeof route.AuthorizerId !== 'string' || !builder.hasAuthorizer(api, route.AuthorizerId)) {
        builder.error(joinPath([rp, 'AuthorizerId']), `must refer to an AWS::ApiGatewayV2::Authorizer of the same API, got ${describe(route.AuthorizerId)}`);
        continue;
      }
      authorizerId = route.AuthorizerId;
    }
    const scopes = Array.isArray(route.AuthorizationScopes) ? route.AuthorizationScopes.map(String) : undefined;
    builder.addRoute(api, routeKey, { integration, authorizerId, authorizationScopes: scopes }, o ? `${joinPath([path, 'Target'])} and ${joinPath(['Resources', o[0]])}` : joinPath([path, 'Target']));
  }
  const integrations = new Map<string, [Record<string, unknown>, string]>();
  for (const [id, props, path] of ofType(resources, 'AWS::ApiGatewayV2::Integration', resolver)) integrations.set(id, [props, path]);
  for (const [id, props, path] of ofType(resources, 'AWS::ApiGatewayV2::Route', resolver)) {
    const api = apiOf(props, path);
    if (!api) continue;
    if (typeof props.RouteKey !== 'string') {
      builder.error(joinPath([path, 'RouteKey']), `must be a route key ("GET /pets" or $default), got ${describe(props.RouteKey)}`);
      continue;
    }
    const target = typeof props.Target === 'string' ? /^integrations\/(.+)$/.exec(props.Target)?.[1] : undefined;
    const integ = target === undefined ? undefined : integrations.get(target);
    if (!integ) {
      builder.error(joinPath([path, 'Target']), `must be integrations/ID of an AWS::ApiGatewayV2::Integration of this template, got ${describe(props.Target)}`);
      continue;
    }
    const integration = httpIntegrationOf(integ[0], integ[1], api, builder, functions);
    if (!integration) continue;
    let authorizerId: string | undefined;
    const type = props.AuthorizationType ?? 'NONE';
    if (type === 'AWS_IAM') builder.unenforced(joinPath([path, 'AuthorizationType']), 'IAM authorization (AWS_IAM) is not enforced by portcullis');
    else if (type === 'JWT' || type === 'CUSTOM') {
      if (typeof props.AuthorizerId !== 'string' || !builder.hasAuthorizer(api, props.AuthorizerId)) {
        builder.error(joinPath([path, 'AuthorizerId']), `must refer to an AWS::ApiGatewayV2::Authorizer of the same API, got ${describe(props.AuthorizerId)}`);
        continue;
      }
      authorizerId = props.AuthorizerId;
    }
    if (props.ApiKeyRequired === true) builder.unenforced(joinPath([path, 'ApiKeyRequired']), 'API keys are not enforced by portcullis');
    const scopes = Array.isArray(props.AuthorizationScopes) ? props.AuthorizationScopes.map(String) : undefined;
    builder.addRoute(api, props.RouteKey, { integration, authorizerId, authorizationScopes: scopes }, joinPath(['Resources', id]));
  }
}

function httpIntegrationOf(props: Record<string, unknown>, path: string, api: RawApi, builder: ConfigBuilder, functions: FunctionTable): Record<string, unknown> | null {
  const type = props.IntegrationType;
  const timeout = typeof props.TimeoutInMillis === 'number' ? props.TimeoutInMillis : undefined;
  if (type === 'AWS_PROXY') {
    const fn = functionOf(props.IntegrationUri, joinPath([path, 'IntegrationUri']), functions);
    const out = builder.lambdaIntegration(fn, api, { payloadFormatVersion: props.PayloadFormatVersion === undefined ? undefined : String(props.PayloadFormatVersion), timeoutInMillis: timeout });
    if (out.type === 'lambda' && isObject(props.RequestParameters)) out.requestParameters = props.RequestParameters;
    if (out.type === 'lambda' && isObject(props.ResponseParameters)) out.responseParameters = props.ResponseParameters;
    return out;
  }
  if (type === 'HTTP_PROXY') {
    if (typeof props.IntegrationUri !== 'string' || !/^https?:\/\//.test(props.IntegrationUri)) {
      builder.warn(joinPath([path, 'IntegrationUri']), 'only http(s) URLs are reproduced (private integrations through VPC links are not); the route answers 500');
      return { type: 'mock', statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"message":"Internal Server Error"}' };
    }
    const out: Record<string, unknown> = { type: 'http', uri: props.IntegrationUri };
    if (typeof props.IntegrationMethod === 'string') out.httpMethod = props.IntegrationMethod;
    if (timeout !== undefined) out.timeoutInMillis = timeout;
    if (isObject(props.RequestParameters)) out.requestParameters = props.RequestParameters;
    if (isObject(props.ResponseParameters)) out.responseParameters = props.ResponseParameters;
    return out;
  }
  builder.error(joinPath([path, 'IntegrationType']), `must be AWS_PROXY or HTTP_PROXY (HTTP APIs), got ${describe(type)}`);
  return null;
}

/** AWS::ApiGateway::* (REST APIs). */
function readRestApis(resources: Resources, resolver: IntrinsicResolver, builder: ConfigBuilder, functions: FunctionTable): void {
  const apis = new Map<string, RawApi>();
  const stages = [...ofType(resources, 'AWS::ApiGateway::Stage', resolver), ...ofType(resources, 'AWS::ApiGateway::Deployment', resolver).filter(([, p]) => typeof p.StageName === 'string')];
  for (const [id, props, path] of ofType(resources, 'AWS::ApiGateway::RestApi', resolver)) {
    const own = stages.filter(([, s]) => s.RestApiId === id);
    const stage = own[0]?.[1];
    let stageName = typeof stage?.StageName === 'string' ? stage.StageName : undefined;
    if (stageName === undefined) {
      stageName = 'prod';
      builder.warn(joinPath(['Resources', id]), 'no AWS::ApiGateway::Stage names a stage for this API; it is served at /prod');
    }
    const api = builder.addApi({ name: id, protocol: 'rest', stage: stageName, authorizers: {}, routes: {} }, joinPath(['Resources', id]));
    const variables = stage?.Variables;
    if (isObject(variables)) api.stageVariables = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)]));
    if (Array.isArray(props.BinaryMediaTypes)) api.binaryMediaTypes = props.BinaryMediaTypes.map((b) => String(b).replace(/~1/g, '/'));
    if (props.Policy !== undefined) builder.unenforced(joinPath([path, 'Policy']), 'resource policies are not enforced by portcullis');
    if (props.ApiKeySourceType !== undefined) builder.warn(joinPath([path, 'ApiKeySourceType']), 'API keys are not enforced');
    if (props.MinimumCompressionSize !== undefined) builder.warn(joinPath([path, 'MinimumCompressionSize']), 'response compression is not reproduced');
    const body = readBody(props, path, builder, resolver);
    if (body) readOpenApiInto(body[0], api, builder, { at: body[1], functions });
    apis.set(id, api);
  }
  const apiOf = (props: Record<string, unknown>, path: string): RawApi | undefined => {
    const api = typeof props.RestApiId === 'string' ? apis.get(props.RestApiId) : undefined;
    if (!api) builder.error(joinPath([path, 'RestApiId']), `must refer to an AWS::ApiGateway::RestApi of this template (!Ref ApiName), got ${describe(props.RestApiId)}`);
    return api;
  };
  const cognito = new Set<string>();
  for (const [id, props, path] of ofType(resources, 'AWS::ApiGateway::Authorizer', resolver)) {
    const api = apiOf(props, path);
    if (!api) continue;
    const at = joinPath(['Resources', id]);
    if (props.Type === 'COGNITO_USER_POOLS') {
      cognito.add(id);
      continue;
    }
    if (props.Type !== 'TOKEN' && props.Type !== 'REQUEST') {
      builder.error(joinPath([path, 'Type']), `must be TOKEN, REQUEST or COGNITO_USER_POOLS, got ${describe(props.Type)}`);
      continue;
    }
    const f = builder.authorizerFunction(functionOf(props.AuthorizerUri, joinPath([path, 'AuthorizerUri']), functions), at);
    if (f === 'refuse') {
      builder.addAuthorizer(api, id, 'refuse', at);
      continue;
    }
    const authorizer: Record<string, unknown> = { authorizerType: props.Type, function: f };
    if (typeof props.IdentitySource === 'string' && props.IdentitySource.trim()) {
      authorizer.identitySource = props.Type === 'TOKEN' ? props.IdentitySource.trim() : props.IdentitySource.split(',').map((s) => s.trim()).filter(Boolean);
    }
    if (props.Type === 'TOKEN' && typeof props.IdentityValidationExpression === 'string') authorizer.identityValidationExpression = props.IdentityValidationExpression;
    if (props.AuthorizerResultTtlInSeconds !== undefined) authorizer.authorizerResultTtlInSeconds = Number(props.AuthorizerResultTtlInSeconds);
    else if (props.Type === 'REQUEST' && authorizer.identitySource === undefined) authorizer.authorizerResultTtlInSeconds = 0;
    builder.addAuthorizer(api, id, authorizer, at);
  }
  // The resource tree: each AWS::ApiGateway::Resource's path from its parents.
  const resourceProps = new Map(ofType(resources, 'AWS::ApiGateway::Resource', resolver).map(([id, p, path]) => [id, { p, path }]));
  const pathOf = (resourceId: unknown, seen: Set<string> = new Set()): string | null => {
    if (typeof resourceId !== 'string') return null;
    if (resourceId.endsWith('.RootResourceId')) return '';
    const r = resourceProps.get(resourceId);
    if (!r || seen.has(resourceId) || typeof r.p.PathPart !== 'string') return null;
    seen.add(resourceId);
    const parent = pathOf(r.p.ParentId, seen);
    return parent === null ? null : `${parent}/${r.p.PathPart}`;
  };
  for (const [id, props, path] of ofType(resources, 'AWS::ApiGateway::Method', resolver)) {
    const api = apiOf(props, path);
    if (!api) continue;
    const resourcePath = pathOf(props.ResourceId);
    if (resourcePath === null) {
      builder.error(joinPath([path, 'ResourceId']), `must refer to an AWS::ApiGateway::Resource of this template or the API's RootResourceId, got ${describe(props.ResourceId)}`);
      continue;
    }
    const method = typeof props.HttpMethod === 'string' ? props.HttpMethod.toUpperCase() : '';
    if (!/^(ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$/.test(method)) {
      builder.error(joinPath([path, 'HttpMethod']), `must be an HTTP method or ANY, got ${describe(props.HttpMethod)}`);
      continue;
    }
    const integration = restIntegrationOf(props.Integration, joinPath([path, 'Integration']), api, builder, functions);
    if (!integration) continue;
    let authorizerId: string | undefined;
    const type = props.AuthorizationType ?? 'NONE';
    if (type === 'AWS_IAM') builder.unenforced(joinPath([path, 'AuthorizationType']), 'IAM authorization (AWS_IAM) is not enforced by portcullis');
    else if (type === 'COGNITO_USER_POOLS' || (typeof props.AuthorizerId === 'string' && cognito.has(props.AuthorizerId))) {
      builder.unenforced(joinPath([path, 'AuthorizationType']), 'Cognito user-pool authorizers are not reproduced on REST APIs');
    } else if (type === 'CUSTOM') {
      if (typeof props.AuthorizerId !== 'string' || !builder.hasAuthorizer(api, props.AuthorizerId)) {
        builder.error(joinPath([path, 'AuthorizerId']), `must refer to an AWS::ApiGateway::Authorizer of the same API, got ${describe(props.AuthorizerId)}`);
        continue;
      }
      authorizerId = props.AuthorizerId;
    }
    if (props.ApiKeyRequired === true) builder.unenforced(joinPath([path, 'ApiKeyRequired']), 'API keys are not enforced by portcullis');
    if (props.RequestValidatorId !== undefined) builder.warn(joinPath([path, 'RequestValidatorId']), 'request validation is not reproduced (requests reach the integration unvalidated)');
    builder.addRoute(api, `${method} ${resourcePath || '/'}`, { integration, authorizerId }, joinPath(['Resources', id]));
  }
  for (const [id, props, path] of ofType(resources, 'AWS::ApiGateway::GatewayResponse', resolver)) {
    const api = apiOf(props, path);
    if (!api) continue;
    if (typeof props.ResponseType !== 'string') {
      builder.error(joinPath([path, 'ResponseType']), `must be a response type (UNAUTHORIZED, DEFAULT_4XX, …), got ${describe(props.ResponseType)}`);
      continue;
    }
    const g: Record<string, unknown> = {};
    if (props.StatusCode !== undefined) g.statusCode = Number(props.StatusCode);
    if (isObject(props.ResponseParameters)) g.responseParameters = Object.fromEntries(Object.entries(props.ResponseParameters).map(([k, v]) => [k, String(v)]));
    if (isObject(props.ResponseTemplates)) g.responseTemplates = Object.fromEntries(Object.entries(props.ResponseTemplates).map(([k, v]) => [k, String(v)]));
    api.gatewayResponses = { ...api.gatewayResponses, [props.ResponseType]: g };
    builder.origins.push({ at: ['apis', builder.apis.indexOf(api), 'gatewayResponses', props.ResponseType], from: joinPath(['Resources', id]) });
  }
}

function restIntegrationOf(raw: unknown, path: string, api: RawApi, builder: ConfigBuilder, functions: FunctionTable): Record<string, unknown> | null {
  if (!isObject(raw)) {
    builder.error(path, 'the method needs an Integration');
    return null;
  }
  const type = raw.Type;
  const timeout = typeof raw.TimeoutInMillis === 'number' ? raw.TimeoutInMillis : undefined;
  if (type === 'AWS' || type === 'HTTP') builder.warn(joinPath([path, 'Type']), `non-proxy integrations (mapping templates) are not reproduced; served as ${type}_PROXY`);
  if (type === 'AWS_PROXY' || type === 'AWS') {
    const fn = functionOf(raw.Uri, joinPath([path, 'Uri']), functions);
    return builder.lambdaIntegration(fn, api, { timeoutInMillis: timeout });
  }
  if (type === 'HTTP_PROXY' || type === 'HTTP') {
    if (typeof raw.Uri !== 'string' || !/^https?:\/\//.test(raw.Uri)) {
      builder.error(joinPath([path, 'Uri']), `must be an http(s) URL, got ${describe(raw.Uri)}`);
      return null;
    }
    const out: Record<string, unknown> = { type: 'http', uri: raw.Uri };
    if (typeof raw.IntegrationHttpMethod === 'string') out.httpMethod = raw.IntegrationHttpMethod;
    if (timeout !== undefined) out.timeoutInMillis = timeout;
    if (isObject(raw.RequestParameters)) out.requestParameters = raw.RequestParameters;
    return out;
  }
  if (type === 'MOCK') {
    let statusCode = 200;
    const t = isObject(raw.RequestTemplates) ? raw.RequestTemplates['application/json'] : undefined;
    const m = typeof t === 'string' ? /"?statusCode"?\s*:\s*(\d{3})/.exec(t) : null;
    if (m) statusCode = Number(m[1]);
    const responses = Array.isArray(raw.IntegrationResponses) ? raw.IntegrationResponses.filter(isObject) : [];
    const response = responses.find((r) => String(r.StatusCode) === String(statusCode)) ?? responses[0];
    const headers: Record<string, string> = {};
    let body = '';
    if (response) {
      if (response.StatusCode !== undefined && /^\d{3}$/.test(String(response.StatusCode))) statusCode = Number(response.StatusCode);
      if (isObject(response.ResponseParameters)) {
        for (const [k, v] of Object.entries(response.ResponseParameters)) {
          const h = /^method\.response\.header\.(.+)$/.exec(k);
          if (h && typeof v === 'string' && /^'.*'$/s.test(v)) headers[h[1]!] = v.slice(1, -1);
          else if (h) builder.warn(joinPath([path, 'IntegrationResponses']), `${k}: only quoted literal values are reproduced on mock integrations`);
        }
      }
      if (isObject(response.ResponseTemplates) && typeof response.ResponseTemplates['application/json'] === 'string') body = response.ResponseTemplates['application/json'];
    }
    return { type: 'mock', statusCode, ...(Object.keys(headers).length ? { headers } : {}), ...(body ? { body } : {}) };
  }
  builder.error(joinPath([path, 'Type']), `must be AWS_PROXY, HTTP_PROXY, MOCK, AWS or HTTP, got ${describe(type)}`);
  return null;
}

export const cloudFormationReader: ConfigReader = {
  format: 'cloudformation',
  description: 'CloudFormation template (YAML with short tags, or JSON; cdk synth output)',
  detect: (doc) => isObject(doc) && (isObject(doc.Resources) || typeof doc.AWSTemplateFormatVersion === 'string'),
  read: (doc, context) => readTemplate(doc, context),
};
