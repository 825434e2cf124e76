/**
 * @module core/cors — HTTP API CORS (`cors` / `corsConfiguration`), compiled once. [pure]
 *
 * AWS (http-api-cors): with CORS configured the gateway answers preflights itself, before route
 * matching, authorizers and integrations; on every other response of the API it sets the CORS
 * headers and ignores the backend's. Wire details AWS leaves open are our documented choices [INF]:
 * preflight status 204 (configurable), the request's origin echoed (or `*` when `*` is allowed
 * and credentials are off), `Vary: Origin` when echoing, a disallowed origin gets no CORS headers,
 * and `*` in allowMethods / allowHeaders answers with the requested method / headers.
 */
import type { CorsConfig } from './config.ts';
import { compileOriginPattern, type OriginMatcher } from './origins.ts';

export interface CompiledCors {
  /**
   * Preflight answer headers. A disallowed origin gets no `Access-Control-*` header at all
   * (only `Vary: Origin` when origins are echoed), so the browser blocks the actual request.
   */
  preflightHeaders(origin: string, requestMethod: string, requestHeaders: string | undefined): Array<[string, string]>;
  /** CORS headers for an actual (non-preflight) response, or `[]` when the origin is not allowed. */
  responseHeaders(origin: string): Array<[string, string]>;
  /**
   * The response's headers with the backend's `Access-Control-*` removed and ours added (AWS
   * ignores backend CORS headers on a CORS-enabled API), for any request, with or without `Origin`.
   */
  replaceHeaders(headers: ReadonlyArray<[string, string]>, origin: string | undefined): Array<[string, string]>;
  readonly preflightStatus: number;
}

export function compileCors(cfg: Readonly<CorsConfig>): CompiledCors {
  // parseConfig refuses entries that do not compile, so a string here cannot happen; matching nothing is the safe reading.
  const matchers = cfg.allowOrigins.map((pattern): OriginMatcher => {
    const matcher = compileOriginPattern(pattern);
    return typeof matcher === 'string' ? () => false : matcher;
  });
  const anyOrigin = cfg.allowOrigins.includes('*');
  const methods = cfg.allowMethods.map((m) => m.toUpperCase());
  const anyMethod = methods.includes('*');
  const headers = cfg.allowHeaders.map((h) => h.toLowerCase());
  const anyHeader = headers.includes('*');
  const methodsValue = methods.join(',');
  const headersValue = headers.join(',');
  const exposeValue = cfg.exposeHeaders.join(',');
  const isAllowed = (origin: string) => matchers.some((m) => m(origin));
  // Echoing the request's origin makes the answer depend on it: caches must key on Origin, for
  // allowed and refused origins alike (a cached refusal must not be served to an allowed origin).
  const echo = !(anyOrigin && !cfg.allowCredentials);
  const vary: Array<[string, string]> = echo ? [['vary', 'Origin']] : [];
  const originHeaders = (origin: string): Array<[string, string]> => {
    const out: Array<[string, string]> = [['access-control-allow-origin', echo ? origin : '*']];
    if (cfg.allowCredentials) out.push(['access-control-allow-credentials', 'true']);
    out.push(...vary);
    return out;
  };
  const responseHeaders = (origin: string): Array<[string, string]> => {
    if (!isAllowed(origin)) return [...vary];
    const out = originHeaders(origin);
    if (exposeValue) out.push(['access-control-expose-headers', exposeValue]);
    return out;
  };
  return {
    preflightStatus: cfg.preflightStatusCode,
    preflightHeaders(origin, requestMethod, requestHeaders) {
      if (!isAllowed(origin)) return [...vary];
      const out = originHeaders(origin);
      if (methods.length) out.push(['access-control-allow-methods', anyMethod ? requestMethod.toUpperCase() : methodsValue]);
      if (headers.length) {
        const value = anyHeader ? (requestHeaders ?? '*') : headersValue;
        if (value) out.push(['access-control-allow-headers', value]);
      }
      if (exposeValue) out.push(['access-control-expose-headers', exposeValue]);
      if (cfg.maxAge !== undefined) out.push(['access-control-max-age', String(cfg.maxAge)]);
      return out;
    },
    responseHeaders,
    replaceHeaders(headers, origin) {
      const out = headers.filter(([k]) => !k.toLowerCase().startsWith('access-control-'));
      out.push(...(origin === undefined ? vary : responseHeaders(origin)));
      return out;
    },
  };
}

/** True for a CORS preflight: OPTIONS with both `Origin` and `Access-Control-Request-Method`. */
export function isPreflight(method: string, headers: Readonly<Record<string, string>>): boolean {
  return method === 'OPTIONS' && headers['origin'] !== undefined && headers['access-control-request-method'] !== undefined;
}
