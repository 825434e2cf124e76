/**
 * @module core/errors — the gateway's one error taxonomy. [pure]
 *
 * Every failure on the request path is a `GatewayError` subclass. Each carries a stable `code`
 * (`ERR_GW_*`), the AWS gateway-response type it renders as (`responseType`, verbatim AWS enum
 * name), a public message (what AWS would put in `$context.error.message`), and a private `detail`
 * for logs only. The pipeline turns any error into a response through `renderGatewayError()` in
 * `core/gateway-responses.ts`; plug-ins never write HTTP responses themselves.
 *
 * Must not: import I/O, or put token, cookie or Authorization material in any message.
 */
import type { AuthorizerOutcome, DecisionAudit } from './model.ts';

/** AWS REST API gateway response types (supported-gateway-response-types), verbatim. */
export const GATEWAY_RESPONSE_TYPES = [
  'ACCESS_DENIED',
  'API_CONFIGURATION_ERROR',
  'AUTHORIZER_CONFIGURATION_ERROR',
  'AUTHORIZER_FAILURE',
  'BAD_REQUEST_PARAMETERS',
  'BAD_REQUEST_BODY',
  'DEFAULT_4XX',
  'DEFAULT_5XX',
  'EXPIRED_TOKEN',
  'INTEGRATION_FAILURE',
  'INTEGRATION_TIMEOUT',
  'INVALID_API_KEY',
  'INVALID_SIGNATURE',
  'MISSING_AUTHENTICATION_TOKEN',
  'QUOTA_EXCEEDED',
  'REQUEST_TOO_LARGE',
  'RESOURCE_NOT_FOUND',
  'THROTTLED',
  'UNAUTHORIZED',
  'UNSUPPORTED_MEDIA_TYPE',
  'WAF_FILTERED',
] as const;
export type GatewayResponseType = (typeof GATEWAY_RESPONSE_TYPES)[number];

export type GatewayErrorCode =
  | 'ERR_GW_ROUTE_NOT_FOUND'
  | 'ERR_GW_UNAUTHORIZED'
  | 'ERR_GW_ACCESS_DENIED'
  | 'ERR_GW_CLAIM_INVALID'
  | 'ERR_GW_AUTHORIZER_CONFIGURATION'
  | 'ERR_GW_AUTHORIZER_FAILURE'
  | 'ERR_GW_BAD_REQUEST_PARAMETERS'
  | 'ERR_GW_REQUEST_TOO_LARGE'
  | 'ERR_GW_URI_TOO_LONG'
  | 'ERR_GW_BODY_BUFFERS_FULL'
  | 'ERR_GW_INTEGRATION_FAILURE'
  | 'ERR_GW_INTEGRATION_TIMEOUT'
  | 'ERR_GW_INTERNAL';

export interface GatewayErrorOptions {
  /** Private diagnostics: logged (as `$context.integrationErrorMessage` / `authorizer.error`), never sent. */
  detail?: string;
  cause?: unknown;
  /** Extra response headers this failure must carry (e.g. `www-authenticate` on JWT 401s). */
  headers?: Record<string, string>;
  /**
   * What the authorizer returned with a denial (Lambda Deny with `context`), so gateway response
   * templates can read `$context.authorizer.*` on 403s.
   */
  authorizer?: AuthorizerOutcome;
}

/** Base of every request-path failure. `publicMessage` may be `null` (AWS sends `{"message":null}`). */
export abstract class GatewayError extends Error {
  abstract readonly code: GatewayErrorCode;
  abstract readonly responseType: GatewayResponseType;
  /** The AWS default status for this failure. */
  abstract readonly status: number;
  readonly publicMessage: string | null;
  readonly detail: string | undefined;
  readonly headers: Record<string, string>;
  readonly authorizer: AuthorizerOutcome | undefined;
  /** Set by authorizers: what the decision log shows (never rendered). */
  audit: DecisionAudit | undefined;

