/**
 * The import formats carry a function's runtime: a SAM template's `Runtime: python3.11` and a
 * serverless.yml's `runtime: python3.11` run the Python handler through AWS's runtime interface
 * client (`awslambdaric`) and the Lambda Runtime API, for an integration and for a Lambda
 * authorizer alike (docs/runtimes.md, docs/formats.md, docs/serverless.md). The virtualenv is built
 * from the function's requirements.txt and cached under the OS temp folder, as in
 * test/runtimes/python-runtime.test.ts. Off CI without python3 the file is skipped.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempDir } from '../helpers/gateway.ts';
import { startTemplate } from './helpers.ts';

const hasPython = spawnSync('python3', ['-c', 'import venv']).status === 0;
const skip = hasPython || process.env.CI === 'true' ? false : 'python3 (with venv) is not installed';
process.env.PORTCULLIS_CACHE_DIR ??= join(tmpdir(), 'portcullis-test-cache');

const APP = `import json, os
def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps({"from": "python", "function": context.function_name, "who": event["requestContext"]["authorizer"]["lambda"]["who"]})}
`;
const AUTHORIZER = `def handler(event, context):
    ok = event.get("headers", {}).get("authorization") == "let-me-in"
    return {"isAuthorized": ok, "context": {"who": "python-authorizer"}}
`;
const files = {
  'fn/app.py': APP,
  'fn/requirements.txt': 'awslambdaric==4.2.2\n',
  'auth/app.py': AUTHORIZER,
  'auth/requirements.txt': 'awslambdaric==4.2.2\n',
};

const SAM = `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Py
        Authorizers:
          Py:
            FunctionArn: !GetAtt Auth.Arn
            AuthorizerPayloadFormatVersion: '2.0'
            EnableSimpleResponses: true
            Identity: { Headers: [Authorization] }
  Auth:
    Type: AWS::Serverless::Function
    Properties: { Runtime: python3.11, CodeUri: auth/, Handler: app.handler, FunctionName: py-auth }
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      CodeUri: fn/
      Handler: app.handler
      FunctionName: py-hello
      Events:
        Get: { Type: HttpApi, Properties: { ApiId: !Ref Api, Path: /hello, Method: get } }
`;

const SERVERLESS = `service: py
provider:
  name: aws
  runtime: python3.11
  httpApi:
    authorizers:
      py:
        type: request
        functionName: auth
        enableSimpleResponses: true
        payloadVersion: '2.0'
        identitySource: [$request.header.Authorization]
functions:
  auth:
    handler: auth/app.handler
  hello:
    name: py-hello
    handler: fn/app.handler
    events:
      - httpApi: { method: GET, path: /hello, authorizer: { name: py } }
`;

for (const [name, file, text] of [['a SAM template', 'template.yaml', SAM], ['a serverless.yml', 'serverless.yml', SERVERLESS]] as const) {
  test(`${name}: a Python authorizer and a Python integration run through the Runtime API`, { skip, timeout: 600_000 }, async (t) => {
    const dir = tempDir({ ...files, [file]: text });
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const { url, warnings } = await startTemplate(t, join(dir, file));
    assert.deepEqual(warnings.filter((w) => /runtime|python/i.test(w.message)), [], 'no runtime warning');
    const refused = await fetch(`${url}/hello`, { headers: { authorization: 'nope' } });
    assert.equal(refused.status, 403);
    const admitted = await fetch(`${url}/hello`, { headers: { authorization: 'let-me-in' } });
    assert.equal(admitted.status, 200, await admitted.clone().text());
    assert.deepEqual(await admitted.json(), { from: 'python', function: 'py-hello', who: 'python-authorizer' });
  });
}
