/**
 * @module readers/serverless — a Serverless Framework `serverless.yml` as a raw `portcullis.yaml`
 * object. [io: reads the files the service names (`${file()}`, handler modules)]
 *
 * `readServerless(text, fileName, options)` resolves the Framework's variables
 * (readers/serverless/variables.ts), then maps what shapes the gateway:
 *
 *   provider.httpApi.{authorizers,cors,payload} + functions.*.events[].httpApi  → one HTTP API at the
 *       root (`$default` stage, as AWS serves it; `stagePrefix: 'all'` mounts it under /{stage})
 *   functions.*.events[].http                                                 → one REST API under /{stage}
 *   resources.Resources of type AWS::ApiGateway::GatewayResponse              → the REST API's gatewayResponses
 *   custom.portcullis.{server,admin,core}                                     → the same sections of portcullis.yaml
 *
 * Every problem comes back with its path in the user's file (`functions.hello.events[0].http.authorizer`);
 * what runs differently or not at all locally (plugins, other event types, other resources) is a warning.
 * Nothing fails open: an authorizer that cannot run here (IAM, Cognito user pools, a remote ARN) is an error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { cloudFormationTags } from './intrinsics.ts';
import { LAMBDA_RUNTIMES } from '../core/config.ts';
import type { ConfigReader } from './reader.ts';
import { resolveStage, resolveVariables } from './serverless/variables.ts';

export interface ReaderIssue {
  path: string;
  message: string;
}

export interface ReaderResult {
  /** A raw `portcullis.yaml` object (parseConfig() validates it), `null` when errors stopped the mapping. */
  config: Record<string, unknown> | null;
  warnings: ReaderIssue[];
  errors: ReaderIssue[];
}

export interface ServerlessReadOptions {
  /** `--stage`. */
  stage?: string | undefined;
  /** `--region`. */
  region?: string | undefined;
  /** `--param 'k=v'`. */
  params?: Readonly<Record<string, string>> | undefined;
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Where the APIs are mounted. `aws` (default): REST under /{stage}, HTTP API at the root, as AWS
   * serves them. `all`: the HTTP API under /{stage} too.
   */
  stagePrefix?: 'aws' | 'all' | undefined;
}

/** True for a parsed document that is a Serverless Framework service (`service` + `provider` + `functions`). */
export function looksLikeServerless(doc: unknown): boolean {
  return isObject(doc) && 'service' in doc && 'provider' in doc && 'functions' in doc;
}

/** Parses the YAML; syntax errors carry line and column. */
export function parseServerlessYaml(text: string): { doc: unknown; errors: ReaderIssue[] } {
  // CloudFormation short tags (`!Ref X`, `!GetAtt A.B`) as their long forms, as the template readers read them.
  const parsed = parseDocument(text, { prettyErrors: true, uniqueKeys: true, customTags: cloudFormationTags });
  if (parsed.errors.length) {
    // The first few: one syntax error cascades into dozens of follow-on messages.
    return { doc: null, errors: parsed.errors.slice(0, 3).map((e) => ({ path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '', message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '') })) };
  }
  return { doc: parsed.toJS({ maxAliasCount: 100 }) ?? null, errors: [] };
}

/** Plugins whose job Portcullis does itself (TypeScript handlers run as they are; this is the offline server). */
const PLUGINS_NOT_NEEDED = new Set(['serverless-offline', 'serverless-esbuild', 'serverless-plugin-typescript', 'serverless-webpack', 'serverless-bundle', 'serverless-plugin-monorepo', 'serverless-dotenv-plugin']);

/** Default CORS headers of the Framework (http-api.js / api-gateway validate.js). */
const HTTP_API_CORS_HEADERS = ['Content-Type', 'X-Amz-Date', 'Authorization', 'X-Api-Key', 'X-Amz-Security-Token', 'X-Amz-User-Agent', 'X-Amzn-Trace-Id'];
const REST_CORS_HEADERS = ['Content-Type', 'X-Amz-Date', 'Authorization', 'X-Api-Key', 'X-Amz-Security-Token', 'X-Amz-User-Agent'];

const HANDLER_EXTENSIONS = ['.ts', '.js', '.mjs', '.cjs'];

export function readServerless(text: string, fileName: string, options: ServerlessReadOptions = {}): ReaderResult {
  const { doc, errors: yamlErrors } = parseServerlessYaml(text);
  if (yamlErrors.length) return { config: null, warnings: [], errors: yamlErrors };
  return readServerlessDocument(doc, dirname(resolve(fileName)), options);
}

/** The registry entry (readers/index.ts): a parsed `serverless.yml`, with the command line's stage, region and params. */
export const serverlessReader: ConfigReader = {
  format: 'serverless',
  description: 'a Serverless Framework serverless.yml (service, provider, functions with httpApi/http events)',
  detect: looksLikeServerless,
  read(doc, context) {
    const result = readServerlessDocument(doc, context.baseDir, { stage: context.stage, region: context.region, params: context.params, env: context.env ?? {}, stagePrefix: context.stagePrefix });
    return { config: result.config ?? {}, warnings: result.warnings, errors: result.errors, origins: [] };
  },
};

