/**
 * A frontend in header mode (`st-auth-mode: header`), calling a supertokens-node app served through the
 * SDK's own AWS Lambda middleware (`supertokens-node/framework/awsLambda`) with API Gateway REST events:
 * the access/refresh tokens the SDK hands back (`st-access-token`, `st-refresh-token`) replace the
 * caller's, as supertokens-web-js does. Used by scripts that load a pinned SDK release by path
 * (test/compat/node-sdk-flows.ts, test/supertokens/fixtures/*.ts).
 */

export interface HeaderModeTokens {
  access?: string | undefined;
  refresh?: string | undefined;
}

export interface SdkLambdaResponse {
  statusCode: number;
  body: string;
  headers?: Record<string, unknown>;
}

export type SdkLambdaHandler = (event: unknown, context: unknown) => Promise<SdkLambdaResponse>;

export interface HeaderModeResult {
  status: number;
  json: any;
  tokens: HeaderModeTokens;
}

/** `call(method, path, tokens, body?, useRefresh?)`: one request; `useRefresh` sends the refresh token (`/auth/session/refresh`). */
export function headerModeClient(handler: SdkLambdaHandler) {
  return async function call(method: string, path: string, tokens: HeaderModeTokens, body?: unknown, useRefresh = false): Promise<HeaderModeResult> {
    const headers: Record<string, string> = { rid: 'anti-csrf', 'st-auth-mode': 'header' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const token = useRefresh ? tokens.refresh : tokens.access;
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const event = {
      resource: '/{proxy+}',
      path,
      httpMethod: method,
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: { proxy: path.slice(1) },
      stageVariables: null,
      requestContext: { stage: 'dev', httpMethod: method, path, resourcePath: '/{proxy+}', requestId: 'r', identity: { sourceIp: '127.0.0.1' } },
      body: body === undefined ? null : JSON.stringify(body),
      isBase64Encoded: false,
    };
    const result = await handler(event, {});
    const lower = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
    const next: HeaderModeTokens = {
      access: 'st-access-token' in lower ? lower['st-access-token'] || undefined : tokens.access,
      refresh: 'st-refresh-token' in lower ? lower['st-refresh-token'] || undefined : tokens.refresh,
    };
    let json: any;
    try {
      json = JSON.parse(result.body);
    } catch {
      json = result.body;
    }
    return { status: result.statusCode, json, tokens: next };
  };
}
