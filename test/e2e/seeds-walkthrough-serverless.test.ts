/**
 * The README walkthrough against the demo started from examples/seeds/serverless.yml (the Serverless
 * Framework form of the seeds): the same child process with SEEDS_CONFIG=serverless.yml, the same
 * commands, the same expected outputs as with portcullis.yaml.
 */
import { after, before, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { startDemo, type Demo } from './helpers.ts';
import { runWalkthrough } from './walkthrough-suite.ts';

let demo: Demo | undefined;

before(async () => {
  demo = await startDemo({ SEEDS_CONFIG: 'serverless.yml' });
});

after(async () => {
  if (demo) assert.equal(await demo.stop(), 0, 'SIGTERM stops the demo cleanly (exit 0)');
});

test('the demo runs from serverless.yml: both APIs at AWS\'s URLs', () => {
  assert.ok(demo);
  const out = demo.output();
  assert.match(out, /starting .*seeds-serverless\.\d+\.yml/);
  assert.match(out, /portcullis-seeds-httpApi \(http\) at http:\/\/127\.0\.0\.1:\d+\/\n/);
  assert.match(out, /portcullis-seeds-restApi \(rest\) at http:\/\/127\.0\.0\.1:\d+\/prod\//);
});

test('README walkthrough from serverless.yml, every command and its output', async (t) => {
  assert.ok(demo);
  await runWalkthrough(t, demo);
});