/** `readServerless` on a document already parsed (CloudFormation short tags as their long forms). */
export function readServerlessDocument(doc: unknown, baseDir: string, options: ServerlessReadOptions = {}): ReaderResult {
  const warnings: ReaderIssue[] = [];
  const errors: ReaderIssue[] = [];
  if (!isObject(doc)) return { config: null, warnings, errors: [{ path: '', message: 'a serverless.yml must be a mapping with service, provider and functions' }] };

  const readRelative = (rel: string) => {
    const abs = isAbsolute(rel) ? rel : join(baseDir, rel);
    try {
      return readFileSync(abs, 'utf8');
    } catch {
      return undefined;
    }
  };
  const varOptions = { stage: options.stage, region: options.region, params: options.params, env: options.env ?? {}, readFile: readRelative };
  if (doc.useDotenv === true) {
    // The Framework's `useDotenv`: `.env.<stage>`, else `.env`; variables already set win.
    const stage = resolveStage(doc, varOptions);
    const text = readRelative(`.env.${stage}`) ?? readRelative('.env');
    if (text !== undefined) varOptions.env = { ...parseDotenv(text), ...varOptions.env };
  }
  const { value: sls, issues } = resolveVariables(doc, varOptions);
  errors.push(...issues);
  const stage = resolveStage(doc, varOptions);
  const ctx = new Context(sls, stage, baseDir, warnings, errors);
  const config = ctx.map(options.stagePrefix ?? 'aws');
  return { config: errors.length ? null : config, warnings, errors };
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);

interface FunctionRef {
  handler: string;
  exportName: string;
  /** Python and provided runtimes: run through the Lambda Runtime API from the service folder (docs/runtimes.md). */
  runtime?: string;
  codeUri?: string;
  timeoutInMillis: number;
  environment: Record<string, string>;
  functionName: string;
  memorySize: number;
  reservedConcurrency?: number;
}

class Context {
  readonly #fnCache = new Map<string, FunctionRef | null>();
  /** http events with `integration: lambda`, warned about once. */
  readonly nonProxy: string[] = [];
  readonly service: string;
  readonly functions: Obj;
  readonly provider: Obj;

  constructor(
    readonly sls: Obj,
    readonly stage: string,
    readonly baseDir: string,
    readonly warnings: ReaderIssue[],
    readonly errors: ReaderIssue[],
  ) {
    const service = sls.service;
    this.service = (isObject(service) ? str(service.name) : str(service)) ?? '';
    if (!this.service) this.error('service', 'must name the service (service: my-service)');
    this.provider = isObject(sls.provider) ? sls.provider : {};
    if (!isObject(sls.provider)) this.error('provider', 'must be a mapping with name: aws');
    else if (this.provider.name !== 'aws') this.error('provider.name', `must be aws, got ${JSON.stringify(this.provider.name ?? null)} (Portcullis runs AWS services)`);
    this.functions = isObject(sls.functions) ? sls.functions : {};
    if (!isObject(sls.functions)) this.error('functions', 'must be a mapping of function names to functions');
  }

  error(path: string, message: string): void {
    this.errors.push({ path, message });
  }
  warn(path: string, message: string): void {
    this.warnings.push({ path, message });
  }

