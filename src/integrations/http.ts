/**
 * @module integrations/http — `type: http`: an HTTP proxy integration over undici. [io]
 *
 * Forwards method, path (with `{param}` / `{proxy}` substituted), query, headers and body to the
 * upstream; bodies stream both ways. Hop-by-hop headers are dropped; `X-Forwarded-For`,
 * `-Proto`, `-Host` are set. HTTP API `requestParameters` / REST `integration.request.*`
 * mappings apply. Connection refused / reset and the timeout (default 30 s) become gateway
 * errors, never a hang.
 */
import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
import { z } from 'zod';
import { absoluteHttpUrl, checkIntegrationMappings, mappingMap, type ApiConfig, type ConfigIssue, type PluginCheckContext } from '../core/config.ts';
import { BadRequestParametersError, ConfigError, IntegrationFailureError, IntegrationTimeoutError, RequestTooLargeError } from '../core/errors.ts';
import { eventParts, forwardedHeaders } from '../core/lambda-events.ts';
import {
  applyHttpRequestMapping,
  checkMappedHeaderValue,
  compileHttpRequestMapping,
  compileHttpResponseMappings,
  compileRestRequestMapping,
  type MappingSource,
} from '../core/mapping.ts';
import { encodePathSegments } from '../core/paths.ts';
import { safeDecode } from '../core/routes.ts';
import type { BodySink, GatewayRequest, GatewayResponse, PushedBody, RequestContext } from '../core/model.ts';
import { applyHttpResponseMapping } from './response-mapping.ts';
import { defineIntegration, INTEGRATION_ERRORS, type Integration } from './integration.ts';

export const httpIntegrationSchema = z.strictObject({
  type: z.literal('http'),
  /** Upstream URL; `{param}` / `{proxy}` are replaced by path parameters. */
  uri: absoluteHttpUrl,
  /** HTTP method to call the upstream with. Default: the request's own method (`ANY`). */
  httpMethod: z.string().regex(/^(ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$/, 'must be an HTTP method or ANY').default('ANY'),
  /** Upstream timeout in ms. Default is 30000 (AWS HTTP API maximum). */
  timeoutInMillis: z.number().int().min(50).max(900_000).default(30_000),
  /**
   * HTTP APIs: `overwrite|append|remove:header.NAME`, `…:querystring.NAME`, `overwrite:path`.
   * REST APIs: `integration.request.header|querystring|path.NAME` → `method.request.*`, `context.*`, `'literal'`.
   */
  requestParameters: mappingMap.optional(),
  /** HTTP APIs: per upstream status code string, like requestParameters plus `overwrite:statuscode`. */
  responseParameters: z.record(z.string(), mappingMap).optional(),
});
export type HttpIntegrationConfig = z.infer<typeof httpIntegrationSchema>;

/** Every `{param}` of the URI is a path parameter of the route (or mapped), and the mappings compile. */
function checkHttpIntegration(config: Readonly<HttpIntegrationConfig>, { api, routeParams = [] }: PluginCheckContext): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const m of config.uri.matchAll(/\{([^}]+)\}/g)) {
    const name = m[1]!.replace(/\+$/, '');
    if (!routeParams.includes(name) && !config.requestParameters?.[`integration.request.path.${name}`]) {
      issues.push({ path: 'uri', message: `uses {${m[1]}} but the route has no such path parameter (has: ${routeParams.length ? routeParams.join(', ') : 'none'})` });
    }
  }
  issues.push(...checkIntegrationMappings(config, api.protocol));
  return issues;
}

/** RFC 9110 §7.6.1 hop-by-hop headers: meaningful for one connection only, in either direction. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer',
  'trailers', 'transfer-encoding', 'upgrade',
]);

/**
 * Request headers never forwarded upstream: the hop-by-hop ones (and those `Connection` names),
 * `host` (set from the upstream URL), `expect` (RFC 9110 §10.1.1: the gateway answered the client's
 * `100-continue` itself and forwards a complete body; undici refuses the header) and the
 * `x-forwarded-*` headers the gateway owns (`forwardedHeaders`, and `x-forwarded-host` from `Host`).
 */
const NOT_FORWARDED = new Set([
  ...HOP_BY_HOP, 'host', 'expect', 'x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto', 'x-forwarded-host',
]);

export interface HttpIntegrationDeps {
  /** Shared keep-alive connection pools. */
  dispatcher: Dispatcher;
}

/** One shared agent for all upstreams: keep-alive pools per origin. */
export function createUpstreamAgent(): Agent {
  return new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 128, pipelining: 1 });
}

