/**
 * @module cli/token — `portcullis token`: would this route admit this JWT, and if not, why. [io]
 *
 *   portcullis token --config FILE --route "GET /x" [--api NAME] [--at TIME] [--json] TOKEN|-
 *
 * Prints the token's header and claims (decoded, not trusted), the route and its authorizer, the
 * issuer's key status, and the verdict — through the same plug-in the gateway runs
 * (`createJwtAuthorizer().authorize()`), so the reason printed is exactly what
 * `$context.authorizer.error` would say. `--route` is a route key (`GET /pets/{id}`) or a concrete
 * request (`GET /pets/7`) matched like the gateway does. `--at` evaluates time claims at another
 * moment (ISO 8601 or epoch seconds). `-` reads the token from stdin. A `Bearer ` prefix is fine.
 *
 * Exit codes: 0 admitted, 1 refused, 2 usage or config problem.
 */
import { readFileSync } from 'node:fs';
import { createJwtAuthorizerWithOptions, explainIssuerMismatch, isJwtAuthorizerConfig } from '../authorizers/jwt.ts';
import { apisWithJwtAuthorizer, loadDevKeys, mintDevToken } from '../io/dev-keys.ts';
import type { ApiConfig, GatewayConfig, RouteConfig } from '../core/config.ts';
import { ClaimValidationError, ConfigError, GatewayError } from '../core/errors.ts';
import type { GatewayRequest, RequestContext } from '../core/model.ts';
import { compileRoutes, matchRoute } from '../core/routes.ts';
import { decodeUnverifiedJwt, isJwtRejection } from '../core/jwt.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { ConfigFileError, loadConfigFile, type ReadOptions } from '../io/config-file.ts';
import { DEFINITION_USAGE, parseDefinitionOptions } from './definition-options.ts';
import { createLogger } from '../io/logger.ts';
import type { LambdaRuntime } from '../io/lambda-runtime.ts';
import { coreConfigSchema } from '../supertokens/config.ts';

export const TOKEN_USAGE = `usage: portcullis token --config FILE --route "METHOD /path" [--api NAME] [--at TIME] [--json] [--dev-tokens] ${DEFINITION_USAGE} TOKEN|-\n       portcullis token mint --config FILE --authorizer NAME [--api NAME] [--claims JSON] [--expires-in SECONDS] ${DEFINITION_USAGE}`;

export interface TokenCommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => string;
  env: Readonly<Record<string, string | undefined>>;
  clock: Clock;
}

export async function runTokenCommand(argv: string[]): Promise<number> {
  return runTokenCommandWith(argv, {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    readStdin: () => readFileSync(0, 'utf8'),
    env: process.env,
    clock: systemClock,
  });
}

interface Args {
  config?: string;
  route?: string;
  api?: string;
  at?: string;
  json: boolean;
  /** Also trust the authorizer's dev key, as `portcullis start --dev-tokens` does. */
  devTokens: boolean;
  token?: string;
  /** `--format`, `--parameter-overrides`, `--allow-unenforced` (a template as the config). */
  read: ReadOptions;
}

function parseArgs(argv: readonly string[]): Args | string {
  const args: Args = { json: false, devTokens: false, read: {} };
  const format: string[] = [];
  const overrides: string[] = [];
  const functions: string[] = [];
  let allowUnenforced = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--config':
      case '-c':
        args.config = value();
        break;
      case '--route':
        args.route = value();
        break;
      case '--api':
        args.api = value();
        break;
      case '--at':
        args.at = value();
        break;
      case '--json':
        args.json = true;
        break;
      case '--format':
        format.push(value() ?? '');
        break;
      case '--parameter-overrides':
        overrides.push(value() ?? '');
        break;
      case '--allow-unenforced':
        allowUnenforced = true;
        break;
      case '--function':
        functions.push(value() ?? '');
        break;
      case '--dev-tokens':
        args.devTokens = true;
        break;
      case '-h':
      case '--help':
        return 'help';
      default:
        if (a.startsWith('--')) return `unknown option ${a}`;
        if (args.token !== undefined) return 'give exactly one token (or - for stdin)';
        args.token = a;
    }
  }
  const read = parseDefinitionOptions({ format: format.at(-1), 'parameter-overrides': overrides, 'allow-unenforced': allowUnenforced, function: functions });
  if (typeof read === 'string') return read;
  args.read = read;
  if (!args.config) return 'missing --config FILE';
  if (!args.route) return 'missing --route "METHOD /path"';
  if (args.token === undefined) return 'missing TOKEN (or - to read it from stdin)';
  return args;
}

