/**
 * @module io/server — the node:http adapter: socket → `GatewayRequest`, `GatewayResponse` → socket. [io]
 *
 * Parses each request once (headers joined the AWS 2.0 way from the raw list, so a duplicated
 * `Authorization` never silently keeps one value), enforces body limits while reading, writes
 * the response with the request-id headers AWS sends, then writes the access-log line. `close()`
 * stops accepting, lets in-flight requests finish (bounded), then drops idle keep-alive sockets.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Transform, type Readable } from 'node:stream';
import { BodyBuffersFullError, RequestTooLargeError } from '../core/errors.ts';
import { removeDotSegments } from '../core/paths.ts';
import { isPushedBody, type GatewayRequest, type GatewayResponse, type PushedBody, type RequestBody, type RequestContext } from '../core/model.ts';
import type { Logger } from './logger.ts';

/**
 * What the server needs of the pipeline's answer to write it (the pipeline's `PipelineResult` has this
 * shape; the server does not import the pipeline, which sits above it).
 */
export interface ServedResult {
  readonly response: GatewayResponse;
  readonly ctx: RequestContext;
  /** The API that answered (none when no API matched): its protocol picks the request-id headers. */
  readonly api: { readonly protocol: 'http' | 'rest'; readonly accessLog: { write(ctx: RequestContext): void } | null } | null;
}

export interface GatewayServerOptions<Lease, Result extends ServedResult> {
  /** Called as a request arrives: pins what it runs on (the config generation) until `onComplete`. */
  acquire(): Lease;
  handle(request: GatewayRequest, lease: Lease): Promise<Result>;
  /** Called once per request after the last byte (and the access-log line): metrics, reload bookkeeping. */
  onComplete(request: GatewayRequest, result: Result | null, lease: Lease): void;
  newRequestId(): string;
  logger: Logger;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** Request-body bytes buffered at once across all requests (`server.maxBufferedBodyBytes`). */
  maxBufferedBodyBytes: number;
}

export interface GatewayServer {
  /** Resolves with the bound port; rejects with a one-line reason (e.g. the port is in use). */
  listen(port: number, host: string): Promise<number>;
  close(drainTimeoutMs: number): Promise<void>;
  readonly inFlight: number;
  /** Request-body bytes buffered right now (held by `read()` until the request is over). */
  readonly bufferedBodyBytes: number;
}

