// A Node runtime interface client for `isolation: process`: loads one handler module and serves it
// over the Lambda Runtime API, one invocation at a time, as AWS's aws-lambda-ric does (which needs a
// native build; this needs nothing). Plain .mjs: run by `node` directly as the environment's process.
//   env: AWS_LAMBDA_RUNTIME_API, PORTCULLIS_HANDLER_PATH (absolute module path), PORTCULLIS_EXPORT_NAME
// Errors follow the Node runtime's shapes: init failures go to /runtime/init/error
// (Runtime.ImportModuleError, Runtime.HandlerNotFound), a thrown error to /invocation/{id}/error with
// its name as errorType. Not AWS's code: a small client written for Portcullis (docs/runtimes.md).
import http from 'node:http';
import { pathToFileURL } from 'node:url';

const [host, port] = (process.env.AWS_LAMBDA_RUNTIME_API ?? '').split(':');
const handlerPath = process.env.PORTCULLIS_HANDLER_PATH;
const exportName = process.env.PORTCULLIS_EXPORT_NAME || 'handler';
const agent = new http.Agent({ keepAlive: true });

function call(method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(body);
    const req = http.request(
      { host, port, method, agent, path: `/2018-06-01${path}`, headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length, ...headers } : headers },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const errorBody = (err) => JSON.stringify({
  errorType: err instanceof Error ? err.name : 'Error',
  errorMessage: err instanceof Error ? err.message : typeof err === 'string' ? err : JSON.stringify(err),
  trace: err instanceof Error && err.stack ? err.stack.split('\n') : [],
});

let handler;
try {
  if (/\.(c|m)?tsx?$/.test(handlerPath)) {
    const esm = await import('tsx/esm/api');
    const cjs = await import('tsx/cjs/api');
    esm.register();
    cjs.register();
  }
  const mod = await import(pathToFileURL(handlerPath).href);
  handler = mod[exportName] ?? mod.default?.[exportName];
  if (typeof handler !== 'function') {
    await call('POST', '/runtime/init/error', JSON.stringify({ errorType: 'Runtime.HandlerNotFound', errorMessage: `${handlerPath} does not export a function named "${exportName}"` }), { 'lambda-runtime-function-error-type': 'Runtime.HandlerNotFound' });
    process.exit(1);
  }
} catch (err) {
  await call('POST', '/runtime/init/error', JSON.stringify({ errorType: 'Runtime.ImportModuleError', errorMessage: `cannot load ${handlerPath}: ${err?.message ?? err}` }), { 'lambda-runtime-function-error-type': 'Runtime.ImportModuleError' });
  process.exit(1);
}

for (;;) {
  const next = await call('GET', '/runtime/invocation/next');
  const requestId = next.headers['lambda-runtime-aws-request-id'];
  const deadline = Number(next.headers['lambda-runtime-deadline-ms']);
  const context = {
    awsRequestId: requestId,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: next.headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  process.env._X_AMZN_TRACE_ID = next.headers['lambda-runtime-trace-id'] ?? '';
  let result;
  try {
    const event = JSON.parse(next.body);
    result = await new Promise((resolve, reject) => {
      const callback = (err, value) => (err ? reject(err) : resolve(value));
      const out = handler.length >= 3 ? handler(event, context, callback) : handler(event, context);
      if (out && typeof out.then === 'function') out.then(resolve, reject);
      else if (handler.length < 3) resolve(out);
    });
  } catch (err) {
    await call('POST', `/runtime/invocation/${requestId}/error`, errorBody(err), { 'lambda-runtime-function-error-type': err instanceof Error ? err.name : 'Error' });
    continue;
  }
  await call('POST', `/runtime/invocation/${requestId}/response`, JSON.stringify(result === undefined ? null : result));
}
