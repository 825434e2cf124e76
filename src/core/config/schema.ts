/**
 * @module core/config/schema — the config file's zod schemas, their defaults and the types inferred
 * from them. [pure]
 *
 * Strict objects throughout: an unknown key is an error (issues.ts adds the did-you-mean). Key names
 * mirror AWS's own; new keys carry units. Adding an authorizer or integration type starts here, with
 * a member of `authorizerSchema` / `integrationSchema` (docs/architecture.md).
 */
import { z } from 'zod';

/** Access-log presets (AWS console presets), by name. */
export const ACCESS_LOG_PRESETS: Readonly<Record<string, string>> = {
  clf: '$context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod $context.routeKey $context.protocol" $context.status $context.responseLength $context.requestId',
  json: '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","routeKey":"$context.routeKey","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength"}',
};

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
  /**
   * Beyond AWS: claims whose values are the token's scopes for `authorizationScopes` (union of all
   * listed; a string is split on spaces, an array taken as is), e.g. `[scope, permissions]` for Auth0
   * RBAC. Default: AWS's rule, `scp` when present, else `scope`.
   */
  scopeClaims: z.array(nonEmpty).min(1).optional(),
  /**
   * Beyond AWS: the answer when a route's `claims:` fail. Default is 403 with message `invalid claim`
   * (SuperTokens' `verifySession` answer, `invalidClaimStatusCode` of its frontend SDKs).
   */
  claimValidationResponse: z
    .strictObject({
      statusCode: z.number().int().min(400).max(499).default(403),
      message: nonEmpty.default('invalid claim'),
    })
    .optional(),
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
  /**
   * Beyond AWS, JWT authorizer routes: claim requirements by dotted path (`st-ev.v: true`,
   * `cognito:groups: { includes: editors }`), compiled by core/claim-rules.ts.
   */
  claims: z.record(z.string(), z.unknown()).optional(),
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
  /** The admin listener (`/metrics`, `/healthz`, `/readyz`, the console). Off unless present. */
  admin: z
    .strictObject({
      /** Default is 127.0.0.1 (loopback only). */
      host: nonEmpty.default('127.0.0.1'),
      port,
      /**
       * Beyond AWS: the token the console (`/console`) and `POST /dev-tokens` require (a bearer
       * token or the cookie `/console?token=…` sets). Without one they are served on loopback only.
       */
      token: z.string().min(16, 'must be at least 16 characters').optional(),
      /**
       * Beyond AWS: serve the decision console. Default: on when `host` is loopback or a `token` is
       * set; `true` on a non-loopback host without a token is a config error.
       */
      console: z.boolean().optional(),
    })
    .optional(),
  /**
   * Beyond AWS: every authorization decision, kept in memory for the console and optionally written
   * to a JSON-lines audit file (rotated by size). Default: a 1000-decision ring, no file.
   */
  decisionLog: z
    .strictObject({
      /** Decisions kept in memory. Default is 1000. */
      ringSize: z.number().int().min(1).max(1_000_000).default(1000),
      /** JSON-lines audit file, relative to the config file. Off unless set. */
      file: nonEmpty.optional(),
      /** Rotate when the file would pass this size. Default is 10485760 (10 MiB). */
      maxFileBytes: z.number().int().min(1024).max(1024 * 1024 * 1024 * 64).default(10 * 1024 * 1024),
      /** Rotated files kept (`file.1` newest … `file.N`). Default is 5. */
      maxFiles: z.number().int().min(0).max(100).default(5),
    })
    .optional(),
  /** Identity used in ARNs and events. */
  aws: z
    .strictObject({
      region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must look like an AWS region, e.g. us-east-1').default('us-east-1'),
      accountId: z.string().regex(/^\d{12}$/, 'must be 12 digits').default('123456789012'),
    })
    .prefault({}),
  /**
   * The SuperTokens-compatible core, started beside the gateway when present. Its schema is the
   * session core's (supertokens/config.ts); the gateway takes the section by reference, as a mapping,
   * and the CLI passes that schema to `parseConfig()` (`SectionSchemas`).
   */
  core: z.looseObject({}).optional(),
  apis: z.array(apiSchema).default([]),
});

export type GatewayConfig = z.infer<typeof configSchema>;
