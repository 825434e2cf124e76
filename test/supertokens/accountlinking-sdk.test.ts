// Automatic account linking decided by the unmodified supertokens-node SDK (the repository's release)
// against the core, on SQLite and on PostgreSQL (with CI=true; skipped with the reason otherwise):
// the SDK creates the primary user, links a second verified login with the same email, refuses to
// let an unverified one in, and lists the person once (fixtures/automatic-account-linking.ts, run in
// its own process because the SDK is a per-process singleton). Also a password reset for a person
// without a password: the token is for the primary user and the email of its third-party logins, and
// the reset adds an email/password login method linked to it.
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTestCoreOrSkip, type StoreKind, type TestCore } from './helpers.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('./fixtures/automatic-account-linking.ts', import.meta.url));

function runScript(connectionURI: string): Promise<{ result: { ok: boolean; error?: string } | undefined; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', script],
      { cwd: root, timeout: 60_000, env: { ...process.env, COMPAT_CONNECTION_URI: connectionURI } },
      (_error, stdout, stderr) => {
        const line = String(stdout).split('\n').find((l) => l.startsWith('RESULT '));
        resolve({ result: line === undefined ? undefined : JSON.parse(line.slice(7)), output: `${stdout}${stderr}`.slice(-3000) });
      },
    );
    child.stdin?.end();
  });
}

for (const kind of ['sqlite', 'postgres'] as StoreKind[]) {
  describe(`automatic account linking through supertokens-node (${kind})`, () => {
    let core: TestCore | undefined;
    let skip: string | undefined;

    before(async () => {
      const started = await startTestCoreOrSkip(kind, {});
      if ('skip' in started) skip = started.skip;
      else core = started;
    });
    after(async () => {
      await core?.dispose();
    });

    it('the SDK makes a primary user, links a verified login, keeps an unverified one apart, lists the person once, resets a password it did not have', { timeout: 90_000 }, async (t) => {
      if (skip !== undefined) return t.skip(skip);
      const { result, output } = await runScript(core!.core.url);
      assert.ok(result !== undefined, `no RESULT line:\n${output}`);
      assert.equal(result.ok, true, result.error);
    });
  });
}
