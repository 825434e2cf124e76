/**
 * `npm start`'s demo, started as a user would (a child process on free ports, fresh SQLite data
 * directory), driven through examples/seeds/WALKTHROUGH.md verbatim.
 */
import { after, before, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfigText } from '../../src/io/config-file.ts';
import { isJwtAuthorizerConfig } from '../../src/authorizers/jwt.ts';
import { ROOT, startDemo, type Demo } from './helpers.ts';
import { runWalkthrough } from './walkthrough-suite.ts';

let demo: Demo;
/** Scenario 1 right after "ready": the issuer is this very gateway, just started. */
let earlyWishlist: { status: number; wwwAuthenticate: string | null };

before(async () => {
  demo = await startDemo();
  const signUp = await fetch(`${demo.apiDomain}/dev/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'st-auth-mode': 'cookie' },
    body: JSON.stringify({ formFields: [{ id: 'email', value: 'early@example.com' }, { id: 'password', value: 'correct-horse-1' }] }),
  });
  const token = signUp.headers.get('st-access-token');
  await signUp.arrayBuffer();
  const res = await fetch(`${demo.apiDomain}/dev/wishlist`, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  earlyWishlist = { status: res.status, wwwAuthenticate: res.headers.get('www-authenticate') };
});

after(async () => {
  const code = await demo?.stop();
  assert.equal(code, 0, 'SIGTERM stops the demo cleanly (exit 0)');
});

test('the SQLite data directory is created on first start', () => {
  assert.ok(existsSync(join(demo.workDir, 'data', 'core.sqlite')), demo.output());
  assert.match(demo.output(), /portcullis core listening on http:\/\/127\.0\.0\.1:\d+ \(sqlite: /);
});

test('README walkthrough, every command and its output', async (t) => {
  await runWalkthrough(t, demo);
});

test('portcullis.yaml is a valid config as written (defaults of PORT=3000)', () => {
  const config = parseConfigText(readFileSync(join(ROOT, 'examples/seeds/portcullis.yaml'), 'utf8'), {});
  assert.equal(config.core?.port, 3567);
  assert.deepEqual(config.apis.map((a) => `${a.name} ${a.protocol} ${a.stage}`), ['seeds-http http dev', 'seeds-rest rest prod']);
  const jwt = config.apis[0]!.authorizers['supertokens-jwt'];
  assert.ok(isJwtAuthorizerConfig(jwt));
  assert.equal(jwt.jwtConfiguration.issuer, 'http://localhost:3000/dev/auth');
});

test('scenario 1 answers with the issuer\'s keys right after start (signed up, then GET /dev/wishlist at once)', () => {
  // The JWT authorizer's issuer ({apiDomain}/dev/auth) is served behind this gateway: its keys must
  // be fetched once the listener is open, not refused for a retry interval (regression).
  assert.equal(earlyWishlist.status, 403, `got ${earlyWishlist.status}, www-authenticate: ${earlyWishlist.wwwAuthenticate}`);
});
