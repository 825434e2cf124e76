/**
 * The same walkthrough against examples/seeds/template.yaml: the two seed APIs as a SAM template
 * (`SEEDS_CONFIG=template npm start`), run as it is. Its outputs must be the ones the README shows,
 * the same as with portcullis.yaml (seeds-walkthrough.test.ts).
 */
import { after, before, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { startDemo, type Demo } from './helpers.ts';
import { runWalkthrough } from './walkthrough-suite.ts';

let demo: Demo;

before(async () => {
  demo = await startDemo({ SEEDS_CONFIG: 'template' });
});

after(async () => {
  const code = await demo?.stop();
  assert.equal(code, 0, 'SIGTERM stops the demo cleanly (exit 0)');
});

test('the template runs as it is: a SAM file, no portcullis.yaml, no warning', () => {
  assert.match(demo.output(), /SeedsHttpApi \(http\) at http:\/\/127\.0\.0\.1:\d+\/dev\//);
  assert.match(demo.output(), /SeedsRestApi \(rest\) at http:\/\/127\.0\.0\.1:\d+\/prod\//);
  assert.doesNotMatch(demo.output(), /portcullis: warning:/);
});

test('README walkthrough against template.yaml, every command and its output', async (t) => {
  await runWalkthrough(t, demo);
});
