/**
 * @module gateway — compiles a validated config into runtime objects, and runs the listener. [glue]
 *
 * `compileGateway()` turns each API into a route trie, authorizer and integration instances,
 * CORS closures, gateway-response templates and an access-log writer. Problems only found while
 * compiling (a template's unknown variable, a mapping expression) are reported as `ConfigError`
 * with their config path, like schema errors. `startGateway()` opens the listener and returns a
 * handle whose `close()` drains in-flight requests.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import type { Dispatcher } from 'undici';
import type { Authorizer } from './authorizers/authorizer.ts';
import { createAuthorizer } from './authorizers/index.ts';
import { formatPath, type ApiConfig, type GatewayConfig, type RouteConfig } from './core/config.ts';
import { compileCors, type CompiledCors } from './core/cors.ts';
import { ConfigError, type ConfigIssue } from './core/errors.ts';
import { compileGatewayResponses, type CompiledGatewayResponses } from './core/gateway-responses.ts';
import { compileRestHeaderMapping, type MappingSource } from './core/mapping.ts';
import { compileRoutes, type RouteTable } from './core/routes.ts';
import { systemClock, type Clock } from './core/clock.ts';
import type { Integration } from './integrations/integration.ts';
import { createHttpIntegration, createUpstreamAgent } from './integrations/http.ts';
import { createLambdaIntegration } from './integrations/lambda.ts';
import { createMockIntegration } from './integrations/mock.ts';
import { createAccessLog, type AccessLog } from './io/access-log.ts';
import { createLambdaRuntime, type LambdaRuntime } from './io/lambda-runtime.ts';
import { createLogger, type Logger } from './io/logger.ts';
import { createGatewayServer, type GatewayServer } from './io/server.ts';
import { handleRequest } from './pipeline.ts';

export interface CompiledRoute {
  readonly routeKey: string;
  readonly config: Readonly<RouteConfig>;
  readonly authorizer: Authorizer | null;
  readonly integration: Integration;
  readonly methodResponseHeaders: ReadonlyArray<[string, (s: MappingSource) => string | undefined]> | null;
}

export interface CompiledApi {
  readonly config: Readonly<ApiConfig>;
  readonly name: string;
  readonly protocol: 'http' | 'rest';
  readonly stage: string;
  readonly apiId: string;
  readonly routes: RouteTable<CompiledRoute>;
  readonly cors: CompiledCors | null;
  readonly gatewayResponses: CompiledGatewayResponses | null;
  readonly accessLog: AccessLog | null;
  readonly authorizers: ReadonlyMap<string, Authorizer>;
}

export interface CompiledGateway {
  readonly config: Readonly<GatewayConfig>;
  readonly byStage: ReadonlyMap<string, CompiledApi>;
  readonly defaultStage: CompiledApi | null;
  readonly apis: readonly CompiledApi[];
  readonly accountId: string;
  readonly region: string;
}

export interface GatewayDeps {
  clock: Clock;
  logger: Logger;
  lambdaRuntime: LambdaRuntime;
  dispatcher: Dispatcher;
  baseDir: string;
}

/** 10 lowercase characters derived from the API name (AWS ids look like `lsw1ro4ipb`). */
export function defaultApiId(name: string): string {
  const digest = createHash('sha256').update(name).digest();
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < 10; i++) out += alphabet[digest[i]! % alphabet.length];
  return out;
}

