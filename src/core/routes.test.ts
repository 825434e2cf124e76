import { test } from '../../test/helpers/node-test.ts';
import assert from 'node:assert/strict';
import { compileRoutes, matchRoute, parseRouteKey } from './routes.ts';

function table(keys: string[]) {
  return compileRoutes(keys.map((routeKey) => ({ routeKey, value: routeKey })));
}

function match(keys: string[], method: string, path: string) {
  const m = matchRoute(table(keys), method, path);
  return m ? { route: m.entry.value, params: m.pathParameters } : null;
}

test('the AWS documented precedence example routes each request to its documented route', () => {
  const keys = ['GET /pets/dog/1', 'GET /pets/dog/{id}', 'GET /pets/{proxy+}', 'ANY /{proxy+}', '$default'];
  assert.equal(match(keys, 'GET', '/pets/dog/1')?.route, 'GET /pets/dog/1');
  assert.equal(match(keys, 'GET', '/pets/dog/2')?.route, 'GET /pets/dog/{id}');
  assert.equal(match(keys, 'GET', '/pets/cat/1')?.route, 'GET /pets/{proxy+}');
  assert.equal(match(keys, 'POST', '/test/5')?.route, 'ANY /{proxy+}');
  assert.equal(match(keys, 'GET', '/')?.route, '$default');
});

test('a literal segment beats a parameter, and a parameter beats a greedy variable', () => {
  const keys = ['GET /a/{x}', 'GET /a/b', 'GET /a/{rest+}'];
  assert.equal(match(keys, 'GET', '/a/b')?.route, 'GET /a/b');
  assert.equal(match(keys, 'GET', '/a/c')?.route, 'GET /a/{x}');
  assert.equal(match(keys, 'GET', '/a/c/d')?.route, 'GET /a/{rest+}');
});

test('an explicit method beats ANY on the same path; ANY catches the other methods', () => {
  const keys = ['GET /items', 'ANY /items'];
  assert.equal(match(keys, 'GET', '/items')?.route, 'GET /items');
  assert.equal(match(keys, 'DELETE', '/items')?.route, 'ANY /items');
});

test('a more specific path wins over a matching method: ANY /a/b beats GET /a/{x} [INF]', () => {
  assert.equal(match(['GET /a/{x}', 'ANY /a/b'], 'GET', '/a/b')?.route, 'ANY /a/b');
});

test('backtracks when the most specific path has no route for the method', () => {
  const keys = ['POST /a/b', 'GET /a/{x}'];
  assert.equal(match(keys, 'GET', '/a/b')?.route, 'GET /a/{x}');
  assert.deepEqual(match(keys, 'GET', '/a/b')?.params, { x: 'b' });
});

test('a greedy variable needs at least one segment and excludes the leading slash', () => {
  const keys = ['GET /pets/{proxy+}'];
  assert.equal(match(keys, 'GET', '/pets'), null);
  assert.deepEqual(match(keys, 'GET', '/pets/a/b/c')?.params, { proxy: 'a/b/c' });
});

test('path parameters are URL-decoded per segment; an encoded slash stays inside its segment', () => {
  assert.deepEqual(match(['GET /u/{name}'], 'GET', '/u/J%C3%BCrgen%20X')?.params, { name: 'Jürgen X' });
  assert.deepEqual(match(['GET /u/{name}'], 'GET', '/u/a%2Fb')?.params, { name: 'a/b' });
  assert.equal(match(['GET /u/{name}'], 'GET', '/u/a/b'), null);
});

test('a malformed percent escape is kept as received instead of throwing', () => {
  assert.deepEqual(match(['GET /u/{name}'], 'GET', '/u/%E0%A4%A')?.params, { name: '%E0%A4%A' });
});

test('a single trailing slash is ignored for matching', () => {
  assert.equal(match(['GET /a/b'], 'GET', '/a/b/')?.route, 'GET /a/b');
});

test('the root route matches only the root', () => {
  assert.equal(match(['GET /'], 'GET', '/')?.route, 'GET /');
  assert.equal(match(['GET /'], 'GET', '/x'), null);
});

test('$default gets no path parameters and catches unknown methods', () => {
  assert.deepEqual(match(['GET /a', '$default'], 'PUT', '/a'), { route: '$default', params: {} });
});

test('no route and no $default is no match', () => {
  assert.equal(match(['GET /a'], 'GET', '/b'), null);
});

test('different parameter names at one position bind by each route\'s own template', () => {
  const keys = ['GET /a/{id}', 'POST /a/{name}'];
  assert.deepEqual(match(keys, 'GET', '/a/1')?.params, { id: '1' });
  assert.deepEqual(match(keys, 'POST', '/a/1')?.params, { name: '1' });
});

test('route keys are validated with readable reasons', () => {
  const bad: Array<[string, RegExp]> = [
    ['GET pets', /METHOD \/path/],
    ['FETCH /x', /unknown method "FETCH"/],
    ['GET /{proxy+}/x', /must be the last segment/],
    ['GET /a//b', /empty segments/],
    ['GET /a/{x}{y}', /whole segment/],
    ['GET /a/{x}/{x}', /appears twice/],
  ];
  for (const [key, re] of bad) {
    const r = parseRouteKey(key);
    assert.equal(r.ok, false, key);
    if (!r.ok) assert.match(r.error, re, key);
  }
});

test('matching agrees with a slow reference matcher on generated tables', () => {
  // A reference: try every route, score segment kinds, pick the best. Deterministic pseudo-random data.
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const words = ['a', 'b', 'c'];
  for (let round = 0; round < 200; round++) {
    const keys = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const depth = 1 + rnd(3);
      const segs: string[] = [];
      for (let d = 0; d < depth; d++) {
        const k = rnd(4);
        if (k === 3 && d === depth - 1) segs.push('{rest+}');
        else if (k === 2) segs.push(`{p${d}}`);
        else segs.push(words[rnd(3)]!);
      }
      keys.add(`${['GET', 'ANY'][rnd(2)]} /${segs.join('/')}`);
    }
    const list = [...keys].filter((k) => parseRouteKey(k).ok);
    const t = table(list);
    for (let q = 0; q < 10; q++) {
      const depth = 1 + rnd(4);
      const path = '/' + Array.from({ length: depth }, () => words[rnd(3)]).join('/');
      const got = matchRoute(t, 'GET', path)?.entry.value ?? null;
      assert.equal(got, referenceMatch(list, 'GET', path), `${path} in ${JSON.stringify(list)}`);
    }
  }
});

function referenceMatch(keys: string[], method: string, path: string): string | null {
  const segs = path.slice(1).split('/');
  let best: { key: string; score: number[] } | null = null;
  for (const key of keys) {
    const [m, p] = key.split(' ') as [string, string];
    if (m !== method && m !== 'ANY') continue;
    const tpl = p.slice(1).split('/');
    const score: number[] = [];
    let ok = true;
    for (let i = 0; i < tpl.length; i++) {
      const t = tpl[i]!;
      if (t.endsWith('+}')) {
        if (segs.length <= i) ok = false;
        score.push(1);
        break;
      }
      if (i >= segs.length) { ok = false; break; }
      if (t.startsWith('{')) score.push(2);
      else if (t === segs[i]) score.push(3);
      else { ok = false; break; }
      if (i === tpl.length - 1 && segs.length !== tpl.length) ok = false;
    }
    if (!ok) continue;
    score.push(m === 'ANY' ? 0 : 1);
    if (!best || compare(score, best.score) > 0) best = { key, score };
  }
  return best?.key ?? null;
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? -1) - (b[i] ?? -1);
    if (d) return d;
  }
  return 0;
}
