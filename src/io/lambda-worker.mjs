// Runs one Lambda handler module inside a worker thread: one invocation at a time, like one
// Lambda execution environment. Plain .mjs on purpose: it registers tsx itself so handler modules
// may be .ts, whatever loader the gateway process was started with.
// tsx is a runtime dependency of the package for this alone (Portcullis itself runs compiled
// JavaScript), imported only by a worker whose handler is .ts. Not Node's own type stripping: Node 20,
// our floor, has none; before 23.6 it is behind a flag; and it takes only erasable syntax (no enum,
// namespace or parameter properties), so a handler that loads on one Node would fail on another.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const { handlerPath, exportName, functionName, memorySize, region, accountId, maxResultBytes } = workerData;

const isTypeScript = /\.(c|m)?tsx?$/.test(handlerPath);
if (isTypeScript) {
  // tsx registers both its ESM and CJS hooks, so a .ts handler may sit in a CommonJS package too.
  const esm = await import('tsx/esm/api');
  const cjs = await import('tsx/cjs/api');
  esm.register();
  cjs.register();
}

process.on('unhandledRejection', (reason) => {
  // Lambda's Node runtime logs and fails the current invocation; we log and keep the environment.
  console.error(`[${functionName}] unhandled rejection:`, reason instanceof Error ? reason.stack : reason);
});

let handler;
let initError = null;
try {
  const mod = await import(pathToFileURL(handlerPath).href);
  handler = mod[exportName] ?? mod.default?.[exportName];
  if (typeof handler !== 'function') {
    initError = { errorType: 'Runtime.HandlerNotFound', errorMessage: `${handlerPath} does not export a function named "${exportName}"` };
  }
} catch (err) {
  initError = { errorType: 'Runtime.ImportModuleError', errorMessage: `cannot load ${handlerPath}: ${err?.message ?? err}` };
}

parentPort.on('message', async (msg) => {
  if (msg.type !== 'invoke') return;
  const { id, event, requestId, deadline } = msg;
  if (initError) {
    parentPort.postMessage({ type: 'result', id, ok: false, kind: 'init', ...initError });
    return;
  }
  let settled = false;
  const finish = (err, result) => {
    if (settled) return;
    settled = true;
    if (err !== null && err !== undefined) {
      const errorMessage = err instanceof Error ? err.message : typeof err === 'string' ? err : JSON.stringify(err);
      const errorType = err instanceof Error ? err.name : 'Error';
      parentPort.postMessage({ type: 'result', id, ok: false, kind: 'error', errorType, errorMessage });
      return;
    }
    let json;
    try {
      json = result === undefined ? 'null' : JSON.stringify(result);
    } catch (e) {
      parentPort.postMessage({ type: 'result', id, ok: false, kind: 'error', errorType: 'Runtime.SerializationError', errorMessage: String(e?.message ?? e) });
      return;
    }
    if (json === undefined) json = 'null';
    if (Buffer.byteLength(json) > maxResultBytes) {
      parentPort.postMessage({ type: 'result', id, ok: false, kind: 'error', errorType: 'Function.ResponseSizeTooLarge', errorMessage: `response payload size exceeded maximum allowed payload size (${maxResultBytes} bytes)` });
      return;
    }
    parentPort.postMessage({ type: 'result', id, ok: true, json });
  };
  const context = {
    awsRequestId: requestId,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: String(memorySize),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `portcullis/[$LATEST]${requestId.replace(/-/g, '')}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: (err, res) => finish(err ?? null, res),
    succeed: (res) => finish(null, res),
    fail: (err) => finish(err ?? new Error('failed'), undefined),
  };
  try {
    const callback = (err, res) => finish(err ?? null, res);
    const out = handler.length >= 3 ? handler(event, context, callback) : handler(event, context);
    if (out && typeof out.then === 'function') {
      const res = await out;
      finish(null, res);
    } else if (handler.length < 3) {
      finish(null, out);
    }
  } catch (err) {
    finish(err, undefined);
  }
});

parentPort.postMessage({ type: 'ready' });
