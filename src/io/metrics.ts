/**
 * @module io/metrics — counters and histograms, rendered as Prometheus text (format 0.0.4). [io]
 *
 * Usage:
 *   const metrics = createMetrics();
 *   metrics.observeRequest({ api, route, status, totalMs, integrationMs, authorizer });  // gateway, per request
 *   metrics.authorizerCacheLookup(api, authorizerId, hit);    // plug-ins (optional)
 *   metrics.jwksFetch(issuer, 'ok' | 'error');                 // io/keys.ts (optional)
 *   metrics.sessionOperation('refresh', 'ok');                 // the core (optional)
 *   metrics.addCollector(() => samples);                       // gauges read at scrape time
 *   res.end(metrics.render());                                 // `/metrics` on the admin listener
 *
 * Label cardinality is bounded by construction: every label value comes from config (API names,
 * route keys, authorizer ids, issuers) or a closed set (status codes, outcomes) — never a raw path,
 * header or claim. As a second line of defence each family keeps at most `MAX_SERIES_PER_FAMILY`
 * label sets; further ones are folded into one series whose labels all read `_other`.
 * Metric and label names are stable once released (snake_case, STYLE §12).
 *
 * Must not: block (everything is in-memory arithmetic), depend on a client library.
 */

/** Seconds. Spans a cached JWT check (sub-ms) to a slow integration (30 s, AWS's HTTP API limit). */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Most label sets kept per metric family. */
export const MAX_SERIES_PER_FAMILY = 2000;

export type AuthorizerDecisionOutcome = 'allow' | 'deny' | 'unauthorized' | 'error';
export type SessionOperation = 'create' | 'verify' | 'refresh' | 'revoke' | 'theft';

/**
 * What an authorizer plug-in may report. The gateway already counts every decision and its latency
 * from the request context; plug-ins add what only they know.
 */
export interface AuthorizerMetrics {
  /** One lookup in a plug-in's own cache (Lambda decision cache, JWT verified-token cache). */
  authorizerCacheLookup(api: string, authorizerId: string, hit: boolean): void;
}

/** What the JWKS key store may report (`io/keys.ts`). `issuer` is the configured issuer URL. */
export interface KeyMetrics {
  /** One discovery or JWKS GET and how it ended. */
  jwksFetch(issuer: string, outcome: 'ok' | 'error'): void;
}

/** What the SuperTokens-compatible core may report. */
export interface SessionMetrics {
  /** `theft` is a refresh-token reuse that revoked a session family. */
  sessionOperation(operation: SessionOperation, outcome: 'ok' | 'error'): void;
}

/** One finished request, as the gateway saw it. */
export interface RequestObservation {
  /** API name from config, or `-` when no API matched. */
  api: string;
  /** Route key from config (`GET /pets/{id}`, `$default`), or `-` when no route matched. */
  route: string;
  status: number;
  totalMs: number | null;
  integrationMs: number | null;
  /** Set when the route's authorizer ran. */
  authorizer: { id: string; outcome: AuthorizerDecisionOutcome; latencyMs: number | null } | null;
}

/** A gauge (or externally kept counter) sample produced at scrape time. */
export interface CollectedFamily {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Array<{ labels: Record<string, string>; value: number }>;
}

export interface Metrics extends AuthorizerMetrics, KeyMetrics, SessionMetrics {
  observeRequest(o: RequestObservation): void;
  /** Outcome of a config reload (SIGHUP / watch). */
  configReload(outcome: 'success' | 'failure'): void;
  /** Access-log lines dropped because the destination could not keep up. */
  accessLogDropped(lines: number): void;
  /** Adds a scrape-time source of gauges; returns a function that removes it. */
  addCollector(collect: () => CollectedFamily[]): () => void;
  /** The whole exposition, `text/plain; version=0.0.4`. */
  render(): string;
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

// ---------------------------------------------------------------------------------------------

interface CounterSeries {
  readonly labels: string[];
  value: number;
}

interface HistogramSeries {
  readonly labels: string[];
  readonly counts: number[];
  sum: number;
  count: number;
}

class CounterFamily {
  readonly #series = new Map<string, CounterSeries>();
  constructor(readonly name: string, readonly help: string, readonly labelNames: readonly string[]) {}

  inc(values: readonly string[], by = 1): void {
    this.series(values).value += by;
  }

