/**
 * Test fixtures for JWT authorizers: real keys, real signatures (jose), and a real OpenID
 * discovery + JWKS server on 127.0.0.1:0 that hosts many independent issuers ("tenants") by path,
 * so each case gets its own issuer state without its own server.
 */
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, type JWK } from 'jose';
import type { ApiConfig, RouteConfig } from '../../src/core/config.ts';
import { jwtAuthorizerSchema, type JwtAuthorizerConfig } from '../../src/authorizers/jwt.ts';
import type { AuthorizerDeps, AuthorizerRequest } from '../../src/authorizers/authorizer.ts';
import type { GatewayRequest, RequestContext } from '../../src/core/model.ts';
import { createManualClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/io/logger.ts';
import { createJwtAuthorizerWithOptions, type JwtAuthorizerOptions } from '../../src/authorizers/jwt.ts';

/** 2024-06-18T14:46:40Z: every test pins time here. */
export const NOW_MS = 1_718_722_000_000;
export const NOW_S = NOW_MS / 1000;

export interface TestKey {
  kid: string;
  alg: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: JWK;
}

const keyCache = new Map<string, Promise<TestKey>>();

/** Generates (once per process per kid+alg) a key pair and its public JWK. */
export function makeKey(kid: string, alg = 'RS256', options: { modulusLength?: number; withAlg?: boolean } = {}): Promise<TestKey> {
  const cacheKey = `${kid}/${alg}/${options.modulusLength ?? ''}/${options.withAlg ?? true}`;
  let key = keyCache.get(cacheKey);
  if (!key) {
    key = generate(kid, alg, options);
    keyCache.set(cacheKey, key);
  }
  return key;
}

async function generate(kid: string, alg: string, options: { modulusLength?: number; withAlg?: boolean }): Promise<TestKey> {
  const pair =
    alg.startsWith('RS') || alg.startsWith('PS')
      ? generateKeyPairSync('rsa', { modulusLength: options.modulusLength ?? 2048 })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('ec', { namedCurve: alg === 'ES256' ? 'P-256' : alg === 'ES384' ? 'P-384' : 'P-521' });
  const jwk = { ...(await exportJWK(pair.publicKey)), kid, use: 'sig', ...(options.withAlg === false ? {} : { alg }) };
  return { kid, alg, privateKey: pair.privateKey, publicKey: pair.publicKey, jwk };
}

/** Signs `claims` with `key` (header `alg`/`kid` from the key unless overridden). */
export async function sign(key: TestKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header }).sign(key.privateKey);
}

/**
 * RS256 with node:crypto directly: jose refuses keys under 2048 bits, and headers it would not
 * produce (`crit: []`, `crit` naming an extension it does not know, `b64` without `crit`).
 * `header` is merged over `{ alg: 'RS256', kid }`.
 */