  map(stagePrefix: 'aws' | 'all'): Record<string, unknown> {
    this.#plugins();
    const custom = isObject(this.sls.custom) ? this.sls.custom : {};
    const own = isObject(custom.portcullis) ? custom.portcullis : {};
    for (const key of Object.keys(own)) {
      if (!['server', 'admin', 'core', 'aws'].includes(key)) this.error(`custom.portcullis.${key}`, 'unknown key (known: server, admin, core, aws)');
    }
    const offline = isObject(custom['serverless-offline']) ? custom['serverless-offline'] : {};
    const server: Obj = { workers: 1, ...(isObject(own.server) ? own.server : {}) };
    if (offline.httpPort !== undefined && !(isObject(own.server) && 'port' in own.server)) server.port = Number(offline.httpPort);
    if (offline.host !== undefined && !(isObject(own.server) && 'host' in own.server)) server.host = str(offline.host);
    for (const k of Object.keys(offline)) {
      if (!['httpPort', 'host'].includes(k)) this.warn(`custom.serverless-offline.${k}`, 'ignored by Portcullis (docs/serverless.md lists every serverless-offline option)');
    }
    const region = str(this.provider.region) ?? 'us-east-1';
    const config: Obj = {
      server,
      aws: { region, ...(isObject(own.aws) ? own.aws : {}) },
      apis: [] as Obj[],
    };
    if (own.admin !== undefined) config.admin = own.admin;
    if (own.core !== undefined) config.core = own.core;

    const httpRoutes: Obj = {};
    const restRoutes: Obj = {};
    const restAuthorizers: Obj = {};
    const restCors = new Map<string, { methods: Set<string>; cors: Obj; path: string }>();
    const routeOwners = new Map<string, string>();
    const ignoredEvents = new Map<string, string[]>();
    const usedAsHttpAuthorizer = new Set<string>();
    const httpApiCfg = isObject(this.provider.httpApi) ? this.provider.httpApi : {};
    const httpAuthorizers = this.#httpApiAuthorizers(httpApiCfg, usedAsHttpAuthorizer);
    const authorizerFunctions = new Set<string>(usedAsHttpAuthorizer);

    for (const [fnKey, fnRaw] of Object.entries(this.functions)) {
      const fnPath = `functions.${fnKey}`;
      if (!isObject(fnRaw)) {
        this.error(fnPath, 'must be a mapping with a handler');
        continue;
      }
      const events = fnRaw.events === undefined ? [] : fnRaw.events;
      if (!Array.isArray(events)) {
        this.error(`${fnPath}.events`, 'must be a list');
        continue;
      }
      events.forEach((ev, i) => {
        const evPath = `${fnPath}.events[${i}]`;
        if (!isObject(ev)) return this.error(evPath, 'must be a mapping such as { httpApi: … } or { http: … }');
        for (const [kind, body] of Object.entries(ev)) {
          if (kind === 'httpApi') this.#httpApiEvent(fnKey, fnRaw, body, `${evPath}.httpApi`, httpApiCfg, httpAuthorizers, httpRoutes, routeOwners);
          else if (kind === 'http') this.#restEvent(fnKey, body, `${evPath}.http`, restRoutes, restAuthorizers, restCors, routeOwners, authorizerFunctions);
          else ignoredEvents.set(kind, [...(ignoredEvents.get(kind) ?? []), fnKey]);
        }
      });
    }
    if (this.nonProxy.length) {
      this.warn(this.nonProxy[0]!, `the lambda (non-proxy) integration with its VTL templates is not emulated: served as lambda-proxy (payload 1.0), so the handler must return { statusCode, body }${this.nonProxy.length > 1 ? ` (${this.nonProxy.length} events)` : ''}`);
    }
    if (ignoredEvents.size) {
      this.warn('functions', `events that are not HTTP are not run by Portcullis: ${[...ignoredEvents].map(([k, fns]) => `${k} (${[...new Set(fns)].join(', ')})`).join('; ')}`);
    }
    // CORS preflight routes of the REST API (the Framework's OPTIONS mock methods).
    for (const { methods, cors, path } of restCors.values()) {
      const key = `OPTIONS ${path}`;
      if (restRoutes[key]) continue;
      const origins = list(cors.origins ?? cors.origin ?? '*');
      if (origins.length > 1) this.warn(`cors of ${path}`, `several origins (${origins.join(', ')}): the preflight answers with the first; AWS's template echoes the matching one`);
      const headers: Record<string, string> = {
        'Access-Control-Allow-Origin': origins[0] ?? '*',
        'Access-Control-Allow-Headers': list(cors.headers ?? REST_CORS_HEADERS).join(','),
        'Access-Control-Allow-Methods': ['OPTIONS', ...[...methods].filter((m) => m !== 'OPTIONS').sort()].join(','),
      };
      if (cors.allowCredentials === true) headers['Access-Control-Allow-Credentials'] = 'true';
      if (cors.maxAge !== undefined) headers['Access-Control-Max-Age'] = String(cors.maxAge);
      if (cors.cacheControl !== undefined) headers['Cache-Control'] = String(cors.cacheControl);
      restRoutes[key] = { integration: { type: 'mock', statusCode: 200, headers } };
    }

    const apis = config.apis as Obj[];
    const definesHttpApi = Object.keys(httpRoutes).length > 0 || Object.keys(httpAuthorizers).length > 0;
    if (definesHttpApi) {
      const api: Obj = {
        name: `${this.service}-httpApi`.slice(0, 128),
        protocol: 'http',
        stage: stagePrefix === 'all' ? this.stage : '$default',
        authorizers: httpAuthorizers,
        routes: httpRoutes,
      };
      const cors = this.#httpApiCors(httpApiCfg.cors, httpRoutes);
      if (cors) api.cors = cors;
      if (this.provider.logs && isObject(this.provider.logs) && this.provider.logs.httpApi) {
        const logs = this.provider.logs.httpApi;
        api.accessLogSettings = { format: isObject(logs) && typeof logs.format === 'string' ? logs.format : 'json' };
      }
      apis.push(api);
    }
    const gatewayResponses = this.#gatewayResponses();
    if (Object.keys(restRoutes).length > 0) {
      const api: Obj = { name: `${this.service}-restApi`.slice(0, 128), protocol: 'rest', stage: this.stage, authorizers: restAuthorizers, routes: restRoutes, gatewayResponses };
      const apiGateway = isObject(this.provider.apiGateway) ? this.provider.apiGateway : {};
      const logs = isObject(this.provider.logs) ? this.provider.logs.restApi : undefined;
      if (logs === true || (isObject(logs) && logs.accessLogging !== false)) {
        api.accessLogSettings = { format: isObject(logs) && typeof logs.format === 'string' ? logs.format : 'json' };
      }
      if (Array.isArray(apiGateway.binaryMediaTypes)) api.binaryMediaTypes = apiGateway.binaryMediaTypes;
      apis.push(api);
    } else if (Object.keys(gatewayResponses).length > 0) {
      this.warn('resources.Resources', 'AWS::ApiGateway::GatewayResponse resources apply to the REST API (http events); this service has none');
    }
    return config;
  }

