/**
 * Python functions through AWS's own runtime interface client (`awslambdaric`) and the Runtime API:
 * the event and context as Python sees them, errors, import errors, timeouts, crashes, and a Python
 * Lambda authorizer + integration behind the gateway. The virtualenv is built by Portcullis from the
 * function's requirements.txt (pinned awslambdaric), cached under the OS temp folder between runs.
 * Off CI without python3 these tests are skipped; with CI=true they run (and fail if Python is missing).
 */
import { test, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLambdaRuntime } from '../../src/io/runtimes/index.ts';
import type { LambdaFunctionSpec } from '../../src/io/lambda-runtime.ts';
import { startGateway, tempDir } from '../helpers/gateway.ts';

const hasPython = spawnSync('python3', ['-c', 'import venv']).status === 0;
const skip = hasPython || process.env.CI === 'true' ? false : 'python3 (with venv) is not installed';

// One cache across runs: the first run builds the virtualenv (pip, from PyPI), later ones reuse it.
process.env.PORTCULLIS_CACHE_DIR ??= join(tmpdir(), 'portcullis-test-cache');

const APP = `import json, os, sys, time
print("module loaded", file=sys.stderr)

def handler(event, context):
    action = event.get("action", "echo")
    if action == "raise":
        raise ValueError("bad value from python")
    if action == "sleep":
        time.sleep(event["seconds"])
    if action == "exit":
        os._exit(3)
    print("handling", action)
    return {
        "event": event,
        "pid": os.getpid(),
        "context": {
            "aws_request_id": context.aws_request_id,
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
        "env": {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "LAMBDA_", "_HANDLER", "TZ", "GREETING"))},
        "cwd": os.getcwd(),
    }
`;

const AUTHORIZER = `def handler(event, context):
    token = event.get("headers", {}).get("authorization", "")
    if token == "let-me-in":
        return {"isAuthorized": True, "context": {"who": "python", "runtime": context.function_name}}
    if token == "":
        raise Exception("Unauthorized")
    return {"isAuthorized": False}
`;

const code = tempDir({
  'fn/app.py': APP,
  'fn/requirements.txt': 'awslambdaric==4.2.2\n',
  'fn/broken.py': 'raise RuntimeError("cannot import this module")\n',
  'auth/authorizer.py': AUTHORIZER,
  'auth/requirements.txt': 'awslambdaric==4.2.2\n',
});
after(() => rmSync(code, { recursive: true, force: true }));

const lines: string[] = [];
const output = { stdout: (l: string) => lines.push(l), stderr: (l: string) => lines.push(l) };

function spec(handler: string, extra: Partial<LambdaFunctionSpec> = {}): LambdaFunctionSpec {
  const codeDir = join(code, 'fn');
  return { runtime: 'python3.11', codeDir, handler, handlerPath: codeDir, exportName: handler, functionName: 'py-fn', timeoutMs: 5000, reservedConcurrency: 1, memorySize: 512, ...extra };
}

test('a Python handler sees the event, the context object and Lambda\'s environment; warm invocations reuse the process', { skip, timeout: 240_000 }, async (t) => {
  const runtime = createLambdaRuntime({ region: 'eu-central-1', accountId: '111122223333', output });
  t.after(() => runtime.close());
  const fn = runtime.getFunction(spec('app.handler', { environment: { GREETING: 'hallo' } }));
  const r = await fn.invoke({ action: 'echo', nested: { a: [1, 2] } }, 'py-req-1');
  assert.ok(r.ok, JSON.stringify(r));
  const v = r.value as { event: unknown; pid: number; context: Record<string, unknown>; env: Record<string, string>; cwd: string };
  assert.deepEqual(v.event, { action: 'echo', nested: { a: [1, 2] } });
  assert.equal(v.context.aws_request_id, 'py-req-1');
  assert.equal(v.context.function_name, 'py-fn');
  assert.equal(v.context.function_version, '$LATEST');
  assert.equal(v.context.invoked_function_arn, 'arn:aws:lambda:eu-central-1:111122223333:function:py-fn');
  assert.equal(v.context.memory_limit_in_mb, '512');
  assert.equal(v.context.log_group_name, '/aws/lambda/py-fn');
  assert.match(String(v.context.log_stream_name), /\[\$LATEST\]/);
  assert.ok(Number(v.context.remaining_ms) > 4000 && Number(v.context.remaining_ms) <= 5000, `remaining ${v.context.remaining_ms}`);
  assert.equal(v.env.AWS_EXECUTION_ENV, 'AWS_Lambda_python3.11');
  assert.equal(v.env._HANDLER, 'app.handler');
  assert.equal(v.env.LAMBDA_TASK_ROOT, join(code, 'fn'));
  assert.equal(v.env.GREETING, 'hallo');
  assert.equal(v.cwd, join(code, 'fn'));
  // Output travels through a pipe, the answer over HTTP: the line may land just after the answer.
  for (let i = 0; i < 100 && !lines.includes('[py-fn] py-req-1 handling echo'); i++) await new Promise((res) => setTimeout(res, 20));
  assert.ok(lines.includes('[py-fn] INIT module loaded'), 'init output is tagged INIT');
  assert.ok(lines.includes('[py-fn] py-req-1 handling echo'), 'print() reaches the log with the request id');
  const again = await fn.invoke({ action: 'echo' }, 'py-req-2');
  assert.ok(again.ok);
  assert.equal((again.value as { pid: number }).pid, v.pid, 'warm');
});

