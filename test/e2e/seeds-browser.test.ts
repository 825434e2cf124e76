/**
 * The demo website in headless Chromium (Debian's /usr/bin/chromium through playwright-core),
 * with the real supertokens-web-js SDK: sign up; scenario 1 and 2 denied until the e-mail is
 * verified; verify with the link from the demo's log; both succeed; after the (shortened)
 * access-token lifetime both still succeed because the SDK refreshes; sign out; both 401.
 * Screenshots go to test-artifacts/seeds-browser/.
 *
 * Skipped with a reason when Chromium is missing, unless CI=true (then it fails).
 */
import { after, before, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, startDemo, type Demo } from './helpers.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Access-token lifetime for this run, so the test can outlive a token in a few seconds. */
const TOKEN_SECONDS = 4;
const ARTIFACTS = join(ROOT, 'test-artifacts', 'seeds-browser');

let skip: string | false = false;
if (!existsSync(CHROMIUM)) {
  const reason = `Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`;
  if (process.env.CI === 'true') throw new Error(`${reason}; CI=true requires it`);
  skip = reason;
}

let demo: Demo | undefined;
let browser: Browser | undefined;

before(async () => {
  if (skip) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  demo = await startDemo({ SEEDS_ACCESS_TOKEN_VALIDITY_SECONDS: String(TOKEN_SECONDS) });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});

