/**
 * The compatibility matrix: the latest supertokens-node release of each major from 14 to 24,
 * unmodified, against the core on SQLite and on PostgreSQL. Each release is a named subtest, run in
 * its own process (node-sdk-flows.ts) through handshake, sign-up/in, session verify/refresh/revoke,
 * theft detection, email verification, password reset, roles and metadata; two at a time (CI has
 * two cores). Releases are installed once into a cache folder (sdk-cache.ts).
 *
 * Needs the npm registry the first time: with CI=true a failed install fails the test; otherwise it
 * is skipped with the reason. The README's "Supported SDK versions" table is this matrix
 * (test/compat/readme-matrix.test.ts keeps the two in step).
 */
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTestCoreOrSkip, type StoreKind, type TestCore } from '../supertokens/helpers.ts';
import { NODE_FLOWS, NODE_SDK_MATRIX, ensureNodeSdk } from './sdk-cache.ts';


const root = fileURLToPath(new URL('../..', import.meta.url));
const flowsFile = fileURLToPath(new URL('./node-sdk-flows.ts', import.meta.url));

interface FlowResult {
  flow: string;
  ok: boolean;
  error?: string;
}

function runFlows(sdkDir: string, connectionURI: string, tokenVersion: number): Promise<{ results: FlowResult[]; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', flowsFile],
      {
        cwd: root,
        timeout: 60_000,
        maxBuffer: 4 * 1024 * 1024,
        env: {
          ...process.env,
          COMPAT_SDK_DIR: sdkDir,
          COMPAT_CONNECTION_URI: connectionURI,
          COMPAT_EXPECT_TOKEN_VERSION: String(tokenVersion),
        },
      },
      (error, stdout, stderr) => {
        const results = stdout
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
  describe(`supertokens-node 14-24 against the core (${kind})`, { concurrency: 2 }, () => {
    let core: TestCore | undefined;
    let skipReason: string | undefined;

    before(async () => {
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

    for (const release of NODE_SDK_MATRIX) {
      it(`supertokens-node ${release.version} (CDI ${release.cdi}, v${release.tokenVersion} tokens)`, { timeout: 240_000 }, async (t) => {
        if (skipReason !== undefined) {
          t.skip(skipReason);
          return;
        }
        let dir: string;
        try {
          dir = await ensureNodeSdk(release.version);
        } catch (err) {
          const reason = `cannot install supertokens-node@${release.version}: ${(err as Error).message.split('\n')[0]}`;
          if (process.env.CI === 'true') throw new Error(`${reason} (CI=true requires it)`);
          t.skip(reason);
          return;
        }
        const { results, stderr, code } = await runFlows(dir, core!.core.url, release.tokenVersion);
        const failed = results.filter((r) => !r.ok);
        assert.deepEqual(
          failed.map((r) => `${r.flow}: ${r.error}`),
          [],
          `supertokens-node ${release.version}: ${failed.length} flow(s) failed`,
        );
        assert.deepEqual(
          results.map((r) => r.flow),
          NODE_FLOWS,
          `supertokens-node ${release.version} did not run every flow (exit ${code}): ${stderr.slice(-2000)}`,
        );
      });
    }
  });
}
