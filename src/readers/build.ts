/**
 * @module readers/build — what every reader shares: template paths, the config being built (APIs,
 * routes, authorizers, with where each came from), warnings and errors, and local Lambda functions.
 * [pure: files through `ReaderIo`]
 */
import { isAbsolute, join, relative, sep } from 'node:path';
import { LAMBDA_RUNTIMES } from '../core/config.ts';
import type { ConfigIssue } from '../core/errors.ts';
import type { Origin, ReaderContext, ReaderResult } from './reader.ts';

/** `Resources.Api.Properties.Auth`, `paths["/pets/{id}"].get`, `Events[0]`: the path style of every reader message. */
export function joinPath(parts: ReadonlyArray<string | number>): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (out === '' ) out = p;
    else if (/^[A-Za-z0-9_$:-]+$/.test(p)) out += `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

export const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A Lambda function of the document and whether Portcullis can run it here. */
export interface LocalFunction {
  logicalId: string;
  /** Its deployed name (`FunctionName`, else the logical id): what ARNs name. */
  name: string;
  /** Template path of the resource. */
  path: string;
  /** The handler module, relative to the document's directory (`./src/app.js`), with its export. */
  handler?: { file: string; exportName: string };
  /**
   * A function of another runtime run through the Lambda Runtime API (docs/runtimes.md): its `Runtime`,
   * its code folder relative to the document's directory, and its `Handler` as AWS reads it.
   */
  processRuntime?: { runtime: string; codeUri: string; handler: string };
  /** Why it cannot run here (non-Node runtime, code in S3, container image), with the property's path. */
  notLocal?: { path: string; reason: string };
  environment: Record<string, string>;
  /** Lambda's `Timeout`, in ms. Default is 3000 (Lambda's 3 s). */
  timeoutInMillis: number;
  memorySize?: number;
}

/** A raw API of the config being built (the `portcullis.yaml` shape). */
export interface RawApi {
  name: string;
  protocol: 'http' | 'rest';
  stage: string;
  stageVariables?: Record<string, string>;
  authorizers: Record<string, Record<string, unknown>>;
  routes: Record<string, Record<string, unknown>>;
  cors?: Record<string, unknown>;
  gatewayResponses?: Record<string, Record<string, unknown>>;
  binaryMediaTypes?: string[];
  accessLogSettings?: Record<string, unknown>;
}

export interface RouteSpec {
  integration: Record<string, unknown>;
  authorizerId?: string | undefined;
  authorizationScopes?: string[] | undefined;
  responseParameters?: Record<string, string> | undefined;
}

/** The config under construction, with its warnings, errors and origins. */
export class ConfigBuilder {
  readonly apis: RawApi[] = [];
  readonly warnings: ConfigIssue[] = [];
  readonly errors: ConfigIssue[] = [];
  readonly origins: Origin[] = [];
  /** Authorizers whose function cannot run here, per API: the routes behind them are refused. */
  readonly #refusing = new Map<RawApi, Set<string>>();
  readonly #warned = new Set<string>();
  readonly context: ReaderContext;

  constructor(context: ReaderContext) {
    this.context = context;
  }

  warn(path: string, message: string): void {
    const key = `${path}\u0000${message}`;
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.warnings.push({ path, message });
  }

  /** Records a problem; one already reported inside this path (an intrinsic that failed) is the cause, so this one is left out. */
  error(path: string, message: string): void {
    if (this.errors.some((e) => (e.path === path && e.message === message) || e.path.startsWith(`${path}.`) || e.path.startsWith(`${path}[`))) return;
    this.errors.push({ path, message });
  }

  /**
   * A protection AWS enforces and Portcullis does not reproduce (IAM authorization, API keys,
   * resource policies, Cognito authorizers on REST APIs): an error, or with `--allow-unenforced` a
   * warning (the route is then served without it).
   */
  unenforced(path: string, message: string): void {
    if (this.context.allowUnenforced) this.warn(path, `${message}; served WITHOUT it (--allow-unenforced)`);
    else this.error(path, `${message}, so the route would be open here: remove it, or pass --allow-unenforced to serve the API without it`);
  }

  addApi(api: RawApi, from: string): RawApi {
    this.apis.push(api);
    this.origins.push({ at: ['apis', this.apis.length - 1], from });
    return api;
  }

  addAuthorizer(api: RawApi, id: string, authorizer: Record<string, unknown> | 'refuse', from: string): void {
    const i = this.apis.indexOf(api);
    if (authorizer === 'refuse') {
      let set = this.#refusing.get(api);
      if (!set) this.#refusing.set(api, (set = new Set()));
      set.add(id);
      return;
    }
    api.authorizers[id] = authorizer;
    this.origins.push({ at: ['apis', i, 'authorizers', id], from });
  }

  /** Whether the API has this authorizer (runnable or refusing). */
  hasAuthorizer(api: RawApi, id: string): boolean {
    return id in api.authorizers || (this.#refusing.get(api)?.has(id) ?? false);
  }

  addRoute(api: RawApi, routeKey: string, spec: RouteSpec, from: string): void {
    const i = this.apis.indexOf(api);
    if (routeKey in api.routes) {
      this.warn(from, `route ${routeKey} is defined twice in API ${api.name}; the later definition wins`);
    }
    const route: Record<string, unknown> = {};
    if (spec.authorizerId !== undefined && this.#refusing.get(api)?.has(spec.authorizerId)) {
      // Fail closed: the authorizer cannot run, so nothing it guards is served.
      route.integration = refusal(api.protocol);
    } else {
      if (spec.authorizerId !== undefined) route.authorizerId = spec.authorizerId;
      if (spec.authorizationScopes?.length) route.authorizationScopes = spec.authorizationScopes;
      route.integration = spec.integration;
      if (spec.responseParameters && Object.keys(spec.responseParameters).length) route.responseParameters = spec.responseParameters;
    }
    api.routes[routeKey] = route;
    this.origins.push({ at: ['apis', i, 'routes', routeKey], from });
  }

  #separateStages(): void {
    const taken = new Set<string>();
    this.apis.forEach((api, i) => {
      const stage = uniqueStage(api, taken);
      if (stage !== api.stage) {
        const from = this.origins.find((o) => o.at.length === 2 && o.at[1] === i)?.from ?? api.name;
        this.warn(from.replace(/ \(.*$/, ''), `stage ${JSON.stringify(api.stage)} is already served by another API of this file (portcullis serves every API on one listener, told apart by the stage in the path): this one is served at /${stage}/`);
        api.stage = stage;
      }
      taken.add(stage);
    });
  }

  /** The Lambda integration of a function, or (when it cannot run here) the 5XX AWS answers when a Lambda fails. */
  lambdaIntegration(fn: LocalFunction, api: RawApi, extra: { payloadFormatVersion?: string | undefined; timeoutInMillis?: number | undefined } = {}): Record<string, unknown> {
    if (!fn.handler && !fn.processRuntime) {
      const why = fn.notLocal ?? { path: fn.path, reason: 'has no local code' };
      this.warn(why.path, `${why.reason}: routes to ${fn.logicalId} answer ${api.protocol === 'http' ? 500 : 502} as AWS does when a Lambda fails`);
      return failingLambda(api.protocol);
    }
    const integration: Record<string, unknown> = {
      type: 'lambda',
      ...(fn.handler ? { handler: fn.handler.file, ...(fn.handler.exportName === 'handler' ? {} : { exportName: fn.handler.exportName }) } : processRuntimeKeys(fn)),
      functionName: fn.name,
      timeoutInMillis: Math.min(fn.timeoutInMillis, extra.timeoutInMillis ?? Number.POSITIVE_INFINITY),
    };
    if (Object.keys(fn.environment).length) integration.environment = fn.environment;
    if (fn.memorySize !== undefined) integration.memorySize = fn.memorySize;
    if (extra.payloadFormatVersion !== undefined && api.protocol === 'http') integration.payloadFormatVersion = extra.payloadFormatVersion;
    return integration;
  }

  /** The `function:` block of a Lambda authorizer, or 'refuse' (with its problem recorded) when it cannot run here. */
  authorizerFunction(fn: LocalFunction, authorizerPath: string): Record<string, unknown> | 'refuse' {
    if (!fn.handler && !fn.processRuntime) {
      const why = fn.notLocal ?? { path: fn.path, reason: 'has no local code' };
      const message = `${why.reason}, and it is the authorizer at ${authorizerPath}`;
      if (this.context.allowUnenforced) this.warn(why.path, `${message}: every route it guards is refused (401) (--allow-unenforced)`);
      else this.error(why.path, `${message}: give it local Node.js code, or pass --allow-unenforced to refuse (401) every route it guards`);
      return 'refuse';
    }
    const f: Record<string, unknown> = fn.handler ? { handler: fn.handler.file } : processRuntimeKeys(fn);
    f.functionName = fn.name;
    f.timeoutInMillis = fn.timeoutInMillis;
    if (fn.handler && fn.handler.exportName !== 'handler') f.exportName = fn.handler.exportName;
    if (Object.keys(fn.environment).length) f.environment = fn.environment;
    if (fn.memorySize !== undefined) f.memorySize = fn.memorySize;
    return f;
  }

  result(): ReaderResult {
    this.#separateStages();
    const config: Record<string, unknown> = {
      // One gateway process: templates are for development, and one process starts fastest.
      server: { workers: 1 },
      apis: this.apis.map((a) => {
        const out: Record<string, unknown> = { name: a.name, protocol: a.protocol, stage: a.stage };
        if (a.stageVariables && Object.keys(a.stageVariables).length) out.stageVariables = a.stageVariables;
        if (Object.keys(a.authorizers).length) out.authorizers = a.authorizers;
        out.routes = a.routes;
        if (a.cors) out.cors = a.cors;
        if (a.gatewayResponses && Object.keys(a.gatewayResponses).length) out.gatewayResponses = a.gatewayResponses;
        if (a.binaryMediaTypes?.length) out.binaryMediaTypes = a.binaryMediaTypes;
        if (a.accessLogSettings) out.accessLogSettings = a.accessLogSettings;
        return out;
      }),
    };
    return { config, warnings: this.warnings, errors: this.errors, origins: this.origins };
  }
}

/**
 * DIVERGENCE: on AWS every API has its own host name; portcullis serves all of them on one listener
 * and tells them apart by the stage, the first path segment. A second API on a stage already taken
 * (two `Prod` REST APIs, two `$default` HTTP APIs) is served under its own name instead, with a warning.
 */
function uniqueStage(api: RawApi, taken: Set<string>): string {
  if (!taken.has(api.stage)) return api.stage;
  const base = api.stage === '$default' ? api.name : `${api.name}-${api.stage}`;
  let stage = base.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 120);
  for (let n = 2; taken.has(stage); n++) stage = `${base.slice(0, 116)}-${n}`;
  return stage;
}

function failingLambda(protocol: 'http' | 'rest'): Record<string, unknown> {
  return protocol === 'http'
    ? { type: 'mock', statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"message":"Internal Server Error"}' }
    : { type: 'mock', statusCode: 502, headers: { 'content-type': 'application/json', 'x-amzn-ErrorType': 'InternalServerErrorException' }, body: '{"message": "Internal server error"}' };
}

function refusal(protocol: 'http' | 'rest'): Record<string, unknown> {
  return protocol === 'http'
    ? { type: 'mock', statusCode: 401, headers: { 'content-type': 'application/json' }, body: '{"message":"Unauthorized"}' }
    : { type: 'mock', statusCode: 401, headers: { 'content-type': 'application/json', 'x-amzn-ErrorType': 'UnauthorizedException' }, body: '{"message":"Unauthorized"}' };
}

/** Handler file extensions tried, in order, for a `Handler: app.handler` next to `CodeUri`. */
const HANDLER_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];

/**
 * Finds `dir/app.{js,mjs,cjs,ts}` for `Handler: app.lambdaHandler` (the export is after the last dot).
 * Returns the path relative to `baseDir` (`./hello_world/app.js`), or, when no file exists, the `.js`
 * path (the compile then reports it missing, with the file name).
 */
export function findHandler(context: ReaderContext, codeDir: string, handler: string): { file: string; exportName: string } | null {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0 || dot === handler.length - 1) return null;
  const base = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  const dir = isAbsolute(codeDir) ? codeDir : join(context.baseDir, codeDir);
  const found = HANDLER_EXTENSIONS.map((ext) => join(dir, base + ext)).find((p) => context.io.fileExists(p)) ?? join(dir, `${base}.js`);
  return { file: relativeFile(context.baseDir, found), exportName };
}

export function relativeFile(baseDir: string, abs: string): string {
  const rel = relative(baseDir, abs).split(sep).join('/');
  return rel.startsWith('..') || isAbsolute(rel) ? abs : `./${rel}`;
}

/** Lambda runtimes Portcullis runs in worker threads (Node.js). */
export function isNodeRuntime(runtime: unknown): boolean {
  return runtime === undefined || (typeof runtime === 'string' && /^nodejs/.test(runtime));
}

/** Other runtimes Portcullis runs through the Lambda Runtime API (`functionSchema.runtime`); others are reported by name. */
export function isProcessRuntime(runtime: unknown): runtime is string {
  return typeof runtime === 'string' && !isNodeRuntime(runtime) && (LAMBDA_RUNTIMES as readonly string[]).includes(runtime);
}

/** The `portcullis.yaml` keys of a function run through the Lambda Runtime API. */
function processRuntimeKeys(fn: LocalFunction): Record<string, unknown> {
  const r = fn.processRuntime!;
  return { runtime: r.runtime, codeUri: r.codeUri, handler: r.handler };
}

/** Lambda's `Environment.Variables` as strings. */
export function environmentOf(vars: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(vars)) return out;
  for (const [k, v] of Object.entries(vars)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
  }
  return out;
}