export function createHttpIntegration(cfg: Readonly<HttpIntegrationConfig>, api: Readonly<ApiConfig>, deps: HttpIntegrationDeps): Integration {
  const base = new URL(cfg.uri.replace(/\{[^}]+\}/g, (m) => `__PARAM_${Buffer.from(m).toString('hex')}__`));
  const origin = base.origin;
  const pathTemplate = decodeParamMarkers(base.pathname);
  const baseQuery = base.search.slice(1);
  const flavour = api.protocol;
  const httpMapping = flavour === 'http' && cfg.requestParameters ? compileHttpRequestMapping(cfg.requestParameters) : null;
  if (httpMapping && !httpMapping.ok) throw new ConfigError([{ path: 'requestParameters', message: httpMapping.error }]);
  const restMapping = flavour === 'rest' && cfg.requestParameters ? compileRestRequestMapping(cfg.requestParameters) : null;
  if (restMapping && !restMapping.ok) throw new ConfigError([{ path: 'requestParameters', message: restMapping.error }]);
  const responseMappings = cfg.responseParameters ? compileHttpResponseMappings(cfg.responseParameters) : null;
  if (responseMappings && !responseMappings.ok) throw new ConfigError([{ path: 'responseParameters', message: responseMappings.error }]);
  const needsParts = Boolean(restMapping || httpMapping);
  const pathHasParams = /\{[^}]+\}/.test(pathTemplate);

  return {
    type: 'http',
    async invoke({ request, ctx }) {
      const method = cfg.httpMethod === 'ANY' ? request.method : cfg.httpMethod;
      let headers = forwardHeaders(request);
      let query: Array<[string, string]> | null = null;
      let pathParams: Record<string, string> = ctx.pathParameters;
      let pathOverride: string | null = null;
      if (needsParts) {
        const parts = eventParts(request);
        const src: MappingSource = {
          ctx,
          headers: request.headers,
          query: parts.queryV2,
          multiQuery: parts.multiValueQuery,
          multiHeaders: lowerMulti(parts.multiValueHeaders),
        };
        if (httpMapping?.ok) {
          const mapped = applyHttpRequestMapping(httpMapping.value, src, headers, rawQueryPairs(request.rawQueryString));
          headers = mapped.headers;
          query = mapped.query;
          pathOverride = mapped.path;
        }
        if (restMapping?.ok) {
          for (const [name, get] of restMapping.value.headers) {
            const v = get(src);
            if (v !== undefined) headers[name.toLowerCase()] = checkMappedHeaderValue(`integration.request.header.${name}`, v);
          }
          if (restMapping.value.query.length) {
            query = rawQueryPairs(request.rawQueryString);
            for (const [name, get] of restMapping.value.query) {
              const v = get(src);
              if (v !== undefined) query = [...query.filter(([k]) => k !== name), [name, v]];
            }
          }
          for (const [name, get] of restMapping.value.path) {
            const v = get(src);
            if (v !== undefined) pathParams = { ...pathParams, [name]: v };
          }
        }
      }
      const path = (pathOverride !== null ? encodeMappedPath(pathOverride) : pathHasParams ? substitutePath(pathTemplate, pathParams, ctx) : pathTemplate) + buildQuery(baseQuery, query, request.rawQueryString);
      headers['host'] = base.host;
      const hasBody = !request.body.isEmpty && method !== 'GET' && method !== 'HEAD';
      const started = Date.now();
      const exchange = new UpstreamExchange(method === 'HEAD', cfg.timeoutInMillis);
      try {
        deps.dispatcher.dispatch(
          {
            origin,
            path,
            method: method as Dispatcher.HttpMethod,
            headers,
            body: hasBody ? request.body.stream(api.maxBodyBytes) : null,
            headersTimeout: cfg.timeoutInMillis,
            bodyTimeout: cfg.timeoutInMillis,
          },
          exchange,
        );
        const upstream = await exchange.response;
        ctx.integrationLatencyMs = Date.now() - started;
        ctx.integrationStatus = upstream.status;
        return responseMappings?.ok ? applyHttpResponseMapping(responseMappings.value, upstream, ctx, request) : upstream;
      } catch (err) {
        ctx.integrationLatencyMs = Date.now() - started;
        if (err instanceof RequestTooLargeError || err instanceof BadRequestParametersError) throw err;
        if ((err as { cause?: unknown }).cause instanceof RequestTooLargeError) throw (err as { cause: RequestTooLargeError }).cause;
        const isTimeout = exchange.timedOut || err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError;
        ctx.integrationErrorMessage = isTimeout ? `upstream ${origin} did not answer within ${cfg.timeoutInMillis} ms` : `upstream ${origin}: ${describeNetworkError(err)}`;
        if (isTimeout) {
          const e = flavour === 'rest' ? INTEGRATION_ERRORS.rest.timeout : INTEGRATION_ERRORS.http.timeout;
          throw new IntegrationTimeoutError(e.status, e.message, { detail: ctx.integrationErrorMessage, cause: err });
        }
        const e = flavour === 'rest' ? INTEGRATION_ERRORS.rest.httpFailure : INTEGRATION_ERRORS.http.failure;
        throw new IntegrationFailureError(e.status, e.message, { detail: ctx.integrationErrorMessage, cause: err });
      }
    },
  };
}

