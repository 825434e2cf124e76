/**
 * @module core/config — the config file's schema, defaults and validation. [pure]
 *
 * `parseConfig(unknown, env)` returns a deep-frozen `GatewayConfig` or throws `ConfigError` listing
 * every problem with its exact path (`apis[0].routes["GET /x"].integration.uri: …`). Key names
 * mirror AWS's own (CloudFormation / OpenAPI / apigatewayv2): `routeKey`, `identitySource`,
 * `jwtConfiguration`, `authorizationScopes`, `payloadFormatVersion`, `requestParameters`,
 * `stageVariables`, `authorizerResultTtlInSeconds`, `gatewayResponses`, … New keys carry units
 * (`timeoutInMillis` is AWS's; `maxBodyBytes`, `jwksCacheMaxAgeSeconds` are ours).
 *
 * Structure is checked by zod schemas (strict: unknown keys are errors, with a did-you-mean);
 * cross-references and AWS limits by `checkSemantics()`. Nothing here touches the file system,
 * the environment (it is passed in) or the clock.
 */
import { z } from 'zod';
import { ConfigError, GATEWAY_RESPONSE_TYPES, type ConfigIssue } from './errors.ts';
import { parseRouteKey } from './routes.ts';
import { coreConfigSchema } from '../supertokens/config.ts';
import { compileTemplate, KNOWN_CONTEXT_VARIABLES } from './context.ts';
import { compileHttpValue, compileRestExpression } from './mapping.ts';
import { compileOriginPattern } from './origins.ts';

/** Access-log presets (AWS console presets), by name. */
export const ACCESS_LOG_PRESETS: Readonly<Record<string, string>> = {
  clf: '$context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod $context.routeKey $context.protocol" $context.status $context.responseLength $context.requestId',
  json: '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","routeKey":"$context.routeKey","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength"}',
};

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

// ---------------------------------------------------------------------------------------------
// Small schema helpers

