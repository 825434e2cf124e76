/**
 * Bad templates get path-exact problems, all at once, and exit 2 — from `validate` and `start` alike,
 * before anything listens. The rows are in broken-templates.ts.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/gateway.ts';
import { BROKEN } from './broken-templates.ts';
import { runCli } from './helpers.ts';

/** The problem lines of a `portcullis: invalid configuration (N problems):` report. */
const problemLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('  ')).map((l) => l.trim());

function flags(options: (typeof BROKEN)[number][3]): string[] {
  const out: string[] = [];
  if (options.format !== undefined) out.push('--format', options.format);
  for (const [k, v] of Object.entries(options.parameterOverrides ?? {})) out.push('--parameter-overrides', `${k}=${v}`);
  if (options.allowUnenforced) out.push('--allow-unenforced');
  return out;
}

test(`at least 15 broken templates are covered (${BROKEN.length})`, () => {
  assert.ok(BROKEN.length >= 15);
});

for (const [name, file, text, options, expected] of BROKEN) {
  test(`broken template: ${name}`, async () => {
    const dir = tempDir({ [file]: text });
    const path = join(dir, file);
    const validate = await runCli(['validate', path, ...flags(options)]);
    assert.equal(validate.code, 2, validate.stderr);
    assert.equal(validate.stdout, '');
    assert.deepEqual(problemLines(validate.stderr), expected);
    assert.match(validate.stderr, new RegExp(`^portcullis: invalid configuration \\(${expected.length} problems?\\):\\n`));
  });
}

test('start reports a broken template exactly as validate does, and listens on nothing', async () => {
  const [, file, text, options] = BROKEN.find(([name]) => name === 'IAM authorization on a route')!;
  const dir = tempDir({ [file]: text });
  writeFileSync(join(dir, 'src-app.txt'), '');
  const path = join(dir, file);
  const validate = await runCli(['validate', path, ...flags(options)]);
  const start = await runCli(['start', '--config', path, '--port', '0', ...flags(options)]);
  assert.equal(start.code, 2);
  assert.equal(start.stderr, validate.stderr);
  assert.equal(start.stdout, '');
});

test('--allow-unenforced turns the protections portcullis does not reproduce into warnings, and the API starts', async () => {
  const [, file, text] = BROKEN.find(([name]) => name === 'IAM authorization on a route')!;
  const dir = tempDir({ [file]: text, 'src/app.mjs': 'export const handler = async () => ({ statusCode: 200, body: "ok" });\n' });
  const validate = await runCli(['validate', join(dir, file), '--allow-unenforced']);
  assert.equal(validate.code, 0, validate.stderr);
  assert.equal(validate.stderr, 'portcullis: warning: Resources.Fn.Properties.Events.E.Properties.Auth.Authorizer: IAM authorization (AWS_IAM) is not enforced by portcullis; served WITHOUT it (--allow-unenforced)\n');
});

test('an unknown --format is a usage error naming the known ones', async () => {
  const dir = tempDir({ 't.yaml': 'Resources: {}\n' });
  const res = await runCli(['validate', join(dir, 't.yaml'), '--format', 'terraform']);
  assert.equal(res.code, 2);
  assert.equal(res.stderr, 'portcullis: --format must be one of portcullis, serverless, sam, cloudformation, openapi, got "terraform"\n');
});
