/**
 * Drives the unmodified supertokens-node SDK (framework `awsLambda`) with hand-built API Gateway
 * events, the way the seed scenarios do: a REST (payload 1.0) proxy Lambda behind stage `dev`
 * serving `/auth/*` through `middleware()`, plus app routes that call `Session.getSession`.
 */
import supertokens from 'supertokens-node';
import { middleware } from 'supertokens-node/framework/awsLambda';
import Session from 'supertokens-node/recipe/session';
import EmailPassword from 'supertokens-node/recipe/emailpassword';
import EmailVerification from 'supertokens-node/recipe/emailverification';
import UserRoles from 'supertokens-node/recipe/userroles';
import UserMetadata from 'supertokens-node/recipe/usermetadata';
import { decodeJwtPart } from './helpers.ts';

export const API_DOMAIN = 'https://abc123.execute-api.eu-west-1.amazonaws.com';
export const WEBSITE_DOMAIN = 'https://app.example.com';
/** iss = apiDomain + apiGatewayPath + apiBasePath (spec §1.4). */
export const EXPECTED_ISSUER = `${API_DOMAIN}/dev/auth`;

export interface SentEmail {
  type: string;
  link: string;
  email: string;
}

export interface SdkOptions {
  connectionURI: string;
  apiKey?: string;
  antiCsrf?: 'VIA_TOKEN' | 'VIA_CUSTOM_HEADER' | 'NONE';
}

export interface LambdaResult {
  statusCode: number;
  body: string;
  headers: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
}

/** Initialises the SDK once per process with the seed's configuration. */
export function initSdk(options: SdkOptions): { sentEmails: SentEmail[]; handler: (event: any) => Promise<LambdaResult> } {
  const sentEmails: SentEmail[] = [];
  supertokens.init({
    framework: 'awsLambda',
    supertokens: { connectionURI: options.connectionURI, ...(options.apiKey ? { apiKey: options.apiKey } : {}) },
    appInfo: { appName: 'seed', apiDomain: API_DOMAIN, websiteDomain: WEBSITE_DOMAIN, apiBasePath: '/auth', apiGatewayPath: '/dev' },
    isInServerlessEnv: true,
    recipeList: [
      EmailPassword.init({
        emailDelivery: {
          override: (original) => ({
            ...original,
            sendEmail: async (input) => {
              sentEmails.push({ type: input.type, link: input.passwordResetLink, email: input.user.email });
            },
          }),
        },
      }),
      EmailVerification.init({
        mode: 'OPTIONAL',
        emailDelivery: {
          override: (original) => ({
            ...original,
            sendEmail: async (input) => {
              sentEmails.push({ type: input.type, link: input.emailVerifyLink, email: input.user.email });
            },
          }),
        },
      }),
      UserRoles.init(),
      UserMetadata.init(),
      Session.init({
        ...(options.antiCsrf ? { antiCsrf: options.antiCsrf } : {}),
        override: {
          functions: (original) => ({
            ...original,
            // The seed's override (SuperTokens' "Using JWT Authorizers" docs), verbatim in spirit.
            createNewSession: async (input) => {
              const request = (input.userContext as any)?._default?.request;
              const injectSub = request?.getHeaderValue?.('x-test-inject-sub') === 'yes';
              input.accessTokenPayload = {
                ...input.accessTokenPayload,
                aud: 'jwtAuthorizers',
                ...(injectSub ? { sub: 'forged' } : {}),
              };
              return original.createNewSession(input);
            },
          }),
        },
      }),
    ],
  });

  const handler = middleware(async (event: any) => {
    const path: string = event.path;
    if (path === '/app/me') {
      const session = await Session.getSession(event, event);
      return json(200, { userId: session.getUserId(), handle: session.getHandle(), payload: session.getAccessTokenPayload() });
    }
    if (path === '/app/admin') {
      const session = await Session.getSession(event, event, {
        overrideGlobalClaimValidators: (globals) => [...globals, UserRoles.UserRoleClaim.validators.includes('admin')],
      });
      return json(200, { userId: session.getUserId() });
    }
    if (path === '/app/verified-only') {
      const session = await Session.getSession(event, event, {
        overrideGlobalClaimValidators: (globals) => [...globals, EmailVerification.EmailVerificationClaim.validators.isVerified()],
      });
      return json(200, { userId: session.getUserId() });
    }
    return json(404, { message: 'no such app route' });
  }) as unknown as (event: any) => Promise<LambdaResult>;
  return { sentEmails, handler };
}

function json(statusCode: number, body: unknown): { statusCode: number; body: string } {
  return { statusCode, body: JSON.stringify(body) };
}

/** A REST API (payload 1.0) proxy event for stage `dev`. */
export function restEvent(method: string, path: string, headers: Record<string, string>, body?: unknown, query?: Record<string, string>) {
  return {
    resource: '/{proxy+}',
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: { proxy: path.slice(1) },
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      stage: 'dev',
      httpMethod: method,
      path: `/dev${path}`,
      resourcePath: '/{proxy+}',
      requestId: `req-${Math.random().toString(16).slice(2)}`,
      identity: { sourceIp: '127.0.0.1' },
    },
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
  };
}