/** Chunks buffered before the client side takes the body; past this the upstream socket is paused. */
const UNSENT_HIGH_WATER_BYTES = 64 * 1024;

class UpstreamTimeoutError extends Error {
  constructor() {
    super('integration timeout');
  }
}

/**
 * One upstream request, as an undici dispatch handler: resolves `response` when the status line and
 * headers arrive, then pushes body chunks into the client's response (`PushedBody`) with
 * back-pressure both ways. Small bodies have usually fully arrived by the time the pipeline hands
 * the response to the server, which then writes headers and body in one `end()`.
 *
 * The integration timeout covers connecting, sending and waiting for the headers (AWS's
 * `timeoutInMillis`); once the headers are in, a stalled body is cut by undici's `bodyTimeout`.
 */
class UpstreamExchange implements Dispatcher.DispatchHandler, PushedBody {
  readonly kind = 'pushed';
  readonly response: Promise<GatewayResponse>;
  timedOut = false;
  bytesSent = 0;
  #resolve!: (r: GatewayResponse) => void;
  #reject!: (e: Error) => void;
  #controller: Dispatcher.DispatchController | null = null;
  #timer: NodeJS.Timeout | null = null;
  #headersIn = false;
  #noBody: boolean;
  #unsent: Buffer[] | null = null;
  #unsentBytes = 0;
  #sink: BodySink | null = null;
  #ended = false;
  #failure: Error | null = null;