const nonEmpty = z.string().min(1, 'must be a non-empty string');
const absoluteHttpUrl = z
  .string()
  .refine((v) => /^https?:\/\/[^\s/?#]+/i.test(v) && URL.canParse(v), 'must be an absolute http(s) URL');
const stringMap = z.record(z.string(), z.string());
const port = z.number().int('must be an integer').min(0).max(65535);

/** One or many: AWS accepts `identitySource` as a comma-joined string (REST) or an array (HTTP). */
const oneOrMany = z.union([nonEmpty, z.array(nonEmpty)]);

// ---------------------------------------------------------------------------------------------
// Functions (Lambda handler modules)

/** A Lambda handler module on disk, run in worker threads (see io/lambda-runtime.ts). */
export const functionSchema = z.strictObject({
  /** Path to a `.mjs`, `.js`, `.cjs` or `.ts` module, relative to the config file. */
  handler: nonEmpty,
  /** Export to call. Default is `handler`. */
  exportName: nonEmpty.default('handler'),
  /** Per-invocation timeout in ms. Default is 29000 for integrations, 10000 for authorizers. */
  timeoutInMillis: z.number().int().min(1).max(900_000).optional(),
  /** Extra `process.env` for the function (merged over the gateway's environment). */
  environment: stringMap.default({}),
  /** Most concurrent invocations (worker threads) for this function. Default is 4. */
  reservedConcurrency: z.number().int().min(1).max(64).default(4),
  /** Lambda-style function name (context.functionName). Default: derived from the file name. */
  functionName: nonEmpty.optional(),
  /** Memory size reported in the context object (MB). Default is 128. */
  memorySize: z.number().int().min(128).max(10240).default(128),
});
export type FunctionConfig = z.infer<typeof functionSchema>;

// ---------------------------------------------------------------------------------------------
// Integrations

const mappingMap = z.record(z.string(), z.string());

const lambdaIntegrationSchema = z.strictObject({
  type: z.literal('lambda'),
  ...functionSchema.shape,
  /** `2.0` (HTTP APIs default) or `1.0` (REST always; HTTP APIs when asked). */
  payloadFormatVersion: z.enum(['1.0', '2.0']).optional(),
  /** HTTP APIs: parameter mapping applied to the event (`overwrite:header.x`). */
  requestParameters: mappingMap.optional(),
  /** HTTP APIs: `{ "<status>": { "overwrite:statuscode": "403", "append:header.h": "…" } }`. */
  responseParameters: z.record(z.string(), mappingMap).optional(),
});

const httpIntegrationSchema = z.strictObject({
  type: z.literal('http'),
  /** Upstream URL; `{param}` / `{proxy}` are replaced by path parameters. */
  uri: absoluteHttpUrl,
  /** HTTP method to call the upstream with. Default: the request's own method (`ANY`). */
  httpMethod: z.string().regex(/^(ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$/, 'must be an HTTP method or ANY').default('ANY'),
  /** Upstream timeout in ms. Default is 30000 (AWS HTTP API maximum). */
  timeoutInMillis: z.number().int().min(50).max(900_000).default(30_000),
  /**
   * HTTP APIs: `overwrite|append|remove:header.NAME`, `…:querystring.NAME`, `overwrite:path`.
   * REST APIs: `integration.request.header|querystring|path.NAME` → `method.request.*`, `context.*`, `'literal'`.
   */
  requestParameters: mappingMap.optional(),
  /** HTTP APIs: per upstream status code string, like requestParameters plus `overwrite:statuscode`. */
  responseParameters: z.record(z.string(), mappingMap).optional(),
});

const mockIntegrationSchema = z.strictObject({
  type: z.literal('mock'),
  statusCode: z.number().int().min(100).max(599).default(200),
  headers: stringMap.default({}),
  body: z.string().default(''),
});

export const integrationSchema = z.discriminatedUnion('type', [
  lambdaIntegrationSchema,
  httpIntegrationSchema,
  mockIntegrationSchema,
]);
export type IntegrationConfig = z.infer<typeof integrationSchema>;
export type LambdaIntegrationConfig = z.infer<typeof lambdaIntegrationSchema>;
export type HttpIntegrationConfig = z.infer<typeof httpIntegrationSchema>;
export type MockIntegrationConfig = z.infer<typeof mockIntegrationSchema>;

// ---------------------------------------------------------------------------------------------
// Authorizers

const jwtAlgorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

const jwtAuthorizerSchema = z.strictObject({
  authorizerType: z.literal('JWT'),
  /** Exactly one `$request.header.NAME` or `$request.querystring.NAME`. */
  identitySource: oneOrMany.default(['$request.header.Authorization']),
  jwtConfiguration: z.strictObject({
    /** Exact `iss` value; discovery is `{issuer}/.well-known/openid-configuration`. */
    issuer: absoluteHttpUrl,
    /** Accepted `aud` values (or `client_id` when `aud` is absent). AWS limit: 50. */
    audience: z.array(nonEmpty).min(1, 'must list at least one audience'),
  }),
  /**
   * Beyond AWS: accepted algorithms. Default is `["RS256","RS384","RS512"]` (AWS: RSA only).
   * `none` and HMAC are never accepted.
   */
  allowedAlgorithms: z.array(z.enum(jwtAlgorithms)).min(1).optional(),
  /** Beyond AWS: fetch JWKS from this URL instead of OIDC discovery. */
  jwksUri: absoluteHttpUrl.optional(),
  /** How long fetched keys are trusted. Default is 7200 (AWS caches keys for 2 h). */
  jwksCacheMaxAgeSeconds: z.number().int().min(1).max(86_400).default(7200),
  /** Least time between two refetches caused by an unknown `kid`. Default is 300. */
  jwksCooldownSeconds: z.number().int().min(0).max(86_400).default(300),
  /** Timeout of each discovery / JWKS fetch. Default is 1500 (AWS's limit). */
  jwksTimeoutInMillis: z.number().int().min(10).max(60_000).default(1500),
  /** Leeway for `exp` / `nbf` / `iat`. Default is 0 (AWS documents none). */
  clockSkewSeconds: z.number().int().min(0).max(600).default(0),
  /** Reject tokens without `exp`. Default is false (AWS accepts them). */
  requireExp: z.boolean().default(false),
  /** Send `www-authenticate` on a missing token too. Default is true. */
  wwwAuthenticateOnMissingToken: z.boolean().default(true),
});

const lambdaTarget = {
  /** A handler module run like a Lambda integration (timeout default 10000). */
  function: functionSchema.optional(),
  /** Or an HTTP endpoint: the event is POSTed as JSON and the JSON reply read back. */
  authorizerUri: absoluteHttpUrl.optional(),
};

const requestAuthorizerSchema = z.strictObject({
  authorizerType: z.literal('REQUEST'),
  ...lambdaTarget,
  /** HTTP: `$request.header.X`, `$request.querystring.X`, `$context.X`, `$stageVariables.X`. REST: `method.request.header.X`, … */
  identitySource: oneOrMany.optional(),
  /** HTTP APIs only. Default is `2.0`. */
  authorizerPayloadFormatVersion: z.enum(['1.0', '2.0']).optional(),
  /** HTTP APIs, payload 2.0 only. */
  enableSimpleResponses: z.boolean().default(false),
  /** 0 disables; max 3600. Default is 300 (REST) / 0 (HTTP APIs). */
  authorizerResultTtlInSeconds: z.number().int().min(0).max(3600).optional(),
  /** Map a thrown `Unauthorized` to 401 on HTTP APIs (AWS: unverified). Default is true. */
  unauthorizedErrorIs401: z.boolean().default(true),
});

const tokenAuthorizerSchema = z.strictObject({
  authorizerType: z.literal('TOKEN'),
  ...lambdaTarget,
  /** One header: `method.request.header.Authorization`. */
  identitySource: nonEmpty.default('method.request.header.Authorization'),
  /** Regex the whole header value must match before the function is called. */
  identityValidationExpression: z.string().optional(),
  authorizerResultTtlInSeconds: z.number().int().min(0).max(3600).optional(),
});

export const authorizerSchema = z.discriminatedUnion('authorizerType', [
  jwtAuthorizerSchema,
  requestAuthorizerSchema,
  tokenAuthorizerSchema,
]);
export type AuthorizerConfig = z.infer<typeof authorizerSchema>;
export type JwtAuthorizerConfig = z.infer<typeof jwtAuthorizerSchema>;
export type RequestAuthorizerConfig = z.infer<typeof requestAuthorizerSchema>;
export type TokenAuthorizerConfig = z.infer<typeof tokenAuthorizerSchema>;

// ---------------------------------------------------------------------------------------------
// Routes, CORS, gateway responses, access logs, APIs

export const routeSchema = z.strictObject({
  /** `NONE`, `JWT`, `CUSTOM`. Default: from the authorizer's type, or `NONE`. */
  authorizationType: z.enum(['NONE', 'JWT', 'CUSTOM']).optional(),
  authorizerId: nonEmpty.optional(),
  /** JWT: at least one must be in the token's `scp`/`scope`. AWS limit: 10. */
  authorizationScopes: z.array(nonEmpty).optional(),
  integration: integrationSchema,
  /** REST method responses: `method.response.header.NAME` → `integration.response.header.X` / `context.*` / `'literal'`. */
  responseParameters: mappingMap.optional(),
});
export type RouteConfig = z.infer<typeof routeSchema>;

export const corsSchema = z.strictObject({
  allowOrigins: z.array(nonEmpty).default([]),
  allowMethods: z.array(nonEmpty).default([]),
  allowHeaders: z.array(nonEmpty).default([]),
  exposeHeaders: z.array(nonEmpty).default([]),
  /** Seconds; `Access-Control-Max-Age` is sent only when set. */
  maxAge: z.number().int().min(-1).max(86_400).optional(),
  allowCredentials: z.boolean().default(false),
  /** [INF] preflight status. Default is 204. */
  preflightStatusCode: z.number().int().min(200).max(299).default(204),
});
export type CorsConfig = z.infer<typeof corsSchema>;

export const gatewayResponseSchema = z.strictObject({
  /** Replaces the type's default status (on DEFAULT_4XX/5XX: for the whole class). */
  statusCode: z.union([z.number().int().min(100).max(599), z.string().regex(/^[1-5]\d\d$/, 'must be a status code')]).optional(),
  /** `gatewayresponse.header.NAME` → `'literal'`, `method.request.*`, `stageVariables.*`, `context.*`. */
  responseParameters: mappingMap.default({}),
  /** content type → template with `$context.*` / `$stageVariables.*` substitution (not VTL). */
  responseTemplates: z.record(z.string(), z.string()).default({}),
});
export type GatewayResponseConfig = z.infer<typeof gatewayResponseSchema>;

export const accessLogSchema = z.strictObject({
  /** Template with `$context.*` variables, or one of the presets `clf`, `json`. */
  format: nonEmpty.default('clf'),
  /** `stdout`, `stderr`, or a file path (reopened on SIGUSR2). */
  destination: nonEmpty.default('stdout'),
});
export type AccessLogConfig = z.infer<typeof accessLogSchema>;

export const apiSchema = z.strictObject({
  /** Unique name, used in logs and metrics. */
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'must be 1-128 letters, digits, `_`, `.` or `-`'),
  /** `http` (API Gateway HTTP API) or `rest` (REST API). */
  protocol: z.enum(['http', 'rest']),
  /** The API id in ARNs and events. Default: 10 lowercase characters derived from the name. */
  apiId: z.string().regex(/^[a-z0-9]{1,32}$/, 'must be lowercase letters and digits').optional(),
  /** Stage name (first path segment), or `$default` (HTTP APIs: served at the root). */
  stage: z.string().regex(/^(\$default|[A-Za-z0-9_-]{1,128})$/, 'must be `$default` or letters, digits, `_`, `-`'),
  stageVariables: stringMap.default({}),
  authorizers: z.record(z.string(), authorizerSchema).default({}),
  /** Keyed by route key: `GET /pets/{id}`, `ANY /{proxy+}`, `$default` (HTTP APIs). */
  routes: z.record(z.string(), routeSchema),
  /** HTTP APIs only. */
  cors: corsSchema.optional(),
  /** REST APIs only: keyed by response type (`ACCESS_DENIED`, `DEFAULT_4XX`, …). */
  gatewayResponses: z.record(z.string(), gatewayResponseSchema).default({}),
  accessLogSettings: accessLogSchema.optional(),
  /**
   * REST APIs only: media types whose request bodies reach a Lambda base64-encoded (AWS's
   * `binaryMediaTypes`): `image/png`, `image/*`, `*\/*`. Default is none.
   */
  binaryMediaTypes: z.array(z.string().regex(/^([A-Za-z0-9!#$&^_.+-]+|\*)\/([A-Za-z0-9!#$&^_.+-]+|\*)$/, 'must be a media type such as image/png, image/* or */*')).default([]),
  /** Request body limit. Default is 10485760 (AWS's 10 MB). */
  maxBodyBytes: z.number().int().min(0).max(1024 * 1024 * 1024).default(10 * 1024 * 1024),
  /** [INF] REST `ACCESS_DENIED` body key: `message` (2022+) or `Message` (older captures). */
  accessDeniedMessageKey: z.enum(['message', 'Message']).default('message'),
});
export type ApiConfig = z.infer<typeof apiSchema>;

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: nonEmpty.default('127.0.0.1'),
      port: port.default(3000),
      /**
       * Gateway processes sharing the listener: a number, or `auto` for one per core
       * (`os.availableParallelism()`), as nginx's `worker_processes auto`. Default is auto.
       */
      workers: z.union([z.number().int().min(1).max(64), z.literal('auto')]).default('auto'),
      /** Time allowed for in-flight requests on SIGTERM. Default is 30000. */
      shutdownTimeoutMs: z.number().int().min(0).max(600_000).default(30_000),
      /** Slow clients: whole-request header deadline. Default is 20000. */
      headersTimeoutMs: z.number().int().min(100).max(600_000).default(20_000),
      /** Slow clients: whole-request deadline (headers + body). Default is 60000. */
      requestTimeoutMs: z.number().int().min(100).max(3_600_000).default(60_000),
      /**
       * Request-body bytes buffered at once across all requests of one gateway process (Lambda
       * integrations buffer bodies; HTTP integrations stream them and do not count). A body that does
       * not fit gets 503 with `Retry-After`; one larger than this on its own gets 413. Default is
       * 134217728 (128 MiB): a buffered byte costs about 3 bytes of RSS (docs/BENCHMARKS.md, slow
       * uploads), so bodies stay under ~400 MB per process.
       */
      maxBufferedBodyBytes: z.number().int().min(1024 * 1024).max(64 * 1024 * 1024 * 1024).default(128 * 1024 * 1024),
      /** Re-read the config file when it changes (like SIGHUP). Default is false. */
      watchConfig: z.boolean().default(false),
    })
    .prefault({}),
  /** The admin listener (`/metrics`, `/healthz`, `/readyz`). Off unless present. */
  admin: z
    .strictObject({
      /** Default is 127.0.0.1 (loopback only). */
      host: nonEmpty.default('127.0.0.1'),
      port,
    })
    .optional(),
  /** Identity used in ARNs and events. */
  aws: z
    .strictObject({
      region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must look like an AWS region, e.g. us-east-1').default('us-east-1'),
      accountId: z.string().regex(/^\d{12}$/, 'must be 12 digits').default('123456789012'),
    })
    .prefault({}),
  /** The SuperTokens-compatible core, started beside the gateway when present. */
  core: coreConfigSchema.optional(),
  apis: z.array(apiSchema).default([]),
});

export type GatewayConfig = z.infer<typeof configSchema>;

/** Layered parsing: the top level with APIs left raw, each API with its routes left raw. */
const configShellSchema = configSchema.extend({ apis: z.array(z.unknown()).default([]) });
const apiShellSchema = apiSchema.extend({ routes: z.record(z.string(), z.unknown()) });

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

// ---------------------------------------------------------------------------------------------
// Parsing

/**
 * Validate `raw` (parsed YAML/JSON) into a frozen config.
 * @param env environment for `${VAR}` / `${VAR:-default}` interpolation in string values.
 * @throws ConfigError with every issue found.
 */
export function parseConfig(raw: unknown, env: Readonly<Record<string, string | undefined>> = {}): GatewayConfig {
  const issues: ConfigIssue[] = [];
  const interpolated = interpolateEnv(raw, env, [], issues);
  if (issues.length) throw new ConfigError(issues);
  if (interpolated === null || typeof interpolated !== 'object' || Array.isArray(interpolated)) {
    throw new ConfigError([{ path: '', message: 'the config must be a mapping (YAML) or object (JSON)' }]);
  }
  // Parse in layers (top level, each API, each route) so one bad route does not hide the
  // problems of the others: every issue is reported at once.
  const top = configShellSchema.safeParse(interpolated);
  if (!top.success) for (const issue of top.error.issues) issues.push(...describeZodIssue(issue, interpolated));
  const apis: ApiConfig[] = [];
  const rawApis = Array.isArray((interpolated as { apis?: unknown }).apis) ? ((interpolated as { apis: unknown[] }).apis) : [];
  rawApis.forEach((rawApi, i) => {
    const shell = apiShellSchema.safeParse(rawApi);
    if (!shell.success) {
      for (const issue of shell.error.issues) issues.push(...describeZodIssue({ ...issue, path: ['apis', i, ...issue.path] } as z.core.$ZodIssue, interpolated));
      return;
    }
    const routes: Record<string, RouteConfig> = {};
    for (const [key, rawRoute] of Object.entries(shell.data.routes)) {
      const route = routeSchema.safeParse(rawRoute);
      if (route.success) routes[key] = route.data;
      else for (const issue of route.error.issues) issues.push(...describeZodIssue({ ...issue, path: ['apis', i, 'routes', key, ...issue.path] } as z.core.$ZodIssue, interpolated));
    }
    apis.push({ ...shell.data, routes });
  });
  if (top.success) {
    const config: GatewayConfig = { ...top.data, apis };
    // Semantic checks only see what parsed; their paths stay right because APIs that failed to
    // parse still hold their index (a failed API is left out, so indexes shift: check by name).
    if (apis.length === rawApis.length) {
      checkSemantics(config, issues);
      // Every API parsed (indexes hold): the compiler can still check what did parse, so a missing
      // handler is reported in the same run as a misspelt key (`validateGateway`).
      if (issues.length) throw new IncompleteConfigError(dedupe(issues), deepFreeze(config));
    }
    if (issues.length) throw new ConfigError(dedupe(issues));
    return deepFreeze(config);
  }
  throw new ConfigError(dedupe(issues));
}

/**
 * A config with problems, and what of it parsed: every API, minus the routes that failed. The
 * compiler checks that part too, so one run reports every problem (`validateGateway`).
 */
export class IncompleteConfigError extends ConfigError {
  constructor(issues: readonly ConfigIssue[], readonly parsed: GatewayConfig) {
    super(issues);
  }
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function interpolateEnv(value: unknown, env: Readonly<Record<string, string | undefined>>, path: PathKey[], issues: ConfigIssue[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (whole, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      issues.push({ path: formatPath(path), message: `environment variable ${name} is not set (write \${${name}:-default} for a default)` });
      return whole;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, [...path, i], issues));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateEnv(v, env, [...path, k], issues);
    return out;
  }
  return value;
}

type PathKey = string | number;

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

function describeZodIssue(issue: z.core.$ZodIssue, input: unknown): ConfigIssue[] {
  const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
  const at = formatPath(path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(configSchema, path, input);
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
      if (first && first.length) return first.flatMap((sub) => describeZodIssue({ ...sub, path: [...issue.path, ...sub.path] } as z.core.$ZodIssue, input));
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

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Semantic checks: references, AWS limits, per-protocol rules. Each pushes path-precise issues.

function checkSemantics(config: GatewayConfig, issues: ConfigIssue[]): void {
  if (config.admin && config.admin.port !== 0 && config.admin.port === config.server.port) {
    issues.push({ path: 'admin.port', message: `must differ from server.port (${config.server.port}): the admin endpoints get their own listener` });
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
      checkAuthorizer(api, id, auth, (...rest) => at('authorizers', id, ...rest), issues);
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
      checkRoute(api, route, parsed.value.kind === 'default' ? [] : parsed.value.params, rat, issues);
    }
  });
}

function checkAuthorizer(api: ApiConfig, id: string, auth: AuthorizerConfig, at: (...rest: PathKey[]) => string, issues: ConfigIssue[]): void {
  const sources = auth.identitySource === undefined ? [] : Array.isArray(auth.identitySource) ? auth.identitySource : auth.identitySource.split(',').map((s) => s.trim());
  if (auth.authorizerType === 'JWT') {
    if (api.protocol !== 'http') issues.push({ path: at('authorizerType'), message: 'JWT authorizers are an HTTP API feature (use a REQUEST or TOKEN authorizer on REST APIs)' });
    if (sources.length !== 1) issues.push({ path: at('identitySource'), message: `must be exactly one identity source, got ${sources.length}` });
    else if (!/^\$request\.(header|querystring)\.[^\s.]+$/.test(sources[0]!)) {
      issues.push({ path: at('identitySource'), message: `must be $request.header.NAME or $request.querystring.NAME, got ${JSON.stringify(sources[0])}` });
    }
    if (auth.jwtConfiguration.audience.length > LIMITS.audiencesPerAuthorizer) {
      issues.push({ path: at('jwtConfiguration', 'audience'), message: `at most ${LIMITS.audiencesPerAuthorizer} audiences (AWS limit), got ${auth.jwtConfiguration.audience.length}` });
    }
    return;
  }
  if (!auth.function && !auth.authorizerUri) issues.push({ path: at(), message: 'needs a `function` (handler module) or an `authorizerUri` (HTTP endpoint)' });
  if (auth.function && auth.authorizerUri) issues.push({ path: at('authorizerUri'), message: 'give either `function` or `authorizerUri`, not both' });
  if (auth.authorizerType === 'TOKEN') {
    if (api.protocol !== 'rest') issues.push({ path: at('authorizerType'), message: 'TOKEN authorizers are a REST API feature (HTTP APIs use REQUEST)' });
    if (!/^method\.request\.header\.[^\s]+$/.test(auth.identitySource)) {
      issues.push({ path: at('identitySource'), message: `must be method.request.header.NAME, got ${JSON.stringify(auth.identitySource)}` });
    }
    // identityValidationExpression is compiled (anchored, as AWS matches it) by the plug-in: authorizers/lambda.ts.
    return;
  }
  // REQUEST
  const pattern = api.protocol === 'http'
    ? /^(\$request\.(header|querystring)\.[^\s]+|\$context\.[A-Za-z0-9_.]+|\$stageVariables\.[A-Za-z0-9_]+)$/
    : /^(method\.request\.(header|querystring)\.[^\s]+|context\.[A-Za-z0-9_.]+|stageVariables\.[A-Za-z0-9_]+)$/;
  sources.forEach((s, i) => {
    if (!pattern.test(s)) {
      issues.push({
        path: at('identitySource', ...(Array.isArray(auth.identitySource) ? [i] : [])),
        message: api.protocol === 'http'
          ? `must be $request.header.X, $request.querystring.X, $context.X or $stageVariables.X, got ${JSON.stringify(s)}`
          : `must be method.request.header.X, method.request.querystring.X, context.X or stageVariables.X, got ${JSON.stringify(s)}`,
      });
    }
  });
  if (api.protocol === 'rest') {
    if (auth.authorizerPayloadFormatVersion !== undefined) issues.push({ path: at('authorizerPayloadFormatVersion'), message: 'is an HTTP API setting (REST REQUEST events have one shape)' });
    if (auth.enableSimpleResponses) issues.push({ path: at('enableSimpleResponses'), message: 'is an HTTP API setting' });
  } else if (auth.enableSimpleResponses && (auth.authorizerPayloadFormatVersion ?? '2.0') !== '2.0') {
    issues.push({ path: at('enableSimpleResponses'), message: 'requires authorizerPayloadFormatVersion "2.0"' });
  }
  const ttl = auth.authorizerResultTtlInSeconds ?? (api.protocol === 'rest' ? 300 : 0);
  if (ttl > 0 && sources.length === 0) {
    issues.push({ path: at('identitySource'), message: 'caching (authorizerResultTtlInSeconds > 0) needs at least one identity source' });
  }
}

function checkRoute(api: ApiConfig, route: RouteConfig, params: readonly string[], at: (...rest: PathKey[]) => string, issues: ConfigIssue[]): void {
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
  if (auth && route.authorizationType) {
    const expected = auth.authorizerType === 'JWT' ? 'JWT' : 'CUSTOM';
    if (route.authorizationType !== expected) issues.push({ path: at('authorizationType'), message: `must be ${expected} for authorizer "${route.authorizerId}" (${auth.authorizerType})` });
  }
  if (route.authorizationScopes) {
    if (route.authorizationScopes.length > LIMITS.scopesPerRoute) {
      issues.push({ path: at('authorizationScopes'), message: `at most ${LIMITS.scopesPerRoute} scopes per route (AWS limit), got ${route.authorizationScopes.length}` });
    }
    if (!auth || auth.authorizerType !== 'JWT') issues.push({ path: at('authorizationScopes'), message: 'needs a JWT authorizer on the route' });
  }
  const integration = route.integration;
  if (integration.type === 'lambda' && api.protocol === 'rest' && integration.payloadFormatVersion === '2.0') {
    issues.push({ path: at('integration', 'payloadFormatVersion'), message: 'REST APIs only send payload format 1.0' });
  }
  if (integration.type === 'http') {
    for (const m of integration.uri.matchAll(/\{([^}]+)\}/g)) {
      const name = m[1]!.replace(/\+$/, '');
      if (!params.includes(name) && !integration.requestParameters?.[`integration.request.path.${name}`]) {
        issues.push({ path: at('integration', 'uri'), message: `uses {${m[1]}} but the route has no such path parameter (has: ${params.length ? params.join(', ') : 'none'})` });
      }
    }
  }
  if ((integration.type === 'http' || integration.type === 'lambda') && integration.requestParameters) {
    for (const [key, value] of Object.entries(integration.requestParameters)) {
      const problem = api.protocol === 'http' ? checkHttpApiMapping(key, value, integration.type) : checkRestMapping(key, value, integration.type);
      if (problem) issues.push({ path: at('integration', 'requestParameters', key), message: problem });
    }
  }
  if ((integration.type === 'http' || integration.type === 'lambda') && integration.responseParameters) {
    if (api.protocol !== 'http') issues.push({ path: at('integration', 'responseParameters'), message: 'integration responseParameters are an HTTP API feature (REST: use the route\'s responseParameters)' });
    for (const [status, mapping] of Object.entries(integration.responseParameters)) {
      if (!/^[1-5]\d\d$/.test(status)) issues.push({ path: at('integration', 'responseParameters', status), message: 'must be keyed by a status code such as "500"' });
      for (const [key, value] of Object.entries(mapping)) {
        if (!/^((append|overwrite|remove):header\.[^\s]+|overwrite:statuscode)$/.test(key)) {
          issues.push({ path: at('integration', 'responseParameters', status, key), message: 'must be append|overwrite|remove:header.NAME or overwrite:statuscode' });
          continue;
        }
        const compiled = compileHttpValue(value);
        if (!compiled.ok) issues.push({ path: at('integration', 'responseParameters', status, key), message: compiled.error });
      }
    }
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
