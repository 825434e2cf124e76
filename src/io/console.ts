/**
 * @module io/console — the decision console on the admin listener (beyond AWS). [io]
 *
 *   GET  /console                     the page (io/console-page.ts)
 *   GET  /console?token=T             checks T, sets an HttpOnly SameSite=Strict cookie, redirects to /console
 *   GET  /console/api/decisions       {"total","decisions":[…]} newest last (`?limit=`, at most the ring)
 *   GET  /console/api/decisions/SEQ   one decision, for the drill-down
 *   GET  /console/api/health          {"devTokens", "authorizers":[…]}: JWKS keys, last fetch, errors, cache hits
 *   GET  /console/api/stream          Server-Sent Events: `event: batch` {"decisions","omitted"} every 200 ms
 *   POST /dev-tokens                  `--dev-tokens` only: mint a token (JSON body {"authorizer","claims"})
 *
 * Access: with `admin.token`, every route here needs it (`Authorization: Bearer T` or the cookie);
 * without one, they answer only clients on loopback (the admin listener is on loopback then: the
 * config check refuses a console on a public address without a token).
 *
 * Never sends secrets: decisions are redacted by io/decision-log.ts.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONSOLE_PAGE } from './console-page.ts';
import type { DecisionLog } from './decision-log.ts';

export interface AuthorizerHealth {
  api: string;
  id: string;
  kind: string;
  ready: boolean;
  detail: string;
  issuer?: string;
  keys?: { keyCount: number; fetchedAt: number | null; lastError: string | null; jwksUri: string | null; fresh: boolean; discoveredIssuer: string | null };
  cache?: { hits: number; misses: number; entries: number };
  devKeyId?: string | null;
  worker?: number;
}

export interface ConsoleSource {
  readonly decisions: DecisionLog;
  health(): Promise<AuthorizerHealth[]>;
  /** `admin.token`, or `null` (loopback clients only). */
  readonly token: string | null;
  readonly devTokens: boolean;
  /** `POST /dev-tokens`; absent without `--dev-tokens`. */
  mint?(api: string | undefined, authorizer: string, claims: Record<string, unknown>, expiresInSeconds: number | undefined): Promise<{ token: string } | { error: string }>;
}

export const ADMIN_COOKIE = 'portcullis_admin';
const MAX_MINT_BODY_BYTES = 64 * 1024;
/** Open streams at once; a console tab holds one. */
export const MAX_STREAMS = 16;

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'));
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined; // a malformed escape is no token
      }
    }
  }
  return undefined;
}

/**
 * Returns a request handler for the console's routes; it answers `false` for paths that are not its
 * own (the admin server then goes on with `/metrics` and the rest).
 */
