/**
 * @module authorizers — the registry of authorizer plug-ins, one entry per `authorizerType`, each
 * built behind the one-credential check (`single-credential.ts`). [glue]
 *
 * An entry (`AuthorizerPlugin`, authorizer.ts) carries the section's schema and rules, which the
 * config parser reads (`src/config.ts` passes this registry to `parseConfig()`), and `compile`,
 * which the gateway's compile pass calls. Adding a type: one file here exporting an entry made with
 * `defineAuthorizer`, and one line below (docs/architecture.md, "Adding an authorizer or integration type").
 */
import type { AuthorizerConfig } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';
import type { Authorizer, AuthorizerDeps, AuthorizerPlugin } from './authorizer.ts';
import type { ApiConfig } from '../core/config.ts';
import { jwtAuthorizerPlugin } from './jwt.ts';
import { requestAuthorizerPlugin, tokenAuthorizerPlugin } from './lambda.ts';
import { identitySelectorsOf, withSingleCredential } from './single-credential.ts';

/** Keyed by `authorizerType`: each key is the literal its schema's tag holds (a test checks it). */
export const AUTHORIZERS: Readonly<Record<string, AuthorizerPlugin<never>>> = {
  JWT: jwtAuthorizerPlugin,
  REQUEST: requestAuthorizerPlugin,
  TOKEN: tokenAuthorizerPlugin,
};

/**
 * Builds the authorizer a parsed section describes, with the entry its `authorizerType` names.
 * @throws ConfigError (paths relative to the authorizer)
 */
export function createAuthorizer(id: string, config: Readonly<AuthorizerConfig>, api: Readonly<ApiConfig>, deps: AuthorizerDeps): Authorizer {
  const plugin = AUTHORIZERS[config.authorizerType];
  if (!plugin) throw new ConfigError([{ path: 'authorizerType', message: `unknown authorizer type "${config.authorizerType}" (known: ${Object.keys(AUTHORIZERS).join(', ')})` }]);
  // The parser checked the section with this entry's schema (`never`: the registry holds entries of several config types).
  const authorizer = plugin.compile(id, config as never, api, deps);
  return withSingleCredential(authorizer, identitySelectorsOf(config, plugin.identitySyntax ?? api.protocol));
}