test('Python errors: an exception is a function error (the environment stays), an import error an init error, a deadline and os._exit cost the environment', { skip, timeout: 240_000 }, async (t) => {
  const runtime = createLambdaRuntime({ region: 'us-east-1', accountId: '123456789012', output });
  t.after(() => runtime.close());
  const fn = runtime.getFunction(spec('app.handler', { timeoutMs: 10_000 }));
  const first = await fn.invoke({ action: 'echo' }, 'e-1');
  assert.ok(first.ok);
  const pid = (first.value as { pid: number }).pid;
  const raised = await fn.invoke({ action: 'raise' }, 'e-2');
  assert.deepEqual(raised.ok ? null : raised.error, { kind: 'error', errorType: 'ValueError', errorMessage: 'bad value from python' });
  const afterRaise = await fn.invoke({ action: 'echo' }, 'e-3');
  assert.equal(afterRaise.ok && (afterRaise.value as { pid: number }).pid, pid, 'same process after an exception');

  const slow = await fn.invoke({ action: 'sleep', seconds: 10 }, 'e-4', 1000);
  assert.deepEqual(slow.ok ? null : slow.error, { kind: 'timeout', errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 1.00 seconds' });
  const fresh = await fn.invoke({ action: 'echo' }, 'e-5');
  assert.ok(fresh.ok);
  assert.notEqual((fresh.value as { pid: number }).pid, pid, 'a new process after the timeout');

  const crash = await fn.invoke({ action: 'exit' }, 'e-6');
  assert.equal(crash.ok ? null : crash.error.kind, 'crash');
  assert.ok((await fn.invoke({ action: 'echo' }, 'e-7')).ok, 'replaced after the crash');

  const broken = runtime.getFunction(spec('broken.handler', { functionName: 'py-broken' }));
  const b = await broken.invoke({}, 'e-8');
  assert.equal(b.ok ? null : b.error.kind, 'init');
  assert.match(b.ok ? '' : `${b.error.errorType}: ${b.error.errorMessage}`, /Runtime\.ImportModuleError|RuntimeError|cannot import this module/);
});

test('a Python Lambda authorizer (HTTP API, simple responses) in front of a Python integration, through the gateway', { skip, timeout: 240_000 }, async (t) => {
  const gw = await startGateway(
    {
      apis: [
        {
          name: 'py', protocol: 'http', stage: '$default',
          authorizers: {
            pyauth: {
              authorizerType: 'REQUEST',
              identitySource: ['$request.header.Authorization'],
              enableSimpleResponses: true,
              function: { runtime: 'python3.11', codeUri: './auth', handler: 'authorizer.handler', timeout: 5 },
            },
          },
          routes: {
            'GET /private': { authorizerId: 'pyauth', integration: { type: 'lambda', runtime: 'python3.11', codeUri: './fn', handler: 'app.handler', functionName: 'private-fn', timeout: 5 } },
          },
        },
      ],
    },
    { baseDir: code, t },
  );
  const ok = await fetch(`${gw.url}/private`, { headers: { authorization: 'let-me-in' } });
  assert.equal(ok.status, 200);
  const body = (await ok.json()) as { event: { requestContext: { authorizer: { lambda: Record<string, string> } } }; context: { function_name: string } };
  assert.deepEqual(body.event.requestContext.authorizer.lambda, { who: 'python', runtime: 'auth' });
  assert.equal(body.context.function_name, 'private-fn');
  const denied = await fetch(`${gw.url}/private`, { headers: { authorization: 'wrong' } });
  assert.deepEqual([denied.status, await denied.json()], [403, { message: 'Forbidden' }]);
  const missing = await fetch(`${gw.url}/private`);
  assert.equal(missing.status, 401, 'no identity: 401 without invoking');
});
