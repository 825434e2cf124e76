/**
 * @module core/result — the one shape for "a value, or why not" without throwing. [pure, shared primitive]
 *
 * Parsers and compilers that collect or report problems as data (policy documents, templates,
 * Lambda results, authorizer output, access-log formats, handler invocations) return a `Result`;
 * callers branch on `ok`. Errors that abort a request are thrown taxonomy errors (core/errors.ts)
 * instead.
 */
export type Result<T, E = string> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };
