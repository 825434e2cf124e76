/**
 * @module supertokens/routes/types — the route table contract and input helpers shared by recipes. [pure]
 *
 * A route is one CDI method + path. `server.ts` does the gatekeeping (API key, `cdi-version`,
 * app/tenant prefix, JSON parsing) and hands the handler a `RouteRequest`; the handler returns
 * a `RouteResponse` (business outcomes are 200 + `status`) or throws `CoreHttpError` for input errors.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { SessionMetrics } from '../metrics.ts';
import type { CoreConfig } from '../config.ts';
import { invalidField, missingQueryParam } from '../errors.ts';
import type { Clock } from '../../core/clock.ts';
import type { CdiVersion } from '../cdi.ts';
import type { SigningKeys } from '../keys.ts';
import type { Sessions } from '../sessions.ts';
import type { Json, JsonObject, Store } from '../store.ts';
import type { AsyncSignInRateLimiter } from '../rate-limit.ts';

/** Everything of one app a handler may need. */
export interface AppRuntime {
  appId: string;
  keys: SigningKeys;
  sessions: Sessions;
}

/** Process-wide state of a running core. */
export interface CoreRuntime {
  config: CoreConfig;
  store: Store;
  clock: Clock;
  apps: ReadonlyMap<string, AppRuntime>;
  signInLimiter: AsyncSignInRateLimiter;
  /** Session operation counters for the gateway's `/metrics`, when the core runs in its process. */
  metrics?: SessionMetrics | undefined;
}

export interface RouteRequest {
  runtime: CoreRuntime;
  app: AppRuntime;
  appId: string;
  tenantId: string;
  /** The request's `cdi-version` (the newest for public paths): selects version-dependent shapes. */
  cdi: CdiVersion;
  query: URLSearchParams;
  /** Parsed JSON object body (`{}` for GET). */
  body: JsonObject;
  headers: IncomingHttpHeaders;
  /** Socket address of the CDI caller. */
  remoteAddress: string | undefined;
}

export interface RouteResponse {
  status?: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path without app/tenant prefix, e.g. `/recipe/session`. */
  path: string;
  /** `tenant`: accepts `/<tenant>/…`; `app`: only the public tenant (403 otherwise). */
  scope: 'app' | 'tenant';
  /** Skips API-key and cdi-version checks (`/hello`, `/.well-known/jwks.json`). */
  isPublic?: boolean;
  /** Skips only the cdi-version check (`/apiversion`). */
  skipsCdiVersion?: boolean;
  /** Reached under a tenant that does not exist (the tenant reads answer `TENANT_NOT_FOUND_ERROR` themselves). */
  acceptsUnknownTenant?: boolean;
  /** Value of the `rid` header this route serves when several routes share method + path. */
  rid?: string;
  handle(req: RouteRequest): Promise<RouteResponse>;
}

/** 200 JSON with `status: "OK"` first. */
export function ok(fields: Record<string, unknown> = {}): RouteResponse {
  return { json: { status: 'OK', ...fields } };
}

/** 200 JSON business outcome other than OK. */
export function outcome(status: string, fields: Record<string, unknown> = {}): RouteResponse {
  return { json: { status, ...fields } };
}

export function requireString(body: JsonObject, name: string): string {
  const value = body[name];
  if (typeof value !== 'string') throw invalidField(name);
  return value;
}

export function optionalString(body: JsonObject, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidField(name);
  return value;
}

export function optionalBoolean(body: JsonObject, name: string, fallback: boolean): boolean {
  const value = body[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw invalidField(name);
  return value;
}

export function requireObject(body: JsonObject, name: string): JsonObject {
  const value = body[name];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidField(name);
  return value;
}

export function optionalObject(body: JsonObject, name: string): JsonObject | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidField(name);
  return value;
}

export function optionalStringArray(body: JsonObject, name: string): string[] | undefined {
  const value: Json | undefined = body[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw invalidField(name);
  return value as string[];
}

export function requireQuery(query: URLSearchParams, name: string): string {
  const value = query.get(name);
  if (value === null) throw missingQueryParam(name);
  return value;
}

/** The core's email normalisation (trim + lowercase), as the SDK's `hasSameEmailAs` assumes. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
