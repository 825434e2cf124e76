/**
 * Scenario 2: the REQUEST Lambda authorizer in front of `GET /prod/profile` (REST API, stage prod).
 *
 * Written like the seed: `Session.getSession(event, event, { sessionRequired: false })` on the
 * authorizer event itself (the SDK's awsLambda framework reads `headers` / `httpMethod` from it),
 * then an IAM policy. What had to be fixed or made explicit, and why:
 *
 *   - REQUEST type, not TOKEN: `getSession(event, event)` reads `event.requestContext.http` when
 *     `httpMethod` is missing, which a TOKEN event has neither of (TypeError).
 *   - `antiCsrfCheck: false`: an authorizer cannot forward the `rid` header check; the cookies are
 *     SameSite=Lax here anyway.
 *   - `sessionRequired: false` does not make getSession quiet: an expired or tampered token throws
 *     TRY_REFRESH_TOKEN, a revoked one UNAUTHORISED, failed claim validators INVALID_CLAIMS. So every
 *     error is caught: session problems become `Unauthorized` (401, which makes the frontend SDK
 *     refresh and retry), claim failures an explicit Deny (403, which does not loop) whose context
 *     carries the SDK's claim-error body for the ACCESS_DENIED gateway response.
 *   - The SDK may re-issue the access token while verifying (a claim such as `st-ev` is re-fetched
 *     from the core when stale). An authorizer has no response of its own, so the new cookie goes
 *     into `context.setCookie`, which the gateway maps to `Set-Cookie` (portcullis.yaml).
 */
import supertokens from 'supertokens-node';
import Session from 'supertokens-node/recipe/session';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { getBackendConfig } from './config.ts';

supertokens.init(getBackendConfig());

/** Where the SDK's awsLambda framework leaves what it would have sent (cookies and headers). */
type EventWithSdkResponse = APIGatewayRequestAuthorizerEvent & { supertokens?: { response?: { cookies?: string[] } } };

export async function handler(event: EventWithSdkResponse): Promise<APIGatewayAuthorizerResult> {
  let session;
  try {
    session = await Session.getSession(event, event, { sessionRequired: false, antiCsrfCheck: false });
  } catch (err) {
    if (Session.Error.isErrorFromSuperTokens(err) && err.type === Session.Error.INVALID_CLAIMS) {
      return generatePolicy('anonymous', 'Deny', event.methodArn, {
        body: JSON.stringify({ message: 'invalid claim', claimValidationErrors: err.payload }),
        ...setCookie(event),
      });
    }
    if (Session.Error.isErrorFromSuperTokens(err)) throw new Error('Unauthorized'); // try refresh / unauthorised / theft
    throw err; // a bug or the core being down: 500, not a silent 401
  }
  if (session === undefined) throw new Error('Unauthorized');
  return generatePolicy(session.getUserId(), 'Allow', event.methodArn, setCookie(event));
}

/** The access-token cookie the SDK re-issued during verification, if any (one Set-Cookie value). */
function setCookie(event: EventWithSdkResponse): { setCookie?: string } {
  const cookie = event.supertokens?.response?.cookies?.find((c) => c.startsWith('sAccessToken='));
  return cookie === undefined ? {} : { setCookie: cookie };
}

// https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
function generatePolicy(
  principalId: string,
  effect: 'Allow' | 'Deny',
  resource: string,
  context: Record<string, string>,
): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
    },
    context,
  };
}
