/**
 * The benchmark as data: which configurations exist, how each starts, and which cases (configuration ×
 * token mode × path) each scenario measures. `bench/run.ts` only interprets these tables.
 *
 * Ids follow the earlier peer benchmark: (a) direct upstream, (b) bare Node proxy, (c*) b + auth variants,
 * (d*) HAProxy, (e*) nginx, (f*) fastify, (g*) serverless-offline; (p*) are Portcullis.
 */
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, waitHttp, type Proc } from './lib/proc.ts';
import type { BenchKeys } from './lib/keys.ts';

export const PORTS = { upstream: 9001, bare: 9101, haproxyPlain: 9200, haproxyJwt: 9201, nginx: 9300, authorizer: 9401, fastify: 9501, sls: 9701, portcullis: 9801 } as const;
const UP = `127.0.0.1:${PORTS.upstream}`;

export interface Env {
  root: string;
  work: string;
  run: string;
  keys: BenchKeys;
  node: string;
  /** Extra node flags for Portcullis processes (e.g. `--cpu-prof`). */
  portcullisNodeFlags: string[];
  /** Checkout whose `bin/portcullis.mjs` runs (A/B against another tree); default `root`. */
  portcullisRoot: string;
}

export interface Started {
  procs: Proc[];
  /** Base URL; the case adds its path. */
  url: string;
  /** Returns how many times the authorizer ran so far (services that can tell). */
  authorizerCalls?: () => Promise<number | null>;
}

export interface Config {
  id: string;
  label: string;
  /** Debian packages or npm scratch dirs it needs (checked before the run). */
  needs: Array<'wrk' | 'haproxy' | 'nginx' | 'npm-peers' | 'sls'>;
  /** Processes whose CPU counts as "gateway" (null: not a gateway, e.g. direct to the upstream). */
  isGateway: boolean;
  portcullis?: boolean;
  start(env: Env): Promise<Started> | Started;
}

export type TokenMode = 'repeated' | 'fresh';
/** `jwt`: valid → 200 and the 8 bad cases → 401; `open`: valid → 200 only. */
export type CheckKind = 'jwt' | 'open';

export interface Case {
  id: string;
  config: string;
  path: string;
  token: TokenMode;
  check: CheckKind;
}

const peer = (env: Env, file: string) => join(env.root, 'bench/peers', file);
const log = (env: Env, id: string) => join(env.run, `${id}.log`);

function bare(id: string, auth: string, withAuthorizer = false): Config['start'] {
  return async (env) => {
    const procs: Proc[] = [];
    const common = { PUB_KEY: env.keys.publicKeyPem, UPSTREAM: `http://${UP}`, PORT: String(PORTS.bare), AUTHZ: `http://127.0.0.1:${PORTS.authorizer}` };
    if (withAuthorizer) {
      procs.push(startProcess(`${id}-authorizer`, env.node, [peer(env, 'authorizer.mjs')], { env: { ...common, PORT: String(PORTS.authorizer) }, log: log(env, `${id}-authorizer`) }));
      await waitHttp(`http://127.0.0.1:${PORTS.authorizer}/__count`, 10_000, procs);
    }
    procs.push(startProcess(id, env.node, [peer(env, 'proxy-bare.mjs')], { env: { ...common, AUTH: auth }, log: log(env, id) }));
    return { procs, url: `http://127.0.0.1:${PORTS.bare}`, authorizerCalls: withAuthorizer ? () => countOf(PORTS.authorizer) : undefined };
  };
}

async function countOf(port: number): Promise<number | null> {
  try {
    return Number(await (await fetch(`http://127.0.0.1:${port}/__count`)).text());
  } catch {
    return null;
  }
}

function haproxy(port: number): Config['start'] {
  return (env) => {
    const cfg = join(env.run, 'haproxy.cfg');
    writeFileSync(cfg, readFileSync(peer(env, 'haproxy.cfg.tmpl'), 'utf8').replaceAll('__UP__', UP).replaceAll('__PUB__', env.keys.publicKeyPem));
    return { procs: [startProcess('haproxy', 'haproxy', ['-db', '-f', cfg], { log: log(env, 'haproxy') })], url: `http://127.0.0.1:${port}` };
  };
}

