// Acceptance: the SDK with anti-CSRF VIA_TOKEN, an API key and an `/appid-x` connection URI
// (one SDK configuration per process, hence a separate file).
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import Session from 'supertokens-node/recipe/session';
import { cdiClient, startTestCore, type TestCore } from './helpers.ts';
import { SeedClient, initSdk, type LambdaResult } from './sdk-harness.ts';

const API_KEY = 'portcullis-test-key-0123456789';

describe('supertokens-node with VIA_TOKEN, an API key and the /appid-x prefix (sqlite)', () => {
  let core: TestCore;
  let handler: (event: any) => Promise<LambdaResult>;

  before(async () => {
    core = await startTestCore('sqlite', { apiKeys: [API_KEY], appIds: ['public', 'x'] });
    ({ handler } = initSdk({ connectionURI: `${core.core.url}/appid-x`, apiKey: API_KEY, antiCsrf: 'VIA_TOKEN' }));
  });
  after(async () => {
    await core.dispose();
  });

  it('VIA_TOKEN: the anti-csrf token is issued, required on getSession and on refresh, and rotated', async () => {
    const client = new SeedClient(handler, 'cookie');
    const up = await client.signUp(`via-token-${process.pid}@example.com`, 'correct-horse-1');
    assert.equal(up.json.status, 'OK');
    assert.ok(client.antiCsrf, 'the anti-csrf response header was sent');
    assert.equal(client.payload().antiCsrfToken, client.antiCsrf, 'the token embeds the same value');

    const missing = await client.send('POST', '/app/me', {}, { omitAntiCsrf: true, omitRid: true });
    assert.equal(missing.status, 401);
    assert.deepEqual(missing.json, { message: 'try refresh token' });
    const wrong = await client.send('POST', '/app/me', {}, { headers: { 'anti-csrf': 'not-it' } });
    assert.equal(wrong.status, 401);
    const good = await client.send('POST', '/app/me', {});
    assert.equal(good.status, 200);
    assert.equal(good.json.userId, up.json.user.id);

    const first = client.antiCsrf;
    const refreshWithout = await client.refresh({ omitAntiCsrf: true });
    assert.equal(refreshWithout.status, 401, 'the core refuses a refresh without the anti-csrf header');
    // That 401 cleared the browser's tokens; restore them as a second tab would still have them.
    const again = new SeedClient(handler, 'cookie');
    await again.signIn(`via-token-${process.pid}@example.com`, 'correct-horse-1');
    const before = again.antiCsrf;
    const refreshed = await again.refresh();
    assert.equal(refreshed.status, 200);
    assert.ok(again.antiCsrf && again.antiCsrf !== before, 'refresh rotates the anti-csrf token');
    assert.equal(again.payload().antiCsrfToken, again.antiCsrf);
    // The child token is verified by the core (it has a parent hash), anti-CSRF included.
    assert.equal((await again.send('POST', '/app/me', {})).status, 200);
    assert.notEqual(first, again.antiCsrf);
  });

  it('sessions live in app x: visible under /appid-x, not in the public app', async () => {
    const client = new SeedClient(handler, 'header');
    await client.signUp(`appx-${process.pid}@example.com`, 'correct-horse-1');
    const handle = client.payload().sessionHandle;
    assert.ok(await Session.getSessionInformation(handle));
    const raw = cdiClient(core.core.url, { 'cdi-version': '5.4', 'api-key': API_KEY });
    const inX = await raw.get(`/appid-x/recipe/session?sessionHandle=${handle}`);
    assert.equal(inX.json.status, 'OK');
    const inPublic = await raw.get(`/recipe/session?sessionHandle=${handle}`);
    assert.deepEqual(inPublic.json, { status: 'UNAUTHORISED', message: 'Session does not exist.' });
    const appXKeys = (await raw.get('/appid-x/.well-known/jwks.json')).json.keys.map((k: any) => k.kid);
    const publicKeys = (await raw.get('/.well-known/jwks.json')).json.keys.map((k: any) => k.kid);
    assert.ok(appXKeys.every((kid: string) => !publicKeys.includes(kid)), 'each app has its own signing keys');
    const unknownApp = await raw.get('/appid-nope/recipe/roles');
    assert.equal(unknownApp.status, 400);
    assert.match(unknownApp.text, /^AppId or tenantId not found => /);
  });

  it('API keys: required on CDI calls, accepted as api-key or Bearer, not needed for /hello and the JWKS', async () => {
    const url = core.core.url;
    const noKey = await cdiClient(url).get('/appid-x/recipe/roles');
    assert.equal(noKey.status, 401);
    assert.equal(noKey.text, 'Invalid API key');
    const wrongKey = await cdiClient(url, { 'cdi-version': '5.4', 'api-key': `${API_KEY}x` }).get('/appid-x/recipe/roles');
    assert.equal(wrongKey.status, 401);
    const header = await cdiClient(url, { 'cdi-version': '5.4', 'api-key': API_KEY }).get('/appid-x/recipe/roles');
    assert.equal(header.json.status, 'OK');
    const bearer = await cdiClient(url, { 'cdi-version': '5.4', authorization: `Bearer ${API_KEY}` }).get('/appid-x/recipe/roles');
    assert.equal(bearer.json.status, 'OK');
    const apiVersionWithoutKey = await cdiClient(url, {}).get('/apiversion');
    assert.equal(apiVersionWithoutKey.status, 401);
    assert.equal((await cdiClient(url, {}).get('/hello')).text, 'Hello');
    const jwks = await cdiClient(url, {}).get('/appid-x/.well-known/jwks.json');
    assert.equal(jwks.status, 200);
    assert.ok(jwks.json.keys.length >= 2);
  });
});