/** `runTokenCommand` with injectable streams and clock (tests). */
export async function runTokenCommandWith(argv: string[], io: TokenCommandIo): Promise<number> {
  if (argv[0] === 'mint') return runMint(argv.slice(1), io);
  const args = parseArgs(argv);
  if (args === 'help') {
    io.stdout(TOKEN_USAGE + '\n');
    return 0;
  }
  if (typeof args === 'string') {
    io.stderr(`portcullis token: ${args}\n${TOKEN_USAGE}\n`);
    return 2;
  }
  const fail = (msg: string) => {
    io.stderr(`portcullis token: ${msg}\n`);
    return 2;
  };

  let clock = io.clock;
  if (args.at !== undefined) {
    const ms = /^\d+(\.\d+)?$/.test(args.at) ? Number(args.at) * 1000 : Date.parse(args.at);
    if (!Number.isFinite(ms)) return fail(`--at must be ISO 8601 or epoch seconds, got ${JSON.stringify(args.at)}`);
    clock = { nowMs: () => ms };
  }

  let loaded;
  try {
    // The same file `start` accepts (a portcullis.yaml, a serverless.yml, a template): its `core:` section checked by the session core's schema too.
    loaded = await loadConfigFile(args.config!, io.env, { core: coreConfigSchema }, args.read);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof ConfigFileError) return fail(err.message);
    throw err;
  }
  const found = findRoute(loaded.config, args.route!, args.api);
  if (typeof found === 'string') return fail(found);
  const { api, routeKey, route, path } = found;
  const authorizerId = route.authorizerId;
  const authConfig = authorizerId ? api.authorizers[authorizerId] : undefined;
  if (!authorizerId || !authConfig) return fail(`route "${routeKey}" of API "${api.name}" has no authorizer`);
  if (!isJwtAuthorizerConfig(authConfig)) return fail(`route "${routeKey}" uses authorizer "${authorizerId}" of type ${authConfig.authorizerType}; this command checks JWT authorizers`);

  let raw = args.token === '-' ? io.readStdin() : args.token!;
  raw = raw.trim();
  const token = raw.startsWith('Bearer ') ? raw.slice(7) : raw;

  const out: string[] = [];
  const report: Record<string, unknown> = {};
  const decoded = decodeUnverifiedJwt(token);
  if (isJwtRejection(decoded)) {
    out.push(`header:  (cannot decode: ${decoded.description})`);
    report.header = null;
    report.claims = null;
  } else {
    out.push('header:', indent(JSON.stringify(decoded.header.raw, null, 2)));
    out.push('claims (decoded, not yet verified):', indent(JSON.stringify(decoded.payload, null, 2)));
    const times = describeTimes(decoded.payload, clock.nowMs());
    if (times) out.push(`times:   ${times}`);
    report.header = decoded.header.raw;
    report.claims = decoded.payload;
  }
  const scopes = route.authorizationScopes ?? [];
  out.push(
    `route:   ${routeKey} (API "${api.name}", authorizer "${authorizerId}", issuer ${authConfig.jwtConfiguration.issuer}${scopes.length ? `, scopes: ${scopes.join(' ')}` : ''})`,
  );

  // The gateway's factory (`createJwtAuthorizer`) is this function with default options.
  const authorizer = createJwtAuthorizerWithOptions(authorizerId, authConfig, api, {
    clock,
    lambdaRuntime: {} as LambdaRuntime,
    logger: createLogger({ level: 'silent' }),
    baseDir: loaded.baseDir,
    gateway: loaded.config,
  }, args.devTokens ? { devKey: (await loadDevKeys(loaded.config, loaded.baseDir)).get(api.name, authorizerId) } : {});
  await authorizer.warmUp();
  const source = Array.isArray(authConfig.identitySource) ? authConfig.identitySource[0]! : authConfig.identitySource;
  const request = fakeRequest(source, raw, path, clock.nowMs());
  let code: number;
  try {
    const outcome = await authorizer.authorize({ request, ctx: {} as RequestContext, api, route, resourcePath: routeKey.split(' ')[1] ?? routeKey });
    out.push(`keys:    ${authorizer.status().detail}`);
    out.push('result:  ADMITTED');
    out.push('claims as the integration sees them ($context.authorizer.claims):', indent(JSON.stringify(outcome.claims, null, 2)));
    out.push(`scopes:  ${JSON.stringify(outcome.scopes)}`);
    report.result = { admitted: true, claims: outcome.claims, scopes: outcome.scopes };
    code = 0;
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    out.push(`keys:    ${authorizer.status().detail}`);
    out.push(`result:  REFUSED ${err.status} ${err instanceof ClaimValidationError ? err.body : `{"message":${JSON.stringify(err.publicMessage)}}`}`);
    out.push(`reason:  ${err.detail ?? ''}`);
    const why = err.audit?.reason;
    if (why && why !== err.detail) out.push(`why:     ${why}`);
    for (const rule of err.audit?.failedRules ?? []) out.push(`failed rule: claims["${rule.path}"]: ${rule.explanation}`);
    const found = authorizer.status().keys.discoveredIssuer;
    if (found !== null) {
      out.push(`discovery: the OIDC discovery document of ${authConfig.jwtConfiguration.issuer} says its issuer is ${JSON.stringify(found)}`);
      out.push(`fix:     ${explainIssuerMismatch(found, authConfig.jwtConfiguration.issuer, 'discovery')}`);
    }
    if (err.headers['www-authenticate']) out.push(`www-authenticate: ${err.headers['www-authenticate']}`);
    report.result = { admitted: false, status: err.status, reason: err.detail ?? null, why: err.audit?.reason ?? null, failedRules: err.audit?.failedRules ?? [], headers: err.headers };
    code = 1;
  } finally {
    await authorizer.close();
  }
  io.stdout(args.json ? JSON.stringify({ route: routeKey, api: api.name, authorizer: authorizerId, keys: authorizer.status().keys, ...report }, null, 2) + '\n' : out.join('\n') + '\n');
  return code;
}