/** A REST API Lambda authorizer event of type REQUEST (what the seed's authorizer receives). */
export function requestAuthorizerEvent(path: string, headers: Record<string, string>) {
  return {
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:eu-west-1:123456789012:abc123/dev/GET${path}`,
    resource: path,
    path,
    httpMethod: 'GET',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: {},
    multiValueQueryStringParameters: {},
    pathParameters: {},
    stageVariables: {},
    requestContext: { accountId: '123456789012', apiId: 'abc123', stage: 'dev', httpMethod: 'GET', path: `/dev${path}`, requestId: 'authz' },
  };
}

/** An HTTP API (payload 2.0) REQUEST authorizer event with cookies in `cookies[]`. */
export function httpApiAuthorizerEvent(path: string, headers: Record<string, string>, cookies: string[]) {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:eu-west-1:123456789012:abc123/dev/GET${path}`,
    identitySource: cookies,
    routeKey: `GET ${path}`,
    rawPath: `/dev${path}`,
    rawQueryString: '',
    cookies,
    headers,
    requestContext: { stage: 'dev', http: { method: 'GET', path: `/dev${path}`, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' } },
  };
}

/**
 * A client of the seed API: keeps cookies (cookie mode) or the `st-*` headers (header mode), like
 * supertokens-website would.
 */
export class SeedClient {
  readonly mode: 'cookie' | 'header';
  readonly cookies = new Map<string, string>();
  accessToken: string | undefined;
  refreshToken: string | undefined;
  antiCsrf: string | undefined;
  frontToken: string | undefined;
  readonly #handler: (event: any) => Promise<LambdaResult>;

  constructor(handler: (event: any) => Promise<LambdaResult>, mode: 'cookie' | 'header') {
    this.#handler = handler;
    this.mode = mode;
  }

  /** Sends a request through the Lambda; `rid` defaults to `anti-csrf` as the web SDK sends. */
  async send(
    method: string,
    path: string,
    body?: unknown,
    options: { headers?: Record<string, string>; useRefreshToken?: boolean; omitRid?: boolean; omitAntiCsrf?: boolean } = {},
  ): Promise<{ status: number; json: any; result: LambdaResult }> {
    const headers: Record<string, string> = { 'st-auth-mode': this.mode, ...(options.omitRid ? {} : { rid: 'anti-csrf' }) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.mode === 'cookie') {
      // The refresh cookie's Path is /dev/auth/session/refresh: browsers send it to that call only.
      const cookies = [...this.cookies].filter(([name]) => options.useRefreshToken || name !== 'sRefreshToken');
      if (cookies.length > 0) headers.cookie = cookies.map(([k, v]) => `${k}=${v}`).join('; ');
      if (this.antiCsrf && !options.omitAntiCsrf) headers['anti-csrf'] = this.antiCsrf;
    } else {
      const token = options.useRefreshToken ? this.refreshToken : this.accessToken;
      if (token) headers.authorization = `Bearer ${token}`;
    }
    Object.assign(headers, options.headers);
    const result = await this.#handler(restEvent(method, path, headers, body));
    this.absorb(result);
    let parsed: unknown;
    try {
      parsed = JSON.parse(result.body);
    } catch {
      parsed = result.body;
    }
    return { status: result.statusCode, json: parsed, result };
  }

  /** Applies Set-Cookie and token headers from a response. */
  absorb(result: LambdaResult): void {
    for (const line of result.multiValueHeaders?.['Set-Cookie'] ?? []) {
      const [pair, ...attributes] = line.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const expired = attributes.some((a) => /^expires=thu, 01 jan 1970/i.test(a));
      if (value === '' || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
    if ('st-access-token' in headers) this.accessToken = headers['st-access-token'] || undefined;
    if ('st-refresh-token' in headers) this.refreshToken = headers['st-refresh-token'] || undefined;
    if ('anti-csrf' in headers) this.antiCsrf = headers['anti-csrf'];
    if ('front-token' in headers) this.frontToken = headers['front-token'];
    if (this.mode === 'cookie') {
      const cookieAt = this.cookies.get('sAccessToken');
      this.accessToken = cookieAt === undefined ? undefined : decodeURIComponent(cookieAt);
      const cookieRt = this.cookies.get('sRefreshToken');
      this.refreshToken = cookieRt === undefined ? undefined : decodeURIComponent(cookieRt);
    }
  }

  /** The current access token's payload. */
  payload(): Record<string, any> {
    if (this.accessToken === undefined) throw new Error('no access token');
    return decodeJwtPart(this.accessToken, 1);
  }

  signUp(email: string, password: string, headers?: Record<string, string>) {
    return this.send('POST', '/auth/signup', { formFields: [{ id: 'email', value: email }, { id: 'password', value: password }] }, { headers });
  }

  signIn(email: string, password: string) {
    return this.send('POST', '/auth/signin', { formFields: [{ id: 'email', value: email }, { id: 'password', value: password }] });
  }

  refresh(options: { omitAntiCsrf?: boolean } = {}) {
    return this.send('POST', '/auth/session/refresh', undefined, { useRefreshToken: true, ...options });
  }
}
