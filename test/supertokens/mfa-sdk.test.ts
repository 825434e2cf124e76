// Multi-factor auth with an auth-recipe second factor, decided by the unmodified supertokens-node SDK
// (the repository's release) against the core, on SQLite and on PostgreSQL (with CI=true; skipped
// with the reason otherwise): a password is the first factor, a passwordless code (`otp-email`,
// `otp-phone`, required per user or per tenant) the second, completed through the SDK's own APIs while
// the session exists; the SDK makes the session user primary and links the passwordless login method
// to it through the core's account-linking endpoints; also a password as the second factor after a
// phone code, and the refusals when another primary user holds the account info
// (fixtures/mfa-passwordless-second-factor.ts, run in its own process: the SDK is a per-process singleton). The same with supertokens-python
// 0.31.4 (the compat cache's venv, installed on first use; fixtures/mfa_passwordless_second_factor.py):
// otp-email and otp-phone after a password, per user and per tenant.
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensurePythonSdk, findPython } from '../compat/sdk-cache.ts';
import { startTestCoreOrSkip, type StoreKind, type TestCore } from './helpers.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('./fixtures/mfa-passwordless-second-factor.ts', import.meta.url));
const pythonScript = fileURLToPath(new URL('./fixtures/mfa_passwordless_second_factor.py', import.meta.url));
const PYTHON_SDK_VERSION = '0.31.4';

function runScript(
  connectionURI: string,
  command: { file: string; args: string[] } = { file: process.execPath, args: ['--import', 'tsx', script] },
): Promise<{ result: { ok: boolean; error?: string } | undefined; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      command.file,
      command.args,
      // TLDEXTRACT_CACHE_TIMEOUT: supertokens-python's tldextract falls back to its bundled suffix list at once.
      { cwd: root, timeout: 60_000, env: { ...process.env, COMPAT_CONNECTION_URI: connectionURI, TLDEXTRACT_CACHE_TIMEOUT: '1' } },
      (_error, stdout, stderr) => {
        const line = String(stdout).split('\n').find((l) => l.startsWith('RESULT '));
        resolve({ result: line === undefined ? undefined : JSON.parse(line.slice(7)), output: `${stdout}${stderr}`.slice(-3000) });
      },
    );
    child.stdin?.end();
  });
}

for (const kind of ['sqlite', 'postgres'] as StoreKind[]) {
  describe(`MFA with a passwordless second factor through the SDKs (${kind})`, () => {
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

    it('otp-email and otp-phone (set up during the flow) after a password, required per user and per tenant: 403 until the code, then one primary user with both login methods', { timeout: 90_000 }, async (t) => {
      if (skip !== undefined) return t.skip(skip);
      const { result, output } = await runScript(core!.core.url);
      assert.ok(result !== undefined, `no RESULT line:\n${output}`);
      assert.equal(result.ok, true, result.error);
    });

    it(`the same through supertokens-python ${PYTHON_SDK_VERSION}: otp-email and otp-phone after a password, per user and per tenant`, { timeout: 420_000 }, async (t) => {
      if (skip !== undefined) return t.skip(skip);
      const python = await findPython();
      if (python === undefined) {
        if (process.env.CI === 'true') throw new Error('no Python >= 3.10 on PATH (CI=true requires it)');
        return t.skip('no Python >= 3.10 on PATH');
      }
      const interpreter = await ensurePythonSdk(python, PYTHON_SDK_VERSION);
      const { result, output } = await runScript(core!.core.url, { file: interpreter, args: [pythonScript] });
      assert.ok(result !== undefined, `no RESULT line:\n${output}`);
      assert.equal(result.ok, true, result.error);
    });
  });
}