function indent(text: string): string {
  return text.replace(/^/gm, '  ');
}

function describeTimes(payload: Readonly<Record<string, unknown>>, nowMs: number): string {
  const parts: string[] = [];
  for (const name of ['iat', 'nbf', 'exp'] as const) {
    const v = payload[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > 8.64e12) continue;
    const delta = Math.round(v - nowMs / 1000);
    parts.push(`${name} ${new Date(v * 1000).toISOString()} (${delta >= 0 ? `in ${formatSeconds(delta)}` : `${formatSeconds(-delta)} ago`})`);
  }
  return parts.join(', ');
}

function formatSeconds(s: number): string {
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

interface FoundRoute {
  api: ApiConfig;
  routeKey: string;
  route: RouteConfig;
  /** Request path to put in the fake request. */
  path: string;
}

/** An exact route key first; otherwise a concrete `METHOD /path` matched with the gateway's router. */
function findRoute(config: GatewayConfig, spec: string, apiName: string | undefined): FoundRoute | string {
  const apis = apiName ? config.apis.filter((a) => a.name === apiName) : config.apis;
  if (apiName && apis.length === 0) return `no API named "${apiName}" (known: ${config.apis.map((a) => `"${a.name}"`).join(', ') || 'none'})`;
  const normalized = spec.trim().replace(/\s+/, ' ');
  const [rawMethod = '', rawPath = '/'] = normalized.split(' ');
  const method = rawMethod.toUpperCase();
  const hits: FoundRoute[] = [];
  for (const api of apis) {
    const exact = api.routes[normalized] ?? api.routes[`${method} ${rawPath}`];
    if (exact) {
      hits.push({ api, routeKey: api.routes[normalized] ? normalized : `${method} ${rawPath}`, route: exact, path: rawPath });
      continue;
    }
    const table = compileRoutes(Object.entries(api.routes).map(([routeKey, value]) => ({ routeKey, value })));
    const m = matchRoute(table, method, rawPath);
    if (m) hits.push({ api, routeKey: m.entry.routeKey, route: m.entry.value, path: rawPath });
  }
  if (hits.length === 0) return `no route matches "${spec}"${apiName ? ` in API "${apiName}"` : ''}`;
  if (hits.length > 1) return `"${spec}" matches routes in several APIs (${hits.map((h) => `"${h.api.name}"`).join(', ')}); pick one with --api NAME`;
  return hits[0]!;
}

function fakeRequest(source: string, value: string, path: string, nowMs: number): GatewayRequest {
  const m = /^\$request\.(header|querystring)\.(.+)$/.exec(source);
  const headers: Record<string, string> = {};
  let rawQueryString = '';
  if (m?.[1] === 'querystring') rawQueryString = `${encodeURIComponent(m[2]!)}=${encodeURIComponent(value)}`;
  else if (m) headers[m[2]!.toLowerCase()] = value;
  return {
    method: 'GET',
    rawPath: path,
    rawQueryString,
    headers,
    rawHeaders: [],
    sourceIp: '127.0.0.1',
    protocol: 'HTTP/1.1',
    scheme: 'http', port: 80,
    requestId: 'portcullis-token',
    requestTimeEpoch: nowMs,
    body: {
      declaredLength: 0,
      isEmpty: true,
      read: async () => Buffer.alloc(0),
      stream: () => {
        throw new Error('no body');
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// portcullis token mint

/**
 * `portcullis token mint --config FILE --authorizer NAME [--api NAME] [--claims JSON] [--expires-in S]`:
 * prints a token signed with the authorizer's dev key (io/dev-keys.ts), with its configured `iss`
 * and first `aud`, accepted by a gateway started with `--dev-tokens` on the same config, and by
 * nothing else. Works offline; creates `.portcullis/dev-keys.json` beside the config on first use.
 */
async function runMint(argv: readonly string[], io: TokenCommandIo): Promise<number> {
  const opts: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    if (flag === '-h' || flag === '--help') {
      io.stdout(TOKEN_USAGE + '\n');
      return 0;
    }
    const name = flag === '-c' ? 'config' : flag.replace(/^--/, '');
    if (!['config', 'authorizer', 'api', 'claims', 'expires-in'].includes(name) || !flag.startsWith('-')) {
      io.stderr(`portcullis token mint: unknown argument ${a}\n${TOKEN_USAGE}\n`);
      return 2;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) {
      io.stderr(`portcullis token mint: ${flag} needs a value\n`);
      return 2;
    }
    opts[name] = value;
  }
  const fail = (msg: string) => {
    io.stderr(`portcullis token mint: ${msg}\n`);
    return 2;
  };
  if (!opts.config) return fail('missing --config FILE');
  if (!opts.authorizer) return fail('missing --authorizer NAME');
  let claims: unknown = {};
  if (opts.claims !== undefined) {
    try {
      claims = JSON.parse(opts.claims);
    } catch {
      return fail(`--claims must be a JSON object, e.g. '{"sub":"u1","scope":"read"}'`);
    }
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) return fail('--claims must be a JSON object');
  }
  let expiresInSeconds: number | undefined;
  if (opts['expires-in'] !== undefined) {
    if (!/^\d+$/.test(opts['expires-in'])) return fail('--expires-in must be a whole number of seconds');
    expiresInSeconds = Number(opts['expires-in']);
  }
  let loaded;
  try {
    loaded = await loadConfigFile(opts.config, io.env, { core: coreConfigSchema });
  } catch (err) {
    if (err instanceof ConfigError || err instanceof ConfigFileError) return fail(err.message);
    throw err;
  }
  let apiName = opts.api;
  if (apiName === undefined) {
    const apis = apisWithJwtAuthorizer(loaded.config, opts.authorizer);
    if (apis.length === 0) {
      const known = loaded.config.apis.flatMap((a) => Object.entries(a.authorizers).filter(([, z]) => z.authorizerType === 'JWT').map(([id]) => `"${id}" (API "${a.name}")`));
      return fail(`no JWT authorizer "${opts.authorizer}" (JWT authorizers: ${known.join(', ') || 'none'})`);
    }
    if (apis.length > 1) return fail(`several APIs have a JWT authorizer "${opts.authorizer}" (${apis.map((a) => `"${a}"`).join(', ')}); pick one with --api NAME`);
    apiName = apis[0]!;
  }
  const keys = await loadDevKeys(loaded.config, loaded.baseDir);
  const minted = mintDevToken(loaded.config, keys, { api: apiName, authorizer: opts.authorizer, claims: claims as Record<string, unknown>, expiresInSeconds, nowMs: io.clock.nowMs() });
  if ('error' in minted) return fail(minted.error);
  io.stdout(minted.token + '\n');
  io.stderr(`portcullis token mint: valid only for a gateway started with --dev-tokens on this config (key file ${keys.file})\n`);
  return 0;
}
