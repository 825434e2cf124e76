/**
 * The SuperTokens backend config, shared by the auth Lambda (auth.ts) and the Lambda authorizer
 * (authorizer.ts) — SuperTokens' "AWS Lambda" guide calls this file `config.ts` and exports
 * `getBackendConfig()`, and that is kept. What differs from the guide's sample, and why:
 *
 *   - FIXED: `appInfo.appName` is added. Without it `supertokens.init` throws "Please provide your
 *     appName inside the appInfo object when calling supertokens.init".
 *   - The guide leaves `connectionURI` / `apiDomain` / `websiteDomain` as placeholders; here they
 *     come from the function's environment (portcullis.yaml `environment:`), as a Lambda's would.
 *   - E-mails are written to the log (stdout) instead of being sent through SuperTokens' hosted
 *     e-mail service, one greppable line each: `[seeds] e-mail verification link for <email>: <link>`.
 *
 * Everything else is the guide's (`framework: "awsLambda"`, `apiGatewayPath: "/dev"`,
 * `isInServerlessEnv: true`) plus the "Using JWT authorizers" guide's `createNewSession` override
 * that adds `aud: "jwtAuthorizers"`, and `exposeAccessTokenToFrontendInCookieBasedAuth` so the
 * website can read the access token and send it as `Authorization: Bearer …` (the frontend SDK
 * does not attach it by itself in cookie mode: the website does, see website/app.js).
 */
import { writeSync } from 'node:fs';
import EmailPassword from 'supertokens-node/recipe/emailpassword';
import EmailVerification from 'supertokens-node/recipe/emailverification';
import Session from 'supertokens-node/recipe/session';
import UserRoles from 'supertokens-node/recipe/userroles';
import type { TypeInput } from 'supertokens-node/types';

/**
 * One line per e-mail on stdout. Written synchronously to fd 1 rather than with console.log: a
 * function runs in a worker thread, whose console output reaches the process's stdout a little
 * later, possibly after the HTTP response; this way the link is in the log before the client
 * has its answer (the walkthrough greps it right away).
 */
function logEmail(kind: string, email: string, link: string): void {
  writeSync(1, `[seeds] e-mail ${kind} link for ${email}: ${link}\n`);
}

export function getBackendConfig(): TypeInput {
  return {
    framework: 'awsLambda',
    supertokens: {
      connectionURI: process.env.SUPERTOKENS_CONNECTION_URI ?? 'http://127.0.0.1:3567',
    },
    appInfo: {
      // FIXED: missing in the sample; supertokens.init refuses to start without it.
      appName: 'Portcullis seeds',
      apiDomain: process.env.SEEDS_API_DOMAIN ?? 'http://localhost:3000',
      websiteDomain: process.env.SEEDS_WEBSITE_DOMAIN ?? 'http://localhost:3001',
      // serverless.yml serves the HTTP API at the root (`$default` stage) with `/dev` in the route
      // paths, so the SDK sees `/dev/auth/…` unstripped there: it sets these two to '' and '/dev/auth'.
      // The URLs, cookie paths and issuer (apiDomain + apiGatewayPath + apiBasePath) are the same.
      apiBasePath: process.env.SEEDS_API_BASE_PATH ?? '/auth',
      websiteBasePath: '/auth',
      apiGatewayPath: process.env.SEEDS_API_GATEWAY_PATH ?? '/dev',
    },
    recipeList: [
      EmailPassword.init({
        emailDelivery: {
          override: (original) => ({
            ...original,
            sendEmail: async (input) => logEmail('password reset', input.user.email, input.passwordResetLink),
          }),
        },
      }),
      EmailVerification.init({
        mode: 'REQUIRED',
        emailDelivery: {
          override: (original) => ({
            ...original,
            sendEmail: async (input) => logEmail('verification', input.user.email, input.emailVerifyLink),
          }),
        },
      }),
      UserRoles.init(),
      Session.init({
        exposeAccessTokenToFrontendInCookieBasedAuth: true,
        override: {
          functions: (originalImplementation) => ({
            ...originalImplementation,
            createNewSession: async function (input) {
              input.accessTokenPayload = {
                ...input.accessTokenPayload,
                /*
                 * AWS requires JWTs to contain an audience (aud) claim.
                 * The value we add here needs to be the same as the one we set when configuring the JWT authorizer.
                 */
                aud: 'jwtAuthorizers',
              };
              return originalImplementation.createNewSession(input);
            },
          }),
        },
      }),
    ],
    isInServerlessEnv: true,
  };
}
