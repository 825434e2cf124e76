/**
 * The readers construct by construct, on documents in memory (no file, no server): what each SAM,
 * CloudFormation and OpenAPI construct becomes in the portcullis.yaml object, and what is reported.
 */
import { test } from '../../test/helpers/node-test.ts';
import assert from 'node:assert/strict';
import { parseDocument } from 'yaml';
import { cloudFormationTags } from './intrinsics.ts';
import { detectFormat, readerFor } from './index.ts';
import type { ReaderContext, ReaderResult } from './reader.ts';

const FILES = new Set(['/app/src/app.js', '/app/src/auth.ts', '/app/src/app.py', '/app/bin/bootstrap']);
const context = (extra: Partial<ReaderContext> = {}): ReaderContext => ({
  baseDir: '/app',
  parameterOverrides: {},
  allowUnenforced: false,
  io: { fileExists: (p) => FILES.has(p), readText: () => null, parseDocument: () => null, writeInlineCode: (name) => `/tmp/inline/${name}/index.cjs` },
  ...extra,
});

function read(yaml: string, extra: Partial<ReaderContext> = {}): ReaderResult & { apis: Array<Record<string, any>> } {
  const doc = parseDocument(yaml, { customTags: cloudFormationTags }).toJS();
  const result = readerFor(detectFormat(doc))!.read(doc, context(extra));
  return { ...result, apis: result.config.apis as Array<Record<string, any>> };
}

const issues = (r: ReaderResult, kind: 'warnings' | 'errors') => r[kind].map((i) => `${i.path}: ${i.message}`);

test('format detection: SAM (Transform or AWS::Serverless::* types), CloudFormation, OpenAPI, Swagger, portcullis.yaml', () => {
  assert.equal(detectFormat({ Transform: 'AWS::Serverless-2016-10-31', Resources: {} }), 'sam');
  assert.equal(detectFormat({ Transform: ['AWS::LanguageExtensions', 'AWS::Serverless-2016-10-31'], Resources: {} }), 'sam');
  assert.equal(detectFormat({ Resources: { F: { Type: 'AWS::Serverless::Function' } } }), 'sam');
  assert.equal(detectFormat({ AWSTemplateFormatVersion: '2010-09-09', Resources: {} }), 'cloudformation');
  assert.equal(detectFormat({ openapi: '3.0.1', paths: {} }), 'openapi');
  assert.equal(detectFormat({ swagger: '2.0', paths: {} }), 'openapi');
  assert.equal(detectFormat({ apis: [], Resources: {} }), 'portcullis');
  assert.equal(detectFormat({ something: 1 }), 'portcullis');
});

const SAM = 'Transform: AWS::Serverless-2016-10-31\n';

test('SAM function: CodeUri + Handler find the module (any of .js/.mjs/.cjs/.ts), Globals merge, Timeout in ms, Lambda default 3 s', () => {
  const r = read(`${SAM}Globals:\n  Function:\n    Runtime: nodejs20.x\n    Timeout: 7\n    MemorySize: 256\n    Environment:\n      Variables: { A: "1", B: "g" }\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n      Handler: app.main\n      Environment:\n        Variables: { B: own }\n      Events:\n        E: { Type: HttpApi, Properties: { Path: /a, Method: get } }\n  Auth:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src\n      Handler: auth.handler\n      Timeout: !Ref AWS::NoValue\n      Events:\n        E: { Type: HttpApi, Properties: { Path: /b, Method: ANY } }\n`);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.apis[0]!.routes['GET /a'].integration, { type: 'lambda', handler: './src/app.js', exportName: 'main', functionName: 'Fn', timeoutInMillis: 7000, environment: { A: '1', B: 'own' }, memorySize: 256 });
  assert.equal(r.apis[0]!.routes['ANY /b'].integration.handler, './src/auth.ts');
  // SAM merges Globals before CloudFormation resolves intrinsics: the function's own `!Ref AWS::NoValue`
  // removes the merged Timeout, so Lambda's default (3 s) applies, not the global 7 s.
  assert.equal(r.apis[0]!.routes['ANY /b'].integration.timeoutInMillis, 3000);
  assert.equal(r.apis[0]!.name, 'ServerlessHttpApi');
  assert.equal(r.apis[0]!.stage, '$default');
});