  constructor(publicMessage: string | null, options: GatewayErrorOptions = {}) {
    super(options.detail ?? publicMessage ?? 'gateway error', { cause: options.cause });
    this.name = new.target.name;
    this.publicMessage = publicMessage;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
    this.authorizer = options.authorizer;
  }

  /** Client errors are safe to explain; server errors keep their detail private. */
  get expose(): boolean {
    return this.status < 500;
  }
}

/** No route (HTTP API: 404 Not Found) or no resource/method (REST: 403 Missing Authentication Token). */
export class RouteNotFoundError extends GatewayError {
  readonly code = 'ERR_GW_ROUTE_NOT_FOUND';
  readonly responseType: GatewayResponseType;
  readonly status: number;
  constructor(flavour: 'http' | 'rest', options?: GatewayErrorOptions) {
    super(flavour === 'rest' ? 'Missing Authentication Token' : 'Not Found', options);
    this.responseType = flavour === 'rest' ? 'MISSING_AUTHENTICATION_TOKEN' : 'RESOURCE_NOT_FOUND';
    this.status = flavour === 'rest' ? 403 : 404;
  }
}

/** 401: identity missing, JWT invalid, or the authorizer said exactly `Unauthorized`. */
export class UnauthorizedError extends GatewayError {
  readonly code = 'ERR_GW_UNAUTHORIZED';
  readonly responseType = 'UNAUTHORIZED';
  readonly status = 401;
  constructor(options?: GatewayErrorOptions) {
    super('Unauthorized', options);
  }
}

/** 403: explicit deny, no matching allow, missing scope, `isAuthorized: false`. */
export class AccessDeniedError extends GatewayError {
  readonly code = 'ERR_GW_ACCESS_DENIED';
  readonly responseType = 'ACCESS_DENIED';
  readonly status = 403;
  constructor(publicMessage: string, options?: GatewayErrorOptions) {
    super(publicMessage, options);
  }
}

/**
 * 403 (configurable 4xx), beyond AWS: a route's `claims:` failed. The body is SuperTokens' own
 * (`{"message":"invalid claim","claimValidationErrors":[…]}`), which its frontend SDKs act on.
 */
export class ClaimValidationError extends GatewayError {
  readonly code = 'ERR_GW_CLAIM_INVALID';
  readonly responseType = 'ACCESS_DENIED';
  readonly status: number;
  /** The JSON body sent as is (HTTP APIs). */
  readonly body: string;
  constructor(status: number, message: string, body: string, options?: GatewayErrorOptions) {
    super(message, options);
    this.status = status;
    this.body = body;
  }
}

/** 500: the authorizer's output was malformed, it threw something other than `Unauthorized`, or timed out. */
export class AuthorizerConfigurationError extends GatewayError {
  readonly code = 'ERR_GW_AUTHORIZER_CONFIGURATION';
  readonly responseType = 'AUTHORIZER_CONFIGURATION_ERROR';
  readonly status = 500;
  /** REST sends `{"message":null}`; HTTP APIs send `Internal Server Error`. */
  constructor(publicMessage: string | null, options?: GatewayErrorOptions) {
    super(publicMessage, options);
  }
}

/**
 * 500: the gateway could not connect to the authorizer (a Lambda authorizer's `authorizerUri`). A JWT
 * authorizer whose identity provider cannot be reached answers 401 instead (fail closed).
 */
export class AuthorizerFailureError extends GatewayError {
  readonly code = 'ERR_GW_AUTHORIZER_FAILURE';
  readonly responseType = 'AUTHORIZER_FAILURE';
  readonly status = 500;
  constructor(publicMessage: string | null, options?: GatewayErrorOptions) {
    super(publicMessage, options);
  }
}

/** 400: a mapped value cannot be sent (a header value with control characters, a dot segment in a mapped path). */
export class BadRequestParametersError extends GatewayError {
  readonly code = 'ERR_GW_BAD_REQUEST_PARAMETERS';
  readonly responseType = 'BAD_REQUEST_PARAMETERS';
  readonly status = 400;
}

