/**
 * @module authorizers — picks the plug-in for an authorizer's type. [glue]
 */
import type { AuthorizerFactory } from './authorizer.ts';
import { createJwtAuthorizer } from './jwt.ts';
import { createLambdaAuthorizer } from './lambda.ts';

export const createAuthorizer: AuthorizerFactory = (id, config, api, deps) =>
  config.authorizerType === 'JWT' ? createJwtAuthorizer(id, config, api, deps) : createLambdaAuthorizer(id, config, api, deps);