test('SAM implicit REST API: stage Prod; Cors adds OPTIONS mocks; AddDefaultAuthorizerToCorsPreflight false leaves them open', () => {
  const r = read(`${SAM}Globals:\n  Api:\n    Cors: "'https://x.example'"\n    Auth:\n      DefaultAuthorizer: Tok\n      AddDefaultAuthorizerToCorsPreflight: false\n      Authorizers:\n        Tok: { FunctionArn: !GetAtt Auth.Arn }\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n      Handler: app.handler\n      Events:\n        E: { Type: Api, Properties: { Path: /items, Method: get } }\n        P: { Type: Api, Properties: { Path: /items, Method: post, Auth: { Authorizer: NONE } } }\n  Auth:\n    Type: AWS::Serverless::Function\n    Properties: { CodeUri: src/, Handler: auth.handler }\n`);
  assert.deepEqual(r.errors, []);
  const api = r.apis[0]!;
  assert.equal(api.name, 'ServerlessRestApi');
  assert.equal(api.stage, 'Prod');
  assert.equal(api.routes['GET /items'].authorizerId, 'Tok');
  assert.equal(api.routes['POST /items'].authorizerId, undefined);
  assert.deepEqual(api.routes['OPTIONS /items'], { integration: { type: 'mock', statusCode: 200, headers: { 'Access-Control-Allow-Origin': 'https://x.example', 'Access-Control-Allow-Methods': 'GET,OPTIONS,POST' } } });
  assert.deepEqual(api.authorizers.Tok, { authorizerType: 'TOKEN', function: { handler: './src/auth.ts', functionName: 'Auth', timeoutInMillis: 3000 }, identitySource: 'method.request.header.Authorization' });
});

test('SAM REST REQUEST authorizer: Identity Headers/QueryStrings/StageVariables/Context in REST syntax; no identity means no caching', () => {
  const r = read(`${SAM}Resources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: v1\n      Auth:\n        Authorizers:\n          Req:\n            FunctionArn: !GetAtt Auth.Arn\n            FunctionPayloadType: REQUEST\n            Identity: { Headers: [X-A], QueryStrings: [q], StageVariables: [s], Context: [requestId], ReauthorizeEvery: 60 }\n          Bare: { FunctionArn: !GetAtt Auth.Arn, FunctionPayloadType: REQUEST }\n  Auth:\n    Type: AWS::Serverless::Function\n    Properties: { CodeUri: src/, Handler: auth.handler }\n`);
  assert.deepEqual(r.apis[0]!.authorizers.Req.identitySource, ['method.request.header.X-A', 'method.request.querystring.q', 'stageVariables.s', 'context.requestId']);
  assert.equal(r.apis[0]!.authorizers.Req.authorizerResultTtlInSeconds, 60);
  assert.equal(r.apis[0]!.authorizers.Bare.authorizerResultTtlInSeconds, 0);
});

