/**
 * @module authorizers — the registry of authorizer plug-ins, one factory per `authorizerType`, each
 * behind the one-credential check (`single-credential.ts`). [glue]
 *
 * Adding a type: its schema in the `authorizer` union of `core/config/schema.ts`, a file here implementing
 * `Authorizer`, and one line in `AUTHORIZERS` (the mapped type makes a missing line a type error).
 * A factory throws `ConfigError` with issue paths relative to the authorizer (`function.handler`);
 * the compiler prefixes `apis[i].authorizers.ID`.
 */
import type { AuthorizerConfig } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';
import type { Authorizer, AuthorizerFactory } from './authorizer.ts';
import { createJwtAuthorizer } from './jwt.ts';
import { createLambdaAuthorizer } from './lambda.ts';
import { identitySelectorsOf, withSingleCredential } from './single-credential.ts';

export const AUTHORIZERS: { readonly [T in AuthorizerConfig['authorizerType']]: AuthorizerFactory } = {
  JWT: createJwtAuthorizer,
  REQUEST: createLambdaAuthorizer,
  TOKEN: createLambdaAuthorizer,
};

/** @throws ConfigError (paths relative to the authorizer) */
export const createAuthorizer: AuthorizerFactory = (id, config, api, deps): Authorizer => {
  const factory = (AUTHORIZERS as Readonly<Record<string, AuthorizerFactory | undefined>>)[config.authorizerType];
  if (!factory) throw new ConfigError([{ path: 'authorizerType', message: `unknown authorizer type "${config.authorizerType}" (known: ${Object.keys(AUTHORIZERS).join(', ')})` }]);
  // JWT identity sources are always `$request.…` (HTTP API syntax), whatever the API.
  return withSingleCredential(factory(id, config, api, deps), identitySelectorsOf(config, config.authorizerType === 'JWT' ? 'http' : api.protocol));
};
