/**
 * The auth Lambda: SuperTokens' own API (`/dev/auth/signup`, `/signin`, `/session/refresh`,
 * `/signout`, `/user/email/verify…`, `/jwt/jwks.json`, `/.well-known/openid-configuration`) served
 * by the SDK middleware on `ANY /auth/{proxy+}` of the HTTP API (stage `dev`, payload 2.0).
 *
 * As in SuperTokens' "AWS Lambda" guide, minus middy's `cors()` wrapper: the HTTP API's `cors`
 * section (portcullis.yaml) answers preflights and replaces an integration's CORS headers anyway,
 * which is how API Gateway behaves too, so the wrapper would only add headers that are dropped.
 */
import supertokens from 'supertokens-node';
import { middleware } from 'supertokens-node/framework/awsLambda';
import { getBackendConfig } from './config.ts';

supertokens.init(getBackendConfig());

export const handler = middleware();