function nginx(port: number, withAuthorizer: boolean): Config['start'] {
  return async (env) => {
    const procs: Proc[] = [];
    rmSync(join(env.run, 'nginx-authcache'), { recursive: true, force: true });
    if (withAuthorizer) {
      procs.push(startProcess('authorizer', env.node, [peer(env, 'authorizer.mjs')], { env: { PUB_KEY: env.keys.publicKeyPem, PORT: String(PORTS.authorizer) }, log: log(env, 'nginx-authorizer') }));
      await waitHttp(`http://127.0.0.1:${PORTS.authorizer}/__count`, 10_000, procs);
    }
    const cfg = join(env.run, 'nginx-gw.conf');
    writeFileSync(cfg, readFileSync(peer(env, 'nginx-gw.conf.tmpl'), 'utf8').replaceAll('__UP__', UP).replaceAll('__RUN__', env.run));
    procs.push(startProcess('nginx', 'nginx', ['-p', `${env.run}/`, '-c', cfg, '-e', join(env.run, 'nginx-gw.error.log')], { log: log(env, 'nginx') }));
    return { procs, url: `http://127.0.0.1:${port}`, authorizerCalls: withAuthorizer ? () => countOf(PORTS.authorizer) : undefined };
  };
}

function fastify(auth: string): Config['start'] {
  return (env) => {
    // fastify lives in .bench-work/npm/node_modules: run the script from there so imports resolve.
    const dir = join(env.work, 'npm');
    copyFileSync(peer(env, 'fastify-gw.mjs'), join(dir, 'fastify-gw.mjs'));
    const p = startProcess('fastify', env.node, [join(dir, 'fastify-gw.mjs')], { env: { PUB_KEY: env.keys.publicKeyPem, UPSTREAM: `http://${UP}`, PORT: String(PORTS.fastify), AUTH: auth }, log: log(env, 'fastify') });
    return { procs: [p], url: `http://127.0.0.1:${PORTS.fastify}` };
  };
}