export function createConsoleHandler(source: ConsoleSource): (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) => boolean {
  let streams = 0;
  const send = (res: ServerResponse, status: number, body: string, type = 'application/json', extra: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body), 'x-content-type-options': 'nosniff', ...extra });
    res.end(body);
  };
  const allowed = (req: IncomingMessage): boolean => {
    if (source.token === null) return isLoopback(req.socket.remoteAddress);
    const auth = req.headers.authorization;
    const presented = auth?.startsWith('Bearer ') ? auth.slice(7) : cookieValue(req.headers.cookie, ADMIN_COOKIE);
    return presented !== undefined && sameSecret(presented, source.token);
  };

  return (req, res, path, query) => {
    const isConsole = path === '/console' || path === '/console/' || path.startsWith('/console/api/');
    const isMint = path === '/dev-tokens';
    if (!isConsole && !isMint) return false;
    if (path === '/console' && req.method === 'GET' && source.token !== null && query.has('token')) {
      const t = query.get('token') ?? '';
      if (!sameSecret(t, source.token)) {
        send(res, 401, '{"message":"wrong admin token"}');
        return true;
      }
      send(res, 303, '', 'text/plain', { location: '/console', 'set-cookie': `${ADMIN_COOKIE}=${encodeURIComponent(t)}; Path=/; HttpOnly; SameSite=Strict` });
      return true;
    }
    if (!allowed(req)) {
      send(res, source.token === null ? 403 : 401, source.token === null ? '{"message":"the console answers loopback clients only (set admin.token to open it to others)"}' : '{"message":"admin token required: open /console?token=… or send Authorization: Bearer …"}');
      return true;
    }
    if (isMint) {
      if (req.method !== 'POST') return send(res, 405, '{"message":"Method Not Allowed"}'), true;
      if (!source.mint) return send(res, 404, '{"message":"dev tokens are off: start the gateway with --dev-tokens"}'), true;
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return send(res, 415, '{"message":"send a JSON body: {\\"authorizer\\":\\"NAME\\",\\"claims\\":{…}}"}'), true;
      readBody(req, MAX_MINT_BODY_BYTES).then(
        async (text) => {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            return send(res, 400, '{"message":"the body is not valid JSON"}');
          }
          const b = body as { api?: unknown; authorizer?: unknown; claims?: unknown; expiresInSeconds?: unknown };
          if (typeof b?.authorizer !== 'string' || (b.api !== undefined && typeof b.api !== 'string') || (b.claims !== undefined && (typeof b.claims !== 'object' || b.claims === null || Array.isArray(b.claims)))) {
            return send(res, 400, '{"message":"expected {\\"authorizer\\":\\"NAME\\",\\"claims\\":{…}}"}');
          }
          const exp = typeof b.expiresInSeconds === 'number' ? b.expiresInSeconds : undefined;
          const minted = await source.mint!(b.api as string | undefined, b.authorizer, (b.claims as Record<string, unknown>) ?? {}, exp);
          if ('error' in minted) return send(res, 400, JSON.stringify({ message: minted.error }));
          send(res, 200, JSON.stringify(minted));
        },
        (err: Error) => send(res, 413, JSON.stringify({ message: err.message })),
      );
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, '{"message":"Method Not Allowed"}'), true;
    if (path === '/console/') return send(res, 308, '', 'text/plain', { location: '/console' }), true;
    if (path === '/console') {
      send(res, 200, CONSOLE_PAGE, 'text/html; charset=utf-8', {
        'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'",
        'referrer-policy': 'no-referrer',
      });
      return true;
    }
    if (path === '/console/api/decisions') {
      const limit = Math.max(1, Math.min(Number(query.get('limit')) || 200, 100_000));
      send(res, 200, JSON.stringify({ total: source.decisions.total, decisions: source.decisions.recent(limit) }));
      return true;
    }
    const one = /^\/console\/api\/decisions\/(\d+)$/.exec(path);
    if (one) {
      const d = source.decisions.get(Number(one[1]));
      send(res, d ? 200 : 404, d ? JSON.stringify(d) : '{"message":"no such decision (it left the in-memory ring)"}');
      return true;
    }
    if (path === '/console/api/health') {
      source.health().then(
        (authorizers) => send(res, 200, JSON.stringify({ devTokens: source.devTokens, authorizers })),
        (err: Error) => send(res, 500, JSON.stringify({ message: `health unavailable: ${err.message}` })),
      );
      return true;
    }
    if (path === '/console/api/stream') {
      if (streams >= MAX_STREAMS) return send(res, 503, `{"message":"at most ${MAX_STREAMS} console streams at once"}`), true;
      streams++;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.write(': portcullis decisions\n\n');
      const stop = source.decisions.subscribe((batch) => {
        if (!res.writableNeedDrain) res.write(`event: batch\ndata: ${JSON.stringify(batch)}\n\n`);
        // A client that cannot keep up misses batches rather than growing our buffers.
      });
      const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
      ping.unref();
      const end = () => {
        stop();
        clearInterval(ping);
        streams--;
      };
      res.once('close', end);
      return true;
    }
    send(res, 404, '{"message":"Not Found"}');
    return true;
  };
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error(`body over ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
