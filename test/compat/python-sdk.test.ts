/**
 * The compatibility matrix, Python half: supertokens-python 0.25, 0.27, 0.30 and 0.31 (the latest of
 * each), unmodified, against the core on SQLite and on PostgreSQL, each release a named subtest run
 * in its own venv's interpreter (python_sdk_flows.py), two at a time. Venvs are created once in the
 * cache folder (sdk-cache.ts). Needs Python >= 3.10 and PyPI the first time: with CI=true a missing
 * one fails the test; otherwise it is skipped with the reason.
 */
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTestCoreOrSkip, type StoreKind, type TestCore } from '../supertokens/helpers.ts';
import { NODE_FLOWS, PYTHON_SDK_MATRIX, ensurePythonSdk, findPython } from './sdk-cache.ts';

const flowsFile = fileURLToPath(new URL('./python_sdk_flows.py', import.meta.url));

interface FlowResult {
  flow: string;
  ok: boolean;
  error?: string;
}

function runFlows(interpreter: string, connectionURI: string): Promise<{ results: FlowResult[]; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const child = execFile(
      interpreter,
      [flowsFile],
      {
        timeout: 90_000,
        maxBuffer: 8 * 1024 * 1024,
        // tldextract (a dependency of the SDK) tries to download the public suffix list and falls back
        // to its bundled snapshot; its cache goes to the temp dir, not $HOME.
        env: { ...process.env, COMPAT_CONNECTION_URI: connectionURI, COMPAT_EXPECT_TOKEN_VERSION: '5', TLDEXTRACT_CACHE_TIMEOUT: '1' },
      },
      (error, stdout, stderr) => {
        const results = String(stdout)
          .split('\n')
          .filter((line) => line.startsWith('FLOW '))
          .map((line) => JSON.parse(line.slice(5)) as FlowResult);
        resolve({ results, stderr: String(stderr), code: error ? (typeof error.code === 'number' ? error.code : -1) : 0 });
      },
    );
    child.stdin?.end();
  });
}

for (const kind of ['sqlite', 'postgres'] as StoreKind[]) {
  describe(`supertokens-python 0.25-0.31 against the core (${kind})`, { concurrency: 2 }, () => {
    let core: TestCore | undefined;
    let skipReason: string | undefined;
    let python: string | undefined;

    before(async () => {
      python = await findPython();
      if (python === undefined) {
        skipReason = 'no Python >= 3.10 on PATH';
        if (process.env.CI === 'true') throw new Error(`${skipReason} (CI=true requires it)`);
        return;
      }
      const started = await startTestCoreOrSkip(kind, {});
      if ('skip' in started) {
        skipReason = started.skip;
        return;
      }
      core = started;
    });
    after(async () => {
      await core?.dispose();
    });

    for (const release of PYTHON_SDK_MATRIX) {
      it(`supertokens-python ${release.version} (CDI ${release.cdi})`, { timeout: 420_000 }, async (t) => {
        if (skipReason !== undefined) {
          t.skip(skipReason);
          return;
        }
        let interpreter: string;
        try {
          interpreter = await ensurePythonSdk(python!, release.version);
        } catch (err) {
          const reason = `cannot install supertokens-python==${release.version}: ${(err as Error).message.split('\n')[0]}`;
          if (process.env.CI === 'true') throw new Error(`${reason} (CI=true requires it)`);
          t.skip(reason);
          return;
        }
        const { results, stderr, code } = await runFlows(interpreter, core!.core.url);
        const failed = results.filter((r) => !r.ok);
        assert.deepEqual(failed.map((r) => `${r.flow}: ${r.error}`), [], `supertokens-python ${release.version}: ${failed.length} flow(s) failed`);
        assert.deepEqual(
          results.map((r) => r.flow),
          NODE_FLOWS,
          `supertokens-python ${release.version} did not run every flow (exit ${code}): ${stderr.slice(-2000)}`,
        );
      });
    }
  });
}
