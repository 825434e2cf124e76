/**
 * The Lambda Runtime API and the process runtime's lifecycle, against real runtimes: `provided`
 * bootstraps written in Node (a small runtime client, as AWS's custom-runtime tutorial) and in sh +
 * curl (the tutorial itself). No Python here: python-runtime.test.ts.
 */
import { test, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { chmodSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createLambdaRuntime } from '../../src/io/runtimes/index.ts';
import { startRuntimeApi, RUNTIME_API_MAX_PAYLOAD_BYTES } from '../../src/io/runtimes/runtime-api.ts';
import type { LambdaFunctionSpec } from '../../src/io/lambda-runtime.ts';
import { startGateway, tempDir } from '../helpers/gateway.ts';

/** A custom runtime in Node: `_HANDLER` picks a misbehaviour; the event's `action` one per invocation. */
const NODE_BOOTSTRAP = `#!${process.execPath}
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01';
const mode = process.env._HANDLER;
const post = (path, body, headers = {}) => fetch(api + path, { method: 'POST', body, headers });
if (mode === 'init-error') {
  await post('/runtime/init/error', JSON.stringify({ errorType: 'Runtime.Custom', errorMessage: 'cannot load the handler' }), { 'Lambda-Runtime-Function-Error-Type': 'Runtime.Custom' });
  process.exit(1);
}
if (mode === 'exit-at-init') { console.error('giving up before polling'); process.exit(4); }
if (mode === 'never-poll') { setInterval(() => {}, 1000); }
else for (;;) {
  const r = await fetch(api + '/runtime/invocation/next');
  const id = r.headers.get('lambda-runtime-aws-request-id');
  const event = await r.json();
  const respond = (value) => post('/runtime/invocation/' + id + '/response', JSON.stringify(value));
  console.log('handling ' + event.action);
  if (event.action === 'echo') {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(AWS_|LAMBDA_|_HANDLER|TZ|GREETING|SECRET_OF_THE_GATEWAY)/.test(k)));
    await respond({ headers: Object.fromEntries(r.headers), env, pid: process.pid, event });
  } else if (event.action === 'error') {
    await post('/runtime/invocation/' + id + '/error', JSON.stringify({ errorMessage: 'it broke', errorType: 'CustomError', stackTrace: [] }), { 'Lambda-Runtime-Function-Error-Type': 'Unhandled' });
  } else if (event.action === 'wrong-id') {
    const bad = await post('/runtime/invocation/not-the-id/response', '{}');
    await respond({ status: bad.status, body: await bad.json() });
  } else if (event.action === 'big') {
    const res = await post('/runtime/invocation/' + id + '/response', JSON.stringify({ pad: 'x'.repeat(7 * 1024 * 1024) }));
    console.log('big response answered ' + res.status);
  } else if (event.action === 'sleep') {
    await new Promise((r) => setTimeout(r, event.ms));
    await respond({ slept: event.ms, pid: process.pid });
  } else if (event.action === 'exit') {
    process.exit(7);
  }
}
`;

const dir = tempDir();
const codeDirs: Record<string, string> = {};
for (const name of ['node-rt', 'sh-rt']) codeDirs[name] = join(dir, name);
const { writeFileSync, mkdirSync } = await import('node:fs');
for (const d of Object.values(codeDirs)) mkdirSync(d, { recursive: true });
writeFileSync(join(codeDirs['node-rt']!, 'bootstrap'), NODE_BOOTSTRAP);
chmodSync(join(codeDirs['node-rt']!, 'bootstrap'), 0o755);
after(() => rmSync(dir, { recursive: true, force: true }));

const lines: string[] = [];
const output = { stdout: (l: string) => lines.push(l), stderr: (l: string) => lines.push(l) };

function spec(handler: string, extra: Partial<LambdaFunctionSpec> = {}): LambdaFunctionSpec {
  return { runtime: 'provided.al2023', codeDir: codeDirs['node-rt']!, handler, handlerPath: join(codeDirs['node-rt']!, 'bootstrap'), exportName: handler, functionName: `fn-${handler}`, timeoutMs: 3000, reservedConcurrency: 2, memorySize: 256, ...extra };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
}

test('the Runtime API hands the event with every Lambda-Runtime-* header and the runtime sees Lambda\'s environment', async (t) => {
  process.env.SECRET_OF_THE_GATEWAY = 'must-not-leak';
  t.after(() => delete process.env.SECRET_OF_THE_GATEWAY);
  const runtime = createLambdaRuntime({ region: 'eu-west-1', accountId: '111122223333', output });
  t.after(() => runtime.close());
  const fn = runtime.getFunction(spec('app.handler', { environment: { GREETING: 'hello' } }));
  const before = Date.now();
  const r = await fn.invoke({ action: 'echo', n: 1 }, 'req-0001');
  assert.ok(r.ok, JSON.stringify(r));
  const v = r.value as { headers: Record<string, string>; env: Record<string, string>; pid: number; event: unknown };
  assert.deepEqual(v.event, { action: 'echo', n: 1 });
  assert.equal(v.headers['lambda-runtime-aws-request-id'], 'req-0001');
  assert.equal(v.headers['lambda-runtime-invoked-function-arn'], 'arn:aws:lambda:eu-west-1:111122223333:function:fn-app-handler');
  assert.match(v.headers['lambda-runtime-trace-id']!, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
  const deadline = Number(v.headers['lambda-runtime-deadline-ms']);
  assert.ok(deadline >= before + 3000 - 50 && deadline <= Date.now() + 3000, `deadline ${deadline - before} ms after the call`);
  assert.equal(v.headers['content-type'], 'application/json');
  assert.equal(v.headers['lambda-runtime-client-context'], undefined, 'sent only when set');
  const env = v.env;
  assert.match(env.AWS_LAMBDA_RUNTIME_API!, /^127\.0\.0\.1:\d+$/);
  assert.equal(env._HANDLER, 'app.handler');
  assert.equal(env.LAMBDA_TASK_ROOT, codeDirs['node-rt']);
  assert.equal(env.AWS_LAMBDA_FUNCTION_NAME, 'fn-app-handler');
  assert.equal(env.AWS_LAMBDA_FUNCTION_VERSION, '$LATEST');
  assert.equal(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, '256');
  assert.equal(env.AWS_REGION, 'eu-west-1');
  assert.equal(env.AWS_LAMBDA_LOG_GROUP_NAME, '/aws/lambda/fn-app-handler');
  assert.match(env.AWS_LAMBDA_LOG_STREAM_NAME!, /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
  assert.equal(env.TZ, ':UTC');
  assert.ok(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY && env.AWS_SESSION_TOKEN, 'dummy credentials');
  assert.equal(env.GREETING, 'hello', 'the function environment');
  assert.equal(env.SECRET_OF_THE_GATEWAY, undefined, 'the gateway environment is not inherited');
  // Output travels through a pipe, the answer over HTTP: the line may land just after the answer.
  for (let i = 0; i < 100 && !lines.includes('[fn-app-handler] req-0001 handling echo'); i++) await new Promise((res) => setTimeout(res, 20));
  assert.ok(lines.includes('[fn-app-handler] req-0001 handling echo'), `stdout tagged with the request id: ${lines.join('\n')}`);

  // Warm: the same process answers the next invocation.
  const again = await fn.invoke({ action: 'echo' }, 'req-0002');
  assert.ok(again.ok);
  assert.equal((again.value as { pid: number }).pid, v.pid);
  assert.equal(fn.stats().coldStarts, 1);
});

test('a response posted with another request id gets 400 InvalidRequestID; a function error keeps the environment', async (t) => {
  const runtime = createLambdaRuntime({ region: 'us-east-1', accountId: '123456789012', output });
  t.after(() => runtime.close());
  const fn = runtime.getFunction(spec('errors'));
  const r = await fn.invoke({ action: 'wrong-id' }, 'req-a');
  assert.ok(r.ok);
  assert.deepEqual(r.value, { status: 400, body: { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' } });
  const e = await fn.invoke({ action: 'error' }, 'req-b');
  assert.deepEqual(e.ok ? null : e.error, { kind: 'error', errorType: 'CustomError', errorMessage: 'it broke' });
  const ok = await fn.invoke({ action: 'echo' }, 'req-c');
  assert.ok(ok.ok);
  assert.equal(fn.stats().coldStarts, 1, 'an error does not cost the environment');
});

test('a response over 6 MB gets 413 and fails the invocation with Function.ResponseSizeTooLarge', async (t) => {
  const runtime = createLambdaRuntime({ region: 'us-east-1', accountId: '123456789012', output });
  t.after(() => runtime.close());
  const fn = runtime.getFunction(spec('big'));
  const r = await fn.invoke({ action: 'big' }, 'req-big');
  assert.equal(r.ok ? null : r.error.errorType, 'Function.ResponseSizeTooLarge');
  for (let i = 0; i < 50 && !lines.some((l) => l.includes('big response answered 413')); i++) await new Promise((res) => setTimeout(res, 20));
  assert.ok(lines.some((l) => l === '[fn-big] req-big big response answered 413'), 'the runtime saw 413');
  assert.ok((await fn.invoke({ action: 'echo' }, 'req-after')).ok, 'the environment goes on');
});

test('an init error (POST /runtime/init/error) fails the invocation as init and costs only that environment', async (t) => {
  const runtime = createLambdaRuntime({ region: 'us-east-1', accountId: '123456789012', output });
  t.after(() => runtime.close());
  const fn = runtime.getFunction(spec('init-error'));
  const r = await fn.invoke({}, 'req-init');
  assert.deepEqual(r.ok ? null : r.error, { kind: 'init', errorType: 'Runtime.Custom', errorMessage: 'cannot load the handler' });
  const r2 = await fn.invoke({}, 'req-init-2');
  assert.equal(r2.ok ? null : r2.error.kind, 'init');
  assert.equal(fn.stats().coldStarts, 2, 'a fresh environment per attempt');
  assert.equal(fn.stats().environments, 0);

  const exits = runtime.getFunction(spec('exit-at-init'));
  const x = await exits.invoke({}, 'req-exit-init');
  assert.equal(x.ok ? null : x.error.kind, 'init');
  assert.match(x.ok ? '' : x.error.errorMessage, /exited \(code 4\) before it polled for an invocation: giving up before polling/);

  // A bootstrap whose interpreter does not exist cannot even start: an init error at once, not at the init limit.
  const bad = join(dir, 'bad-interpreter');
  mkdirSync(bad, { recursive: true });
  writeFileSync(join(bad, 'bootstrap'), '#!/nonexistent/interpreter\n');
  chmodSync(join(bad, 'bootstrap'), 0o755);
  const started = Date.now();
  const s = await runtime.getFunction(spec('x', { codeDir: bad, handlerPath: join(bad, 'bootstrap'), functionName: 'bad-interpreter' })).invoke({}, 'req-bad');
  assert.equal(s.ok ? null : s.error.errorType, 'Runtime.StartError');
  assert.match(s.ok ? '' : s.error.errorMessage, /ENOENT/);
  assert.ok(Date.now() - started < 5000);
});

test('a runtime that never polls fails the invocation at the init limit, and is killed', async (t) => {
  const runtime = createLambdaRuntime({ region: 'us-east-1', accountId: '123456789012', output, initLimitMs: 400 });
  t.after(() => runtime.close());
  const fn = runtime.getFunction(spec('never-poll'));
  const started = Date.now();
  const r = await fn.invoke({}, 'req-never');
  assert.equal(r.ok ? null : r.error.kind, 'timeout');
  assert.ok(Date.now() - started < 3000, 'ends at the limit, not later');
  for (let i = 0; i < 50 && fn.stats().environments; i++) await new Promise((res) => setTimeout(res, 20));
  assert.equal(fn.stats().environments, 0);
});

test('a deadline kills the process with AWS\'s message; a crash mid-invoke is replaced; both only cost their environment', async (t) => {
  const runtime = createLambdaRuntime({ region: 'us-east-1', accountId: '123456789012', output });
  t.after(() => runtime.close());
  const fn = runtime.getFunction(spec('lifecycle', { timeoutMs: 400 }));
  const warm = await fn.invoke({ action: 'echo' }, 'req-1', 10_000);
  assert.ok(warm.ok);
  const pid = (warm.value as { pid: number }).pid;
  const slow = await fn.invoke({ action: 'sleep', ms: 5000 }, 'req-slow');
  assert.deepEqual(slow.ok ? null : slow.error, { kind: 'timeout', errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 0.40 seconds' });
  assert.ok(lines.includes('[fn-lifecycle] req-slow Task timed out after 0.40 seconds'), 'logged with the request id');
  assert.ok(await gone(pid), 'the timed-out process is killed');
  const next = await fn.invoke({ action: 'echo' }, 'req-2', 10_000);
  assert.ok(next.ok);
  const pid2 = (next.value as { pid: number }).pid;
  assert.notEqual(pid2, pid);
  // Its own timeout, well above the exit's cost on a loaded machine.
  const crash = await fn.invoke({ action: 'exit' }, 'req-crash', 10_000);
  assert.equal(crash.ok ? null : crash.error.kind, 'crash');
  assert.match(crash.ok ? '' : crash.error.errorMessage, /exited \(code 7\)/);
  const after = await fn.invoke({ action: 'echo' }, 'req-3', 10_000);
  assert.ok(after.ok);
  assert.equal(fn.stats().coldStarts, 3);
});

test('environments grow to reservedConcurrency, one invocation each; idle ones stop; close() reaps them all', async (t) => {
  const runtime = createLambdaRuntime({ region: 'us-east-1', accountId: '123456789012', output });
  let closed = false;
  t.after(() => (closed ? undefined : runtime.close()));
  const fn = runtime.getFunction(spec('concurrency', { reservedConcurrency: 2, idleTimeoutMs: 300 }));
  const results = await Promise.all([1, 2, 3].map((i) => fn.invoke({ action: 'sleep', ms: 150 }, `req-c${i}`)));
  const pids = new Set(results.map((r) => (r.ok ? (r.value as { pid: number }).pid : -1)));
  assert.equal(pids.size, 2, 'two environments served three invocations');
  assert.equal(fn.stats().coldStarts, 2);
  // Idle: both stop after 300 ms.
  await new Promise((r) => setTimeout(r, 600));
  for (const pid of pids) assert.ok(await gone(pid), `idle environment ${pid} stopped`);
  assert.equal(fn.stats().environments, 0);
  // close() with a live environment.
  const r = await fn.invoke({ action: 'echo' }, 'req-last');
  assert.ok(r.ok);
  const pid = (r.value as { pid: number }).pid;
  assert.ok(alive(pid));
  await runtime.close();
  closed = true;
  assert.ok(!alive(pid), 'close() waits for the process to exit');
  const late = await fn.invoke({ action: 'echo' }, 'req-late');
  assert.equal(late.ok ? null : late.error.errorType, 'Runtime.Closed');
});

test('the Runtime API server alone: long poll, 202, 400 InvalidRequestID, 413 over 6 MiB + 100 bytes, /error and /runtime/init/error', async (t) => {
  const initErrors: unknown[] = [];
  const api = await startRuntimeApi({ onInitError: (e) => initErrors.push(e) });
  t.after(() => api.close());
  const call = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const req = request(`http://${api.address}/2018-06-01${path}`, { method, headers }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const poll = call('GET', '/runtime/invocation/next');
  await new Promise((r) => setTimeout(r, 50));
  const outcome = api.invoke({ requestId: 'id-1', eventJson: '{"a":1}', deadlineMs: 123, invokedFunctionArn: 'arn:x', traceId: 'Root=1', clientContext: '{"c":1}', cognitoIdentity: '{"cognitoIdentityId":"i","cognitoIdentityPoolId":"p"}' });
  const next = await poll;
  assert.equal(next.status, 200);
  assert.equal(next.body, '{"a":1}');
  assert.equal(next.headers['lambda-runtime-aws-request-id'], 'id-1');
  assert.equal(next.headers['lambda-runtime-deadline-ms'], '123');
  assert.equal(next.headers['lambda-runtime-client-context'], '{"c":1}');
  assert.equal(next.headers['lambda-runtime-cognito-identity'], '{"cognitoIdentityId":"i","cognitoIdentityPoolId":"p"}');
  const wrong = await call('POST', '/runtime/invocation/id-2/response', '{}');
  assert.deepEqual([wrong.status, JSON.parse(wrong.body)], [400, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' }]);
  const big = await call('POST', '/runtime/invocation/id-1/response', 'x'.repeat(RUNTIME_API_MAX_PAYLOAD_BYTES + 1));
  assert.equal(big.status, 413);
  assert.deepEqual(await outcome, { type: 'too-large', bytes: RUNTIME_API_MAX_PAYLOAD_BYTES + 1 });

  const second = api.invoke({ requestId: 'id-3', eventJson: '{}', deadlineMs: 1, invokedFunctionArn: 'arn:x', traceId: 'Root=1' });
  const n2 = await call('GET', '/runtime/invocation/next');
  assert.equal(n2.headers['lambda-runtime-client-context'], undefined);
  const err = await call('POST', '/runtime/invocation/id-3/error', '{"errorMessage":"bad","errorType":"ValueError"}', { 'lambda-runtime-function-error-type': 'Unhandled' });
  assert.deepEqual([err.status, JSON.parse(err.body)], [202, { status: 'OK' }]);
  assert.deepEqual(await second, { type: 'error', errorType: 'ValueError', errorMessage: 'bad' });
  const late = await call('POST', '/runtime/invocation/id-3/response', '{}');
  assert.equal(late.status, 400, 'an answered invocation takes no second answer');

  const init = await call('POST', '/runtime/init/error', '', { 'lambda-runtime-function-error-type': 'Runtime.ImportModuleError' });
  assert.equal(init.status, 202);
  assert.deepEqual(initErrors, [{ errorType: 'Runtime.ImportModuleError', errorMessage: '' }]);
  assert.equal((await call('GET', '/nope')).status, 404);
});

const hasCurl = spawnSync('curl', ['--version']).status === 0;

test('provided.al2023 through the gateway: AWS\'s sh + curl bootstrap as an HTTP API integration; config keys in SAM\'s vocabulary', { skip: hasCurl || process.env.CI === 'true' ? false : 'curl is not installed' }, async (t) => {
  const code = tempDir({
    'fn/bootstrap': `#!/bin/sh
# AWS's custom-runtime tutorial (docs.aws.amazon.com/lambda/latest/dg/runtimes-walkthrough.html), in sh.
set -eu
API="http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01"
while true; do
  HEADERS="$(mktemp)"
  EVENT=$(curl -sS -LD "$HEADERS" "$API/runtime/invocation/next")
  ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  rm -f "$HEADERS"
  case "$EVENT" in
    *'"/fail"'*) curl -sS -o /dev/null -X POST "$API/runtime/invocation/$ID/error" -H "Lambda-Runtime-Function-Error-Type: Unhandled" -d '{"errorMessage":"nope","errorType":"ShellError"}' ;;
    *'"/slow"'*) sleep 5 ;;
    *) curl -sS -o /dev/null -X POST "$API/runtime/invocation/$ID/response" -d "{\\"statusCode\\":200,\\"body\\":\\"$_HANDLER from $AWS_LAMBDA_FUNCTION_NAME\\"}" ;;
  esac
done
`,
  });
  chmodSync(join(code, 'fn', 'bootstrap'), 0o755);
  t.after(() => rmSync(code, { recursive: true, force: true }));
  const fn = { type: 'lambda', runtime: 'provided.al2023', codeUri: './fn', handler: 'function.handler', functionName: 'shell-fn' };
  const gw = await startGateway(
    {
      apis: [
        { name: 'h', protocol: 'http', stage: '$default', routes: { 'GET /hello': { integration: fn }, 'GET /fail': { integration: fn }, 'GET /slow': { integration: { ...fn, timeout: 1 } } } },
        { name: 'r', protocol: 'rest', stage: 'prod', routes: { 'GET /fail': { integration: fn } } },
      ],
    },
    { baseDir: code, t },
  );
  const base = gw.url;
  const ok = await fetch(`${base}/hello`);
  assert.deepEqual([ok.status, await ok.text()], [200, 'function.handler from shell-fn']);
  const fail = await fetch(`${base}/fail`);
  assert.deepEqual([fail.status, await fail.json()], [500, { message: 'Internal Server Error' }]);
  const rest = await fetch(`${gw.url}/prod/fail`);
  assert.deepEqual([rest.status, await rest.json()], [502, { message: 'Internal server error' }]);
  const slow = await fetch(`${base}/slow`);
  assert.deepEqual([slow.status, await slow.json()], [503, { message: 'Service Unavailable' }]);
  const again = await fetch(`${base}/hello`);
  assert.equal(again.status, 200, 'served after the timeout killed an environment');
});

test('config errors name the function key: missing bootstrap, non-executable bootstrap, missing python module, timeout twice', async (t) => {
  const code = tempDir({ 'noexec/bootstrap': '#!/bin/sh\n', 'py/app.py': 'def handler(e, c): return 1\n', 'empty/.keep': '' });
  t.after(() => rmSync(code, { recursive: true, force: true }));
  const route = (integration: Record<string, unknown>) => ({ apis: [{ name: 'h', protocol: 'http', stage: '$default', routes: { 'GET /x': { integration: { type: 'lambda', ...integration } } } }] });
  const expectError = async (integration: Record<string, unknown>, re: RegExp) => {
    await assert.rejects(startGateway(route(integration), { baseDir: code, t }), (err: Error) => {
      assert.match(err.message, re);
      return true;
    });
  };
  await expectError({ runtime: 'provided.al2023', codeUri: './empty', handler: 'x' }, /integration\.codeUri: a custom runtime needs an executable bootstrap: .*empty\/bootstrap not found/);
  await expectError({ runtime: 'provided', codeUri: './noexec', handler: 'x' }, /integration\.codeUri: .*noexec\/bootstrap is not executable/);
  await expectError({ runtime: 'python3.11', codeUri: './py', handler: 'other.handler' }, /integration\.handler: python module not found: .*py\/other\.py/);
  await expectError({ runtime: 'python3.11', codeUri: './py', handler: 'app' }, /integration\.handler: must be AWS's module\.function form/);
  await expectError({ runtime: 'python3.11', codeUri: './nowhere', handler: 'app.handler' }, /integration\.codeUri: must be a directory/);
  await expectError({ runtime: 'python3.11', codeUri: './py', handler: 'app.handler', timeout: 3, timeoutInMillis: 3000 }, /integration\.timeout: give either `timeout`/);
  await expectError({ runtime: 'ruby3.3', handler: 'app.handler' }, /integration\.runtime: must be one of "nodejs18\.x".*got "ruby3\.3"/);
});

test('Node in SAM\'s form: codeUri + handler file.function runs in worker threads, beside today\'s ./file.mjs form', async (t) => {
  const code = tempDir({ 'src/app.mjs': 'export const main = async () => ({ statusCode: 200, body: "sam form" });', 'legacy.mjs': 'export const handler = async () => ({ statusCode: 200, body: "legacy" });' });
  t.after(() => rmSync(code, { recursive: true, force: true }));
  const gw = await startGateway(
    { apis: [{ name: 'h', protocol: 'http', stage: '$default', routes: { 'GET /sam': { integration: { type: 'lambda', runtime: 'nodejs20.x', codeUri: './src', handler: 'app.main', timeout: 3 } }, 'GET /legacy': { integration: { type: 'lambda', handler: './legacy.mjs' } } } }] },
    { baseDir: code, t },
  );
  const sam = await fetch(`${gw.url}/sam`);
  assert.deepEqual([sam.status, await sam.text()], [200, 'sam form']);
  const legacy = await fetch(`${gw.url}/legacy`);
  assert.deepEqual([legacy.status, await legacy.text()], [200, 'legacy']);
});

test('docs/runtimes.md: its example config parses as written', async () => {
  const { readFileSync } = await import('node:fs');
  const { parseConfigText } = await import('../../src/io/config-file.ts');
  const doc = readFileSync(new URL('../../docs/runtimes.md', import.meta.url), 'utf8');
  const yaml = /```yaml\n# portcullis\.yaml\n([\s\S]+?)\n```/.exec(doc)?.[1];
  assert.ok(yaml, 'the page has a portcullis.yaml example');
  const config = parseConfigText(yaml, {});
  const routes = config.apis[0]!.routes;
  assert.deepEqual(Object.keys(routes), ['GET /orders', 'GET /report', 'GET /legacy']);
  assert.equal(routes['GET /orders']!.integration.type === 'lambda' && routes['GET /orders']!.integration.runtime, 'python3.11');
});

test('Node with isolation: process runs the module in its own process over the Runtime API (.mjs and .ts, errors, missing export)', async (t) => {
  const code = tempDir({
    'pid.mjs': 'export const handler = async (event, context) => ({ statusCode: 200, body: JSON.stringify({ pid: process.pid, fn: context.functionName, left: context.getRemainingTimeInMillis() > 0, env: process.env.AWS_EXECUTION_ENV, path: event.rawPath }) });',
    'typed.ts': 'interface E { rawPath: string }\nexport const handler = async (event: E): Promise<string> => `typed ${event.rawPath}`;',
    'throws.mjs': 'export const handler = async () => { const e = new Error("boom"); e.name = "BoomError"; throw e; };',
    'noexport.mjs': 'export const other = 1;',
  });
  t.after(() => rmSync(code, { recursive: true, force: true }));
  const fn = (handler: string) => ({ type: 'lambda', runtime: 'nodejs20.x', isolation: 'process', handler, timeout: 10 });
  const gw = await startGateway(
    { apis: [{ name: 'h', protocol: 'http', stage: '$default', routes: { 'GET /pid': { integration: fn('./pid.mjs') }, 'GET /typed': { integration: fn('./typed.ts') }, 'GET /throws': { integration: fn('./throws.mjs') }, 'GET /noexport': { integration: fn('./noexport.mjs') } } }] },
    { baseDir: code, t },
  );
  const res = await fetch(`${gw.url}/pid`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { pid: number; fn: string; left: boolean; env: string; path: string };
  assert.notEqual(body.pid, process.pid, 'not the gateway process');
  assert.deepEqual({ ...body, pid: 0 }, { pid: 0, fn: 'pid', left: true, env: 'AWS_Lambda_nodejs20.x', path: '/pid' });
  const again = (await (await fetch(`${gw.url}/pid`)).json()) as { pid: number };
  assert.equal(again.pid, body.pid, 'warm');
  const typed = await fetch(`${gw.url}/typed`);
  assert.deepEqual([typed.status, await typed.text()], [200, 'typed /typed']);
  const thrown = await fetch(`${gw.url}/throws`);
  assert.equal(thrown.status, 500);
  const missing = await fetch(`${gw.url}/noexport`);
  assert.equal(missing.status, 500);
  await assert.rejects(startGateway({ apis: [{ name: 'p', protocol: 'http', stage: '$default', routes: { 'GET /x': { integration: { type: 'lambda', runtime: 'python3.11', isolation: 'process', handler: 'app.handler' } } } }] }, { baseDir: code, t }), /isolation: applies to Node functions only/);
});
