/**
 * node:test with a time limit on every test and hook. Test files import `test`, `it`, `describe`,
 * `before`, `after`, `beforeEach` and `afterEach` from here, never from `node:test` directly
 * (test/meta/test-hygiene.test.ts checks it).
 *
 * Why: Node 20 applies `--test-timeout` to a whole file, not to each test, so a test stuck on an
 * await would otherwise hang its file until the runner's file limit, and the failure would name the
 * file, not the test. Here a test or hook without its own `timeout` gets TEST_TIMEOUT_MS (default
 * 90 s) and fails with its name ("test timed out after 90000ms"). A test that needs longer says so:
 * `test('…', { timeout: 180_000 }, async (t) => …)`.
 *
 * `describe` gets no default: a suite's timeout would bound all of its tests together; its `it`s
 * and hooks are bounded one by one instead.
 */
import { appendFileSync } from 'node:fs';
import * as nodeTest from 'node:test';

export const DEFAULT_TEST_TIMEOUT_MS = (() => {
  const n = Number(process.env.TEST_TIMEOUT_MS);
  return Number.isInteger(n) && n > 0 ? n : 90_000;
})();

/**
 * scripts/run-tests.mjs names the tests a killed file was running from this file: a line is written,
 * synchronously, as each test starts and ends, so even a test that spins the event loop (which a
 * reporter, running on that loop, could never report) is named.
 */
const PROGRESS_FILE = process.env.PORTCULLIS_TEST_PROGRESS;

function recordProgress(event: 'start' | 'end', name: string): void {
  if (PROGRESS_FILE) appendFileSync(PROGRESS_FILE, JSON.stringify({ event, name }) + '\n');
}

type Body = (...args: unknown[]) => unknown;

/** The test body, recording its start and end; keeps the arity node:test reads (`(t, done)` style). */
function recorded(name: string, fn: Body): Body {
  const run = (args: unknown[]) => {
    recordProgress('start', name);
    let result: unknown;
    try {
      result = fn(...args);
    } catch (err) {
      recordProgress('end', name);
      throw err;
    }
    if (result && typeof (result as Promise<unknown>).finally === 'function') return (result as Promise<unknown>).finally(() => recordProgress('end', name));
    recordProgress('end', name);
    return result;
  };
  if (fn.length >= 2) {
    return function (this: unknown, t: unknown, done: unknown) {
      return run([t, (err?: unknown) => (recordProgress('end', name), (done as (err?: unknown) => void)(err))]);
    };
  }
  return function (this: unknown, ...args: unknown[]) {
    return run(args);
  };
}

/** Adds `{ timeout: DEFAULT_TEST_TIMEOUT_MS }` to a node:test call's arguments unless it has one. */
function withTimeout(args: unknown[]): unknown[] {
  if (PROGRESS_FILE) {
    const at = args.findIndex((a) => typeof a === 'function');
    if (at >= 0) {
      args = args.slice();
      args[at] = recorded(typeof args[0] === 'string' ? args[0] : '(anonymous test)', args[at] as Body);
    }
  }
  const i = args.findIndex((a) => typeof a === 'object' && a !== null);
  if (i >= 0) {
    const options = args[i] as { timeout?: number };
    if (options.timeout !== undefined) return args;
    const copy = args.slice();
    copy[i] = { ...options, timeout: DEFAULT_TEST_TIMEOUT_MS };
    return copy;
  }
  // (name, fn) / (fn): the options go after the name, or first.
  const at = typeof args[0] === 'string' ? 1 : 0;
  return [...args.slice(0, at), { timeout: DEFAULT_TEST_TIMEOUT_MS }, ...args.slice(at)];
}

type TestFn = typeof nodeTest.test;

function bounded<F extends (...args: never[]) => unknown>(fn: F): F {
  return ((...args: unknown[]) => (fn as unknown as Body)(...withTimeout(args))) as unknown as F;
}

function boundedTest(fn: TestFn): TestFn {
  const wrapped = bounded(fn) as TestFn;
  wrapped.skip = bounded(fn.skip);
  wrapped.todo = bounded(fn.todo);
  wrapped.only = bounded(fn.only);
  return wrapped;
}

export const test: TestFn = boundedTest(nodeTest.test);
export const it: TestFn = boundedTest(nodeTest.it as TestFn);
export const describe = nodeTest.describe;
/** Hooks take `(fn, options?)`. */
function boundedHook<H extends (fn: never, options?: { timeout?: number }) => unknown>(hook: H): H {
  return ((fn: never, options?: { timeout?: number }) => hook(fn, { ...options, timeout: options?.timeout ?? DEFAULT_TEST_TIMEOUT_MS })) as H;
}

export const before = boundedHook(nodeTest.before);
export const after = boundedHook(nodeTest.after);
export const beforeEach = boundedHook(nodeTest.beforeEach);
export const afterEach = boundedHook(nodeTest.afterEach);
export type { TestContext } from 'node:test';
