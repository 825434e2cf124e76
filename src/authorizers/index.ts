/**
 * @module authorizers — picks the plug-in for an authorizer's type, behind the one-credential check. [glue]
 */
import type { AuthorizerFactory } from './authorizer.ts';
import { createJwtAuthorizer } from './jwt.ts';
import { createLambdaAuthorizer } from './lambda.ts';
import { identitySelectorsOf, withSingleCredential } from './single-credential.ts';

export const createAuthorizer: AuthorizerFactory = (id, config, api, deps) =>
  withSingleCredential(
    config.authorizerType === 'JWT' ? createJwtAuthorizer(id, config, api, deps) : createLambdaAuthorizer(id, config, api, deps),
    identitySelectorsOf(config, config.authorizerType === 'JWT' ? 'http' : api.protocol),
  );
