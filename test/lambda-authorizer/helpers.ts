/**
 * Test helpers for Lambda authorizers: a scenario handler module written to a temp dir, request
 * snapshots as the pipeline would hand them to `authorize()`, and deps with a manual clock.
 */
import { mkdtempSync, readFileSync, existsSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseConfig, type ApiConfig, type GatewayConfig } from '../../src/config.ts';
import { createManualClock } from '../../src/core/clock.ts';
import { createLambdaRuntime, type LambdaRuntime } from '../../src/io/lambda-runtime.ts';
import { createLogger } from '../../src/io/logger.ts';
import type { AuthorizerDeps, AuthorizerRequest } from '../../src/authorizers/authorizer.ts';
import type { GatewayRequest, RequestContext } from '../../src/core/model.ts';
import { createLambdaAuthorizer, type LambdaAuthorizer, type LambdaAuthorizerConfig } from '../../src/authorizers/lambda.ts';

/**
 * One handler for every scenario. The scenario is the identity value (TOKEN: the whole
 * Authorization header; REQUEST: the first identity source), minus an optional `Bearer ` prefix
 * and anything after `:` (so `allow:alice` and `allow:bob` are different cache keys).
 * Every invocation appends one line to $COUNT_FILE; the event is returned in `context.event`.
 */
export const SCENARIO_HANDLER = String.raw`
import { appendFileSync } from 'node:fs';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export async function handler(event) {
  if (process.env.COUNT_FILE) appendFileSync(process.env.COUNT_FILE, (event.methodArn ?? event.routeArn) + '\n');
  const identity = event.type === 'TOKEN' ? event.authorizationToken
    : Array.isArray(event.identitySource) ? event.identitySource[0]
    : event.version === '1.0' ? String(event.identitySource).split(',')[0]
    : (event.headers.Authorization ?? event.headers.authorization ?? event.queryStringParameters?.token ?? '');
  const scenario = String(identity).replace(/^Bearer /, '').split(':')[0];
  const arn = event.methodArn ?? event.routeArn;
  const base = arn.split('/').slice(0, 2).join('/');
  const policy = (Effect, Resource) => ({ Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect, Resource }] });
  const ctx = { user: 'u-1', n: 7, admin: false, event: JSON.stringify(event) };
  switch (scenario) {
    case 'allow': return { principalId: 'user-1', policyDocument: policy('Allow', base + '/*'), context: ctx, usageIdentifierKey: 'key-1' };
    case 'allow-no-context': return { principalId: 'user-1', policyDocument: policy('Allow', base + '/*') };
    case 'scoped': return { principalId: 'user-1', policyDocument: policy('Allow', arn), context: ctx };
    case 'deny': return { principalId: 'user-1', policyDocument: policy('Deny', base + '/*'), context: { reason: 'banned', setCookie: 'session=; Max-Age=0' } };
    case 'deny-body': return { principalId: 'user-1', policyDocument: policy('Deny', base + '/*'), context: {
      body: JSON.stringify({ message: 'session expired', errors: [{ claim: 'exp', reason: 'expired' }] }),
      setCookie: 'sAccessToken=; Max-Age=0; Path=/; HttpOnly' } };
    case 'allow-cookie': return { principalId: 'user-42', policyDocument: policy('Allow', base + '/*'), context: { setCookie: 'sAccessToken=fresh; Path=/; HttpOnly' } };
    case 'deny-over-allow': return { principalId: 'user-1', policyDocument: { Version: '2012-10-17', Statement: [
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: base + '/*' },
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: arn } ] } };
    case 'implicit': return { principalId: 'user-1', policyDocument: policy('Allow', base + '/*/NOPE/*') };
    case 'unauthorized': throw new Error('Unauthorized');
    case 'unauthorized-cb': return await new Promise((_, reject) => reject('Unauthorized'));
    case 'unauthorized-string': return 'Unauthorized';
    case 'throw': throw new Error('boom');
    case 'timeout': await sleep(60_000); return null;
    case 'exit': process.exit(3);
    case 'no-principal': return { policyDocument: policy('Allow', '*') };
    case 'no-policy': return { principalId: 'user-1' };
    case 'bad-policy': return { principalId: 'user-1', policyDocument: { Statement: [{ Effect: 'allow', Action: '*', Resource: '*' }] } };
    case 'nested-context': return { principalId: 'user-1', policyDocument: policy('Allow', '*'), context: { roles: ['a', 'b'] } };
    case 'null-context-value': return { principalId: 'user-1', policyDocument: policy('Allow', '*'), context: { nothing: null, s: 'x' } };
    case 'simple-true': return { isAuthorized: true, context: { roles: ['a'], org: { id: 1 } } };
    case 'simple-true-no-context': return { isAuthorized: true };
    case 'simple-false': return { isAuthorized: false, context: { reason: 'no' } };
    case 'simple-string': return { isAuthorized: 'true' };
    case 'iam-no-principal': return { policyDocument: policy('Allow', base + '/*'), context: { k: [1] } };
    case 'null': return null;
    default: return { principalId: 'user-1', policyDocument: policy('Deny', '*') };
  }
}
`;

export interface Fixture {
  dir: string;
  countFile: string;
  runtime: LambdaRuntime;
  clock: ReturnType<typeof createManualClock>;
  /** Invocations so far. */
  invocations(): number;
  /** ARNs the function was invoked for, in order. */
  invokedArns(): string[];
  resetCount(): void;
  close(): Promise<void>;
}