  /** The series for these label values (created on first use): hot paths keep it and add to `value`. */
  series(values: readonly string[]): CounterSeries {
    const key = seriesKey(values, this.#series.size);
    let s = this.#series.get(key.key);
    if (!s) this.#series.set(key.key, (s = { labels: key.values, value: 0 }));
    return s;
  }

  /** As a collected family, so it can merge with same-named samples from collectors. */
  collected(): CollectedFamily {
    const samples = [...this.#series.values()].map((s) => ({ labels: Object.fromEntries(this.labelNames.map((n, i) => [n, s.labels[i] ?? ''])), value: s.value }));
    return { name: this.name, help: this.help, type: 'counter', samples };
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`);
    for (const s of this.#series.values()) out.push(`${this.name}${formatLabels(this.labelNames, s.labels)} ${formatNumber(s.value)}`);
  }
}

class HistogramFamily {
  readonly #series = new Map<string, HistogramSeries>();
  constructor(readonly name: string, readonly help: string, readonly labelNames: readonly string[], readonly buckets: readonly number[]) {}

  observe(values: readonly string[], seconds: number): void {
    this.record(this.series(values), seconds);
  }

  series(values: readonly string[]): HistogramSeries {
    const key = seriesKey(values, this.#series.size);
    let s = this.#series.get(key.key);
    if (!s) this.#series.set(key.key, (s = { labels: key.values, counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 }));
    return s;
  }

  record(s: HistogramSeries, seconds: number): void {
    const buckets = this.buckets;
    for (let i = buckets.length - 1; i >= 0 && seconds <= buckets[i]!; i--) s.counts[i]!++;
    s.sum += seconds;
    s.count++;
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`);
    const names = [...this.labelNames, 'le'];
    for (const s of this.#series.values()) {
      // Buckets are cumulative: counts[i] already holds every observation <= buckets[i].
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket${formatLabels(names, [...s.labels, formatNumber(b)])} ${s.counts[i]}`));
      out.push(`${this.name}_bucket${formatLabels(names, [...s.labels, '+Inf'])} ${s.count}`);
      out.push(`${this.name}_sum${formatLabels(this.labelNames, s.labels)} ${formatNumber(s.sum)}`);
      out.push(`${this.name}_count${formatLabels(this.labelNames, s.labels)} ${s.count}`);
    }
  }
}

function seriesKey(values: readonly string[], size: number): { key: string; values: string[] } {
  const key = values.join('\u0000');
  // Past the cap new label sets share one overflow series (existing ones keep counting).
  if (size >= MAX_SERIES_PER_FAMILY) return { key: '\u0001overflow', values: values.map(() => '_other') };
  return { key, values: [...values] };
}

/** Label values escape `\`, `"` and newline (exposition format 0.0.4). */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatLabels(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return '';
  return `{${names.map((n, i) => `${n}="${escapeLabelValue(values[i] ?? '')}"`).join(',')}}`;
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

/** Creates a registry with the gateway's metric families (all names prefixed `portcullis_`). */
export function createMetrics(options: { now?: () => number } = {}): Metrics {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const requests = new CounterFamily('portcullis_requests_total', 'Requests answered, by API, route key and status code.', ['api', 'route', 'status']);
  const requestDuration = new HistogramFamily('portcullis_request_duration_seconds', 'Time from request arrival to the last response byte ($context.responseLatency).', ['api', 'route'], LATENCY_BUCKETS_SECONDS);
  const integrationDuration = new HistogramFamily('portcullis_integration_duration_seconds', 'Integration latency ($context.integrationLatency).', ['api', 'route'], LATENCY_BUCKETS_SECONDS);
  const authorizerDuration = new HistogramFamily('portcullis_authorizer_duration_seconds', 'Time spent in the authorizer step, cache hits included.', ['api', 'authorizer'], LATENCY_BUCKETS_SECONDS);
  const decisions = new CounterFamily('portcullis_authorizer_decisions_total', 'Authorizer outcomes: allow, deny (403), unauthorized (401), error (500).', ['api', 'authorizer', 'outcome']);
  const cacheLookups = new CounterFamily('portcullis_authorizer_cache_lookups_total', 'Lookups in an authorizer plug-in cache reported by the plug-in, by result (hit, miss).', ['api', 'authorizer', 'result']);
  const jwks = new CounterFamily('portcullis_jwks_fetches_total', 'OIDC discovery and JWKS fetches, by issuer and outcome (ok, error).', ['issuer', 'outcome']);
  const sessions = new CounterFamily('portcullis_core_session_operations_total', 'Session operations of the in-process core (create, verify, refresh, revoke, theft).', ['operation', 'outcome']);
  const reloads = new CounterFamily('portcullis_config_reloads_total', 'Config reload attempts, by outcome (success, failure).', ['outcome']);
  const dropped = new CounterFamily('portcullis_access_log_dropped_lines_total', 'Access-log lines dropped because the destination could not keep up.', []);
  const collectors = new Set<() => CollectedFamily[]>();
  const ms = (v: number) => v / 1000;

  // Per request, the series are found through nested Maps keyed by the (interned, config-derived)
  // label strings: no key joining or label arrays on the hot path. Bounded: cleared past the cap.
  interface RouteSeries {
    duration: HistogramSeries;
    integration: HistogramSeries;
    byStatus: Map<number, CounterSeries>;
  }
  interface AuthorizerSeries {
    duration: HistogramSeries;
    byOutcome: Map<AuthorizerDecisionOutcome, CounterSeries>;
  }
  const routeSeries = new Map<string, Map<string, RouteSeries>>();
  const authorizerSeries = new Map<string, Map<string, AuthorizerSeries>>();
  let cachedSeries = 0;
  const nested = <S>(index: Map<string, Map<string, S>>, a: string, b: string, create: () => S): S => {
    let inner = index.get(a);
    if (!inner) index.set(a, (inner = new Map()));
    let s = inner.get(b);
    if (!s) {
      if (++cachedSeries > MAX_SERIES_PER_FAMILY) {
        routeSeries.clear();
        authorizerSeries.clear();
        cachedSeries = 1;
        index.set(a, (inner = new Map()));
      }
      inner.set(b, (s = create()));
    }
    return s;
  };

  return {
    observeRequest(o) {
      const r = nested(routeSeries, o.api, o.route, () => ({
        duration: requestDuration.series([o.api, o.route]),
        integration: integrationDuration.series([o.api, o.route]),
        byStatus: new Map(),
      }));
      let counter = r.byStatus.get(o.status);
      if (!counter) r.byStatus.set(o.status, (counter = requests.series([o.api, o.route, String(o.status)])));
      counter.value++;
      if (o.totalMs !== null) requestDuration.record(r.duration, ms(o.totalMs));
      if (o.integrationMs !== null) integrationDuration.record(r.integration, ms(o.integrationMs));
      const z = o.authorizer;
      if (z) {
        const a = nested(authorizerSeries, o.api, z.id, () => ({ duration: authorizerDuration.series([o.api, z.id]), byOutcome: new Map() }));
        let decided = a.byOutcome.get(z.outcome);
        if (!decided) a.byOutcome.set(z.outcome, (decided = decisions.series([o.api, z.id, z.outcome])));
        decided.value++;
        if (z.latencyMs !== null) authorizerDuration.record(a.duration, ms(z.latencyMs));
      }
    },
    authorizerCacheLookup(api, authorizerId, hit) {
      cacheLookups.inc([api, authorizerId, hit ? 'hit' : 'miss']);
    },
    jwksFetch(issuer, outcome) {
      jwks.inc([issuer, outcome]);
    },
    sessionOperation(operation, outcome) {
      sessions.inc([operation, outcome]);
    },
    configReload(outcome) {
      reloads.inc([outcome]);
    },
    accessLogDropped(lines) {
      dropped.inc([], lines);
    },
    addCollector(collect) {
      collectors.add(collect);
      return () => collectors.delete(collect);
    },
    render() {
      const out: string[] = [];
      for (const f of [requests, requestDuration, integrationDuration, authorizerDuration, decisions, jwks, sessions, reloads, dropped]) f.render(out);
      // Same-named families merge into one block, samples with equal labels summed: plug-in cache
      // lookups arrive both through `authorizerCacheLookup()` and from `cacheStats()` collectors.
      const merged = new Map<string, CollectedFamily>();
      const sampleIndex = new Map<string, { value: number }>();
      const add = (fam: CollectedFamily) => {
        let have = merged.get(fam.name);
        if (!have) merged.set(fam.name, (have = { ...fam, samples: [] }));
        for (const s of fam.samples) {
          const key = `${fam.name}\u0000${JSON.stringify(Object.entries(s.labels).sort())}`;
          const existing = sampleIndex.get(key);
          if (existing) existing.value += s.value;
          else {
            const copy = { labels: s.labels, value: s.value };
            sampleIndex.set(key, copy);
            have.samples.push(copy);
          }
        }
      };
      add(cacheLookups.collected());
      for (const collect of collectors) for (const fam of collect()) add(fam);
      const mem = process.memoryUsage();
      const cpu = process.cpuUsage();
      merged.set('process_start_time_seconds', { name: 'process_start_time_seconds', help: 'Start time of the process since the epoch, in seconds.', type: 'gauge', samples: [{ labels: {}, value: Math.floor(startedAt / 1000) }] });
      merged.set('process_resident_memory_bytes', { name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes.', type: 'gauge', samples: [{ labels: {}, value: mem.rss }] });
      merged.set('process_cpu_seconds_total', { name: 'process_cpu_seconds_total', help: 'User and system CPU time spent, in seconds.', type: 'counter', samples: [{ labels: {}, value: (cpu.user + cpu.system) / 1e6 }] });
      merged.set('nodejs_heap_used_bytes', { name: 'nodejs_heap_used_bytes', help: 'V8 heap in use, in bytes.', type: 'gauge', samples: [{ labels: {}, value: mem.heapUsed }] });
      for (const fam of merged.values()) {
        out.push(`# HELP ${fam.name} ${fam.help}`, `# TYPE ${fam.name} ${fam.type}`);
        for (const s of fam.samples) {
          const names = Object.keys(s.labels);
          out.push(`${fam.name}${formatLabels(names, names.map((n) => s.labels[n]!))} ${formatNumber(s.value)}`);
        }
      }
      return out.join('\n') + '\n';
    },
  };
}

/** A registry that records nothing (tests, tools). */
export const noopMetrics: Metrics = {
  observeRequest: () => undefined,
  authorizerCacheLookup: () => undefined,
  jwksFetch: () => undefined,
  sessionOperation: () => undefined,
  configReload: () => undefined,
  accessLogDropped: () => undefined,
  addCollector: () => () => undefined,
  render: () => '',
};

/**
 * Gauges merged across worker processes by their minimum (the most conservative reading: a key set
 * one worker has not fetched yet, the worker still on an older config); every other gauge, counter
 * and histogram series is summed, as prom-client's cluster aggregator does by default.
 */
const MIN_MERGED_GAUGES: ReadonlySet<string> = new Set([
  'portcullis_authorizer_ready',
  'portcullis_jwks_ready',
  'portcullis_jwks_keys',
  'portcullis_jwks_last_success_timestamp_seconds',
  'portcullis_config_generation',
  'process_start_time_seconds',
]);

/**
 * Merges several processes' expositions (format 0.0.4, as `render()` writes them) into one:
 * series with the same name and labels are added up (minimum for `MIN_MERGED_GAUGES`); families
 * and series keep the order they were first seen in. The cluster primary serves this on `/metrics`.
 */
export function mergeExpositions(texts: readonly string[]): string {
  interface Family {
    help: string | null;
    type: string | null;
    series: Map<string, number>;
  }
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { help: null, type: null, series: new Map() }));
    return f;
  };
  for (const text of texts) {
    let current: string | null = null;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
        const rest = line.slice(7);
        const space = rest.indexOf(' ');
        const name = space < 0 ? rest : rest.slice(0, space);
        const f = family(name);
        current = name;
        if (line[2] === 'H') f.help ??= line;
        else f.type ??= line;
        continue;
      }
      if (line.startsWith('#')) continue;
      // `name{labels} value`: label values may hold spaces, the value never does.
      const space = line.lastIndexOf(' ');
      if (space < 0) continue;
      const key = line.slice(0, space);
      const value = Number(line.slice(space + 1));
      const brace = key.indexOf('{');
      const sampleName = brace < 0 ? key : key.slice(0, brace);
      // Histogram samples (`_bucket`, `_sum`, `_count`) belong to the family declared above them.
      const owner = current !== null && sampleName.startsWith(current) ? current : sampleName;
      const f = family(owner);
      const min = MIN_MERGED_GAUGES.has(owner);
      const prev = f.series.get(key);
      f.series.set(key, prev === undefined ? value : min ? Math.min(prev, value) : prev + value);
    }
  }
  const out: string[] = [];
  for (const f of families.values()) {
    if (f.help) out.push(f.help);
    if (f.type) out.push(f.type);
    for (const [key, value] of f.series) out.push(`${key} ${formatNumber(value)}`);
  }
  return out.join('\n') + '\n';
}