export function compileGateway(config: Readonly<GatewayConfig>, deps: GatewayDeps): CompiledGateway {
  const issues: ConfigIssue[] = [];
  const apis: CompiledApi[] = [];
  config.apis.forEach((api, index) => {
    const at = (...rest: Array<string | number>) => formatPath(['apis', index, ...rest]);
    const authorizers = new Map<string, Authorizer>();
    for (const [id, auth] of Object.entries(api.authorizers)) {
      try {
        authorizers.set(id, createAuthorizer(id, auth, api, { clock: deps.clock, lambdaRuntime: deps.lambdaRuntime, logger: deps.logger, baseDir: deps.baseDir, gateway: config }));
      } catch (err) {
        issues.push({ path: at('authorizers', id), message: (err as Error).message });
      }
    }
    const routes: Array<{ routeKey: string; value: CompiledRoute }> = [];
    for (const [routeKey, route] of Object.entries(api.routes)) {
      let integration: Integration;
      try {
        integration = createIntegration(route, api, deps);
      } catch (err) {
        issues.push({ path: at('routes', routeKey, 'integration'), message: (err as Error).message });
        continue;
      }
      let methodResponseHeaders: CompiledRoute['methodResponseHeaders'] = null;
      if (route.responseParameters) {
        const compiled = compileRestHeaderMapping(route.responseParameters, 'method.response.header.');
        if (compiled.ok) methodResponseHeaders = compiled.value;
        else issues.push({ path: at('routes', routeKey, 'responseParameters'), message: compiled.error });
      }
      routes.push({
        routeKey,
        value: {
          routeKey,
          config: route,
          authorizer: route.authorizerId ? authorizers.get(route.authorizerId) ?? null : null,
          integration,
          methodResponseHeaders,
        },
      });
    }
    let gatewayResponses: CompiledGatewayResponses | null = null;
    if (api.protocol === 'rest') {
      const gr = compileGatewayResponses(api);
      gatewayResponses = gr.compiled;
      for (const i of gr.issues) issues.push({ path: at('gatewayResponses', ...i.path), message: i.message });
    }
    let accessLog: AccessLog | null = null;
    if (api.accessLogSettings) {
      const created = createAccessLog(api.accessLogSettings, deps.baseDir);
      if (created.ok) accessLog = created.value;
      else issues.push({ path: at('accessLogSettings', 'format'), message: created.error });
    }
    apis.push({
      config: api,
      name: api.name,
      protocol: api.protocol,
      stage: api.stage,
      apiId: api.apiId ?? defaultApiId(api.name),
      routes: compileRoutes(routes),
      cors: api.cors ? compileCors(api.cors) : null,
      gatewayResponses,
      accessLog,
      authorizers,
    });
  });
  if (issues.length) throw new ConfigError(issues);
  const byStage = new Map<string, CompiledApi>();
  let defaultStage: CompiledApi | null = null;
  for (const api of apis) {
    if (api.stage === '$default') defaultStage = api;
    else byStage.set(api.stage, api);
  }
  return { config, byStage, defaultStage, apis, accountId: config.aws.accountId, region: config.aws.region };
}

function createIntegration(route: Readonly<RouteConfig>, api: Readonly<ApiConfig>, deps: GatewayDeps): Integration {
  const cfg = route.integration;
  switch (cfg.type) {
    case 'http':
      return createHttpIntegration(cfg, api, { dispatcher: deps.dispatcher });
    case 'lambda':
      return createLambdaIntegration(cfg, api, { lambdaRuntime: deps.lambdaRuntime, baseDir: deps.baseDir });
    case 'mock':
      return createMockIntegration(cfg);
  }
}

// ---------------------------------------------------------------------------------------------

export interface StartOptions {
  /** Directory relative handler paths resolve from (the config file's directory). */
  baseDir?: string;
  /** Overrides `server.port` (0 = ephemeral). */
  port?: number;
  host?: string;
  clock?: Clock;
  logger?: Logger;
}

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  readonly gateway: CompiledGateway;
  /** Stops accepting, drains in-flight requests (up to `server.shutdownTimeoutMs`), closes pools. */
  close(): Promise<void>;
}

/** HTTP API request ids look like `ZhNHJhhLjoEEPiw=`: 11 random bytes, base64 (15 characters and `=`). */
export function newHttpApiRequestId(): string {
  return randomBytes(11).toString('base64');
}

export async function startGateway(config: Readonly<GatewayConfig>, options: StartOptions = {}): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger();
  const clock = options.clock ?? systemClock;
  const lambdaRuntime = createLambdaRuntime({ region: config.aws.region, accountId: config.aws.accountId });
  const dispatcher = createUpstreamAgent();
  const baseDir = resolve(options.baseDir ?? process.cwd());
  let gateway: CompiledGateway;
  try {
    gateway = compileGateway(config, { clock, logger, lambdaRuntime, dispatcher, baseDir });
  } catch (err) {
    await lambdaRuntime.close();
    await dispatcher.close();
    throw err;
  }
  // Prefetch JWKS and the like; failures only show in status, requests still decide fail-closed.
  await Promise.all(gateway.apis.flatMap((a) => [...a.authorizers.values()].map((z) => z.warmUp?.().catch(() => undefined))));
  const server: GatewayServer = createGatewayServer({
    handle: (request) => handleRequest(request, { gateway, logger, now: () => clock.now(), newRequestId: (p) => (p === 'rest' ? randomUUID() : newHttpApiRequestId()) }),
    newRequestId: newHttpApiRequestId,
    logger,
    headersTimeoutMs: config.server.headersTimeoutMs,
    requestTimeoutMs: config.server.requestTimeoutMs,
  });
  const port = await server.listen(options.port ?? config.server.port, options.host ?? config.server.host);
  const host = options.host ?? config.server.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    gateway,
    async close() {
      await server.close(config.server.shutdownTimeoutMs);
      await Promise.all(gateway.apis.flatMap((a) => [...a.authorizers.values()].map((z) => z.close?.())));
      await Promise.all(gateway.apis.map((a) => a.accessLog?.close()));
      await lambdaRuntime.close();
      await dispatcher.close();
    },
  };
}

export { dirname };
