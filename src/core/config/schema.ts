/**
 * @module core/config/schema — the config file's zod schemas, their defaults and the types inferred
 * from them. [pure]
 *
 * Strict objects throughout: an unknown key is an error (issues.ts adds the did-you-mean). Key names
 * mirror AWS's own; new keys carry units. The sections of authorizer and integration types belong to
 * their plug-ins (config/plugins.ts); the helpers they share are exported from here.
 */
import { z } from 'zod';

/** Access-log presets (AWS console presets), by name. */
export const ACCESS_LOG_PRESETS: Readonly<Record<string, string>> = {
  clf: '$context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod $context.routeKey $context.protocol" $context.status $context.responseLength $context.requestId',
  json: '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","routeKey":"$context.routeKey","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength"}',
};

// ---------------------------------------------------------------------------------------------
// Small schema helpers

export const nonEmpty = z.string().min(1, 'must be a non-empty string');
export const absoluteHttpUrl = z
  .string()
  .refine((v) => /^https?:\/\/[^\s/?#]+/i.test(v) && URL.canParse(v), 'must be an absolute http(s) URL');
export const stringMap = z.record(z.string(), z.string());
const port = z.number().int('must be an integer').min(0).max(65535);

/** One or many: AWS accepts `identitySource` as a comma-joined string (REST) or an array (HTTP). */
export const oneOrMany = z.union([nonEmpty, z.array(nonEmpty)]);

// ---------------------------------------------------------------------------------------------
// Functions (Lambda handler modules)

/** Lambda's runtime identifiers Portcullis runs (io/runtimes: worker threads for Node, the Runtime API for the rest). */
export const LAMBDA_RUNTIMES = ['nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'python3.9', 'python3.10', 'python3.11', 'python3.12', 'python3.13', 'provided', 'provided.al2', 'provided.al2023'] as const;

/** A Lambda function: a Node module run in worker threads, or any runtime through the Runtime API (docs/runtimes.md). */
export const functionSchema = z.strictObject({
  /**
   * Node: a `.mjs`/`.js`/`.cjs`/`.ts` module path relative to the config file (or `codeUri`), or AWS's
   * `file.function` form (`app.handler`). Python: `module.function` in `codeUri`. `provided`: `_HANDLER`.
   */
  handler: nonEmpty,
  /** SAM's `Runtime`. Default: Node (worker threads). */
  runtime: z.enum(LAMBDA_RUNTIMES).optional(),
  /** SAM's `CodeUri`: the function's folder, relative to the config file. Default: the config file's folder. */
  codeUri: nonEmpty.optional(),
  /** SAM's `Timeout`, in seconds (or `timeoutInMillis`, not both). */
  timeout: z.number().int().min(1).max(900).optional(),
  /** Node only: `process` runs the function in its own process over the Lambda Runtime API. Default is `worker` (threads). */
  isolation: z.enum(['worker', 'process']).optional(),
  /** Process runtimes: an environment idle this long is stopped. Default is 600 (10 minutes). */
  idleTimeoutSeconds: z.number().int().min(1).max(86_400).optional(),
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
// Plug-in sections: each integration and authorizer type owns its schema (src/integrations/*.ts,
// src/authorizers/*.ts) and the registries list them (config/plugins.ts). Here they are only a
// mapping with a tag, which is also the type every glue module sees.

/** HTTP API `requestParameters` / `responseParameters` entries, REST `integration.request.*` mappings. */
export const mappingMap = z.record(z.string(), z.string());

/** An integration as the glue sees it: `type` picks the plug-in, whose schema parsed the rest. */
export const integrationBaseSchema = z.looseObject({ type: nonEmpty });
export type IntegrationConfig = z.infer<typeof integrationBaseSchema>;

/** An authorizer as the glue sees it: `authorizerType` picks the plug-in, whose schema parsed the rest. */
export const authorizerBaseSchema = z.looseObject({
  authorizerType: nonEmpty,
  /** Every authorizer type names its credentials here (one-credential check, caching). */
  identitySource: oneOrMany.optional(),
});
export type AuthorizerConfig = z.infer<typeof authorizerBaseSchema>;

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
  integration: integrationBaseSchema,
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
  authorizers: z.record(z.string(), authorizerBaseSchema).default({}),
  /**
   * The authorizer of every route that names none (SAM's `Auth.DefaultAuthorizer`); a route opts out
   * with `authorizationType: NONE`. Default: none.
   */
  defaultAuthorizerId: nonEmpty.optional(),
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