/** 413: body over the API's `maxBodyBytes` (AWS: 10 MB). */
export class RequestTooLargeError extends GatewayError {
  readonly code = 'ERR_GW_REQUEST_TOO_LARGE';
  readonly responseType = 'REQUEST_TOO_LARGE';
  readonly status = 413;
  constructor(options?: GatewayErrorOptions) {
    super('Request Too Long', options);
  }
}

/** 414: the authorized method ARN is over 1600 bytes (REST, §3.2). */
export class UriTooLongError extends GatewayError {
  readonly code = 'ERR_GW_URI_TOO_LONG';
  readonly responseType = 'DEFAULT_4XX';
  readonly status = 414;
  constructor(options?: GatewayErrorOptions) {
    super('Request URI too long', options);
  }
}

/** A buffered body is held only while its request runs (a Lambda invocation): room comes back within seconds. */
export const BODY_BUFFERS_RETRY_AFTER_SECONDS = 1;

/**
 * 503: the request bodies buffered at once across all requests (`server.maxBufferedBodyBytes`) leave no
 * room for this one. A load condition, not the client's fault: `Retry-After` says when to try again.
 */
export class BodyBuffersFullError extends GatewayError {
  readonly code = 'ERR_GW_BODY_BUFFERS_FULL';
  readonly responseType = 'DEFAULT_5XX';
  readonly status = 503;
  constructor(options?: GatewayErrorOptions) {
    super('Service Unavailable', { ...options, headers: { 'retry-after': String(BODY_BUFFERS_RETRY_AFTER_SECONDS), ...options?.headers } });
  }
}

/**
 * Upstream refused, reset, or the Lambda handler threw / returned garbage.
 * Status differs by flavour and integration: HTTP proxy 502/504, Lambda 500/502 (see constructor callers).
 */
export class IntegrationFailureError extends GatewayError {
  readonly code = 'ERR_GW_INTEGRATION_FAILURE';
  readonly responseType = 'INTEGRATION_FAILURE';
  readonly status: number;
  constructor(status: number, publicMessage: string, options?: GatewayErrorOptions) {
    super(publicMessage, options);
    this.status = status;
  }
}

/** The upstream or handler did not answer within the integration timeout. */
export class IntegrationTimeoutError extends GatewayError {
  readonly code = 'ERR_GW_INTEGRATION_TIMEOUT';
  readonly responseType = 'INTEGRATION_TIMEOUT';
  readonly status: number;
  constructor(status: number, publicMessage: string, options?: GatewayErrorOptions) {
    super(publicMessage, options);
    this.status = status;
  }
}

/** Anything unclassified. Its detail is logged, never sent. */
export class InternalError extends GatewayError {
  readonly code = 'ERR_GW_INTERNAL';
  readonly responseType = 'DEFAULT_5XX';
  readonly status = 500;
  constructor(publicMessage: string, options?: GatewayErrorOptions) {
    super(publicMessage, options);
  }
}

export type AnyGatewayError =
  | RouteNotFoundError
  | UnauthorizedError
  | AccessDeniedError
  | ClaimValidationError
  | AuthorizerConfigurationError
  | AuthorizerFailureError
  | BadRequestParametersError
  | RequestTooLargeError
  | UriTooLongError
  | BodyBuffersFullError
  | IntegrationFailureError
  | IntegrationTimeoutError
  | InternalError;

/** A config problem found at start (or reload): never mapped to HTTP; the CLI prints all and exits 2. */
export interface ConfigIssue {
  /** e.g. `apis[0].routes["GET /x"].integration.uri` */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG_INVALID';
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super(
      `invalid configuration (${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}):\n` +
        issues.map((i) => `  ${i.path ? `${i.path}: ` : ''}${i.message}`).join('\n'),
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
