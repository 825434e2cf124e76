/**
 * @module io/runtimes/runtime-api — the Lambda Runtime API (`/2018-06-01`) for one execution
 * environment. [io]
 *
 * The contract every Lambda runtime speaks (AWS's `awslambdaric`, `aws-lambda-ric`, any `provided`
 * bootstrap): the runtime long-polls `GET /runtime/invocation/next`, gets one event with its
 * `Lambda-Runtime-*` headers, and answers `POST /runtime/invocation/{id}/response` or `…/error`; a
 * runtime that cannot start says so with `POST /runtime/init/error`. Sources: AWS's "Using the Lambda
 * runtime API for custom runtimes" (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) and
 * the Runtime Interface Emulator (github.com/aws/aws-lambda-runtime-interface-emulator, internal/lambda/
 * rapi: router, rendering, middleware), whose status codes and error bodies are used below.
 *
 * One server per environment, as AWS gives one per sandbox: `AWS_LAMBDA_RUNTIME_API` is a bare
 * `host:port`, so a server cannot tell two processes apart. It listens on 127.0.0.1, port 0 (never the
 * gateway's listener), and holds at most one invocation: the pool (`process-pool.ts`) gives an
 * environment one invocation at a time.
 *
 * Must not: throw into the HTTP server (every path answers), buffer more than the payload limit.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** AWS: MaxPayloadSize = 6 MiB + 100 bytes (RIE interop/model.go). */
export const RUNTIME_API_MAX_PAYLOAD_BYTES = 6 * 1024 * 1024 + 100;

/** A body declared larger than the payload limit is still read (and dropped) up to this, so the runtime
 *  sees the 413 rather than a reset while it writes; past it the connection is closed. */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

/** One event handed to the runtime. */
export interface RuntimeInvocation {
  readonly requestId: string;
  /** The event as JSON text. */
  readonly eventJson: string;
  /** Epoch ms (`Lambda-Runtime-Deadline-Ms`). */
  readonly deadlineMs: number;
  readonly invokedFunctionArn: string;
  readonly traceId: string;
  /** JSON text, sent as `Lambda-Runtime-Client-Context` when set. */
  readonly clientContext?: string;
  /** JSON text `{cognitoIdentityId, cognitoIdentityPoolId}`, sent when set. */
  readonly cognitoIdentity?: string;
}

/** What the runtime answered for an invocation. */
export type RuntimeOutcome =
  | { readonly type: 'response'; readonly body: Buffer }
  | { readonly type: 'error'; readonly errorType: string; readonly errorMessage: string }
  | { readonly type: 'too-large'; readonly bytes: number | null };

/** A `POST /runtime/init/error`: the runtime could not load the function. */
export interface RuntimeInitError {
  readonly errorType: string;
  readonly errorMessage: string;
}

export interface RuntimeApiEvents {
  /** The first `GET /next`: the runtime finished its init phase. */
  onFirstPoll?: () => void;
  onInitError?: (err: RuntimeInitError) => void;
}

export interface RuntimeApiServer {
  /** `127.0.0.1:PORT`, the value of `AWS_LAMBDA_RUNTIME_API`. */
  readonly address: string;
  /** Hands the invocation to the runtime's (next) poll; resolves with its answer. One at a time. */
  invoke(invocation: RuntimeInvocation): Promise<RuntimeOutcome>;
  /** Forgets the current invocation (timed out): a late answer gets 400 `InvalidRequestID`. */
  abandon(): void;
  close(): Promise<void>;
}

interface Current {
  readonly invocation: RuntimeInvocation;
  delivered: boolean;
  readonly resolve: (o: RuntimeOutcome) => void;
}

const PREFIX = '/2018-06-01';

