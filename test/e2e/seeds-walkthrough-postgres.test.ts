/**
 * The README walkthrough against the demo on PostgreSQL: the same child process with the one
 * documented variable set (PORTCULLIS_DATABASE_URL), in a schema of its own that is dropped after.
 * Skipped with a reason when PostgreSQL is unreachable, unless CI=true (then it fails).
 */
import { after, before, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { dropSchema, postgresOrSkipReason, uniqueSchema } from '../supertokens/helpers.ts';
import { startDemo, type Demo } from './helpers.ts';
import { runWalkthrough } from './walkthrough-suite.ts';

const pg = await postgresOrSkipReason();
const skip = 'skip' in pg ? pg.skip : false;
const schema = uniqueSchema();
let demo: Demo | undefined;

before(async () => {
  if (skip || !('url' in pg)) return;
  demo = await startDemo({ PORTCULLIS_DATABASE_URL: pg.url, PORTCULLIS_DATABASE_SCHEMA: schema });
});

after(async () => {
  if (demo) assert.equal(await demo.stop(), 0);
  if ('url' in pg) await dropSchema(pg.url, schema);
});

test('README walkthrough on PostgreSQL, every command and its output', { skip }, async (t) => {
  assert.ok(demo);
  assert.match(demo.output(), /portcullis core listening on http:\/\/127\.0\.0\.1:\d+ \(postgres/);
  await runWalkthrough(t, demo);
});