after(async () => {
  await browser?.close();
  if (demo) assert.equal(await demo.stop(), 0);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Clicks a scenario button and returns the status and body it shows. */
async function call(page: Page, which: 'wishlist' | 'profile'): Promise<{ status: number; body: string }> {
  const result = page.locator(`#result-${which}`);
  await page.evaluate((id) => {
    const el = document.getElementById(id)!;
    el.textContent = '';
    delete el.dataset.status;
  }, `result-${which}`);
  await page.click(`#call-${which}`);
  await page.waitForSelector(`#result-${which}[data-status]`, { timeout: 15_000 });
  const text = (await result.textContent()) ?? '';
  const space = text.indexOf(' ');
  return { status: Number(text.slice(0, space)), body: text.slice(space + 1) };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

test('website: sign up, verify, both scenarios, transparent refresh, sign out', { skip, timeout: 120_000 }, async () => {
  assert.ok(demo && browser);
  const context = await browser.newContext();
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('pageerror', (err) => consoleErrors.push(err.message));
  let refreshes = 0;
  page.on('request', (req) => {
    if (req.method() === 'POST' && req.url() === `${demo!.apiDomain}/dev/auth/session/refresh`) refreshes++;
  });

  await page.goto(demo.websiteDomain);
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.textContent('#session-status'), 'signed out');

  // Sign up (the page then asks for the verification e-mail, as the pre-built UI does).
  const email = `carol-${Date.now()}@example.com`;
  await page.fill('#email', email);
  await page.fill('#password', 'correct-horse-1');
  await page.click('#signup');
  await page.waitForFunction(() => document.getElementById('session-status')!.textContent!.startsWith('signed in as'));
  const status = (await page.textContent('#session-status'))!;
  const userId = /signed in as (\S+) \(e-mail not verified\)/.exec(status)?.[1];
  assert.ok(userId, status);

  // Both scenarios deny an unverified e-mail with SuperTokens' claim error, as a 403 (no refresh loop).
  const claimError = { message: 'invalid claim', claimValidationErrors: [{ id: 'st-ev', reason: { message: 'wrong value', expectedValue: true, actualValue: false } }] };
  const w1 = await call(page, 'wishlist');
  assert.equal(w1.status, 403, w1.body);
  assert.deepEqual(JSON.parse(w1.body), claimError);
  const p1 = await call(page, 'profile');
  assert.equal(p1.status, 403, p1.body);
  assert.deepEqual(JSON.parse(p1.body), claimError);
  await shot(page, '01-signed-up-not-verified');

  // The verification link, from the demo's log.
  const link = await waitFor(() => {
    const lines = demo!.output().split('\n').filter((l) => l.includes(`e-mail verification link for ${email}:`));
    return lines.at(-1)?.split(': ').at(-1)?.trim();
  });
  assert.ok(link.startsWith(`${demo.websiteDomain}/auth/verify-email?token=`), link);
  await page.goto(link);
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.textContent('#verify-result'), 'e-mail verified');
  assert.match((await page.textContent('#session-status'))!, /\(e-mail verified\)$/);
  await shot(page, '02-verified');

  const w2 = await call(page, 'wishlist');
  assert.equal(w2.status, 200, w2.body);
  const claims = JSON.parse(w2.body).claims as Record<string, string>;
  assert.equal(claims.sub, userId);
  assert.equal(claims.aud, 'jwtAuthorizers');
  assert.equal(JSON.parse(claims['st-ev']!).v, true);
  const p2 = await call(page, 'profile');
  assert.equal(p2.status, 200, p2.body);
  assert.deepEqual(JSON.parse(p2.body), { path: '/profile', 'x-user-id': userId });
  await shot(page, '03-both-scenarios-ok');

  // Past the access token's lifetime: scenario 2 gets a 401 from the authorizer, the SDK's fetch
  // interceptor refreshes and retries; scenario 1's page code gets a fresh token from getAccessToken().
  const before2 = refreshes;
  await sleep(TOKEN_SECONDS * 1000 + 1500);
  const p3 = await call(page, 'profile');
  assert.equal(p3.status, 200, p3.body);
  assert.ok(refreshes > before2, 'the SDK refreshed the session for scenario 2');
  const before1 = refreshes;
  await sleep(TOKEN_SECONDS * 1000 + 1500);
  const w3 = await call(page, 'wishlist');
  assert.equal(w3.status, 200, w3.body);
  assert.ok(refreshes > before1, 'the SDK refreshed the session for scenario 1');
  assert.equal(JSON.parse(w3.body).userId, userId);
  await shot(page, '04-after-refresh');

  await page.click('#signout');
  await page.waitForFunction(() => document.getElementById('session-status')!.textContent === 'signed out');
  const w4 = await call(page, 'wishlist');
  assert.equal(w4.status, 401, w4.body);
  const p4 = await call(page, 'profile');
  assert.equal(p4.status, 401, p4.body);
  await shot(page, '05-signed-out');

  assert.deepEqual(consoleErrors, []);
  assert.doesNotMatch(await page.textContent('#log') ?? '', /error:/);
  await context.close();
});

test('beyond AWS: the gateway refuses an unverified user with st-ev, the SDK sends them to e-mail verification, and once verified they get through', { skip, timeout: 120_000 }, async () => {
  assert.ok(demo && browser);
  const context = await browser.newContext();
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('pageerror', (err) => consoleErrors.push(err.message));
  await page.goto(demo.websiteDomain);
  await page.waitForSelector('body[data-ready="true"]');
  const email = `dave-${Date.now()}@example.com`;
  await page.fill('#email', email);
  await page.fill('#password', 'correct-horse-1');
  await page.click('#signup');
  await page.waitForFunction(() => document.getElementById('session-status')!.textContent!.startsWith('signed in as'));
  const linksBefore = demo.output().split('\n').filter((l) => l.includes(`e-mail verification link for ${email}:`)).length;

  // GET /dev/verified has a mock integration: a 403 can only be the gateway's own claim check.
  assert.equal(await page.isHidden('#verify-email-screen'), true);
  await page.click('#call-verified');
  await page.waitForSelector('#result-verified[data-status]');
  const text = (await page.textContent('#result-verified'))!;
  assert.equal(text, '403 {"message":"invalid claim","claimValidationErrors":[{"id":"st-ev","reason":{"message":"wrong value","expectedValue":true,"actualValue":false}}]}');
  // The SDK's fetch interceptor raised API_INVALID_CLAIM; the page went to e-mail verification and sent a link.
  await page.waitForSelector('#verify-email-screen', { state: 'visible' });
  assert.match((await page.textContent('#log'))!, /invalid claim: st-ev/);
  const link = await waitFor(() => {
    const lines = demo!.output().split('\n').filter((l) => l.includes(`e-mail verification link for ${email}:`));
    return lines.length > linksBefore ? lines.at(-1)!.split(': ').at(-1)!.trim() : undefined;
  });
  await shot(page, '06-gateway-claim-check-sent-to-verification');

  await page.goto(link);
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.textContent('#verify-result'), 'e-mail verified');
  await page.evaluate(() => {
    const el = document.getElementById('result-verified')!;
    delete el.dataset.status;
  });
  await page.click('#call-verified');
  await page.waitForSelector('#result-verified[data-status]');
  assert.equal(await page.textContent('#result-verified'), '200 {"message":"only verified users get here"}');
  assert.equal(await page.isHidden('#verify-email-screen'), true);
  await shot(page, '07-gateway-claim-check-verified');
  assert.deepEqual(consoleErrors, []);
  await context.close();
});

async function waitFor<T>(get: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = get();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(100);
  }
}
