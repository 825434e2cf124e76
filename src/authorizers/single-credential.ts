/**
 * @module authorizers/single-credential — one credential per request, for every authorizer. [glue]
 *
 * Wraps a plug-in so that a request carrying one of its header or query-string identity sources
 * more than once with different values (`Authorization: Bearer bob` then `Authorization: Bearer
 * alice`) is refused with 401 `Unauthorized` before the plug-in runs: no JWT is verified, no
 * function invoked, no cached decision consulted, and the backend never receives a credential the
 * authorizer did not validate (`core/authorizer-events.ts` `findRepeatedIdentitySource` says why).
 */
import type { Authorizer, AuthorizerRequest } from './authorizer.ts';
import type { AuthorizerConfig } from '../core/config.ts';
import { compileIdentitySource, findRepeatedIdentitySource, type IdentitySelector } from '../core/authorizer-events.ts';
import { formatWwwAuthenticate } from '../core/claims.ts';
import { UnauthorizedError } from '../core/errors.ts';

/** The header and query-string identity sources of an authorizer config (the plug-in has validated them). */
export function identitySelectorsOf(config: Readonly<AuthorizerConfig>, protocol: 'http' | 'rest'): IdentitySelector[] {
  const source = config.identitySource;
  const expressions = source === undefined ? [] : Array.isArray(source) ? source : source.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const selectors: IdentitySelector[] = [];
  for (const expression of expressions) {
    const compiled = compileIdentitySource(expression, protocol);
    if (compiled.ok && (compiled.value.kind === 'header' || compiled.value.kind === 'querystring')) selectors.push(compiled.value);
  }
  return selectors;
}

/** `authorizer` behind the one-credential check; every other member is the plug-in's own. */
export function withSingleCredential(authorizer: Authorizer, selectors: readonly IdentitySelector[]): Authorizer {
  if (selectors.length === 0) return authorizer;
  return {
    ...authorizer,
    authorize(input: AuthorizerRequest) {
      const repeated = findRepeatedIdentitySource(selectors, { request: input.request, ctx: input.ctx, resourcePath: input.resourcePath });
      if (repeated) {
        const detail = `identity source ${repeated.expression} is sent more than once with different values`;
        // A JWT authorizer's 401s carry AWS's `www-authenticate` (core/claims.ts); Lambda authorizers' do not.
        const headers = authorizer.kind === 'jwt' ? { 'www-authenticate': formatWwwAuthenticate('the token is sent more than once with different values') } : undefined;
        return Promise.reject(new UnauthorizedError({ detail, ...(headers ? { headers } : {}) }));
      }
      return authorizer.authorize(input);
    },
  };
}
