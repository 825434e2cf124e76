/**
 * The README walkthrough against a running demo, shared by the SQLite and PostgreSQL variants:
 * every ```bash block of examples/seeds/WALKTHROUGH.md runs verbatim (ports adjusted) and its
 * output must fit the ```text block written under it; then the ids seen across steps must agree.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { matchesExpected, readWalkthrough, runSteps, forPort, type Demo } from './helpers.ts';

/** Lower-cases `Name: value` header names on every line (HTTP header names are case-insensitive). */
function lowerHeaderNames(text: string): string {
  return text.replace(/^([A-Za-z0-9-]+): /gm, (_, name: string) => `${name.toLowerCase()}: `);
}

/**
 * `headerNamesCaseInsensitive`: compare header names without case, for a demo behind a proxy that
 * normalises them (HAProxy sends HTTP/1 header names in lower case).
 */
export async function runWalkthrough(t: TestContext, demo: Demo, options: { headerNamesCaseInsensitive?: boolean } = {}): Promise<void> {
  const norm = options.headerNamesCaseInsensitive === true ? lowerHeaderNames : (text: string) => text;
  const steps = readWalkthrough();
  assert.ok(steps.length >= 10, `WALKTHROUGH.md has ${steps.length} runnable blocks`);
  const outputs = await runSteps(steps, demo.port, demo.workDir);
  for (const [k, step] of steps.entries()) {
    const actual = outputs[k]!;
    const title = step.script.split('\n').find((l) => l.startsWith('curl') || l.startsWith('grep')) ?? step.script.split('\n')[0]!;
    await t.test(`step ${step.index} (WALKTHROUGH.md:${step.line}): ${title.slice(0, 90)}`, () => {
      const expected = norm(forPort(step.expected, demo.port));
      assert.ok(
        matchesExpected(norm(actual), expected),
        `output does not match the walkthrough\n--- expected (… = anything)\n${expected}\n--- actual\n${actual.replaceAll('\r', '')}`,
      );
    });
  }
  await t.test('one user throughout: sign-up id = wishlist userId = x-user-id the backend saw', () => {
    const all = outputs.join('\n');
    const signedUp = /"user":\{"id":"([^"]+)"/.exec(all)?.[1];
    const wishlist = [...all.matchAll(/"userId":"([^"]+)"/g)].map((m) => m[1]);
    const backend = [...all.matchAll(/"x-user-id":"([^"]+)"/g)].map((m) => m[1]);
    assert.ok(signedUp, 'sign-up returned a user id');
    assert.ok(wishlist.length >= 1 && backend.length >= 1, 'both scenarios answered 200 at least once');
    for (const id of [...wishlist, ...backend]) assert.equal(id, signedUp);
  });
}