export function createFixture(): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-lambda-auth-'));
  writeFileSync(join(dir, 'auth.mjs'), SCENARIO_HANDLER);
  const countFile = join(dir, 'count.txt');
  const runtime = createLambdaRuntime({ region: 'us-east-1', accountId: '123456789012' });
  const clock = createManualClock(Date.UTC(2024, 5, 17, 15, 0, 0));
  const lines = () => (existsSync(countFile) ? readFileSync(countFile, 'utf8').split('\n').filter(Boolean) : []);
  return {
    dir,
    countFile,
    runtime,
    clock,
    invocations: () => lines().length,
    invokedArns: lines,
    resetCount: () => writeFileSync(countFile, ''),
    async close() {
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const silentLogger = createLogger({ level: 'silent' });

export interface BuildOptions {
  protocol: 'rest' | 'http';
  authorizer: Record<string, unknown>;
  stage?: string;
  routes?: Record<string, unknown>;
}

/** Parses a one-API config (so defaults apply exactly as in production) and builds the authorizer. */
export function buildAuthorizer(fx: Fixture, opts: BuildOptions): { authorizer: LambdaAuthorizer; api: ApiConfig; gateway: GatewayConfig } {
  const authorizer = { ...opts.authorizer } as Record<string, unknown>;
  if (authorizer['function'] === undefined && authorizer['authorizerUri'] === undefined) {
    authorizer['function'] = { handler: './auth.mjs', environment: { COUNT_FILE: fx.countFile } };
  }
  const gateway = parseConfig({
    apis: [
      {
        name: 'test',
        protocol: opts.protocol,
        apiId: 'abc123',
        stage: opts.stage ?? (opts.protocol === 'rest' ? 'prod' : '$default'),
        authorizers: { auth: authorizer },
        routes: opts.routes ?? { 'GET /pets/{id}': { authorizerId: 'auth', integration: { type: 'mock' } } },
      },
    ],
  });
  const api = gateway.apis[0]!;
  const deps: AuthorizerDeps = { clock: fx.clock, lambdaRuntime: fx.runtime, logger: silentLogger, baseDir: fx.dir, gateway };
  return { authorizer: createLambdaAuthorizer('auth', api.authorizers['auth'] as LambdaAuthorizerConfig, api, deps), api, gateway };
}

export interface RequestOptions {
  method?: string;
  /** Raw path as received, stage prefix included. */
  rawPath: string;
  rawQueryString?: string;
  /** Raw header pairs, original casing. */
  headers?: Array<[string, string]>;
  stage: string;
  routeKey: string;
  resourcePath: string;
  pathParameters?: Record<string, string>;
  stageVariables?: Record<string, string>;
}

/** The snapshot the pipeline hands to `authorize()` after route matching. */
export function makeInput(api: ApiConfig, o: RequestOptions): AuthorizerRequest {
  const method = o.method ?? 'GET';
  const rawHeaders = (o.headers ?? []).flat();
  const headers: Record<string, string> = {};
  for (const [n, v] of o.headers ?? []) {
    const k = n.toLowerCase();
    headers[k] = headers[k] === undefined ? v : `${headers[k]}${k === 'cookie' ? '; ' : ','}${v}`;
  }
  const request: GatewayRequest = {
    method,
    rawPath: o.rawPath,
    rawQueryString: o.rawQueryString ?? '',
    headers,
    rawHeaders,
    sourceIp: '203.0.113.9',
    protocol: 'HTTP/1.1',
    scheme: 'http', port: 80,
    requestId: 'req-1',
    requestTimeEpoch: 1718636523035,
    body: { declaredLength: 0, isEmpty: true, read: async () => Buffer.alloc(0), stream: () => Readable.from([]) },
  };
  const path = o.stage !== '$default' && o.rawPath.startsWith(`/${o.stage}`) ? o.rawPath.slice(o.stage.length + 1) || '/' : o.rawPath;
  const ctx: RequestContext = {
    requestId: api.protocol === 'rest' ? '141d6671-99b4-40ca-9997-7a22f01eac74' : 'ZhNHJhhLjoEEPiw=',
    extendedRequestId: 'ZhFsxGQDDoEEMig=',
    requestTimeEpoch: 1718636523035,
    requestTime: '17/Jun/2024:15:02:03 +0000',
    httpMethod: method,
    protocol: 'HTTP/1.1',
    sourceIp: '203.0.113.9',
    userAgent: headers['user-agent'] ?? '',
    domainName: 'localhost',
    domainPrefix: 'localhost',
    accountId: '123456789012',
    apiId: 'abc123',
    apiName: api.name,
    stage: o.stage,
    routeKey: o.routeKey,
    resourcePath: o.resourcePath,
    path,
    pathParameters: o.pathParameters ?? {},
    rawPathParameters: o.pathParameters ?? {},
    stageVariables: o.stageVariables ?? {},
    authorizer: null,
    authorizerError: null,
    authorizerLatencyMs: null,
    error: null,
    integrationLatencyMs: null,
    integrationStatus: null,
    integrationErrorMessage: null,
    status: null,
    responseLength: null,
    responseLatencyMs: null,
  };
  const route = api.routes[o.routeKey] ?? Object.values(api.routes)[0]!;
  return { request, ctx, api, route, resourcePath: o.resourcePath };
}

/** Awaits a rejection and returns the error (fails the test when the promise resolves). */
export async function rejection(p: Promise<unknown>): Promise<Record<string, unknown> & Error> {
  try {
    await p;
  } catch (err) {
    return err as Record<string, unknown> & Error;
  }
  throw new Error('expected a rejection');
}
