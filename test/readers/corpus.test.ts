/**
 * Every template of the corpus: converted, the conversion printed by `convert` read back as a
 * portcullis.yaml and compiled (the dry run `validate` does), and, when valid, started on loopback
 * with every route sent a request without credentials: a route behind an authorizer is refused as
 * AWS refuses it (401/403), every other route is reachable (not 404; 500/502 for a function whose
 * code cannot run here). Unsupported features are warnings naming their template path.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConverted } from '../../src/cli/convert.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { validateGateway } from '../../src/gateway.ts';
import { parseConfigText, readDefinition } from '../../src/io/config-file.ts';
import { CORPUS } from './corpus.ts';
import { startTemplate, TEMPLATES } from './helpers.ts';

const DIR = join(TEMPLATES, 'corpus');
const FILES = readdirSync(DIR).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();

test('the corpus table lists every corpus file', () => {
  assert.deepEqual(FILES, Object.keys(CORPUS).sort());
});

for (const file of FILES) {
  const entry = CORPUS[file] ?? {};
  test(`corpus: ${file} converts; convert's output is a portcullis.yaml that ${entry.problems ? 'reports exactly its problems' : 'validates'}`, async () => {
    const read = readDefinition(readFileSync(join(DIR, file), 'utf8'), DIR, { parameterOverrides: entry.overrides ?? {}, allowUnenforced: true });
    assert.ok(read, 'a reader claims the file');
    for (const w of read.result.warnings) assert.match(w.path, /^(Resources|Parameters|Globals|--)/, `warning with a template path: ${w.path}: ${w.message}`);
    let problems: string[] = [];
    if (read.result.errors.length) problems = read.result.errors.map((e) => `${e.path}: ${e.message}`);
    else {
      const text = renderConverted(read.result, file, read.format);
      try {
        await validateGateway(parseConfigText(text, {}), DIR);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        problems = err.issues.map((e) => `${e.path}: ${e.message}`.replace(DIR, 'CORPUS'));
      }
    }
    assert.deepEqual(problems, entry.problems ?? []);
  });
}

/** A request path for a route key: parameters filled in, greedy ones with two segments. */
function samplePath(path: string): string {
  return path.replace(/\{[^}]+\+\}/g, 'a/b').replace(/\{[^}]+\}/g, 'x1');
}

for (const file of FILES.filter((f) => !CORPUS[f]!.problems)) {
  test(`corpus: ${file} starts; every route answers a request without credentials as AWS would`, async (t) => {
    const entry = CORPUS[file]!;
    const { url, gateway } = await startTemplate(t, join(DIR, file), { parameterOverrides: entry.overrides ?? {}, allowUnenforced: true });
    for (const api of gateway.gateway.apis) {
      const prefix = api.stage === '$default' ? '' : `/${api.stage}`;
      for (const [routeKey, route] of Object.entries(api.config.routes)) {
        const [method, path] = routeKey === '$default' ? ['GET', '/anything/at/all'] : (routeKey.split(' ') as [string, string]);
        const res = await fetch(`${url}${prefix}${samplePath(path)}`, { method: method === 'ANY' ? 'GET' : method, headers: method === 'OPTIONS' ? { origin: 'https://example.com', 'access-control-request-method': 'GET' } : {} });
        const body = await res.text();
        const what = `${api.name} ${routeKey}: ${res.status} ${body}`;
        if (route.authorizerId) assert.ok(res.status === 401 || res.status === 403, `refused without credentials: ${what}`);
        else assert.notEqual(res.status, 404, `reachable: ${what}`);
      }
    }
  });
}
