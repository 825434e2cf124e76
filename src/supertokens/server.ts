/**
 * @module supertokens/server — the CDI listener: gatekeeping, routing, JSON in and out. [io]
 *
 * Request lifecycle (each step fails with the Java core's status and plain-text body):
 *
 *   path → strip `/appid-<app>/` → match route, else strip `/<tenant>/` and match   404 `Not found`
 *   method allowed for the path?                                                    405 `Method not supported`
 *   API key (`api-key` or `Authorization: Bearer`), unless public                   401 `Invalid API key`
 *   `cdi-version` present and supported (cdi.ts), unless public or /apiversion     400 `cdi-version … `
 *   app configured; tenant configured or created (unless the route reads tenants)    400 `AppId or tenantId not found => …`
 *   app-level API called with a non-public tenant?                                  403 `Only public tenantId can call this app specific API`
 *   body: JSON object (POST/PUT), at most maxRequestBodyBytes                       400 `Invalid Json Input` / 413
 *   handler → 200 JSON (business outcomes carry `status`), or CoreHttpError
 *   database failure or bug                                                         500 `Internal Error` (logged)
 *
 * Must not: log bodies or headers (they carry tokens, passwords and API keys).
 */
import { timingSafeEqual } from 'node:crypto';
import { sha256 } from '../core/digest.ts';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { CoreHttpError, StoreUnavailableError } from './errors.ts';
import { CdiVersion, unsupportedCdiVersionMessage } from './cdi.ts';
import { coreRoutes } from './routes/core.ts';
import { emailPasswordRoutes } from './routes/emailpassword.ts';
import { emailVerificationRoutes } from './routes/emailverification.ts';
import { sessionRoutes } from './routes/session.ts';
import type { CoreRuntime, Route, RouteResponse } from './routes/types.ts';
import { userRoleRoutes } from './routes/userroles.ts';
import { userRoutes } from './routes/users.ts';
import { userIdMappingRoutes } from './routes/useridmapping.ts';
import { thirdPartyRoutes } from './routes/thirdparty.ts';
import { multitenancyRoutes } from './routes/multitenancy.ts';
import { passwordlessRoutes } from './routes/passwordless.ts';
import { totpRoutes } from './routes/totp.ts';
import { accountLinkingRoutes } from './routes/accountlinking.ts';
import type { JsonObject } from './store.ts';

/** Every CDI route this core serves. */
export const ALL_ROUTES: readonly Route[] = [
  ...coreRoutes,
  ...sessionRoutes,
  ...emailPasswordRoutes,
  ...emailVerificationRoutes,
  ...userRoleRoutes,
  ...userRoutes,
  ...userIdMappingRoutes,
  ...thirdPartyRoutes,
  ...multitenancyRoutes,
  ...passwordlessRoutes,
  ...totpRoutes,
  ...accountLinkingRoutes,
];

/** Routes by path (several methods, or several `rid`s, may share a path). */
function indexRoutes(routes: readonly Route[]): Map<string, Route[]> {
  const byPath = new Map<string, Route[]>();
  for (const route of routes) {
    const list = byPath.get(route.path) ?? [];
    list.push(route);
    byPath.set(route.path, list);
  }
  return byPath;
}

export interface ResolvedPath {
  appId: string;
  tenantId: string;
  /** True when the path carried a tenant segment. */
  hasTenantSegment: boolean;
  candidates: Route[];
}

/**
 * Splits `/appid-<app>/<tenant>/<api>` (both prefixes optional, compared lowercased) and finds
 * the routes for `<api>`. Returns undefined when no API matches.
 */
/** A malformed escape is kept as received; it then names no known tenant (400, never 500). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function resolvePath(pathname: string, byPath: ReadonlyMap<string, Route[]>): ResolvedPath | undefined {
  let segments = pathname.split('/').filter((s) => s !== '');
  let appId = 'public';
  const first = segments[0];
  if (first !== undefined && /^appid-/i.test(first)) {
    appId = first.slice('appid-'.length).toLowerCase();
    segments = segments.slice(1);
  }
  const direct = byPath.get(`/${segments.join('/')}`);
  if (direct !== undefined) return { appId, tenantId: 'public', hasTenantSegment: false, candidates: direct };
  const tenant = segments[0];
  if (tenant === undefined || segments.length < 2) return undefined;
  const scoped = byPath.get(`/${segments.slice(1).join('/')}`);
  if (scoped === undefined) return undefined;
  return { appId, tenantId: decodeSegment(tenant).toLowerCase(), hasTenantSegment: true, candidates: scoped };
}

/** Constant-time membership test for API keys. */
function isAllowedApiKey(presented: string | undefined, allowedDigests: readonly Buffer[]): boolean {
  if (presented === undefined) return false;
  const digest = sha256(presented, 'buffer');
  let found = false;
  for (const allowed of allowedDigests) found = timingSafeEqual(digest, allowed) || found;
  return found;
}

