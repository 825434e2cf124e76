/**
 * @module io/console-page — the decision console's one HTML page (no build step, no dependency). [io]
 *
 * Plain DOM and `EventSource`. Everything that comes from requests (paths, claims, reasons) is set
 * with `textContent`, never parsed as HTML: token claims are attacker-controlled. Rows are rendered
 * once per animation frame and capped (`MAX_ROWS`), so the page stays responsive at thousands of
 * decisions per second (the server also caps each streamed batch: io/decision-log.ts).
 */
export const CONSOLE_PAGE = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Portcullis — decisions</title>
<style>
  :root { --allow: #1a7f37; --deny: #cf222e; --unauth: #9a6700; --error: #8250df; --line: #d0d7de; --muted: #57606a; }
  * { box-sizing: border-box; }
  body { font: 13px/1.4 system-ui, sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
  header { display: flex; gap: 16px; align-items: center; padding: 8px 16px; background: #24292f; color: #fff; }
  header h1 { font-size: 15px; margin: 0; }
  #conn { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #57606a; }
  #conn.live { background: var(--allow); }
  #devtokens { display: none; background: var(--deny); color: #fff; font-weight: 600; padding: 6px 16px; }
  main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(320px, 2fr); gap: 12px; padding: 12px 16px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; min-width: 0; }
  h2 { font-size: 13px; margin: 4px 0 8px; }
  .filters { display: flex; flex-wrap: wrap; gap: 8px; margin-bottom: 8px; align-items: center; }
  .filters input, .filters select { font: inherit; padding: 3px 6px; border: 1px solid var(--line); border-radius: 4px; }
  table { width: 100%; border-collapse: collapse; table-layout: fixed; }
  th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eaeef2; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  th { color: var(--muted); font-weight: 600; }
  tbody tr { cursor: pointer; }
  tbody tr:hover, tbody tr.selected { background: #ddf4ff; }
  .o-allow { color: var(--allow); font-weight: 600; } .o-deny { color: var(--deny); font-weight: 600; }
  .o-unauthorized { color: var(--unauth); font-weight: 600; } .o-error { color: var(--error); font-weight: 600; }
  pre { background: #f6f8fa; border: 1px solid #eaeef2; padding: 6px; overflow: auto; max-height: 260px; margin: 4px 0 8px; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 0 0 8px; }
  dt { color: var(--muted); } dd { margin: 0; word-break: break-all; }
  .muted { color: var(--muted); }
  .health-item { border-top: 1px solid #eaeef2; padding: 6px 0; }
  .ready { color: var(--allow); } .notready { color: var(--deny); }
  #stats { font-size: 12px; }
</style>
</head>
<body>
<header>
  <h1>Portcullis — authorization decisions</h1>
  <span id="conn">connecting…</span>
  <span id="stats"></span>
</header>
<div id="devtokens" role="alert">DEV TOKENS ON: the gateway also accepts tokens minted locally (portcullis token mint). Never in production.</div>
<main>
  <section>
    <div class="filters">
      <label>outcome <select id="f-outcome"><option value="">all</option><option>allow</option><option>deny</option><option>unauthorized</option><option>error</option></select></label>
      <input id="f-route" placeholder="route / path" size="14">
      <input id="f-principal" placeholder="principal (sub)" size="14">
      <input id="f-reason" placeholder="reason" size="14">
      <button id="pause" type="button">pause</button>
    </div>
    <table>
      <colgroup><col style="width:92px"><col style="width:100px"><col style="width:26%"><col style="width:90px"><col style="width:18%"><col></colgroup>
      <thead><tr><th>time</th><th>outcome</th><th>route</th><th>authorizer</th><th>principal</th><th>reason</th></tr></thead>
      <tbody id="rows"></tbody>
    </table>
    <p class="muted" id="empty">No decisions yet: send a request to a route with an authorizer.</p>
  </section>
  <div>
    <section id="detail"><h2>Decision</h2><p class="muted">Select a row to see why.</p></section>
    <section id="health" style="margin-top:12px"><h2>Authorizers</h2><div id="health-list" class="muted">loading…</div></section>
  </div>
</main>
<script>
"use strict";
const MAX_ROWS = 500;
const all = [];            // newest last, capped
let pending = [];          // arrived, not yet rendered
let paused = false, scheduled = false, selected = null, omitted = 0, received = 0;
const $ = (id) => document.getElementById(id);
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = String(text); if (cls) e.className = cls; return e; };
const filters = { outcome: $('f-outcome'), route: $('f-route'), principal: $('f-principal'), reason: $('f-reason') };
function matches(d) {
  const f = (v) => v.value.trim().toLowerCase();
  if (f(filters.outcome) && d.outcome !== f(filters.outcome)) return false;
  if (f(filters.route) && !(d.routeKey + ' ' + d.method + ' ' + d.path).toLowerCase().includes(f(filters.route))) return false;
  if (f(filters.principal) && !String(d.principal ?? '').toLowerCase().includes(f(filters.principal))) return false;
  if (f(filters.reason) && !String(d.reason).toLowerCase().includes(f(filters.reason))) return false;
  return true;
}
function row(d) {
  const tr = el('tr');
  tr.dataset.seq = d.seq;
  tr.append(el('td', d.time.slice(11, 23)), el('td', d.outcome + (d.status ? ' ' + d.status : '') + (d.cached ? ' ⟳' : ''), 'o-' + d.outcome),
    el('td', d.method + ' ' + d.path + '  (' + d.routeKey + ')'), el('td', d.authorizer), el('td', d.principal ?? '–'), el('td', d.reason));
  tr.title = d.reason;
  tr.addEventListener('click', () => show(d, tr));
  return tr;
}
function renderAll() {
  const body = $('rows');
  const frag = document.createDocumentFragment();
  let n = 0;
  for (let i = all.length - 1; i >= 0 && n < MAX_ROWS; i--) if (matches(all[i])) { frag.append(row(all[i])); n++; }
  body.replaceChildren(frag);
  $('empty').style.display = all.length ? 'none' : '';
}
function flush() {
  scheduled = false;
  if (paused || pending.length === 0) return;
  const batch = pending; pending = [];
  for (const d of batch) all.push(d);
  if (all.length > 5000) all.splice(0, all.length - 5000);
  const body = $('rows');
  const frag = document.createDocumentFragment();
  for (let i = batch.length - 1; i >= 0; i--) if (matches(batch[i])) frag.append(row(batch[i]));
  body.prepend(frag);
  while (body.childElementCount > MAX_ROWS) body.lastElementChild.remove();
  $('empty').style.display = all.length ? 'none' : '';
}
function add(ds) { for (const d of ds) pending.push(d); received += ds.length; if (!scheduled) { scheduled = true; requestAnimationFrame(flush); } }
function json(title, value) { const wrap = el('div'); wrap.append(el('h2', title), el('pre', JSON.stringify(value, null, 2))); return wrap; }
function show(d, tr) {
  document.querySelectorAll('tr.selected').forEach((r) => r.classList.remove('selected'));
  if (tr) tr.classList.add('selected');
  selected = d.seq;
  const box = $('detail');
  const dl = el('dl');
  const item = (k, v) => { dl.append(el('dt', k), el('dd', v ?? '–')); };
  item('outcome', d.outcome + (d.status ? ' (' + d.status + ')' : ''));
  item('reason', d.reason);
  item('request', d.method + ' ' + d.path);
  item('route', d.routeKey + ' — API ' + d.api);
  item('authorizer', d.authorizer + ' (' + d.authorizerKind + ')' + (d.cached ? ', cached decision' : ''));
  item('principal', d.principal);
  item('client', d.sourceIp);
  item('latency', d.latencyMs + ' ms');
  item('time', d.time);
  item('request id', d.requestId);
  box.replaceChildren(el('h2', 'Decision #' + d.seq), dl);
  box.id = 'detail';
  if (d.failedRules) { const ul = el('ul'); ul.className = 'failed-rules'; for (const r of d.failedRules) ul.append(el('li', r.explanation)); box.append(el('h2', 'Failed claim rules'), ul); }
  if (d.token) { box.append(json('Token header', d.token.header), json('Token claims' + (d.token.verified ? '' : ' (NOT verified)'), d.token.payload), json('Token signature', d.token.signature)); }
  if (d.policy !== undefined) box.append(json('Policy returned', d.policy));
  if (d.context) box.append(json('Authorizer context', d.context));
}
for (const f of Object.values(filters)) f.addEventListener('input', renderAll);
$('pause').addEventListener('click', () => { paused = !paused; $('pause').textContent = paused ? 'resume' : 'pause'; if (!paused) { scheduled = true; requestAnimationFrame(flush); } });
async function health() {
  try {
    const r = await fetch('console/api/health', { credentials: 'same-origin' });
    const h = await r.json();
    $('devtokens').style.display = h.devTokens ? 'block' : 'none';
    const list = $('health-list');
    list.className = '';
    const items = h.authorizers.map((a) => {
      const div = el('div', undefined, 'health-item');
      div.dataset.authorizer = a.api + '/' + a.id;
      const title = el('div');
      title.append(el('strong', a.api + ' / ' + a.id + ' '), el('span', a.ready ? 'ready' : 'NOT READY', a.ready ? 'ready' : 'notready'), el('span', ' — ' + a.kind, 'muted'));
      const dl = el('dl');
      const item = (k, v) => { if (v !== undefined && v !== null) dl.append(el('dt', k), el('dd', v)); };
      item('detail', a.detail);
      if (a.keys) {
        item('issuer', a.issuer);
        item('JWKS', a.keys.jwksUri ?? '(discovery)');
        item('keys', a.keys.keyCount + (a.keys.fresh ? ' (fresh)' : ' (stale)'));
        item('last fetch', a.keys.fetchedAt ? new Date(a.keys.fetchedAt).toISOString() : 'never');
        item('last error', a.keys.lastError);
        if (a.keys.discoveredIssuer !== null && a.keys.discoveredIssuer !== undefined) item('discovery', 'the discovery document says issuer ' + JSON.stringify(a.keys.discoveredIssuer) + ', configured ' + JSON.stringify(a.issuer) + ': set jwtConfiguration.issuer to the discovery value if that is the real issuer');
      }
      if (a.cache) item('cache', a.cache.hits + ' hits / ' + a.cache.misses + ' misses' + (a.cache.hits + a.cache.misses ? ' (' + Math.round(100 * a.cache.hits / (a.cache.hits + a.cache.misses)) + '% hit rate)' : '') + ', ' + a.cache.entries + ' entries');
      if (a.worker) item('worker', a.worker);
      div.append(title, dl);
      return div;
    });
    list.replaceChildren(...(items.length ? items : [el('span', 'No authorizers configured.', 'muted')]));
  } catch (e) { $('health-list').textContent = 'health unavailable: ' + e.message; }
}
async function start() {
  const r = await fetch('console/api/decisions?limit=500', { credentials: 'same-origin' });
  const first = await r.json();
  add(first.decisions);
  const es = new EventSource('console/api/stream');
  es.addEventListener('open', () => { $('conn').textContent = 'live'; $('conn').className = 'live'; });
  es.addEventListener('error', () => { $('conn').textContent = 'reconnecting…'; $('conn').className = ''; });
  es.addEventListener('batch', (ev) => { const b = JSON.parse(ev.data); omitted += b.omitted; add(b.decisions); });
  let last = received, lastAt = performance.now();
  setInterval(() => {
    const now = performance.now();
    const rate = Math.round(((received + omitted) - last) * 1000 / (now - lastAt));
    last = received + omitted; lastAt = now;
    $('stats').textContent = received + ' shown' + (omitted ? ', ' + omitted + ' sampled out' : '') + ' · ' + rate + '/s';
  }, 1000);
  health();
  setInterval(health, 5000);
}
start();
</script>
</body>
</html>
`;
