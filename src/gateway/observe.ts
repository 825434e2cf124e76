/**
 * @module gateway/observe — what a running gateway reports: per-request metric observations, the
 * plug-ins' gauges at scrape time, and the `/readyz` checks. [glue]
 */
import type { Authorizer } from '../authorizers/authorizer.ts';
import { isJwtAuthorizerConfig } from '../authorizers/jwt.ts';
import type { RequestContext } from '../core/model.ts';
import type { ReadinessCheck } from '../io/admin.ts';
import type { AuthorizerHealth } from '../io/console.ts';
import type { AuthorizerDecisionOutcome, CollectedFamily, RequestObservation } from '../io/metrics.ts';
import type { PipelineResult } from '../pipeline.ts';
import type { CompiledGateway } from '../compiled.ts';

/** Labels come from config only (API name, route key, authorizer id): bounded cardinality. */
export function requestObservation(result: PipelineResult): RequestObservation {
  const { ctx, api } = result;
  const authorizerId = api && ctx.routeKey !== '-' ? api.config.routes[ctx.routeKey]?.authorizerId : undefined;
  const decided = ctx.authorizer !== null || ctx.authorizerError !== null;
  return {
    api: api?.name ?? '-',
    route: ctx.routeKey,
    status: ctx.status ?? 0,
    totalMs: ctx.responseLatencyMs,
    integrationMs: ctx.integrationLatencyMs,
    authorizer: authorizerId && decided ? { id: authorizerId, outcome: decisionOutcome(ctx), latencyMs: ctx.authorizerLatencyMs } : null,
  };
}

function decisionOutcome(ctx: RequestContext): AuthorizerDecisionOutcome {
  if (ctx.authorizerError === null) return 'allow';
  const type = ctx.error?.responseType;
  return type === 'UNAUTHORIZED' ? 'unauthorized' : type === 'ACCESS_DENIED' ? 'deny' : 'error';
}

/** Structural view of the JWT plug-in's `status().keys` (the key store's own status type lives in io/keys.ts). */
interface KeysView { ready: boolean; keyCount: number; fetchedAt: number | null }

export function collectGatewayGauges(gateway: CompiledGateway, inFlight: number, bufferedBodyBytes: number, generation: number, retiring: number): CollectedFamily[] {
  const ready: CollectedFamily = { name: 'portcullis_authorizer_ready', help: 'Authorizer status() ready (1) or not (0).', type: 'gauge', samples: [] };
  const lookups: CollectedFamily = { name: 'portcullis_authorizer_cache_lookups_total', help: 'Lookups in an authorizer plug-in cache, by result (hit, miss); resets on reload.', type: 'counter', samples: [] };
  const entries: CollectedFamily = { name: 'portcullis_authorizer_cache_entries', help: 'Entries in an authorizer plug-in cache.', type: 'gauge', samples: [] };
  const jwksReady: CollectedFamily = { name: 'portcullis_jwks_ready', help: 'JWKS of the issuer loaded at least once (1) or not (0).', type: 'gauge', samples: [] };
  const jwksKeys: CollectedFamily = { name: 'portcullis_jwks_keys', help: 'Keys in the issuer\'s current JWKS.', type: 'gauge', samples: [] };
  const jwksFetched: CollectedFamily = { name: 'portcullis_jwks_last_success_timestamp_seconds', help: 'When the issuer\'s JWKS was last fetched successfully.', type: 'gauge', samples: [] };
  for (const api of gateway.apis) {
    for (const [id, z] of api.authorizers) {
      const labels = { api: api.name, authorizer: id };
      let status: (ReturnType<NonNullable<Authorizer['status']>> & { keys?: KeysView }) | undefined;
      try {
        status = z.status?.();
      } catch {
        status = { ready: false, detail: 'status() failed' };
      }
      if (status) ready.samples.push({ labels, value: status.ready ? 1 : 0 });
      const stats = z.cacheStats?.() ?? null;
      if (stats) {
        lookups.samples.push({ labels: { ...labels, result: 'hit' }, value: stats.hits }, { labels: { ...labels, result: 'miss' }, value: stats.misses });
        entries.samples.push({ labels, value: stats.entries });
      }
      const auth = api.config.authorizers[id];
      if (status?.keys && isJwtAuthorizerConfig(auth)) {
        const jl = { ...labels, issuer: auth.jwtConfiguration.issuer };
        jwksReady.samples.push({ labels: jl, value: status.keys.ready ? 1 : 0 });
        jwksKeys.samples.push({ labels: jl, value: status.keys.keyCount });
        if (status.keys.fetchedAt !== null) jwksFetched.samples.push({ labels: jl, value: Math.floor(status.keys.fetchedAt / 1000) });
      }
    }
  }
  return [
    { name: 'portcullis_inflight_requests', help: 'Requests being handled now.', type: 'gauge', samples: [{ labels: {}, value: inFlight }] },
    { name: 'portcullis_buffered_body_bytes', help: 'Request-body bytes buffered now (bounded by server.maxBufferedBodyBytes).', type: 'gauge', samples: [{ labels: {}, value: bufferedBodyBytes }] },
    { name: 'portcullis_config_generation', help: 'Config generation serving new requests (1 at start, +1 per reload).', type: 'gauge', samples: [{ labels: {}, value: generation }] },
    { name: 'portcullis_config_generations_retiring', help: 'Replaced configs still finishing in-flight requests.', type: 'gauge', samples: [{ labels: {}, value: retiring }] },
    ready, lookups, entries, jwksReady, jwksKeys, jwksFetched,
  ];
}