  #plugins(): void {
    const raw = this.sls.plugins;
    const names = Array.isArray(raw) ? raw.map(String) : isObject(raw) && Array.isArray(raw.modules) ? raw.modules.map(String) : [];
    const ignored = names.filter((n) => !PLUGINS_NOT_NEEDED.has(n));
    const notNeeded = names.filter((n) => PLUGINS_NOT_NEEDED.has(n));
    if (ignored.length || notNeeded.length) {
      const parts = [];
      if (ignored.length) parts.push(`ignored: ${ignored.join(', ')}`);
      if (notNeeded.length) parts.push(`not needed: ${notNeeded.join(', ')} (TypeScript handlers run as they are; Portcullis is the local gateway)`);
      this.warn('plugins', `Portcullis runs no Serverless plugins; ${parts.join('; ')}`);
    }
  }

  /** The function `fnKey` as a Portcullis function (handler module + export), or null after an error. */
  fn(fnKey: string, usePath: string): FunctionRef | null {
    if (this.#fnCache.has(fnKey)) return this.#fnCache.get(fnKey)!;
    const fnPath = `functions.${fnKey}`;
    const raw = this.functions[fnKey];
    let out: FunctionRef | null = null;
    if (!isObject(raw)) {
      const known = Object.keys(this.functions);
      this.error(usePath, `unknown function "${fnKey}" (functions: ${known.join(', ') || 'none'})`);
      this.#fnCache.set(fnKey, null);
      return null;
    }
    const runtime = str(raw.runtime) ?? str(this.provider.runtime);
    const handler = str(raw.handler);
    const common = () => {
      const timeoutS = Number(raw.timeout ?? this.provider.timeout ?? 6);
      const memory = Number(raw.memorySize ?? this.provider.memorySize ?? 1024);
      return {
        timeoutInMillis: Math.round(Math.min(Math.max(Number.isFinite(timeoutS) ? timeoutS : 6, 0.001), 900) * 1000),
        environment: { ...this.#environment('provider.environment', this.provider.environment), ...this.#environment(`${fnPath}.environment`, raw.environment) },
        functionName: str(raw.name) ?? `${this.service}-${this.stage}-${fnKey}`,
        memorySize: Math.min(Math.max(Number.isFinite(memory) ? Math.round(memory) : 1024, 128), 10240),
        ...(typeof raw.reservedConcurrency === 'number' && raw.reservedConcurrency >= 1 ? { reservedConcurrency: Math.min(raw.reservedConcurrency, 64) } : {}),
      };
    };
    if (runtime !== undefined && !/^nodejs/.test(runtime) && (LAMBDA_RUNTIMES as readonly string[]).includes(runtime) && handler !== undefined) {
      // Python, provided: the handler as AWS reads it (`src/handler.hello`), from the service folder.
      out = { handler, exportName: 'handler', runtime, codeUri: '.', ...common() };
    } else if (runtime !== undefined && !/^nodejs/.test(runtime)) {
      const at = raw.runtime !== undefined ? `${fnPath}.runtime` : 'provider.runtime';
      if (!this.errors.some((e) => e.path === at)) this.error(at, `${runtime}: Portcullis runs Node.js, Python 3.9-3.13 and provided runtimes (${LAMBDA_RUNTIMES.join(', ')})`);
    } else if (raw.image !== undefined && handler === undefined) {
      this.error(`${fnPath}.image`, 'container image functions are not run by Portcullis; give the function a handler');
    } else if (handler === undefined) {
      this.error(`${fnPath}.handler`, 'is required (path/to/file.exportName)');
    } else {
      const dot = handler.lastIndexOf('.');
      const slash = handler.lastIndexOf('/');
      if (dot <= 0 || dot < slash || dot === handler.length - 1) {
        this.error(`${fnPath}.handler`, `"${handler}" must be path/to/file.exportName (e.g. src/handler.hello)`);
      } else {
        const base = handler.slice(0, dot);
        const exportName = handler.slice(dot + 1);
        const found = HANDLER_EXTENSIONS.map((ext) => base + ext).find((p) => existsSync(resolve(this.baseDir, p)));
        if (!found) {
          this.error(`${fnPath}.handler`, `"${handler}": no module ${base}.{${HANDLER_EXTENSIONS.map((e) => e.slice(1)).join(',')}} in ${this.baseDir}`);
        } else {
          out = { handler: found, exportName, ...common() };
        }
      }
    }
    this.#fnCache.set(fnKey, out);
    return out;
  }

  #envWarned = new Set<string>();
  #environment(path: string, raw: unknown): Record<string, string> {
    const out: Record<string, string> = {};
    if (!isObject(raw)) return out;
    for (const [k, v] of Object.entries(raw)) {
      const s = str(v);
      if (s !== undefined) out[k] = s;
      else if (v !== null && !this.#envWarned.has(`${path}.${k}`)) {
        this.#envWarned.add(`${path}.${k}`);
        this.warn(`${path}.${k}`, `a CloudFormation value (${Object.keys(v as object).join(', ')}) has no local value: the variable is not set (supply it with \${env:…} or --param)`);
      }
    }
    return out;
  }

  #httpApiAuthorizers(httpApi: Obj, functionsUsed: Set<string>): Obj {
    const out: Obj = {};
    const raw = httpApi.authorizers;
    if (raw === undefined) return out;
    if (!isObject(raw)) {
      this.error('provider.httpApi.authorizers', 'must be a mapping of authorizer names');
      return out;
    }
    for (const [name, a] of Object.entries(raw)) {
      const path = `provider.httpApi.authorizers.${name}`;
      if (!isObject(a)) {
        this.error(path, 'must be a mapping');
        continue;
      }
      const type = String(a.type ?? 'jwt').toLowerCase();
      if (type === 'jwt') {
        if (typeof a.issuerUrl !== 'string') {
          this.error(`${path}.issuerUrl`, 'is required for a jwt authorizer (the token issuer, e.g. https://cognito-idp.REGION.amazonaws.com/POOL_ID)');
          continue;
        }
        const audience = Array.isArray(a.audience) ? a.audience.map(String) : typeof a.audience === 'string' ? [a.audience] : [];
        if (audience.length === 0) {
          this.error(`${path}.audience`, 'is required for a jwt authorizer (one or more accepted aud / client_id values)');
          continue;
        }
        out[name] = {
          authorizerType: 'JWT',
          identitySource: a.identitySource === undefined ? '$request.header.Authorization' : list(a.identitySource),
          jwtConfiguration: { issuer: a.issuerUrl, audience },
        };
      } else if (type === 'request') {
        if (a.functionArn !== undefined) {
          this.error(`${path}.functionArn`, 'a Lambda outside this service cannot run locally; name a function of this service with functionName');
          continue;
        }
        const fnName = str(a.functionName);
        if (!fnName) {
          this.error(`${path}.functionName`, 'is required for a request authorizer (a function of this service)');
          continue;
        }
        functionsUsed.add(fnName);
        const fn = this.fn(fnName, `${path}.functionName`);
        if (!fn) continue;
        const ttl = a.resultTtlInSeconds === undefined ? undefined : Number(a.resultTtlInSeconds);
        const cfg: Obj = { authorizerType: 'REQUEST', function: { ...fn, timeoutInMillis: Math.min(fn.timeoutInMillis, 10_000) } };
        if (a.identitySource !== undefined) cfg.identitySource = list(a.identitySource);
        if (ttl !== undefined) cfg.authorizerResultTtlInSeconds = ttl;
        if (a.enableSimpleResponses !== undefined) cfg.enableSimpleResponses = a.enableSimpleResponses === true;
        if (a.payloadVersion !== undefined) cfg.authorizerPayloadFormatVersion = String(a.payloadVersion);
        if (ttl && !cfg.identitySource) this.error(`${path}.identitySource`, 'is required when resultTtlInSeconds is not 0 (the cache key)');
        out[name] = cfg;
      } else {
        this.error(`${path}.type`, `unknown authorizer type "${String(a.type)}" (known: jwt, request)`);
      }
    }
    return out;
  }

  #httpApiEvent(fnKey: string, fnRaw: Obj, body: unknown, path: string, httpApi: Obj, authorizers: Obj, routes: Obj, owners: Map<string, string>): void {
    let method: string;
    let routePath: string;
    let authorizer: unknown;
    if (typeof body === 'string') {
      if (body.trim() === '*') [method, routePath] = ['*', '*'];
      else {
        const m = /^\s*(\S+)\s+(\S+)\s*$/.exec(body);
        if (!m) return this.error(path, `"${body}" must be '*' or 'METHOD /path' (e.g. 'GET /users/{id}')`);
        [method, routePath] = [m[1]!, m[2]!];
      }
    } else if (isObject(body)) {
      if (typeof body.path !== 'string') return this.error(`${path}.path`, "is required (e.g. /users/{id}, or '*' for the catch-all route)");
      method = str(body.method) ?? '*';
      routePath = body.path;
      authorizer = body.authorizer;
    } else return this.error(path, "must be '*', 'METHOD /path' or a mapping with method and path");
    let key: string;
    if (routePath === '*') {
      if (method !== '*') return this.error(path, `path '*' is the catch-all route and takes method '*', got "${method}"`);
      key = '$default';
    } else {
      if (!routePath.startsWith('/')) return this.error(`${path}.path`, `"${routePath}" must start with /`);
      key = `${method === '*' ? 'ANY' : method.toUpperCase()} ${routePath}`;
    }
    const owner = owners.get(`http ${key}`);
    if (owner) return this.error(path, `route "${key}" is already defined by ${owner}`);
    owners.set(`http ${key}`, path);
    const fn = this.fn(fnKey, `functions.${fnKey}.handler`);
    const fnHttpApi = isObject(fnRaw.httpApi) ? fnRaw.httpApi : {};
    const payload = str(fnHttpApi.payload) ?? str(httpApi.payload) ?? '2.0';
    const route: Obj = { integration: { type: 'lambda', ...(fn ?? { handler: '-' }), payloadFormatVersion: payload } };
    if (authorizer !== undefined) {
      const a = typeof authorizer === 'string' ? { name: authorizer } : authorizer;
      const apath = typeof authorizer === 'string' ? `${path}.authorizer` : `${path}.authorizer.name`;
      if (!isObject(a)) return this.error(`${path}.authorizer`, 'must be an authorizer name or { name, scopes }');
      const type = String(a.type ?? '').toLowerCase();
      if (type === 'aws_iam') return this.error(`${path}.authorizer.type`, 'aws_iam (SigV4) authorization is not enforced by Portcullis; rather than serve the route open, it is refused');
      if (a.id !== undefined) return this.error(`${path}.authorizer.id`, 'an authorizer created outside this service cannot run locally; define it under provider.httpApi.authorizers');
      const name = str(a.name);
      if (!name) return this.error(`${path}.authorizer`, 'needs name (an authorizer of provider.httpApi.authorizers)');
      if (!(name in authorizers)) {
        const known = Object.keys(isObject(httpApi.authorizers) ? httpApi.authorizers : {});
        // Defined but broken: its own error says why; one problem, one line.
        if (known.includes(name)) return;
        return this.error(apath, `unknown authorizer "${name}" (provider.httpApi.authorizers: ${known.join(', ') || 'none'})`);
      }
      route.authorizerId = name;
      if (a.scopes !== undefined) route.authorizationScopes = list(a.scopes);
    }
    routes[key] = route;
  }

  #httpApiCors(raw: unknown, routes: Obj): Obj | null {
    if (raw === undefined || raw === false) return null;
    const methods = new Set<string>(['OPTIONS']);
    for (const key of Object.keys(routes)) {
      const m = key.split(' ')[0]!;
      methods.add(m === 'ANY' || m === '$default' ? '*' : m);
    }
    const allowMethods = methods.has('*') ? ['*'] : [...methods];
    if (raw === true) return { allowOrigins: ['*'], allowHeaders: HTTP_API_CORS_HEADERS, allowMethods };
    if (!isObject(raw)) {
      this.error('provider.httpApi.cors', 'must be true or a mapping (allowedOrigins, allowedHeaders, allowedMethods, allowCredentials, exposedResponseHeaders, maxAge)');
      return null;
    }
    const out: Obj = {
      allowOrigins: raw.allowedOrigins === undefined ? ['*'] : list(raw.allowedOrigins),
      allowHeaders: raw.allowedHeaders === undefined ? HTTP_API_CORS_HEADERS : list(raw.allowedHeaders),
      allowMethods: raw.allowedMethods === undefined ? allowMethods : list(raw.allowedMethods),
    };
    if (raw.exposedResponseHeaders !== undefined) out.exposeHeaders = list(raw.exposedResponseHeaders);
    if (raw.allowCredentials !== undefined) out.allowCredentials = raw.allowCredentials === true;
    if (raw.maxAge !== undefined) out.maxAge = Number(raw.maxAge);
    for (const k of Object.keys(raw)) {
      if (!['allowedOrigins', 'allowedHeaders', 'allowedMethods', 'exposedResponseHeaders', 'allowCredentials', 'maxAge'].includes(k)) {
        this.error(`provider.httpApi.cors.${k}`, 'unknown key (known: allowedOrigins, allowedHeaders, allowedMethods, allowCredentials, exposedResponseHeaders, maxAge)');
      }
    }
    return out;
  }

  #restEvent(fnKey: string, body: unknown, path: string, routes: Obj, authorizers: Obj, corsByPath: Map<string, { methods: Set<string>; cors: Obj; path: string }>, owners: Map<string, string>, authorizerFunctions: Set<string>): void {
    let ev: Obj;
    if (typeof body === 'string') {
      const m = /^\s*(\S+)\s+(\S+)\s*$/.exec(body);
      if (!m) return this.error(path, `"${body}" must be 'METHOD path' (e.g. 'GET users/{id}')`);
      ev = { method: m[1], path: m[2] };
    } else if (isObject(body)) ev = body;
    else return this.error(path, "must be 'METHOD path' or a mapping with method and path");
    if (typeof ev.path !== 'string') return this.error(`${path}.path`, 'is required (e.g. users/{id})');
    if (typeof ev.method !== 'string') return this.error(`${path}.method`, 'is required (get, post, …, any)');
    const resource = `/${ev.path.replace(/^\/+|\/+$/g, '')}`;
    const method = ev.method.toUpperCase() === 'ANY' ? 'ANY' : ev.method.toUpperCase();
    const key = `${method} ${resource}`;
    const owner = owners.get(`rest ${key}`);
    if (owner) return this.error(path, `route "${key}" is already defined by ${owner}`);
    owners.set(`rest ${key}`, path);

    const integrationKind = String(ev.integration ?? 'lambda-proxy').toLowerCase().replace('_', '-');
    const request = isObject(ev.request) ? ev.request : {};
    let integration: Obj;
    const requestParameters: Record<string, string> = {};
    const params = isObject(request.parameters) ? request.parameters : {};
    for (const [group, prefix] of [['headers', 'header'], ['querystrings', 'querystring'], ['paths', 'path']] as const) {
      const g = params[group];
      if (!isObject(g)) continue;
      for (const [name, spec] of Object.entries(g)) {
        if (isObject(spec) && typeof spec.mappedValue === 'string') requestParameters[`integration.request.${prefix}.${name}`] = spec.mappedValue;
      }
    }
    if (integrationKind === 'lambda-proxy' || integrationKind === 'aws-proxy' || integrationKind === 'lambda' || integrationKind === 'aws') {
      if (integrationKind === 'lambda' || integrationKind === 'aws') this.nonProxy.push(`${path}.integration`);
      const fn = this.fn(fnKey, `functions.${fnKey}.handler`);
      integration = { type: 'lambda', ...(fn ?? { handler: '-' }), payloadFormatVersion: '1.0' };
    } else if (integrationKind === 'http-proxy' || integrationKind === 'http') {
      if (typeof request.uri !== 'string') return this.error(`${path}.request.uri`, `is required for integration ${String(ev.integration)}`);
      integration = { type: 'http', uri: request.uri, httpMethod: method };
      if (Object.keys(requestParameters).length) integration.requestParameters = requestParameters;
    } else if (integrationKind === 'mock') {
      integration = { type: 'mock', statusCode: 200 };
    } else return this.error(`${path}.integration`, `unknown integration "${String(ev.integration)}" (known: lambda-proxy, lambda, http-proxy, http, mock)`);
    const route: Obj = { integration };
    const response = isObject(ev.response) ? ev.response : {};
    if (isObject(response.headers)) {
      route.responseParameters = Object.fromEntries(Object.entries(response.headers).map(([h, v]) => [`method.response.header.${h}`, String(v)]));
    }
    if (ev.authorizer !== undefined) {
      const id = this.#restAuthorizer(ev.authorizer, `${path}.authorizer`, authorizers, authorizerFunctions);
      if (id === null) return;
      route.authorizerId = id;
      const a = isObject(ev.authorizer) ? ev.authorizer : {};
      if (a.scopes !== undefined) this.warn(`${path}.authorizer.scopes`, 'scopes apply to Cognito user pool authorizers; ignored for a Lambda authorizer');
    }
    routes[key] = route;
    if (ev.private === true) this.warn(`${path}.private`, 'API keys are not enforced by Portcullis: the route is served without x-api-key');
    if (ev.cors !== undefined && ev.cors !== false) {
      const cors = ev.cors === true ? {} : isObject(ev.cors) ? ev.cors : null;
      if (!cors) return this.error(`${path}.cors`, 'must be true or a mapping (origin, origins, headers, methods, allowCredentials, maxAge, cacheControl)');
      const entry = corsByPath.get(resource) ?? { methods: new Set<string>(), cors, path: resource };
      for (const m of cors.methods !== undefined ? list(cors.methods) : [method]) entry.methods.add(m.toUpperCase() === 'ANY' ? '*' : m.toUpperCase());
      corsByPath.set(resource, entry);
    }
  }

  /** Adds (or reuses) the REST authorizer an http event names; returns its id, or null after an error. */
  #restAuthorizer(raw: unknown, path: string, authorizers: Obj, authorizerFunctions: Set<string>): string | null {
    const a: Obj = typeof raw === 'string' ? (raw.startsWith('arn:') ? { arn: raw } : { name: raw }) : isObject(raw) ? raw : {};
    if (!isObject(raw) && typeof raw !== 'string') {
      this.error(path, 'must be a function name, an ARN or a mapping (name, type, identitySource, resultTtlInSeconds, identityValidationExpression)');
      return null;
    }
    const type = String(a.type ?? 'token').toLowerCase();
    if (type === 'aws_iam') {
      this.error(`${path}.type`, 'aws_iam (SigV4) authorization is not enforced by Portcullis; rather than serve the route open, it is refused');
      return null;
    }
    if (a.authorizerId !== undefined) {
      this.error(`${path}.authorizerId`, 'an authorizer created outside this service cannot run locally; name a function of this service');
      return null;
    }
    const arn = a.arn;
    if (type === 'cognito_user_pools' || (typeof arn === 'string' && arn.includes('cognito-idp'))) {
      this.error(path, 'Cognito user pool authorizers on REST APIs are not run by Portcullis yet; use an httpApi event with a jwt authorizer (issuerUrl of the pool)');
      return null;
    }
    let fnName = str(a.name);
    if (arn !== undefined) {
      fnName = this.#functionFromArn(arn);
      if (!fnName) {
        this.error(`${path}.arn`, 'a Lambda outside this service cannot run locally; name a function of this service (authorizer: { name: myAuthorizer })');
        return null;
      }
    }
    if (!fnName) {
      this.error(path, 'needs name (a function of this service) or arn');
      return null;
    }
    if (type !== 'token' && type !== 'request') {
      this.error(`${path}.type`, `unknown authorizer type "${String(a.type)}" (known: token, request)`);
      return null;
    }
    authorizerFunctions.add(fnName);
    const fn = this.fn(fnName, typeof raw === 'string' ? path : `${path}.name`);
    if (!fn) return null;
    const ttl = a.resultTtlInSeconds === undefined ? 300 : Number(a.resultTtlInSeconds);
    const sources = list(a.identitySource).map((s) => s.replace(/^\$request\.(header|querystring)\./, 'method.request.$1.'));
    const cfg: Obj = { authorizerType: type === 'token' ? 'TOKEN' : 'REQUEST', function: { ...fn, timeoutInMillis: Math.min(fn.timeoutInMillis, 10_000) }, authorizerResultTtlInSeconds: ttl };
    if (type === 'token') {
      if (sources.length > 1) {
        this.error(`${path}.identitySource`, 'a token authorizer takes one header (method.request.header.NAME)');
        return null;
      }
      cfg.identitySource = sources[0] ?? 'method.request.header.Authorization';
      if (a.identityValidationExpression !== undefined) cfg.identityValidationExpression = String(a.identityValidationExpression);
    } else {
      if (sources.length) cfg.identitySource = sources;
      else if (ttl !== 0) cfg.identitySource = ['method.request.header.Authorization'];
    }
    const base = str(a.name) ?? fnName;
    let id = base;
    for (let n = 2; authorizers[id] !== undefined && JSON.stringify(authorizers[id]) !== JSON.stringify(cfg); n++) id = `${base}-${n}`;
    authorizers[id] = cfg;
    return id;
  }

  /** `{Fn::GetAtt: [HelloLambdaFunction, Arn]}` or this service's function ARN → the function's key. */
  #functionFromArn(arn: unknown): string | undefined {
    const keys = Object.keys(this.functions);
    if (isObject(arn) && Array.isArray(arn['Fn::GetAtt'])) {
      const logical = String(arn['Fn::GetAtt'][0]);
      return keys.find((k) => `${logicalName(k)}LambdaFunction` === logical);
    }
    if (typeof arn === 'string') {
      const m = /^arn:aws:lambda:[^:]*:[^:]*:function:([^:]+)/.exec(arn);
      return m ? keys.find((k) => m[1] === (str((this.functions[k] as Obj | undefined)?.name) ?? `${this.service}-${this.stage}-${k}`)) : undefined;
    }
    return undefined;
  }

  #gatewayResponses(): Obj {
    const out: Obj = {};
    const resources = isObject(this.sls.resources) ? this.sls.resources : {};
    const res = isObject(resources.Resources) ? resources.Resources : {};
    const others = new Set<string>();
    for (const [logical, r] of Object.entries(res)) {
      const path = `resources.Resources.${logical}`;
      if (!isObject(r)) continue;
      if (r.Type !== 'AWS::ApiGateway::GatewayResponse') {
        others.add(String(r.Type));
        continue;
      }
      const p = isObject(r.Properties) ? r.Properties : {};
      const type = str(p.ResponseType);
      if (!type) {
        this.error(`${path}.Properties.ResponseType`, 'is required (e.g. UNAUTHORIZED, ACCESS_DENIED, DEFAULT_4XX)');
        continue;
      }
      const gr: Obj = {};
      if (p.StatusCode !== undefined) gr.statusCode = String(p.StatusCode);
      if (isObject(p.ResponseParameters)) gr.responseParameters = Object.fromEntries(Object.entries(p.ResponseParameters).map(([k, v]) => [k, String(v)]));
      if (isObject(p.ResponseTemplates)) gr.responseTemplates = Object.fromEntries(Object.entries(p.ResponseTemplates).map(([k, v]) => [k, String(v)]));
      out[type] = gr;
    }
    if (others.size) this.warn('resources.Resources', `not created locally: ${[...others].sort().join(', ')}`);
    return out;
  }
}

/** `KEY=value` lines (`export`, comments, single or double quotes, `\n` in double quotes), as dotenv reads them. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([\w.-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    if (/^"(.*)"$/s.test(value)) value = value.slice(1, -1).replace(/\\n/g, '\n');
    else if (/^'(.*)'$/s.test(value)) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, '');
    out[m[1]!] = value;
  }
  return out;
}

/** The Framework's logical-id normalization of a function key (`my-fn_a` → `MyDashfnUnderscorea`). */
function logicalName(key: string): string {
  const s = key.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