export function signRs256Raw(key: TestKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const input = `${b64url({ alg: 'RS256', kid: key.kid, ...header })}.${b64url(claims)}`;
  return `${input}.${cryptoSign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}

export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

// ---------------------------------------------------------------------------------------------
// The IdP

export interface TenantState {
  keys: JWK[];
  /** `issuer` value in the discovery document. Default: the tenant's issuer. */
  discoveryIssuer?: string;
  /** Delay before answering discovery / JWKS, in ms. */
  discoveryDelayMs?: number;
  jwksDelayMs?: number;
  /** Status for JWKS (default 200). */
  jwksStatus?: number;
  /** Serve a JWKS padded to this many bytes (sent chunked, no content-length). */
  jwksPadToBytes?: number;
  /** Refuse connections' requests by destroying the socket. */
  down?: boolean;
  hits: { discovery: number; jwks: number };
}

export interface Idp {
  base: string;
  /** Creates a tenant with its own issuer `${base}/t/${name}` and returns its issuer and state. */
  tenant(name: string, keys: JWK[], extra?: Partial<TenantState>): { issuer: string; state: TenantState };
  close(): Promise<void>;
}

export async function startIdp(): Promise<Idp> {
  const tenants = new Map<string, TenantState>();
  let base = '';
  const server: Server = createServer((req, res) => {
    const m = /^\/t\/([^/]+)\/(\.well-known\/openid-configuration|jwks)$/.exec(req.url ?? '');
    const state = m ? tenants.get(m[1]!) : undefined;
    if (!m || !state) {
      res.writeHead(404).end();
      return;
    }
    if (state.down) {
      req.socket.destroy();
      return;
    }
    const issuer = `${base}/t/${m[1]}`;
    if (m[2] === 'jwks') {
      state.hits.jwks++;
      setTimeout(() => {
        if (state.jwksPadToBytes) {
          res.writeHead(200, { 'content-type': 'application/json' });
          const head = JSON.stringify({ keys: state.keys, padding: '' }).slice(0, -2);
          res.write(head);
          let left = state.jwksPadToBytes - head.length - 2;
          const chunk = 'x'.repeat(16_384);
          while (left > 0) {
            res.write(chunk.slice(0, Math.min(left, chunk.length)));
            left -= chunk.length;
          }
          res.end('"}');
          return;
        }
        res.writeHead(state.jwksStatus ?? 200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
      }, state.jwksDelayMs ?? 0);
      return;
    }
    state.hits.discovery++;
    setTimeout(() => {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ issuer: state.discoveryIssuer ?? issuer, jwks_uri: `${issuer}/jwks`, token_endpoint: `${issuer}/token` }));
    }, state.discoveryDelayMs ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    tenant(name, keys, extra = {}) {
      const state: TenantState = { keys, hits: { discovery: 0, jwks: 0 }, ...extra };
      tenants.set(name, state);
      return { issuer: `${base}/t/${name}`, state };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Authorizer harness

export function jwtConfig(issuer: string, extra: Record<string, unknown> = {}): JwtAuthorizerConfig {
  return jwtAuthorizerSchema.parse({ authorizerType: 'JWT', jwtConfiguration: { issuer, audience: ['api://default', 'client-1'] }, ...extra });
}

export function makeDeps(clock = createManualClock(NOW_MS)): AuthorizerDeps & { clock: ReturnType<typeof createManualClock> } {
  return {
    clock,
    lambdaRuntime: {} as AuthorizerDeps['lambdaRuntime'],
    logger: silentLogger,
    baseDir: process.cwd(),
    gateway: {} as AuthorizerDeps['gateway'],
  };
}

export function makeAuthorizer(config: JwtAuthorizerConfig, options: JwtAuthorizerOptions & { clock?: ReturnType<typeof createManualClock> } = {}) {
  const deps = makeDeps(options.clock);
  const authorizer = createJwtAuthorizerWithOptions('jwt', config, {} as ApiConfig, deps, options);
  return { authorizer, clock: deps.clock };
}

export interface RequestSpec {
  headers?: Record<string, string>;
  rawQueryString?: string;
  authorizationScopes?: string[];
}

export function makeRequest(spec: RequestSpec = {}): AuthorizerRequest {
  const request: GatewayRequest = {
    method: 'GET',
    rawPath: '/hello',
    rawQueryString: spec.rawQueryString ?? '',
    headers: spec.headers ?? {},
    rawHeaders: [],
    sourceIp: '127.0.0.1',
    protocol: 'HTTP/1.1',
    scheme: 'http', port: 80,
    requestId: 'req-1',
    requestTimeEpoch: NOW_MS,
    body: { declaredLength: 0, isEmpty: true, read: async () => Buffer.alloc(0), stream: () => { throw new Error('no body'); } },
  };
  const route = {
    integration: { type: 'mock', statusCode: 200, headers: {}, body: 'ok' },
    ...(spec.authorizationScopes ? { authorizationScopes: spec.authorizationScopes } : {}),
  } as RouteConfig;
  return { request, ctx: {} as RequestContext, api: {} as ApiConfig, route, resourcePath: '/hello' };
}

export function bearer(token: string): RequestSpec {
  return { headers: { authorization: `Bearer ${token}` } };
}

/** Standard valid claims for `issuer`. */
export function claims(issuer: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: issuer, sub: 'user-1', aud: 'api://default', iat: NOW_S - 10, exp: NOW_S + 3600, ...extra };
}
