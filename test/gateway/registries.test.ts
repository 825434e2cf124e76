/**
 * The plug-in registries: each entry's key is its schema's tag, and a new type is one entry — its
 * schema parses its section (unknown keys with a did-you-mean), its rules run with their paths put
 * under the section, and routes get the entry's authorization type — with no edit to src/core.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { AUTHORIZERS } from '../../src/authorizers/index.ts';
import { INTEGRATIONS } from '../../src/integrations/index.ts';
import { GATEWAY_PLUGINS, parseConfig as parseGatewayConfig } from '../../src/config.ts';
import { parseConfig, type PluginSchemas } from '../../src/core/config.ts';
import { ConfigError } from '../../src/core/errors.ts';

function tagOf(schema: z.ZodObject, key: string): unknown {
  const tag = schema.shape[key] as z.ZodLiteral | undefined;
  return tag?.def.values[0];
}

test('every registry key is the literal its schema carries as the tag', () => {
  for (const [type, entry] of Object.entries(AUTHORIZERS)) assert.equal(tagOf(entry.schema, 'authorizerType'), type, `AUTHORIZERS.${type}`);
  for (const [type, entry] of Object.entries(INTEGRATIONS)) assert.equal(tagOf(entry.schema, 'type'), type, `INTEGRATIONS.${type}`);
  assert.deepEqual(Object.keys(GATEWAY_PLUGINS.authorizers), ['JWT', 'REQUEST', 'TOKEN']);
  assert.deepEqual(Object.keys(GATEWAY_PLUGINS.integrations), ['lambda', 'http', 'mock']);
});

// A type the gateway does not have: a static file integration and an API-key authorizer, each one
// schema plus its rules, added to copies of the registries.
const staticIntegration = {
  schema: z.strictObject({ type: z.literal('static'), root: z.string().min(1), indexFile: z.string().default('index.html') }),
  check: (config: { root: string }, { api }: { api: { protocol: string } }) =>
    config.root.startsWith('/') ? [] : [{ path: 'root', message: `must be an absolute directory (API ${api.protocol})` }],
};
const apiKeyAuthorizer = {
  schema: z.strictObject({ authorizerType: z.literal('APIKEY'), identitySource: z.string().default('$request.header.x-api-key'), keys: z.array(z.string()).min(1) }),
  check: (config: { keys: string[] }) => (config.keys.some((k) => k.length < 16) ? [{ path: 'keys', message: 'every key must be at least 16 characters' }] : []),
  routeAuthorizationType: 'CUSTOM' as const,
  takesScopes: false,
  takesClaims: false,
};
const extended: PluginSchemas = {
  authorizers: { ...GATEWAY_PLUGINS.authorizers, APIKEY: apiKeyAuthorizer as never },
  integrations: { ...GATEWAY_PLUGINS.integrations, static: staticIntegration as never },
};

const withNewTypes = (integration: unknown, authorizer: unknown, route: Record<string, unknown> = {}) => ({
  apis: [{ name: 'a', protocol: 'http', stage: '$default', authorizers: { k: authorizer }, routes: { 'GET /x': { authorizerId: 'k', integration, ...route } } }],
});

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

test('a new type parses with its own schema and defaults, through the same parser', () => {
  const config = parseConfig(withNewTypes({ type: 'static', root: '/srv/www' }, { authorizerType: 'APIKEY', keys: ['0123456789abcdef'] }), {}, { plugins: extended });
  const route = config.apis[0]!.routes['GET /x']!;
  assert.deepEqual(route.integration, { type: 'static', root: '/srv/www', indexFile: 'index.html' });
  assert.equal(config.apis[0]!.authorizers['k']!.identitySource, '$request.header.x-api-key');
});

test('a new type\'s problems come with the others, at once, with its paths under the section', () => {
  assert.deepEqual(
    problems(() => parseConfig(withNewTypes({ type: 'static', root: 'www', indexFiel: 'a.html' }, { authorizerType: 'APIKEY', keys: ['short'] }, { authorizationType: 'JWT' }), {}, { plugins: extended })),
    [
      'apis[0].routes["GET /x"].integration.indexFiel: unknown key (did you mean "indexFile"?)',
      // The route did not parse; what did parse is still checked.
      'apis[0].authorizers.k.keys: every key must be at least 16 characters',
    ],
  );
  assert.deepEqual(
    problems(() => parseConfig(withNewTypes({ type: 'static', root: 'www' }, { authorizerType: 'APIKEY', keys: ['short'] }, { authorizationType: 'JWT' }), {}, { plugins: extended })),
    [
      'apis[0].authorizers.k.keys: every key must be at least 16 characters',
      'apis[0].routes["GET /x"].authorizationType: must be CUSTOM for authorizer "k" (APIKEY)',
      'apis[0].routes["GET /x"].integration.root: must be an absolute directory (API http)',
    ],
  );
});

test('without its entry, the type is an error naming the known ones', () => {
  assert.deepEqual(
    problems(() => parseGatewayConfig(withNewTypes({ type: 'static', root: '/srv' }, { authorizerType: 'APIKEY', keys: ['0123456789abcdef'] }))),
    [
      'apis[0].authorizers.k.authorizerType: must be one of "JWT", "REQUEST", "TOKEN", got "APIKEY"',
      'apis[0].routes["GET /x"].integration.type: must be one of "lambda", "http", "mock", got "static"',
    ],
  );
});