/** Starts a Runtime API server on 127.0.0.1:0. */
export async function startRuntimeApi(events: RuntimeApiEvents = {}): Promise<RuntimeApiServer> {
  let current: Current | null = null;
  let parkedPoll: ServerResponse | null = null;
  let polled = false;

  const deliver = (res: ServerResponse, c: Current) => {
    c.delivered = true;
    const inv = c.invocation;
    // AWS (rendering.go renderInvokeHeaders): each header only when non-empty.
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'lambda-runtime-aws-request-id': inv.requestId,
      'lambda-runtime-deadline-ms': String(inv.deadlineMs),
      'lambda-runtime-invoked-function-arn': inv.invokedFunctionArn,
      'lambda-runtime-trace-id': inv.traceId,
    };
    if (inv.clientContext) headers['lambda-runtime-client-context'] = inv.clientContext;
    if (inv.cognitoIdentity) headers['lambda-runtime-cognito-identity'] = inv.cognitoIdentity;
    const body = Buffer.from(inv.eventJson, 'utf8');
    headers['content-length'] = String(body.length);
    res.writeHead(200, headers);
    res.end(body);
  };

  const server: Server = createServer((req, res) => {
    void route(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { errorMessage: 'internal error', errorType: 'InternalError' });
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'GET' && path === `${PREFIX}/runtime/invocation/next`) {
      if (!polled) {
        polled = true;
        events.onFirstPoll?.();
      }
      if (current && !current.delivered) return deliver(res, current);
      // Long poll: parked until an invocation arrives (AWS docs: no timeout on this GET).
      if (parkedPoll && !parkedPoll.writableEnded) parkedPoll.destroy();
      parkedPoll = res;
      res.on('close', () => {
        if (parkedPoll === res) parkedPoll = null;
      });
      return;
    }
    if (req.method === 'POST' && path === `${PREFIX}/runtime/init/error`) {
      const body = await readBody(req, RUNTIME_API_MAX_PAYLOAD_BYTES);
      const parsed = parseErrorBody(body, req.headers['lambda-runtime-function-error-type']);
      sendJson(res, 202, { status: 'OK' });
      events.onInitError?.(parsed);
      return;
    }
    const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(path);
    if (req.method === 'POST' && m) {
      const id = decodeURIComponent(m[1]!);
      // AWS (middleware.AwsRequestIDValidator): an id that is not the current invocation's is 400.
      if (!current || !current.delivered || current.invocation.requestId !== id) {
        req.resume();
        return sendJson(res, 400, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
      }
      const c = current;
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > DRAIN_LIMIT_BYTES) {
        finish(c, { type: 'too-large', bytes: declared });
        // The body is not read: the connection cannot carry another request.
        res.setHeader('connection', 'close');
        sendJson(res, 413, tooLargeBody());
        res.once('finish', () => req.socket.destroy());
        return;
      }
      const body = await readBody(req, RUNTIME_API_MAX_PAYLOAD_BYTES);
      if (body === null) {
        finish(c, { type: 'too-large', bytes: Number.isFinite(declared) ? declared : null });
        sendJson(res, 413, tooLargeBody());
        return;
      }
      if (m[2] === 'response') finish(c, { type: 'response', body });
      else finish(c, { type: 'error', ...parseErrorBody(body, req.headers['lambda-runtime-function-error-type']) });
      return sendJson(res, 202, { status: 'OK' });
    }
    if (req.method === 'GET' && path === '/ping') return sendJson(res, 200, { status: 'OK' });
    req.resume();
    sendJson(res, 404, { errorMessage: `no route ${req.method} ${path}`, errorType: 'NotFound' });
  }

  function finish(c: Current, outcome: RuntimeOutcome): void {
    if (current !== c) return;
    current = null;
    c.resolve(outcome);
  }

  // Small writes both ways on loopback: no Nagle delay.
  server.on('connection', (socket) => socket.setNoDelay(true));
  // Long polls and slow runtimes: no request or idle timeouts on this private server.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 0;
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    address: `127.0.0.1:${port}`,
    invoke(invocation) {
      if (current) return Promise.reject(new Error('the environment is busy'));
      return new Promise((resolve) => {
        current = { invocation, delivered: false, resolve };
        if (parkedPoll && !parkedPoll.writableEnded) {
          const res = parkedPoll;
          parkedPoll = null;
          deliver(res, current);
        }
      });
    },
    abandon() {
      const c = current;
      current = null;
      c?.resolve({ type: 'error', errorType: 'Runtime.Abandoned', errorMessage: 'the invocation was abandoned' });
    },
    async close() {
      const c = current;
      current = null;
      c?.resolve({ type: 'error', errorType: 'Runtime.Closed', errorMessage: 'the Runtime API server closed' });
      parkedPoll?.destroy();
      parkedPoll = null;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function tooLargeBody() {
  return { errorMessage: `Exceeded maximum allowed payload size (${RUNTIME_API_MAX_PAYLOAD_BYTES} bytes).`, errorType: 'RequestEntityTooLarge' };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The body, or null once it passes `limit` bytes (the rest is drained, not kept). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** `{errorMessage, errorType}` from an error body; the header names the type when the body does not. */
function parseErrorBody(body: Buffer | null, headerType: string | string[] | undefined): RuntimeInitError {
  const fromHeader = typeof headerType === 'string' && headerType !== '' ? headerType : undefined;
  let errorType = fromHeader ?? 'Unhandled';
  let errorMessage = '';
  if (body && body.length) {
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { errorType?: unknown; errorMessage?: unknown };
      if (typeof parsed.errorType === 'string' && parsed.errorType) errorType = parsed.errorType;
      if (typeof parsed.errorMessage === 'string') errorMessage = parsed.errorMessage;
    } catch {
      errorMessage = body.subarray(0, 1000).toString('utf8');
    }
  }
  return { errorType, errorMessage };
}