export async function readinessChecks(
  gateway: CompiledGateway,
  state: { shuttingDown: boolean; generation: number; lastReloadError: string | null },
  extra: Readonly<Record<string, () => Promise<{ ready: boolean; detail: string }>>>,
): Promise<ReadinessCheck[]> {
  const checks: ReadinessCheck[] = [
    {
      name: 'config',
      ready: true,
      detail: `generation ${state.generation}: ${gateway.apis.length} API(s)${state.lastReloadError ? `; last reload rejected (${state.lastReloadError}), previous config still serving` : ''}`,
    },
  ];
  if (state.shuttingDown) checks.push({ name: 'shutdown', ready: false, detail: 'draining in-flight requests' });
  for (const api of gateway.apis) {
    for (const [id, z] of api.authorizers) {
      let s: { ready: boolean; detail: string };
      try {
        s = z.status?.() ?? { ready: true, detail: `${z.kind} authorizer (no status)` };
      } catch (err) {
        s = { ready: false, detail: `status() failed: ${(err as Error).message}` };
      }
      checks.push({ name: `authorizer ${api.name}/${id}`, ready: s.ready, detail: s.detail });
    }
  }
  for (const [name, check] of Object.entries(extra)) {
    try {
      const r = await check();
      checks.push({ name, ready: r.ready, detail: r.detail });
    } catch (err) {
      checks.push({ name, ready: false, detail: (err as Error).message });
    }
  }
  return checks;
}

/** What the console's health panel shows per authorizer: readiness, JWKS keys and fetches, cache hits. */
export function authorizerHealth(gateway: CompiledGateway): AuthorizerHealth[] {
  const out: AuthorizerHealth[] = [];
  for (const api of gateway.apis) {
    for (const [id, z] of api.authorizers) {
      let status: (ReturnType<NonNullable<Authorizer['status']>> & { keys?: KeysView & { lastError: string | null; jwksUri: string | null; fresh: boolean; discoveredIssuer?: string | null }; tokenCacheHits?: number; tokenCacheMisses?: number; cachedTokens?: number; devKeyId?: string | null }) | undefined;
      try {
        status = z.status?.();
      } catch (err) {
        status = { ready: false, detail: `status() failed: ${(err as Error).message}` };
      }
      const h: AuthorizerHealth = { api: api.name, id, kind: z.kind, ready: status?.ready ?? true, detail: status?.detail ?? `${z.kind} authorizer` };
      const auth = api.config.authorizers[id];
      if (isJwtAuthorizerConfig(auth)) h.issuer = auth.jwtConfiguration.issuer;
      if (status?.keys) h.keys = { keyCount: status.keys.keyCount, fetchedAt: status.keys.fetchedAt, lastError: status.keys.lastError, jwksUri: status.keys.jwksUri, fresh: status.keys.fresh, discoveredIssuer: status.keys.discoveredIssuer ?? null };
      if (status?.tokenCacheHits !== undefined) h.cache = { hits: status.tokenCacheHits, misses: status.tokenCacheMisses ?? 0, entries: status.cachedTokens ?? 0 };
      if (status?.devKeyId !== undefined) h.devKeyId = status.devKeyId;
      const stats = z.cacheStats?.() ?? null;
      if (stats) h.cache = { hits: stats.hits, misses: stats.misses, entries: stats.entries };
      out.push(h);
    }
  }
  return out;
}
