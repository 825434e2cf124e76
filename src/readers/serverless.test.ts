import { test } from '../../test/helpers/node-test.ts';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseConfig } from '../config.ts';
import { looksLikeServerless, readServerless, type ServerlessReadOptions } from './serverless.ts';

const HEAD = 'service: svc\nprovider:\n  name: aws\n  runtime: nodejs20.x\n';

/** Reads `yaml` (HEAD prepended unless it has its own `service:`) in a folder holding `files`. */
function read(yaml: string, files: Record<string, string> = { 'handler.js': '', 'auth.ts': '' }, options: ServerlessReadOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-sls-'));
  try {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    const r = readServerless(yaml.startsWith('service:') ? yaml : HEAD + yaml, join(dir, 'serverless.yml'), { env: {}, ...options });
    return { ...r, warningLines: r.warnings.map((w) => `${w.path}: ${w.message}`), errorLines: r.errors.map((e) => `${e.path}: ${e.message}`) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Api = { name: string; protocol: string; stage: string; accessLogSettings?: unknown; routes: Record<string, Record<string, unknown>>; authorizers: Record<string, Record<string, unknown>>; cors?: Record<string, unknown>; gatewayResponses?: Record<string, unknown> };
const apis = (r: { config: Record<string, unknown> | null }) => {
  assert.ok(r.config, 'mapped');
  // Whatever the reader produces must be a valid portcullis.yaml.
  parseConfig(r.config);
  return r.config.apis as Api[];
};

test('detection: service + provider + functions at the top level', () => {
  assert.equal(looksLikeServerless({ service: 'a', provider: {}, functions: {} }), true);
  assert.equal(looksLikeServerless({ apis: [] }), false);
  assert.equal(looksLikeServerless({ service: 'a', provider: {} }), false);
});

test('httpApi events: "METHOD /path", "*" catch-all, { method, path }, method "*" → ANY; HTTP API at the root', () => {
  const r = read(`functions:
  a:
    handler: handler.a
    events:
      - httpApi: 'GET /users/{id}'
      - httpApi: '*'
      - httpApi: { method: '*', path: '/any/{proxy+}' }
      - httpApi: { method: post, path: /items }
      - httpApi: { path: /no-method }
`);
  assert.deepEqual(r.errorLines, []);
  const [api] = apis(r);
  assert.equal(api!.protocol, 'http');
  assert.equal(api!.stage, '$default');
  assert.deepEqual(Object.keys(api!.routes), ['GET /users/{id}', '$default', 'ANY /any/{proxy+}', 'POST /items', 'ANY /no-method']);
  assert.deepEqual(api!.routes['GET /users/{id}']!.integration, {
    type: 'lambda', handler: 'handler.js', exportName: 'a', timeoutInMillis: 6000, environment: {}, functionName: 'svc-dev-a', memorySize: 1024, payloadFormatVersion: '2.0',
  });
});

test('--stage-prefix mounts the HTTP API under /{stage}; --stage names it', () => {
  const r = read("functions:\n  a:\n    handler: handler.a\n    events:\n      - httpApi: 'GET /x'\n", undefined, { stage: 'qa', stagePrefix: 'all' });
  assert.equal(apis(r)[0]!.stage, 'qa');
});

test('provider/function settings: environment merged (values as text), timeout s → ms, memorySize, name, payload, .ts handler preferred', () => {
  const r = read(`  stage: prod
  timeout: 10
  memorySize: 512
  environment: { A: a, N: 1, B: true, REF: { Ref: Table } }
  httpApi: { payload: '1.0' }
functions:
  fn:
    handler: auth.handler
    name: custom-name
    timeout: 3
    environment: { A: override }
    reservedConcurrency: 100
    events:
      - httpApi: 'GET /x'
`, { 'auth.ts': '', 'auth.js': '' });
  const integration = apis(r)[0]!.routes['GET /x']!.integration;
  assert.deepEqual(integration, { type: 'lambda', handler: 'auth.ts', exportName: 'handler', timeoutInMillis: 3000, environment: { A: 'override', N: '1', B: 'true' }, functionName: 'custom-name', memorySize: 512, reservedConcurrency: 64, payloadFormatVersion: '1.0' });
  assert.deepEqual(r.warningLines, ['provider.environment.REF: a CloudFormation value (Ref) has no local value: the variable is not set (supply it with ${env:…} or --param)']);
});

test('provider.httpApi.authorizers: jwt (issuerUrl, audience, identitySource) and request (functionName, ttl, simple, payload); route authorizer by name or { name, scopes }', () => {
  const r = read(`  httpApi:
    authorizers:
      jwtAuth: { identitySource: $request.header.Authorization, issuerUrl: 'https://idp.example/', audience: aud-1 }
      reqAuth: { type: request, functionName: authFn, resultTtlInSeconds: 60, enableSimpleResponses: true, payloadVersion: '2.0', identitySource: [$request.header.X-Token, $request.querystring.t] }
functions:
  authFn: { handler: auth.handler }
  a:
    handler: handler.a
    events:
      - httpApi: { method: get, path: /jwt, authorizer: { name: jwtAuth, scopes: [read, write] } }
      - httpApi: { method: get, path: /req, authorizer: reqAuth }
`);
  assert.deepEqual(r.errorLines, []);
  const [api] = apis(r);
  assert.deepEqual(api!.authorizers.jwtAuth, { authorizerType: 'JWT', identitySource: ['$request.header.Authorization'], jwtConfiguration: { issuer: 'https://idp.example/', audience: ['aud-1'] } });
  const req = api!.authorizers.reqAuth!;
  assert.equal(req.authorizerType, 'REQUEST');
  assert.deepEqual([req.identitySource, req.authorizerResultTtlInSeconds, req.enableSimpleResponses, req.authorizerPayloadFormatVersion], [['$request.header.X-Token', '$request.querystring.t'], 60, true, '2.0']);
  assert.equal((req.function as { handler: string; exportName: string }).handler, 'auth.ts');
  assert.deepEqual([api!.routes['GET /jwt']!.authorizerId, api!.routes['GET /jwt']!.authorizationScopes], ['jwtAuth', ['read', 'write']]);
  assert.equal(api!.routes['GET /req']!.authorizerId, 'reqAuth');
});

test('provider.httpApi.cors: true (the Framework defaults) and a mapping', () => {
  const yes = read("  httpApi: { cors: true }\nfunctions:\n  a:\n    handler: handler.a\n    events:\n      - httpApi: 'GET /x'\n      - httpApi: 'PUT /x'\n");
  assert.deepEqual(apis(yes)[0]!.cors, { allowOrigins: ['*'], allowHeaders: ['Content-Type', 'X-Amz-Date', 'Authorization', 'X-Api-Key', 'X-Amz-Security-Token', 'X-Amz-User-Agent', 'X-Amzn-Trace-Id'], allowMethods: ['OPTIONS', 'GET', 'PUT'] });
  const map = read("  httpApi:\n    cors: { allowedOrigins: ['https://a.example'], allowCredentials: true, exposedResponseHeaders: [x-id], maxAge: 60 }\nfunctions:\n  a:\n    handler: handler.a\n    events:\n      - httpApi: '*'\n");
  assert.deepEqual(apis(map)[0]!.cors, { allowOrigins: ['https://a.example'], allowHeaders: ['Content-Type', 'X-Amz-Date', 'Authorization', 'X-Api-Key', 'X-Amz-Security-Token', 'X-Amz-User-Agent', 'X-Amzn-Trace-Id'], allowMethods: ['*'], exposeHeaders: ['x-id'], allowCredentials: true, maxAge: 60 });
});

test('http events: REST under /{stage}; "method path" and { path, method }; lambda-proxy payload 1.0; any → ANY; slashes normalized', () => {
  const r = read(`  stage: \${opt:stage, 'dev'}
functions:
  a:
    handler: handler.a
    events:
      - http: 'get users/{id}'
      - http: { path: /items/, method: any }
      - http: { path: '', method: get }
`, undefined, { stage: 'v1' });
  const [api] = apis(r);
  assert.deepEqual([api!.protocol, api!.stage, Object.keys(api!.routes)], ['rest', 'v1', ['GET /users/{id}', 'ANY /items', 'GET /']]);
  assert.equal((api!.routes['GET /']!.integration as { payloadFormatVersion: string }).payloadFormatVersion, '1.0');
});

test('http authorizers: function name (TOKEN), { name, type: request, identitySource, resultTtlInSeconds }, identityValidationExpression, GetAtt ARN; defaults of the Framework', () => {
  const r = read(`functions:
  auth: { handler: auth.handler, timeout: 30 }
  a:
    handler: handler.a
    events:
      - http: { path: t, method: get, authorizer: auth }
      - http: { path: r, method: get, authorizer: { name: auth, type: request, identitySource: 'method.request.header.A, $request.querystring.q', resultTtlInSeconds: 0 } }
      - http: { path: v, method: get, authorizer: { name: auth, identityValidationExpression: '^Bearer .+$', identitySource: method.request.header.X-Tok } }
      - http: { path: g, method: get, authorizer: { arn: { Fn::GetAtt: [AuthLambdaFunction, Arn] } } }
`);
  assert.deepEqual(r.errorLines, []);
  const [api] = apis(r);
  const auths = api!.authorizers;
  assert.deepEqual(Object.keys(auths), ['auth', 'auth-2', 'auth-3']);
  assert.deepEqual({ ...auths.auth, function: undefined }, { authorizerType: 'TOKEN', function: undefined, authorizerResultTtlInSeconds: 300, identitySource: 'method.request.header.Authorization' });
  assert.equal((auths.auth!.function as { timeoutInMillis: number }).timeoutInMillis, 10_000, 'authorizer functions keep the 10 s authorizer limit');
  assert.deepEqual([auths['auth-2']!.authorizerType, auths['auth-2']!.identitySource, auths['auth-2']!.authorizerResultTtlInSeconds], ['REQUEST', ['method.request.header.A', 'method.request.querystring.q'], 0]);
  assert.deepEqual([auths['auth-3']!.identitySource, auths['auth-3']!.identityValidationExpression], ['method.request.header.X-Tok', '^Bearer .+$']);
  assert.deepEqual(Object.values(api!.routes).map((x) => x.authorizerId), ['auth', 'auth-2', 'auth-3', 'auth']);
});

test('http cors → the Framework\'s OPTIONS mock route; http-proxy with request.uri, request.parameters mappedValue, response.headers', () => {
  const r = read(`functions:
  a:
    handler: handler.a
    events:
      - http: { path: p, method: get, cors: true }
      - http: { path: p, method: post, cors: { origin: 'https://site.example', headers: [content-type], allowCredentials: true, maxAge: 300 } }
      - http:
          path: proxy/{proxy+}
          method: any
          integration: http-proxy
          request:
            uri: http://backend.example/{proxy}
            parameters: { headers: { x-user: { required: true, mappedValue: context.authorizer.principalId } }, querystrings: { q: true } }
          response:
            headers: { Cache-Control: "'no-store'" }
`);
  const [api] = apis(r);
  assert.deepEqual(api!.routes['OPTIONS /p'], { integration: { type: 'mock', statusCode: 200, headers: { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': 'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent', 'Access-Control-Allow-Methods': 'OPTIONS,GET,POST' } } });
  assert.deepEqual(api!.routes['ANY /proxy/{proxy+}'], {
    integration: { type: 'http', uri: 'http://backend.example/{proxy}', httpMethod: 'ANY', requestParameters: { 'integration.request.header.x-user': 'context.authorizer.principalId' } },
    responseParameters: { 'method.response.header.Cache-Control': "'no-store'" },
  });
});

test('AWS::ApiGateway::GatewayResponse resources → gatewayResponses; other resources, events and plugins are warnings, once each', () => {
  const r = read(`plugins: [serverless-offline, serverless-domain-manager, serverless-esbuild]
functions:
  a:
    handler: handler.a
    events:
      - http: 'get x'
      - sqs: arn:aws:sqs:region:1:q
      - schedule: rate(1 minute)
  b:
    handler: handler.b
    events:
      - sqs: arn:aws:sqs:region:1:q2
resources:
  Resources:
    Denied:
      Type: AWS::ApiGateway::GatewayResponse
      Properties:
        ResponseType: ACCESS_DENIED
        RestApiId: { Ref: ApiGatewayRestApi }
        StatusCode: 403
        ResponseParameters: { gatewayresponse.header.Access-Control-Allow-Origin: "'*'" }
        ResponseTemplates: { application/json: '{"message":$context.error.messageString}' }
    Table: { Type: AWS::DynamoDB::Table }
    Bucket: { Type: AWS::S3::Bucket }
`);
  assert.deepEqual(apis(r)[0]!.gatewayResponses, { ACCESS_DENIED: { statusCode: '403', responseParameters: { 'gatewayresponse.header.Access-Control-Allow-Origin': "'*'" }, responseTemplates: { 'application/json': '{"message":$context.error.messageString}' } } });
  assert.deepEqual(r.warningLines, [
    'plugins: Portcullis runs no Serverless plugins; ignored: serverless-domain-manager; not needed: serverless-offline, serverless-esbuild (TypeScript handlers run as they are; Portcullis is the local gateway)',
    'functions: events that are not HTTP are not run by Portcullis: sqs (a, b); schedule (a)',
    'resources.Resources: not created locally: AWS::DynamoDB::Table, AWS::S3::Bucket',
  ]);
});

test('custom.portcullis sections and custom.serverless-offline httpPort/host carry over; unknown ones are named', () => {
  const r = read(`custom:
  portcullis: { core: { port: 3567 }, server: { shutdownTimeoutMs: 100 } }
  serverless-offline: { httpPort: 4000, noAuth: true }
functions:
  a: { handler: handler.a, events: [{ httpApi: 'GET /x' }] }
`);
  assert.deepEqual([r.config?.server, r.config?.core], [{ workers: 1, shutdownTimeoutMs: 100, port: 4000 }, { port: 3567 }]);
  assert.deepEqual(r.warningLines, ['custom.serverless-offline.noAuth: ignored by Portcullis (docs/serverless.md lists every serverless-offline option)']);
  assert.deepEqual(read("custom: { portcullis: { apis: [] } }\nfunctions: {}\n").errorLines, ['custom.portcullis.apis: unknown key (known: server, admin, core, aws)']);
});

test('CloudFormation short tags parse (!Ref, !GetAtt, !Sub) and a GetAtt authorizer ARN names the function', () => {
  const r = read(`functions:
  auth: { handler: auth.handler }
  a:
    handler: handler.a
    environment: { T: !Ref Table, S: !Sub '\${AWS::Region}-x' }
    events:
      - http: { path: x, method: get, authorizer: { arn: !GetAtt AuthLambdaFunction.Arn } }
`);
  assert.deepEqual(r.errorLines, []);
  assert.equal(apis(r)[0]!.routes['GET /x']!.authorizerId, 'auth');
  assert.equal(r.warningLines.length, 2);
});

test('authorizers that cannot run here are errors, never open routes', () => {
  const r = read(`  httpApi:
    authorizers:
      ext: { type: request, functionArn: 'arn:aws:lambda:us-east-1:1:function:other' }
      bad: { type: iam }
functions:
  a:
    handler: handler.a
    events:
      - httpApi: { method: get, path: /a, authorizer: { type: aws_iam } }
      - httpApi: { method: get, path: /b, authorizer: { id: abc123 } }
      - http: { path: c, method: get, authorizer: 'arn:aws:lambda:us-east-1:1:function:elsewhere' }
      - http: { path: d, method: get, authorizer: { type: COGNITO_USER_POOLS, arn: 'arn:aws:cognito-idp:us-east-1:1:userpool/p' } }
      - http: { path: e, method: get, authorizer: { authorizerId: { Ref: X } } }
`);
  assert.deepEqual(r.errorLines, [
    'provider.httpApi.authorizers.ext.functionArn: a Lambda outside this service cannot run locally; name a function of this service with functionName',
    'provider.httpApi.authorizers.bad.type: unknown authorizer type "iam" (known: jwt, request)',
    'functions.a.events[0].httpApi.authorizer.type: aws_iam (SigV4) authorization is not enforced by Portcullis; rather than serve the route open, it is refused',
    'functions.a.events[1].httpApi.authorizer.id: an authorizer created outside this service cannot run locally; define it under provider.httpApi.authorizers',
    'functions.a.events[2].http.authorizer.arn: a Lambda outside this service cannot run locally; name a function of this service (authorizer: { name: myAuthorizer })',
    'functions.a.events[3].http.authorizer: Cognito user pool authorizers on REST APIs are not run by Portcullis yet; use an httpApi event with a jwt authorizer (issuerUrl of the pool)',
    'functions.a.events[4].http.authorizer.authorizerId: an authorizer created outside this service cannot run locally; name a function of this service',
  ]);
  assert.equal(r.config, null);
});

test('useDotenv: .env.<stage>, else .env, feeds ${env:}; variables already set win', () => {
  const yaml = "useDotenv: true\nprovider:\n  name: aws\n  stage: qa\n  environment:\n    A: ${env:A}\n    B: ${env:B}\n    C: ${env:C, 'none'}\n";
  const files = { 'handler.js': '', '.env': 'A=from-dotenv\nC=c', '.env.qa': '# comment\nexport A="qa \\n value"\nB=\'b\' # trailing' };
  const r = read(`service: s\n${yaml}functions:\n  f: { handler: handler.f, events: [{ httpApi: 'GET /x' }] }\n`, files, { env: { B: 'from-env' } });
  assert.deepEqual(r.errorLines, []);
  assert.deepEqual((apis(r)[0]!.routes['GET /x']!.integration as { environment: unknown }).environment, { A: 'qa \n value', B: 'from-env', C: 'none' });
});

test('provider.logs: httpApi and restApi access logs; private http events are a warning', () => {
  const r = read("  logs: { httpApi: true, restApi: { format: '$context.requestId $context.status' } }\nfunctions:\n  f:\n    handler: handler.f\n    events:\n      - httpApi: 'GET /x'\n      - http: { path: y, method: get, private: true }\n");
  const [http, rest] = apis(r);
  assert.deepEqual([http!.accessLogSettings, rest!.accessLogSettings], [{ format: 'json' }, { format: '$context.requestId $context.status' }]);
  assert.deepEqual(r.warningLines, ['functions.f.events[1].http.private: API keys are not enforced by Portcullis: the route is served without x-api-key']);
});
