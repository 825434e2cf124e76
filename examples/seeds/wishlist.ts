/**
 * Scenario 1: `GET /dev/wishlist`, behind the HTTP API's JWT authorizer.
 *
 * By the time this runs, the gateway has checked the access token's signature (against the JWKS
 * the auth Lambda publishes), `iss`, `aud: "jwtAuthorizers"` and `exp`. It has NOT checked
 * SuperTokens' session claims: a JWT authorizer knows nothing about them. SuperTokens' "Using JWT
 * authorizers" guide therefore tells the backend to check the claims it needs itself, here the
 * e-mail-verification claim `st-ev`, and to answer 403 (not 401: the frontend SDK treats any 401
 * as "refresh and retry") with the same body the SDK's own `verifySession` would send.
 *
 * Note: API Gateway hands claims over as strings. Objects such as `st-ev` arrive as compact JSON
 * text (`{"v":true,"t":1718722804123}`), numbers as digits, arrays as `[a b]`.
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2 } from 'aws-lambda';

export async function handler(event: APIGatewayProxyEventV2WithJWTAuthorizer): Promise<APIGatewayProxyResultV2> {
  const claims = event.requestContext.authorizer.jwt.claims;
  const verified = emailVerified(claims['st-ev']);
  if (verified !== true) {
    // What SuperTokens' EmailVerificationClaim.validators.isVerified() reports for this token.
    return json(403, {
      message: 'invalid claim',
      claimValidationErrors: [
        {
          id: 'st-ev',
          reason: verified === undefined
            ? { message: 'value does not exist', expectedValue: true, actualValue: undefined }
            : { message: 'wrong value', expectedValue: true, actualValue: verified },
        },
      ],
    });
  }
  return json(200, { userId: claims.sub, claims });
}

/** `st-ev` as the access token carries it: `{"v": boolean, "t": <ms>}` (stringified by the gateway). */
function emailVerified(claim: string | number | boolean | string[] | undefined): boolean | undefined {
  if (typeof claim !== 'string') return undefined;
  try {
    const value = (JSON.parse(claim) as { v?: unknown }).v;
    return typeof value === 'boolean' ? value : undefined;
  } catch {
    return undefined;
  }
}

function json(statusCode: number, body: unknown): APIGatewayProxyResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