test('SAM HttpApi: Lambda authorizer identity in HTTP syntax, CorsConfiguration true, JWT default scopes, AccessLogSettings', () => {
  const r = read(`${SAM}Resources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      CorsConfiguration: true\n      AccessLogSettings: { Format: '$context.requestId', DestinationArn: arn:aws:logs:x }\n      Auth:\n        Authorizers:\n          L:\n            FunctionArn: !GetAtt Auth.Arn\n            AuthorizerPayloadFormatVersion: 2.0\n            EnableSimpleResponses: true\n            Identity: { Headers: [Authorization], QueryStrings: [t], ReauthorizeEvery: 30 }\n          J:\n            AuthorizationScopes: [read]\n            JwtConfiguration: { Issuer: 'https://i.example', Audience: [a] }\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n      Handler: app.handler\n      Events:\n        A: { Type: HttpApi, Properties: { ApiId: !Ref Api, Path: /a, Method: get, Auth: { Authorizer: J } } }\n        B: { Type: HttpApi, Properties: { ApiId: !Ref Api, Path: /b, Method: get, Auth: { Authorizer: J, AuthorizationScopes: [write] } } }\n  Auth:\n    Type: AWS::Serverless::Function\n    Properties: { CodeUri: src/, Handler: auth.handler }\n`);
  const api = r.apis[0]!;
  assert.deepEqual(api.cors, { allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'] });
  assert.deepEqual(api.accessLogSettings, { format: '$context.requestId', destination: 'stdout' });
  assert.deepEqual(issues(r, 'warnings'), ['Resources.Api.Properties.AccessLogSettings.DestinationArn: access logs go to stdout, not to CloudWatch Logs']);
  assert.deepEqual(api.authorizers.L.identitySource, ['$request.header.Authorization', '$request.querystring.t']);
  assert.equal(api.authorizers.L.authorizerPayloadFormatVersion, '2');
  assert.equal(api.authorizers.L.enableSimpleResponses, true);
  assert.deepEqual(api.authorizers.J.jwtConfiguration, { issuer: 'https://i.example', audience: ['a'] });
  assert.deepEqual(api.routes['GET /a'].authorizationScopes, ['read']);
  assert.deepEqual(api.routes['GET /b'].authorizationScopes, ['write']);
});

test('a Python or provided function runs through the Runtime API: runtime, codeUri and the Handler as AWS reads it', () => {
  const r = read(`${SAM}Globals:\n  Function: { Timeout: 7 }\nResources:\n  Py:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      CodeUri: src/\n      Handler: app.handler\n      Events:\n        H: { Type: HttpApi, Properties: { Path: /h, Method: get } }\n  Go:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: provided.al2023\n      CodeUri: bin/\n      Handler: bootstrap\n      Events:\n        G: { Type: HttpApi, Properties: { Path: /g, Method: get } }\n`);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(issues(r, 'warnings'), []);
  const { routes } = r.apis[0]!;
  assert.deepEqual(
    { runtime: routes['GET /h'].integration.runtime, codeUri: routes['GET /h'].integration.codeUri, handler: routes['GET /h'].integration.handler, timeoutInMillis: routes['GET /h'].integration.timeoutInMillis },
    { runtime: 'python3.12', codeUri: './src', handler: 'app.handler', timeoutInMillis: 7000 },
  );
  assert.deepEqual([routes['GET /g'].integration.runtime, routes['GET /g'].integration.codeUri, routes['GET /g'].integration.handler], ['provided.al2023', './bin', 'bootstrap']);
  // Without its code on this machine, such a function is not run (a warning), as code in S3 is not.
  const missing = read(`${SAM}Resources:\n  Py:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      CodeUri: lib/\n      Handler: pkg.app.handler\n      Events:\n        H: { Type: HttpApi, Properties: { Path: /h, Method: get } }\n`);
  assert.deepEqual(issues(missing, 'warnings'), ['Resources.Py.Properties.CodeUri: its code is not on this machine (./lib/pkg/app.py does not exist): routes to Py answer 500 as AWS does when a Lambda fails']);
});

test('a function that cannot run here: its routes answer as a failing Lambda (HTTP 500 / REST 502), with a warning', () => {
  const r = read(`${SAM}Resources:\n  Py:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: ruby3.3\n      CodeUri: src/\n      Handler: app.handler\n      Events:\n        H: { Type: HttpApi, Properties: { Path: /h, Method: get } }\n        R: { Type: Api, Properties: { Path: /r, Method: get } }\n`);
  assert.deepEqual(r.errors, []);
  assert.equal(r.apis[0]!.routes['GET /h'].integration.statusCode, 500);
  assert.equal(r.apis[1]!.routes['GET /r'].integration.statusCode, 502);
  assert.deepEqual(issues(r, 'warnings'), [
    'Resources.Py.Properties.Runtime: runtime ruby3.3 is not run by portcullis (Node.js, Python 3.9-3.13 and provided runtimes only): routes to Py answer 500 as AWS does when a Lambda fails',
    'Resources.Py.Properties.Runtime: runtime ruby3.3 is not run by portcullis (Node.js, Python 3.9-3.13 and provided runtimes only): routes to Py answer 502 as AWS does when a Lambda fails',
  ]);
});

test('--allow-unenforced: an authorizer that cannot run refuses (401) every route it guards; IAM routes open with a warning', () => {
  const yaml = `${SAM}Resources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      Auth:\n        Authorizers:\n          L: { FunctionArn: !GetAtt Py.Arn, AuthorizerPayloadFormatVersion: '2.0' }\n  Py:\n    Type: AWS::Serverless::Function\n    Properties: { Runtime: ruby3.3, CodeUri: src/, Handler: app.handler }\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n      Handler: app.handler\n      Events:\n        A: { Type: HttpApi, Properties: { ApiId: !Ref Api, Path: /a, Method: get, Auth: { Authorizer: L } } }\n        B: { Type: HttpApi, Properties: { ApiId: !Ref Api, Path: /b, Method: get, Auth: { Authorizer: AWS_IAM } } }\n`;
  assert.equal(read(yaml).errors.length, 2);
  const r = read(yaml, { allowUnenforced: true });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.apis[0]!.routes['GET /a'], { integration: { type: 'mock', statusCode: 401, headers: { 'content-type': 'application/json' }, body: '{"message":"Unauthorized"}' } });
  assert.equal(r.apis[0]!.routes['GET /b'].integration.type, 'lambda');
  assert.equal(r.apis[0]!.authorizers, undefined);
});

test('two APIs on one stage: the second is served under its own name, with a warning', () => {
  const r = read(`${SAM}Resources:\n  A:\n    Type: AWS::Serverless::Api\n    Properties: { StageName: prod }\n  B:\n    Type: AWS::Serverless::Api\n    Properties: { StageName: prod }\n`);
  assert.deepEqual(r.apis.map((a) => a.stage), ['prod', 'B-prod']);
  assert.deepEqual(issues(r, 'warnings'), ['Resources.B: stage "prod" is already served by another API of this file (portcullis serves every API on one listener, told apart by the stage in the path): this one is served at /B-prod/']);
});

test('SAM GatewayResponses: Headers become gatewayresponse.header.*, the type is upper-cased, Paths/QueryStrings are reported', () => {
  const r = read(`${SAM}Resources:\n  A:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: prod\n      GatewayResponses:\n        DEFAULT_4xx:\n          StatusCode: 418\n          ResponseParameters:\n            Headers: { X-A: "'1'" }\n            Paths: { p: "'x'" }\n          ResponseTemplates: { application/json: '{"m":"$context.error.message"}' }\n`);
  assert.deepEqual(r.apis[0]!.gatewayResponses, { DEFAULT_4XX: { statusCode: 418, responseParameters: { 'gatewayresponse.header.X-A': "'1'" }, responseTemplates: { 'application/json': '{"m":"$context.error.message"}' } } });
  assert.deepEqual(issues(r, 'warnings'), ['Resources.A.Properties.GatewayResponses.DEFAULT_4xx.ResponseParameters.Paths: only Headers are reproduced in gateway responses']);
});

test('OpenAPI: the authorizer of the first requirement is the route\'s; an api_key scheme beside it is an unenforced protection', () => {
  const doc = `swagger: "2.0"\ninfo: { title: t, version: "1" }\nbasePath: /v1\nsecurityDefinitions:\n  api_key: { type: apiKey, name: x-api-key, in: header }\n  tok:\n    type: apiKey\n    name: Authorization\n    in: header\n    x-amazon-apigateway-authtype: custom\n    x-amazon-apigateway-authorizer: { type: token, authorizerUri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:f/invocations', identityValidationExpression: '^Bearer .+$' }\npaths:\n  /x:\n    get:\n      security: [{ tok: [], api_key: [] }]\n      x-amazon-apigateway-integration: { type: mock }\n`;
  const r = read(doc);
  assert.deepEqual(issues(r, 'errors'), [
    'securityDefinitions.tok.x-amazon-apigateway-authorizer.authorizerUri: Lambda function f is not defined in this document, so it has no local code (give it some with --function f=./file.handler), and it is the authorizer at securityDefinitions.tok.x-amazon-apigateway-authorizer: give it local Node.js code, or pass --allow-unenforced to refuse (401) every route it guards',
    'securityDefinitions.api_key: API keys are not enforced by portcullis, so the route would be open here: remove it, or pass --allow-unenforced to serve the API without it',
  ]);
  assert.equal(r.apis[0]!.stage, 'v1');
  assert.equal(r.apis[0]!.protocol, 'rest');
});

test('CloudFormation: a Condition-false resource is left out; Fn::If picks properties; the REST resource tree gives the paths', () => {
  const r = read(`Parameters:\n  Env: { Type: String, Default: dev }\nConditions:\n  Prod: !Equals [!Ref Env, prod]\nResources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n  Stage:\n    Type: AWS::ApiGateway::Stage\n    Properties: { RestApiId: !Ref Api, StageName: !If [Prod, live, !Ref Env] }\n  A:\n    Type: AWS::ApiGateway::Resource\n    Properties: { RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: a }\n  B:\n    Type: AWS::ApiGateway::Resource\n    Properties: { RestApiId: !Ref Api, ParentId: !Ref A, PathPart: '{b+}' }\n  M:\n    Type: AWS::ApiGateway::Method\n    Properties: { RestApiId: !Ref Api, ResourceId: !Ref B, HttpMethod: ANY, AuthorizationType: NONE, Integration: { Type: HTTP_PROXY, Uri: 'http://127.0.0.1:9/{b}', IntegrationHttpMethod: ANY } }\n  Root:\n    Type: AWS::ApiGateway::Method\n    Properties: { RestApiId: !Ref Api, ResourceId: !GetAtt Api.RootResourceId, HttpMethod: GET, Integration: { Type: MOCK } }\n  OnlyInProd:\n    Type: AWS::ApiGateway::Method\n    Condition: Prod\n    Properties: { RestApiId: !Ref Api, ResourceId: !Ref A, HttpMethod: GET, Integration: { Type: MOCK } }\n`);
  assert.deepEqual(r.errors, []);
  assert.equal(r.apis[0]!.stage, 'dev');
  assert.deepEqual(Object.keys(r.apis[0]!.routes), ['ANY /a/{b+}', 'GET /']);
  assert.deepEqual(r.apis[0]!.routes['ANY /a/{b+}'].integration, { type: 'http', uri: 'http://127.0.0.1:9/{b}', httpMethod: 'ANY' });
});

test('origins: each API, authorizer and route names the template part it came from', () => {
  const r = read(`${SAM}Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n      Handler: app.handler\n      Events:\n        E: { Type: HttpApi, Properties: { Path: /a, Method: get } }\n`);
  assert.deepEqual(r.origins, [
    { at: ['apis', 0], from: "Resources.ServerlessHttpApi (the implicit API SAM creates for the functions' HttpApi events)" },
    { at: ['apis', 0, 'routes', 'GET /a'], from: 'Resources.Fn.Properties.Events.E' },
  ]);
});

test('SAM Globals merge as SAM merges them: mappings key by key, lists joined, scalars and intrinsics replaced', async () => {
  const { mergeGlobals } = await import('./functions.ts');
  assert.deepEqual(
    mergeGlobals({ Auth: { DefaultAuthorizer: 'A', Authorizers: { A: { x: 1 } } }, Layers: ['g'], Timeout: 3, Env: { Ref: 'X' } }, { Auth: { Authorizers: { B: { y: 2 } } }, Layers: ['o'], Timeout: 5, Env: { a: 1 } }),
    { Auth: { DefaultAuthorizer: 'A', Authorizers: { A: { x: 1 }, B: { y: 2 } } }, Layers: ['g', 'o'], Timeout: 5, Env: { a: 1 } },
  );
});

test('a JWT issuer and audience built from the template\'s own Cognito pool and client are said to be made up, with the way out', () => {
  const yaml = `${SAM}Resources:\n  Pool: { Type: AWS::Cognito::UserPool }\n  Client: { Type: AWS::Cognito::UserPoolClient }\n  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      Auth:\n        Authorizers:\n          J: { JwtConfiguration: { issuer: !Sub 'https://cognito-idp.\${AWS::Region}.amazonaws.com/\${Pool}', audience: [!Ref Client] } }\n`;
  const made = read(yaml).warnings.filter((w) => w.message.includes('made up')).map((w) => `${w.path}: ${w.message}`);
  assert.deepEqual(made, [
    "Resources.Api.Properties.Auth.Authorizers.J: the issuer names user pool Pool of this template, whose id is made up here: pass --parameter-overrides Pool=<the pool's id, e.g. us-east-1_AbC123> so that its tokens verify",
    'Resources.Api.Properties.Auth.Authorizers.J: the audience names app client Client of this template, whose id is made up here: pass --parameter-overrides Client=<the client id> so that its tokens verify',
  ]);
  const given = read(yaml, { parameterOverrides: { Pool: 'us-east-1_AbC123', Client: 'abc' } });
  assert.deepEqual(given.warnings.filter((w) => w.message.includes('made up')), []);
  assert.deepEqual(given.apis[0]!.authorizers.J.jwtConfiguration, { issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123', audience: ['abc'] });
});
