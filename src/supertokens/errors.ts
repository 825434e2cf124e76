/**
 * @module supertokens/errors — failures of the SuperTokens-compatible core. [pure]
 *
 * The CDI has two error channels (spec §8.1): business outcomes are HTTP 200 with a `status` field
 * (never errors, they are return values), and everything else is a non-200 status with a plain-text
 * body that the SDK copies into its exception. `CoreHttpError` is the second kind. Its `publicMessage`
 * is the body, written exactly as the Java core writes it where the SDK or users may match on it;
 * `code` is our stable identifier for logs and docs.
 *
 * Must not: put tokens, passwords, keys or API keys into any message.
 */

export type CoreErrorCode =
  | 'ERR_CORE_BAD_INPUT'
  | 'ERR_CORE_PROTECTED_FIELD'
  | 'ERR_CORE_CDI_VERSION'
  | 'ERR_CORE_API_KEY'
  | 'ERR_CORE_TENANT_NOT_FOUND'
  | 'ERR_CORE_PUBLIC_TENANT_ONLY'
  | 'ERR_CORE_CANNOT_DELETE_TENANT'
  | 'ERR_CORE_NOT_FOUND'
  | 'ERR_CORE_METHOD_NOT_ALLOWED'
  | 'ERR_CORE_BODY_TOO_LARGE'
  | 'ERR_CORE_STORE_UNAVAILABLE'
  | 'ERR_CORE_INTERNAL';

/** A request the core refuses with a non-200 status and a plain-text body. */
export class CoreHttpError extends Error {
  readonly code: CoreErrorCode;
  readonly status: number;
  /** The plain-text response body. */
  readonly publicMessage: string;

  constructor(code: CoreErrorCode, status: number, publicMessage: string, options?: { cause?: unknown }) {
    super(publicMessage, options);
    this.name = 'CoreHttpError';
    this.code = code;
    this.status = status;
    this.publicMessage = publicMessage;
  }
}

/** 400 with the core's input-parser text for a body field: `Field name 'userId' is invalid in JSON input`. */
export function invalidField(name: string): CoreHttpError {
  return new CoreHttpError('ERR_CORE_BAD_INPUT', 400, `Field name '${name}' is invalid in JSON input`);
}

/** 400 with the core's text for a missing query parameter. */
export function missingQueryParam(name: string): CoreHttpError {
  return new CoreHttpError('ERR_CORE_BAD_INPUT', 400, `Field name '${name}' is missing in GET request`);
}

/** 400 for any other malformed input, with a specific message. */
export function badInput(message: string): CoreHttpError {
  return new CoreHttpError('ERR_CORE_BAD_INPUT', 400, message);
}

/** 400 `The user payload contains protected field` (spec §1.3). */
export function protectedFieldError(): CoreHttpError {
  return new CoreHttpError('ERR_CORE_PROTECTED_FIELD', 400, 'The user payload contains protected field');
}

/**
 * The database could not be reached or failed. Thrown by stores; the server answers HTTP 500 with
 * the plain-text body `Internal Error` (as the Java core does) and logs `detail`.
 */
export class StoreUnavailableError extends Error {
  readonly code = 'ERR_CORE_STORE_UNAVAILABLE' as const;
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
    this.name = 'StoreUnavailableError';
  }
}

/** Start-up failure of the core (bad config, database unreachable, migration failed). Never an HTTP response. */
export class CoreStartError extends Error {
  readonly code: 'ERR_CORE_CONFIG' | 'ERR_CORE_STORE_UNAVAILABLE' | 'ERR_CORE_MIGRATION' | 'ERR_CORE_LISTEN';
  constructor(code: CoreStartError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CoreStartError';
    this.code = code;
  }
}