function sls(): Config['start'] {
  return (env) => {
    const app = join(env.work, 'sls', 'app');
    mkdirSync(app, { recursive: true });
    const countFile = join(env.run, 'sls-authorizer-count');
    rmSync(countFile, { force: true });
    writeFileSync(join(app, 'serverless.yml'), readFileSync(peer(env, 'sls/serverless.yml'), 'utf8').replaceAll('__COUNT_FILE__', countFile).replaceAll('__PUB__', env.keys.publicKeyPem));
    cpSync(peer(env, 'sls/handler.js'), join(app, 'handler.js'));
    mkdirSync(join(env.work, 'sls', 'home'), { recursive: true });
    const p = startProcess('serverless-offline', env.node, [join(env.work, 'sls/node_modules/serverless/bin/serverless.js'), 'offline', 'start', '--ignoreJWTSignature'], {
      cwd: app,
      env: { HOME: join(env.work, 'sls', 'home'), SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', SLS_DEPRECATION_DISABLE: '*' },
      log: log(env, 'sls'),
    });
    return {
      procs: [p],
      url: `http://127.0.0.1:${PORTS.sls}`,
      authorizerCalls: async () => {
        try {
          return readFileSync(countFile).length;
        } catch {
          return 0;
        }
      },
    };
  };
}

/** The Portcullis config for every scenario, as the `portcullis.yaml` shape (written as JSON). */
export function portcullisConfig(env: Env, workers: number): unknown {
  const upstream = `http://${UP}/`;
  const fn = (handler: string) => ({ handler: peer(env, `lambda/${handler}`), environment: { PUB_KEY: env.keys.publicKeyPem } });
  return {
    server: { host: '127.0.0.1', port: PORTS.portcullis, workers, shutdownTimeoutMs: 2000 },
    apis: [
      {
        name: 'bench',
        protocol: 'http',
        stage: '$default',
        authorizers: {
          jwt: {
            authorizerType: 'JWT',
            jwtConfiguration: { issuer: 'https://issuer.example.test/', audience: ['bench-api'] },
            jwksUri: `http://${UP}/.well-known/jwks.json`,
          },
        },
        routes: {
          'GET /': { authorizerId: 'jwt', integration: { type: 'http', uri: upstream } },
          'GET /open': { integration: { type: 'http', uri: upstream } },
          'GET /lambda': { authorizerId: 'jwt', integration: { type: 'lambda', ...fn('hello.mjs') } },
        },
      },
      {
        name: 'bench-rest',
        protocol: 'rest',
        stage: 'rest',
        authorizers: {
          cached: { authorizerType: 'REQUEST', function: fn('authorize.mjs'), identitySource: 'method.request.header.Authorization', authorizerResultTtlInSeconds: 300 },
          uncached: { authorizerType: 'REQUEST', function: fn('authorize.mjs'), identitySource: 'method.request.header.Authorization', authorizerResultTtlInSeconds: 0 },
        },
        routes: {
          'GET /cached': { authorizerId: 'cached', integration: { type: 'http', uri: upstream } },
          'GET /uncached': { authorizerId: 'uncached', integration: { type: 'http', uri: upstream } },
        },
      },
    ],
  };
}

function portcullis(workers: number): Config['start'] {
  return (env) => {
    const cfg = join(env.run, `portcullis-w${workers}.json`);
    writeFileSync(cfg, JSON.stringify(portcullisConfig(env, workers), null, 1));
    const p = startProcess(`portcullis-w${workers}`, env.node, [...env.portcullisNodeFlags, join(env.portcullisRoot, 'bin/portcullis.mjs'), 'start', '--config', cfg], {
      env: { PORTCULLIS_LOG_LEVEL: 'error' },
      log: log(env, `portcullis-w${workers}`),
    });
    return { procs: [p], url: `http://127.0.0.1:${PORTS.portcullis}` };
  };
}

export const CONFIGS: readonly Config[] = [
  { id: 'a', label: '(a) direct → node:http upstream (no gateway)', needs: ['wrk'], isGateway: false, start: () => ({ procs: [], url: `http://${UP}` }) },
  { id: 'b', label: '(b) bare Node proxy: node:http + undici Pool, no auth', needs: ['wrk'], isGateway: true, start: bare('b', 'none') },
  { id: 'c1', label: '(c1) b + RS256 per request (node:crypto, cached KeyObject)', needs: ['wrk'], isGateway: true, start: bare('c1', 'crypto') },
  { id: 'c3', label: '(c3) b + RS256 + verified-token cache', needs: ['wrk'], isGateway: true, start: bare('c3', 'crypto-cache') },
  { id: 'c4', label: '(c4) b + HTTP custom authorizer per request', needs: ['wrk'], isGateway: true, start: bare('c4', 'authz-http', true) },
  { id: 'c5', label: '(c5) b + HTTP custom authorizer, decision cache', needs: ['wrk'], isGateway: true, start: bare('c5', 'authz-http-cache', true) },
  { id: 'd0', label: '(d0) HAProxy plain proxy (nbthread 1)', needs: ['wrk', 'haproxy'], isGateway: true, start: haproxy(PORTS.haproxyPlain) },
  { id: 'd1', label: '(d1) HAProxy jwt_verify RS256 + alg/iss/aud/exp (nbthread 1)', needs: ['wrk', 'haproxy'], isGateway: true, start: haproxy(PORTS.haproxyJwt) },
  { id: 'e0', label: '(e0) nginx plain proxy (1 worker)', needs: ['wrk', 'nginx'], isGateway: true, start: nginx(PORTS.nginx, false) },
  { id: 'e1', label: '(e1) nginx auth_request → Node authorizer, no cache', needs: ['wrk', 'nginx'], isGateway: true, start: nginx(PORTS.nginx + 1, true) },
  { id: 'e2', label: '(e2) nginx auth_request + proxy_cache', needs: ['wrk', 'nginx'], isGateway: true, start: nginx(PORTS.nginx + 2, true) },
  { id: 'f1', label: '(f1) fastify 5 + @fastify/jwt RS256 + reply-from', needs: ['wrk', 'npm-peers'], isGateway: true, start: fastify('jwt') },
  { id: 'g1', label: '(g1) serverless-offline HTTP API JWT authorizer (decode only)', needs: ['wrk', 'sls'], isGateway: true, start: sls() },
  { id: 'g2', label: '(g2) serverless-offline REST Lambda REQUEST authorizer', needs: ['wrk', 'sls'], isGateway: true, start: sls() },
  { id: 'p1', label: 'Portcullis, 1 worker', needs: ['wrk'], isGateway: true, portcullis: true, start: portcullis(1) },
  { id: 'p1w2', label: 'Portcullis, 2 workers', needs: ['wrk'], isGateway: true, portcullis: true, start: portcullis(2) },
];

/** Case ids: `<config>/<path>[:fresh]`, named for the table. */
export interface CaseDef extends Case {
  label: string;
}

const c = (id: string, config: string, label: string, path: string, check: CheckKind, token: TokenMode = 'repeated'): CaseDef => ({ id, config, label, path, check, token });

export const CASES: readonly CaseDef[] = [
  c('a', 'a', '(a) direct → upstream (no gateway)', '/', 'open'),
  c('b', 'b', '(b) bare Node proxy, no auth', '/', 'open'),
  c('c1', 'c1', '(c1) b + RS256 per request, node:crypto', '/', 'jwt'),
  c('c1:fresh', 'c1', '(c1) b + RS256 per request, node:crypto — fresh tokens', '/', 'jwt', 'fresh'),
  c('c3', 'c3', '(c3) b + RS256 + verified-token cache', '/', 'jwt'),
  c('c4', 'c4', '(c4) b + HTTP custom authorizer per request', '/', 'jwt'),
  c('c5', 'c5', '(c5) b + HTTP custom authorizer, decision cache', '/', 'jwt'),
  c('d0', 'd0', '(d0) HAProxy plain proxy (1 thread)', '/', 'open'),
  c('d1', 'd1', '(d1) HAProxy jwt_verify (1 thread)', '/', 'jwt'),
  c('d1:fresh', 'd1', '(d1) HAProxy jwt_verify (1 thread) — fresh tokens', '/', 'jwt', 'fresh'),
  c('e0', 'e0', '(e0) nginx plain proxy (1 worker)', '/', 'open'),
  c('e1', 'e1', '(e1) nginx auth_request, no cache', '/', 'jwt'),
  c('e2', 'e2', '(e2) nginx auth_request + proxy_cache', '/', 'jwt'),
  c('f1', 'f1', '(f1) fastify + @fastify/jwt + reply-from', '/', 'jwt'),
  c('g1', 'g1', '(g1) serverless-offline HTTP API JWT (decode only)', '/jwt', 'jwt'),
  c('g2', 'g2', '(g2) serverless-offline REST Lambda authorizer', '/dev/rest', 'jwt'),
  c('p1', 'p1', 'Portcullis JWT → HTTP, repeated token', '/', 'jwt'),
  c('p1:fresh', 'p1', 'Portcullis JWT → HTTP, fresh token per request', '/', 'jwt', 'fresh'),
  c('p1w2', 'p1w2', 'Portcullis JWT → HTTP, repeated token, 2 workers', '/', 'jwt'),
  c('p1w2:fresh', 'p1w2', 'Portcullis JWT → HTTP, fresh token, 2 workers', '/', 'jwt', 'fresh'),
  c('p2', 'p1', 'Portcullis JWT → Lambda handler module', '/lambda', 'jwt'),
  c('p3c', 'p1', 'Portcullis REST Lambda authorizer, cached (TTL 300)', '/rest/cached', 'jwt'),
  c('p3u', 'p1', 'Portcullis REST Lambda authorizer, uncached (TTL 0)', '/rest/uncached', 'jwt'),
  c('p4', 'p1', 'Portcullis, no authorizer → HTTP', '/open', 'open'),
  c('p4w2', 'p1w2', 'Portcullis, no authorizer → HTTP, 2 workers', '/open', 'open'),
];

/** Load scenarios: the cases each one shows, in table order. 5 and 6 are in-process (see run.ts). */
export const SCENARIOS: Record<number, { title: string; cases: string[] }> = {
  1: { title: 'Scenario 1: JWT authorizer → HTTP backend (repeated token; fresh token per request)', cases: ['a', 'b', 'c1', 'c1:fresh', 'c3', 'd1', 'd1:fresh', 'f1', 'p1', 'p1:fresh', 'p1w2', 'p1w2:fresh'] },
  2: { title: 'Scenario 2: JWT authorizer → Lambda handler module', cases: ['b', 'g1', 'p2'] },
  3: { title: 'Scenario 3: REST Lambda authorizer, cached and uncached → HTTP backend', cases: ['b', 'c4', 'c5', 'e1', 'e2', 'g2', 'p3c', 'p3u'] },
  4: { title: 'Scenario 4: no authorizer → HTTP backend (gateway overhead alone)', cases: ['a', 'b', 'd0', 'e0', 'p4', 'p4w2'] },
};
