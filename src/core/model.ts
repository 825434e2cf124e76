/**
 * @module core/model — the request and response shapes that flow through the pipeline. [pure]
 *
 * `GatewayRequest` is built once per request by `io/server.ts` from the socket; nothing downstream
 * re-reads the socket. `RequestContext` is the `$context` model (AWS variable names) that the
 * pipeline fills as the request moves on; access logs, gateway responses, parameter mapping and
 * Lambda events all read it.
 */
import type { Readable } from 'node:stream';

/** One incoming request, parsed once. Header names in `headers` are lower-cased; values comma-joined. */
export interface GatewayRequest {
  readonly method: string;
  /** Path as received, percent-encoding intact, without the query string (stage prefix included). */
  readonly rawPath: string;
  /** Query string without `?`; `''` when none. */
  readonly rawQueryString: string;
  /** Lower-cased names; repeated headers joined with `,` (AWS 2.0 rule). `cookie` joined with `; `. */
  readonly headers: Readonly<Record<string, string>>;
  /** Node's raw header list `[name, value, name, value, ...]` with original casing (1.0 events). */
  readonly rawHeaders: readonly string[];
  readonly sourceIp: string;
  /** `HTTP/1.1` (AWS reports HTTP/1.1 even for HTTP/2 clients). */
  readonly protocol: string;
  /** `http` or `https`, as seen by the listener. */
  readonly scheme: string;
  /** The listener's port (`X-Forwarded-Port`): never taken from the client's `Host`. */
  readonly port: number;
  /** Unique per request; AWS-shaped (`apigw-requestid`). */
  readonly requestId: string;
  /** Milliseconds since the epoch when the request arrived. */
  readonly requestTimeEpoch: number;
  /**
   * The request body. The pipeline calls `readBody()` only when an integration or mapping needs
   * the whole body (Lambda); HTTP integrations stream `bodyStream` instead.
   */
  readonly body: RequestBody;
}

export interface RequestBody {
  /** `content-length` when known, else `null` (chunked). */
  readonly declaredLength: number | null;
  /** True when the request has no body at all (no content-length and no transfer-encoding, or length 0). */
  readonly isEmpty: boolean;
  /**
   * Buffers the whole body, enforcing `maxBytes` (rejects with `RequestTooLargeError`). Once per request:
   * the body keeps no reference to the bytes it handed over, so a later call rejects.
   */
  read(maxBytes: number): Promise<Buffer>;
  /**
   * The body as a stream; it errors with `RequestTooLargeError` past `maxBytes`.
   * Use either `read()` or `stream()` for one request, not both.
   */
  stream(maxBytes: number): Readable;
}

/** A response produced by an integration or by the gateway itself. */
export interface GatewayResponse {
  status: number;
  /** Multi-valued headers keep their order; names as the producer wrote them. */
  headers: Array<[string, string]>;
  /** `null` for no body; a `PushedBody` for upstream bodies streamed as they arrive. */
  body: Buffer | string | PushedBody | null;
}

/**
 * A body its producer pushes straight into the client connection as it arrives (an upstream
 * response read through undici's dispatcher): no Readable and no pipe in between, which the
 * profile showed as the largest per-request cost after the sockets themselves. `io/server.ts`
 * calls `sendTo` once, and `abandon` when the client went away first.
 */
export interface PushedBody {
  readonly kind: 'pushed';
  /** Bytes handed to the sink so far. */
  readonly bytesSent: number;
  /** Writes what has arrived, then the rest as it arrives (honouring back-pressure); ends or destroys `sink`. */
  sendTo(sink: BodySink): void;
  /** The client is gone: stop the producer. A no-op once the body has ended. */
  abandon(): void;
}

/** Where a `PushedBody` goes: the subset of `ServerResponse` it uses. */
export interface BodySink {
  write(chunk: Buffer): boolean;
  end(chunk?: Buffer): unknown;
  destroy(err?: Error): unknown;
  once(event: 'drain', listener: () => void): unknown;
}

