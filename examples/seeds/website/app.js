// The demo website's script: plain browser JavaScript on top of supertokens-web-js's bundles
// (globals supertokens, supertokensSession, supertokensEmailPassword, supertokensEmailVerification).
/* global supertokens, supertokensSession, supertokensEmailPassword, supertokensEmailVerification */
'use strict';

const { apiDomain } = window.SEEDS;
const $ = (id) => document.getElementById(id);

supertokens.init({
  appInfo: { appName: 'Portcullis seeds', apiDomain, apiBasePath: '/auth', apiGatewayPath: '/dev' },
  recipeList: [
    supertokensSession.init({
      // The SDK reports a 403 with SuperTokens' claimValidationErrors body (from verifySession, or
      // from the gateway's own `claims:` check) as an invalid claim; for st-ev the page does what the
      // pre-built UI does: it sends the user to e-mail verification.
      onHandleEvent(event) {
        if (event.action !== 'API_INVALID_CLAIM') return;
        log(`invalid claim: ${event.claimValidationErrors.map((e) => e.id).join(', ')}`);
        if (event.claimValidationErrors.some((e) => e.id === 'st-ev')) void toEmailVerification();
      },
    }),
    supertokensEmailPassword.init(),
    supertokensEmailVerification.init(),
  ],
});

async function toEmailVerification() {
  $('verify-email-screen').hidden = false;
  const sent = await supertokensEmailVerification.sendVerificationEmail();
  log(`verification e-mail: ${sent.status}`);
}

function log(line) {
  $('log').textContent += `${new Date().toISOString().slice(11, 19)} ${line}\n`;
}

function show(id, status, text) {
  const el = $(id);
  el.textContent = `${status} ${text}`;
  el.className = status >= 200 && status < 300 ? 'ok' : 'denied';
  el.dataset.status = String(status);
}

async function refreshStatus() {
  if (!(await supertokensSession.doesSessionExist())) {
    $('session-status').textContent = 'signed out';
    return;
  }
  const userId = await supertokensSession.getUserId();
  const payload = await supertokensSession.getAccessTokenPayloadSecurely();
  const verified = payload['st-ev'] && payload['st-ev'].v === true;
  $('session-status').textContent = `signed in as ${userId} (e-mail ${verified ? 'verified' : 'not verified'})`;
}

function formFields() {
  return [
    { id: 'email', value: $('email').value },
    { id: 'password', value: $('password').value },
  ];
}

async function signUp() {
  const res = await supertokensEmailPassword.signUp({ formFields: formFields() });
  log(`sign up: ${res.status}${res.formFields ? ' ' + JSON.stringify(res.formFields) : ''}`);
  if (res.status === 'OK') {
    // As the pre-built UI does after a sign-up with EmailVerification REQUIRED.
    const sent = await supertokensEmailVerification.sendVerificationEmail();
    log(`verification e-mail: ${sent.status}`);
  }
  await refreshStatus();
}

async function signIn() {
  const res = await supertokensEmailPassword.signIn({ formFields: formFields() });
  log(`sign in: ${res.status}`);
  await refreshStatus();
}

async function sendVerification() {
  const res = await supertokensEmailVerification.sendVerificationEmail();
  log(`verification e-mail: ${res.status}`);
}

// Scenario 1. In cookie mode the SDK does not put the access token in Authorization by itself
// (it only does in header mode), so the page reads the exposed token and attaches it. getAccessToken()
// refreshes the session first when the token has expired.
async function callWishlist() {
  $('result-wishlist').textContent = '…';
  const token = await supertokensSession.getAccessToken();
  const headers = token === undefined ? {} : { Authorization: `Bearer ${token}` };
  const res = await fetch(`${apiDomain}/dev/wishlist`, { headers });
  show('result-wishlist', res.status, await res.text());
  log(`GET /dev/wishlist: ${res.status}`);
}

// Scenario 2. Cookies only; the SDK's fetch interceptor sends them (credentials: include) and,
// on a 401 from an expired access token, refreshes the session and retries.
async function callProfile() {
  $('result-profile').textContent = '…';
  const res = await fetch(`${apiDomain}/prod/profile`, { credentials: 'include' });
  show('result-profile', res.status, await res.text());
  log(`GET /prod/profile: ${res.status}`);
}

// Beyond AWS: the gateway checks st-ev itself (`claims:` on the route); the SDK's fetch interceptor
// sees its 403 and raises API_INVALID_CLAIM (above).
async function callVerified() {
  $('result-verified').textContent = '…';
  const token = await supertokensSession.getAccessToken();
  const headers = token === undefined ? {} : { Authorization: `Bearer ${token}` };
  const res = await fetch(`${apiDomain}/dev/verified`, { headers });
  if (res.ok) $('verify-email-screen').hidden = true;
  show('result-verified', res.status, await res.text());
  log(`GET /dev/verified: ${res.status}`);
}

async function signOut() {
  await supertokensSession.signOut();
  log('signed out');
  await refreshStatus();
}

// The link in the verification e-mail: {websiteDomain}/auth/verify-email?token=…&tenantId=public
async function verifyFromLink() {
  const res = await supertokensEmailVerification.verifyEmail();
  const el = $('verify-result');
  el.hidden = false;
  el.textContent = res.status === 'OK' ? 'e-mail verified' : `e-mail verification failed: ${res.status}`;
  log(`verify e-mail: ${res.status}`);
  history.replaceState(null, '', '/');
}

function on(id, fn) {
  $(id).addEventListener('click', (e) => {
    e.preventDefault();
    fn().catch((err) => log(`error: ${err && err.message ? err.message : err}`));
  });
}

on('signup', signUp);
on('signin', signIn);
on('send-verification', sendVerification);
on('call-wishlist', callWishlist);
on('call-profile', callProfile);
on('call-verified', callVerified);
on('signout', signOut);

(async () => {
  if (location.pathname === '/auth/verify-email') await verifyFromLink();
  await refreshStatus();
  document.body.dataset.ready = 'true';
})().catch((err) => log(`error: ${err && err.message ? err.message : err}`));