  constructor(headOnly: boolean, timeoutMs: number) {
    this.#noBody = headOnly;
    this.response = new Promise<GatewayResponse>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#timer = setTimeout(() => {
      this.timedOut = true;
      const err = new UpstreamTimeoutError();
      // Still queued for a connection: there is no controller yet, so onRequestStart aborts it.
      this.#controller?.abort(err);
      this.#reject(err);
    }, timeoutMs);
  }

  // --- undici side --------------------------------------------------------------------------

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.timedOut) controller.abort(new UpstreamTimeoutError());
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return; // 1xx interim answers are not forwarded
    this.#headersIn = true;
    if (this.#timer) clearTimeout(this.#timer);
    const noBody = this.#noBody || statusCode === 204 || statusCode === 304;
    this.#noBody = noBody;
    const out: Array<[string, string]> = [];
    for (const k in headers) {
      const v = headers[k];
      // content-length stays on a streamed body (the bytes pass through unchanged): the client then
      // gets one write per response instead of chunked framing and its terminating chunk.
      if (v === undefined || HOP_BY_HOP.has(k) || (k === 'content-length' && noBody)) continue;
      if (typeof v === 'string') out.push([k, v]);
      else for (const one of v) out.push([k, one]);
    }
    this.#resolve({ status: statusCode, headers: out, body: noBody ? null : this });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#noBody) return;
    const sink = this.#sink;
    if (sink === null) {
      (this.#unsent ??= []).push(chunk);
      this.#unsentBytes += chunk.length;
      if (this.#unsentBytes > UNSENT_HIGH_WATER_BYTES) controller.pause();
      return;
    }
    this.bytesSent += chunk.length;
    if (!sink.write(chunk)) {
      controller.pause();
      sink.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.#ended = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#sink !== null && !this.#noBody) this.#sink.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (!this.#headersIn) {
      this.#reject(err);
      return;
    }
    if (this.#ended) return;
    this.#failure = err;
    this.#sink?.destroy(err);
  }

  // --- client side (PushedBody) ---------------------------------------------------------------

  sendTo(sink: BodySink): void {
    this.#sink = sink;
    const unsent = this.#unsent;
    this.#unsent = null;
    if (this.#failure) {
      sink.destroy(this.#failure);
      return;
    }
    if (this.#ended) {
      // The common case for small bodies: everything is here, headers and body leave in one write.
      const body = unsent === null ? undefined : unsent.length === 1 ? unsent[0] : Buffer.concat(unsent, this.#unsentBytes);
      this.bytesSent += this.#unsentBytes;
      sink.end(body);
      return;
    }
    if (unsent !== null) {
      let ok = true;
      for (const chunk of unsent) ok = sink.write(chunk) && ok;
      this.bytesSent += this.#unsentBytes;
      if (this.#controller?.paused) {
        if (ok) this.#controller.resume();
        else sink.once('drain', () => this.#controller?.resume());
      }
    }
  }

  abandon(): void {
    if (this.#ended || this.#failure) return;
    this.#ended = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#controller?.abort(new Error('the client closed the connection'));
  }
}

function decodeParamMarkers(path: string): string {
  return path.replace(/__PARAM_([0-9a-f]+)__/g, (_, hex: string) => Buffer.from(hex, 'hex').toString());
}

/**
 * `{id}` / `{proxy+}` → the parameter, re-encoded segment by segment (core/paths.ts). A value the
 * route matched is taken as received (`rawPathParameters`): its real slashes stay separators, an
 * encoded one (`%2F`) stays encoded, and it holds no dot segment (the path was resolved before
 * routing). A value a parameter mapping produced has only real slashes; a `.` or `..` segment in it
 * is refused (400), since WHATWG and RFC 3986 parsers resolve `%2E` too: no encoding is safe.
 * [INF: AWS's exact re-encoding is unverified]
 */
function substitutePath(template: string, params: Readonly<Record<string, string>>, ctx: RequestContext): string {
  return template.replace(/\{([^}+]+)\+?\}/g, (_, name: string) => {
    const value = params[name] ?? '';
    const raw = ctx.rawPathParameters[name];
    const asReceived = raw !== undefined && ctx.pathParameters[name] === value;
    const encoded = encodePathSegments(asReceived ? raw.split('/').map(safeDecode) : value.split('/'));
    if (encoded === null) throw new BadRequestParametersError(`path parameter ${name} holds a dot segment`);
    return encoded;
  });
}

/**
 * An `overwrite:path` result as the upstream path. It mixes encoded text (`$request.path`) and
 * decoded client input (`$request.querystring.q`, `$request.path.id`), so each segment is decoded
 * once and re-encoded like a route parameter: a space, CR, LF, NUL or `€` becomes a percent-escape
 * (never a 500 for an unsendable path), `?` and `#` stay data, and a `.` or `..` segment — in any
 * encoding — is refused (400), as for mapped path parameters.
 */
function encodeMappedPath(value: string): string {
  const encoded = encodePathSegments((value.startsWith('/') ? value.slice(1) : value).split('/').map(safeDecode));
  if (encoded === null) throw new BadRequestParametersError('Bad Request: the value mapped to overwrite:path holds a dot segment');
  return '/' + encoded;
}

function rawQueryPairs(raw: string): Array<[string, string]> {
  if (!raw) return [];
  return raw.split('&').filter(Boolean).map((pair) => {
    const eq = pair.indexOf('=');
    return eq < 0 ? [decodeURIComponentSafe(pair), ''] : [decodeURIComponentSafe(pair.slice(0, eq)), decodeURIComponentSafe(pair.slice(eq + 1))];
  });
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function buildQuery(baseQuery: string, mapped: Array<[string, string]> | null, raw: string): string {
  if (mapped === null) return baseQuery ? (raw ? `?${baseQuery}&${raw}` : `?${baseQuery}`) : raw ? `?${raw}` : '';
  const tail = mapped ? mapped.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&') : raw;
  const q = [baseQuery, tail].filter(Boolean).join('&');
  return q ? `?${q}` : '';
}

/** Request headers as the upstream should see them (lower-cased names). */
function forwardHeaders(request: GatewayRequest): Record<string, string> {
  const out: Record<string, string> = {};
  const connection = request.headers['connection'];
  const connectionListed = connection ? new Set(connection.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) : null;
  for (const name in request.headers) {
    if (NOT_FORWARDED.has(name) || connectionListed?.has(name)) continue;
    out[name] = request.headers[name]!;
  }
  for (const [name, value] of forwardedHeaders(request)) out[name.toLowerCase()] = value;
  if (request.headers['host']) out['x-forwarded-host'] = request.headers['host'];
  return out;
}

function lowerMulti(multi: Record<string, string[]>): Record<string, string[]> {
  // A Map: client-chosen names such as `constructor` are not Object.prototype members.
  const out = new Map<string, string[]>();
  for (const [k, v] of Object.entries(multi)) {
    const list = out.get(k.toLowerCase());
    if (list) list.push(...v);
    else out.set(k.toLowerCase(), [...v]);
  }
  return Object.fromEntries(out);
}

function describeNetworkError(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  return e.message ?? String(err);
}

export type { RequestContext };

/** The registry entry (integrations/index.ts). */
export const httpIntegrationPlugin = defineIntegration({
  schema: httpIntegrationSchema,
  check: checkHttpIntegration,
  compile: (config, api, deps) => createHttpIntegration(config, api, { dispatcher: deps.dispatcher }),
});