export function isPushedBody(body: GatewayResponse['body']): body is PushedBody {
  return body !== null && typeof body === 'object' && !Buffer.isBuffer(body);
}

/** What an authorizer decided, as it reaches `$context.authorizer.*` and the integration. */
export interface AuthorizerOutcome {
  /** Lambda IAM responses. */
  principalId?: string;
  /** Lambda `context` as returned (JSON types kept; REST stringifies when building events). */
  context?: Record<string, unknown> | null;
  /** JWT claims, stringified AWS-style (`[a b]` arrays, digits for numbers). */
  claims?: Record<string, string>;
  /** JWT scopes: `null` unless the route requires scopes. */
  scopes?: string[] | null;
  /** Authorizer kind that produced this outcome. */
  kind: 'jwt' | 'lambda';
  /** Lambda authorizer `integrationLatency` in ms (REST events). */
  integrationLatencyMs?: number;
  /** `usageIdentifierKey` from a Lambda authorizer. */
  usageIdentifierKey?: string;
  /** Authorizer-supplied `Set-Cookie` values etc. are ordinary context keys; nothing special here. */
  /** What the decision log and the console show about this decision (never sent to clients). */
  audit?: DecisionAudit;
}

/**
 * Why an authorizer decided as it did, for the decision log and the console. Holds no secret: a
 * token appears only as its decoded header and payload (never its signature or the raw value).
 */
export interface DecisionAudit {
  /** In words: `signature is invalid`, `issuer http://a/ ≠ configured http://a`, `claim st-ev.v is false …`. */
  readonly reason?: string;
  /** The decision came from a cache (verified-token cache, Lambda decision cache). */
  readonly cached?: boolean;
  /** A JWT's decoded parts; `verified` false when the token was refused before its checks passed. */
  readonly token?: { readonly header: Readonly<Record<string, unknown>>; readonly payload: Readonly<Record<string, unknown>>; readonly verified: boolean };
  /** A Lambda authorizer's policy document or simple response, as returned. */
  readonly policy?: unknown;
  /** `claims:` rules that failed. */
  readonly failedRules?: ReadonlyArray<{ readonly path: string; readonly id: string; readonly explanation: string }>;
}

/**
 * The `$context` model for one request. Field names follow AWS's variables where one exists
 * (`$context.requestId` → `requestId`). Filled step by step by the pipeline.
 */
export interface RequestContext {
  requestId: string;
  extendedRequestId: string;
  requestTimeEpoch: number;
  /** CLF: `17/Jun/2024:15:49:29 +0000`. */
  requestTime: string;
  httpMethod: string;
  protocol: string;
  sourceIp: string;
  userAgent: string;
  domainName: string;
  domainPrefix: string;
  accountId: string;
  apiId: string;
  /** API name from config (for logs and metrics). */
  apiName: string;
  stage: string;
  /** `GET /pets/{id}`, `$default`, or `-` before matching. */
  routeKey: string;
  /** REST: resource template, e.g. `/pets/{id}`. HTTP: the route path. */
  resourcePath: string;
  /** Path without the stage prefix (`$request.path`), percent-decoded segments as AWS passes them. */
  path: string;
  pathParameters: Record<string, string>;
  /** `pathParameters` as received, percent-encoding intact: what an HTTP integration forwards (core/paths.ts). */
  rawPathParameters: Record<string, string>;
  stageVariables: Record<string, string>;
  authorizer: AuthorizerOutcome | null;
  /** Authorizer failure text (`$context.authorizer.error`). */
  authorizerError: string | null;
  authorizerLatencyMs: number | null;
  /** Set when the request ended in a gateway error. */
  error: { message: string | null; responseType: string } | null;
  integrationLatencyMs: number | null;
  integrationStatus: number | null;
  integrationErrorMessage: string | null;
  status: number | null;
  responseLength: number | null;
  responseLatencyMs: number | null;
}