function presentedApiKey(req: IncomingMessage): string | undefined {
  const header = req.headers['api-key'];
  if (typeof header === 'string') return header;
  const authorization = req.headers.authorization;
  if (typeof authorization === 'string' && /^bearer /i.test(authorization)) return authorization.slice(7).trim();
  return undefined;
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      throw new CoreHttpError('ERR_CORE_BODY_TOO_LARGE', 413, `Request body larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, response: RouteResponse): void {
  const headers: Record<string, string> = { ...response.headers };
  let body: string;
  if (response.text !== undefined) {
    headers['content-type'] = 'text/plain; charset=utf-8';
    body = response.text;
  } else {
    headers['content-type'] = 'application/json; charset=utf-8';
    body = JSON.stringify(response.json ?? {});
  }
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(status, headers);
  res.end(body);
}

export interface CoreServerOptions {
  /** Receives one line per failure worth an operator's attention (never secrets). */
  log: (line: string) => void;
}

/** Tracks in-flight requests so `close()` can drain them. */
export interface CoreServer {
  server: Server;
  /** Resolves when every in-flight request has finished. */
  drain(): Promise<void>;
}

/** Builds the node:http server for a runtime (not yet listening). */
export function createCoreServer(runtime: CoreRuntime, options: CoreServerOptions): CoreServer {
  const byPath = indexRoutes(ALL_ROUTES);
  const apiKeyDigests = runtime.config.apiKeys.map((key) => sha256(key, 'buffer'));
  const appIds = new Set(runtime.config.appIds);
  const tenantIds = new Set(runtime.config.tenantIds);
  let inFlight = 0;
  let drained: (() => void) | undefined;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://core.invalid');
    const resolved = resolvePath(url.pathname, byPath);
    if (resolved === undefined) throw new CoreHttpError('ERR_CORE_NOT_FOUND', 404, 'Not found');
    const method = (req.method ?? 'GET').toUpperCase();
    const sameMethod = resolved.candidates.filter((r) => r.method === method);
    if (sameMethod.length === 0) throw new CoreHttpError('ERR_CORE_METHOD_NOT_ALLOWED', 405, 'Method not supported');
    const rid = typeof req.headers.rid === 'string' ? req.headers.rid : undefined;
    const route = sameMethod.length === 1 ? sameMethod[0]! : (sameMethod.find((r) => r.rid === rid) ?? sameMethod[0]!);
    // A shared path such as PUT /recipe/user is routed by `rid`; a recipe we do not implement is refused.
    if (route.rid !== undefined && rid !== undefined && rid !== route.rid) {
      throw new CoreHttpError('ERR_CORE_NOT_FOUND', 404, `Not found: recipe "${rid.slice(0, 40)}" is not implemented`);
    }

    if (!route.isPublic && apiKeyDigests.length > 0 && !isAllowedApiKey(presentedApiKey(req), apiKeyDigests)) {
      throw new CoreHttpError('ERR_CORE_API_KEY', 401, 'Invalid API key');
    }
    // Public paths and /apiversion are answered as the newest version.
    let cdi = CdiVersion.latest();
    if (!route.isPublic && !route.skipsCdiVersion) {
      const version = req.headers['cdi-version'];
      if (typeof version !== 'string' || version === '') {
        throw new CoreHttpError('ERR_CORE_CDI_VERSION', 400, 'cdi-version not provided');
      }
      const parsed = CdiVersion.parse(version.trim());
      if (parsed === undefined) throw new CoreHttpError('ERR_CORE_CDI_VERSION', 400, unsupportedCdiVersionMessage(version));
      cdi = parsed;
    }
    // A tenant is configured (`tenantIds`) or was created through the CDI (`store/multitenancy.ts`).
    const tenantExists =
      tenantIds.has(resolved.tenantId) || (appIds.has(resolved.appId) && (await runtime.store.getTenant(resolved.appId, resolved.tenantId)) !== undefined);
    if (!appIds.has(resolved.appId) || (!tenantExists && route.acceptsUnknownTenant !== true)) {
      throw new CoreHttpError(
        'ERR_CORE_TENANT_NOT_FOUND',
        400,
        `AppId or tenantId not found => Tenant with the following connectionURIDomain, appId and tenantId combination not found: (, ${resolved.appId}, ${resolved.tenantId})`,
      );
    }
    if (route.scope === 'app' && resolved.hasTenantSegment && resolved.tenantId !== 'public') {
      throw new CoreHttpError('ERR_CORE_PUBLIC_TENANT_ONLY', 403, 'Only public tenantId can call this app specific API');
    }
    const app = runtime.apps.get(resolved.appId);
    if (app === undefined) throw new Error(`app ${resolved.appId} is configured but not initialised`);

    let body: JsonObject = {};
    if (method === 'POST' || method === 'PUT' || method === 'DELETE') {
      const raw = await readBody(req, runtime.config.maxRequestBodyBytes);
      if (raw.length > 0 || method !== 'DELETE') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new CoreHttpError('ERR_CORE_BAD_INPUT', 400, 'Invalid Json Input');
        }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
          throw new CoreHttpError('ERR_CORE_BAD_INPUT', 400, 'Invalid Json Input');
        }
        body = parsed as JsonObject;
      }
    } else {
      req.resume();
    }

    const response = await route.handle({
      runtime,
      app,
      appId: resolved.appId,
      tenantId: resolved.tenantId,
      cdi,
      query: url.searchParams,
      body,
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress,
    });
    send(res, response.status ?? 200, response);
  }

  const server = createServer({ keepAlive: true, keepAliveTimeout: 65_000 }, (req, res) => {
    inFlight++;
    handle(req, res)
      .catch((err: unknown) => {
        if (err instanceof CoreHttpError) {
          if (err.status >= 500) options.log(`portcullis core: ${err.code}: ${err.message}`);
          send(res, err.status, { text: err.publicMessage });
          return;
        }
        const code = err instanceof StoreUnavailableError ? err.code : 'ERR_CORE_INTERNAL';
        options.log(`portcullis core: ${code} on ${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}: ${(err as Error).message}`);
        if (!res.headersSent) send(res, 500, { text: 'Internal Error' });
        else res.destroy();
      })
      .finally(() => {
        inFlight--;
        if (inFlight === 0) drained?.();
      });
  });

  return {
    server,
    drain() {
      if (inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        drained = () => {
          drained = undefined;
          resolve();
        };
      });
    },
  };
}