export function createGatewayServer<Lease, Result extends ServedResult>(options: GatewayServerOptions<Lease, Result>): GatewayServer {
  let inFlight = 0;
  let draining = false;
  const bodyBudget = new BodyBudget(options.maxBufferedBodyBytes);
  const idleWaiters: Array<() => void> = [];
  const server = createServer(
    {
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      keepAliveTimeout: 5_000,
      // AWS: header + URL limits are about 10 KB each; Node's default total is 16 KB.
      maxHeaderSize: 16 * 1024,
      // Node checks the two timeouts above only this often (default 30 s): slow clients must not linger.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(options.headersTimeoutMs / 2))),
    },
    (req, res) => {
      inFlight++;
      if (draining) res.setHeader('connection', 'close');
      serve(req, res, options, bodyBudget, onServed);
    },
  );
  const onServed = () => {
    inFlight--;
    if (inFlight === 0 && idleWaiters.length > 0) for (const w of idleWaiters.splice(0)) w();
  };
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const body = JSON.stringify({ message: status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request' });
    socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
  });
  return {
    get inFlight() {
      return inFlight;
    },
    get bufferedBodyBytes() {
      return bodyBudget.used;
    },
    listen(port, host) {
      return new Promise((resolvePort, reject) => {
        const onError = (err: NodeJS.ErrnoException) => {
          server.off('listening', onListening);
          reject(new Error(err.code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use` : err.code === 'EACCES' ? `no permission to listen on ${host}:${port}` : `cannot listen on ${host}:${port}: ${err.message}`));
        };
        const onListening = () => {
          server.off('error', onError);
          resolvePort((server.address() as AddressInfo).port);
        };
        server.once('error', onError);
        server.once('listening', onListening);
        server.listen(port, host);
      });
    },
    async close(drainTimeoutMs) {
      draining = true;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([new Promise<void>((r) => idleWaiters.push(r)), new Promise<void>((r) => setTimeout(r, drainTimeoutMs).unref())]);
      }
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * One request: parse, run the pipeline, write the answer, then (after the last byte or a client
 * abort) the access-log line and `onComplete`. Callbacks rather than `await`s: each promise hop and
 * listener per request showed in the profile.
 */
function serve<Lease, Result extends ServedResult>(req: IncomingMessage, res: ServerResponse, options: GatewayServerOptions<Lease, Result>, bodyBudget: BodyBudget, onServed: () => void): void {
  const started = Date.now();
  if (hostCount(req.rawHeaders) > 1) {
    // RFC 9112 §3.2: more than one Host is a 400; which one routes, logs and is forwarded would be a guess.
    res.shouldKeepAlive = false;
    res.writeHead(400, { 'content-type': 'application/json', connection: 'close' });
    res.end('{"message":"Bad Request"}');
    onServed();
    return;
  }
  const body = new IncomingBody(req, bodyBudget);
  const request = toGatewayRequest(req, options.newRequestId(), started, body);
  const lease = options.acquire();
  // The buffered body (if any) is referenced until the answer is written: its bytes count until then.
  const served = () => {
    body.release();
    onServed();
  };
  options.handle(request, lease).then(
    (result) => respond(req, res, request, result, started, () => options.onComplete(request, result, lease), served),
    (err: unknown) => {
      // The pipeline renders every error itself; reaching here is a bug. Answer, never hang.
      options.logger.error('pipeline failed', { error: err instanceof Error ? err.stack ?? err.message : String(err) });
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json', 'apigw-requestid': request.requestId });
        res.end('{"message":"Internal Server Error"}');
      }
      options.onComplete(request, null, lease);
      served();
    },
  );
}

function respond(req: IncomingMessage, res: ServerResponse, request: GatewayRequest, result: ServedResult, started: number, onComplete: () => void, onServed: () => void): void {
  const { response, ctx, api } = result;
  const headers: string[] = [];
  let streamLength: string | null = null;
  for (const [k, v] of response.headers) {
    const lower = k.toLowerCase();
    if (lower === 'content-length') {
      streamLength = v;
      continue;
    }
    if (lower === 'transfer-encoding' || lower === 'connection') continue;
    headers.push(k, v);
  }
  if (api?.protocol === 'rest') headers.push('x-amzn-RequestId', ctx.requestId, 'x-amz-apigw-id', ctx.extendedRequestId);
  else headers.push('apigw-requestid', ctx.requestId);
  const body = response.body;
  let pushed: PushedBody | null = null;
  let bytes = 0;
  try {
    if (!isPushedBody(body)) {
      const buf = body === null ? null : typeof body === 'string' ? Buffer.from(body) : body;
      bytes = buf?.length ?? 0;
      // RFC 9110 §8.6: no Content-Length on 1xx/204; a 304 or a HEAD answer keeps the upstream's length.
      const noBodyStatus = response.status < 200 || response.status === 204 || response.status === 304;
      if (!noBodyStatus && req.method === 'HEAD' && streamLength !== null) headers.push('content-length', streamLength);
      else if (!noBodyStatus) headers.push('content-length', String(bytes));
      res.writeHead(response.status, headers);
      res.end(req.method === 'HEAD' ? undefined : (buf ?? undefined));
    } else if (response.status < 200 || response.status === 204) {
      // A response mapping turned an upstream answer into a status that has no body: drop the body
      // (and its length, RFC 9110 §8.6) instead of streaming bytes node:http would discard.
      body.abandon();
      res.writeHead(response.status, headers);
      res.end();
    } else {
      // A streamed upstream body keeps the upstream's length (no chunked framing); others are chunked.
      pushed = body;
      if (streamLength !== null && /^\d+$/.test(streamLength)) headers.push('content-length', streamLength);
      res.writeHead(response.status, headers);
      body.sendTo(res);
    }
  } catch (err) {
    // e.g. a header value Node refuses to write: the client gets a 500, the process keeps serving.
    ctx.integrationErrorMessage ??= `response could not be written: ${(err as Error).message}`;
    if (!res.headersSent) {
      res.removeHeader('content-length');
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"message":"Internal Server Error"}');
    } else res.destroy(err as Error);
    pushed?.abandon();
    pushed = null;
  }
  const finish = () => {
    if (pushed !== null) {
      // The client may have left before the upstream body ended: stop reading it.
      pushed.abandon();
      bytes = pushed.bytesSent;
    }
    ctx.responseLength = bytes;
    ctx.responseLatencyMs = Date.now() - started;
    api?.accessLog?.write(ctx);
    onComplete();
    onServed();
  };
  // 'close' follows 'finish' on every response, and fires alone when the client goes away first. It
  // may have fired already (the client left before the answer was ready): regression-drain-after-client-abort.
  if (res.closed) finish();
  else res.once('close', finish);
}

function hostCount(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') n++;
  return n;
}

function toGatewayRequest(req: IncomingMessage, requestId: string, now: number, body: RequestBody): GatewayRequest {
  const url = req.url ?? '/';
  let target = url;
  // absolute-form (`GET http://host/path`): RFC 9112 §3.2.2, the target's authority replaces any Host header.
  let targetHost: string | null = null;
  if (!url.startsWith('/')) {
    try {
      const u = new URL(url);
      // `u.pathname` would resolve dot segments in WHATWG's way before ours; take the raw path.
      // The authority ends at the first `/`, `?` or `#` after `//` (RFC 3986 §3.2).
      const rest = url.slice(url.indexOf('//') + 2).split('#')[0]!;
      const end = rest.search(/[/?]/);
      target = end < 0 ? '/' : rest[end] === '/' ? rest.slice(end) : '/' + rest.slice(end);
      targetHost = u.host;
    } catch {
      target = '/';
    }
  }
  const q = target.indexOf('?');
  // Dot segments, literal or percent-encoded, are resolved before routing (core/paths.ts), so
  // `/files/../admin` and `/files/%2e%2e/admin` are routed (and authorized) as `/admin`.
  const rawPath = removeDotSegments(q < 0 ? target : target.slice(0, q));
  const rawQueryString = q < 0 ? '' : target.slice(q + 1);
  // A prototype-less object: a client-chosen name such as `constructor` or `__proto__` is an
  // ordinary header, never an Object.prototype member (regression-prototype-keys).
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const prev = headers[name];
    headers[name] = prev === undefined ? value : name === 'cookie' ? `${prev}; ${value}` : `${prev},${value}`;
  }
  if (targetHost !== null) headers['host'] = targetHost;
  const remote = req.socket.remoteAddress ?? '';
  return {
    method: req.method ?? 'GET',
    rawPath,
    rawQueryString,
    headers,
    rawHeaders: raw,
    sourceIp: remote.startsWith('::ffff:') ? remote.slice(7) : remote,
    protocol: 'HTTP/1.1',
    scheme: 'http',
    port: req.socket.localPort ?? 0,
    requestId,
    requestTimeEpoch: now,
    body,
  };
}

/**
 * The request-body bytes buffered at once across all requests of this process. Only `read()` takes
 * from it (Lambda integrations buffer; HTTP integrations stream and take nothing). A body that does
 * not fit is refused with 503 + `Retry-After`, never waited for: waiting would hold its socket and
 * its client's bytes anyway.
 */
class BodyBudget {
  #used = 0;
  constructor(readonly limit: number) {}

  get used(): number {
    return this.#used;
  }

  /** Takes `bytes` when they fit under the limit; takes nothing and answers false when they do not. */
  tryTake(bytes: number): boolean {
    if (this.#used + bytes > this.limit) return false;
    this.#used += bytes;
    return true;
  }

  giveBack(bytes: number): void {
    this.#used -= bytes;
  }
}

/** The request body, read only if something asks (a class: no closures per request). */
class IncomingBody implements RequestBody {
  readonly declaredLength: number | null;
  readonly isEmpty: boolean;
  /**
   * `read()` hands the bytes over and keeps no reference: once the caller has made what it needs
   * (a Lambda event), the raw copy can be collected while the invocation runs.
   */
  #read = false;
  /** Bytes this body holds of the budget: its declared length up front, or each chunk as it arrives. */
  #held = 0;
  constructor(
    private readonly req: IncomingMessage,
    private readonly budget: BodyBudget,
  ) {
    const cl = req.headers['content-length'];
    this.declaredLength = cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : null;
    this.isEmpty = this.declaredLength === 0 || (this.declaredLength === null && req.headers['transfer-encoding'] === undefined);
  }

  /** Gives the held bytes back (the request is over, or its body was refused). Idempotent. */
  release(): void {
    this.budget.giveBack(this.#held);
    this.#held = 0;
  }

  read(maxBytes: number): Promise<Buffer> {
    if (this.#read) return Promise.reject(new Error('the request body was already read'));
    this.#read = true;
    if (this.isEmpty) return Promise.resolve(Buffer.alloc(0));
    if (this.declaredLength !== null && this.declaredLength > maxBytes) return Promise.reject(new RequestTooLargeError());
    const refusal = this.declaredLength === null ? null : this.#take(this.declaredLength);
    if (refusal) return Promise.reject(refusal);
    const req = this.req;
    // A declared length is filled in place: no list of chunks and no second copy to join them.
    const whole = this.declaredLength === null ? null : Buffer.allocUnsafe(this.declaredLength);
    return new Promise((resolveBody, reject) => {
      let chunks: Buffer[] = [];
      let size = 0;
      const refuse = (err: Error) => {
        req.removeAllListeners('data');
        req.resume();
        chunks = [];
        this.release();
        reject(err);
      };
      req.on('data', (chunk: Buffer) => {
        if (whole) {
          // node:http never passes more than the declared length.
          chunk.copy(whole, size);
          size += chunk.length;
          return;
        }
        size += chunk.length;
        if (size > maxBytes) return refuse(new RequestTooLargeError({ detail: `body exceeds ${maxBytes} bytes` }));
        // A chunked body takes its bytes as they arrive; a declared one took them all up front.
        const full = this.#take(chunk.length, size);
        if (full) return refuse(full);
        chunks.push(chunk);
      });
      req.once('end', () => resolveBody(whole ? whole.subarray(0, size) : Buffer.concat(chunks, size)));
      req.once('error', reject);
      req.once('aborted', () => reject(new Error('client aborted the request')));
    });
  }

  /**
   * Takes `bytes` of the budget, or answers why not: 413 when the body (`total` bytes so far) could
   * never fit, 503 when other requests' bodies hold the room.
   */
  #take(bytes: number, total = bytes): RequestTooLargeError | BodyBuffersFullError | null {
    if (total > this.budget.limit) return new RequestTooLargeError({ detail: `body exceeds server.maxBufferedBodyBytes (${this.budget.limit} bytes)` });
    if (!this.budget.tryTake(bytes)) return new BodyBuffersFullError({ detail: `${this.budget.used} of ${this.budget.limit} body bytes are buffered by other requests` });
    this.#held += bytes;
    return null;
  }

  stream(maxBytes: number): Readable {
    let size = 0;
    const limiter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > maxBytes) cb(new RequestTooLargeError({ detail: `body exceeds ${maxBytes} bytes` }));
        else cb(null, chunk);
      },
    });
    this.req.once('error', (err) => limiter.destroy(err));
    return (this.req as Readable).pipe(limiter);
  }
}
