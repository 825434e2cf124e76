/**
 * `npm start`: the seed scenarios on one machine.
 *
 *   PORT=3000 (default)      gateway on http://localhost:PORT   (apiDomain; both APIs)
 *                            website on http://localhost:PORT+1 (websiteDomain)
 *                            echo backend on 127.0.0.1:PORT+2   (scenario 2's HTTP integration)
 *                            core on 127.0.0.1:PORT+567         (SuperTokens-compatible, 3567 by default)
 *   PORTCULLIS_DATA_DIR      SQLite data directory, created on first start. Default is `.portcullis`.
 *   PORTCULLIS_DATABASE_URL  use PostgreSQL instead, e.g. postgres://postgres@127.0.0.1:5432/test
 *                            (tables created on first start; PORTCULLIS_DATABASE_SCHEMA picks a schema,
 *                            default `public`).
 *   SEEDS_ACCESS_TOKEN_VALIDITY_SECONDS  access-token lifetime (default 3600; the browser test uses a
 *                            few seconds to watch the SDK refresh).
 *   SEEDS_PUBLIC_PORT        the port clients use when several demos run behind a load balancer
 *                            (apiDomain http://localhost:SEEDS_PUBLIC_PORT, websiteDomain the next
 *                            port; see docs/scale-out.md). Default is PORT.
 *
 *   SEEDS_CONFIG=template    run examples/seeds/template.yaml (the same two APIs as a SAM template)
 *                            instead of portcullis.yaml; the core, which a SAM template cannot hold,
 *                            is then started here, and the URLs go in as --parameter-overrides.
 *
 *   SEEDS_CONFIG=serverless  run examples/seeds/serverless.yml (the same scenarios in the Serverless
 *                            Framework's form) instead of portcullis.yaml.
 *
 * It sets the SEEDS_* variables portcullis.yaml interpolates, starts the echo backend and the
 * website, then runs the real `portcullis start --config examples/seeds/portcullis.yaml --port PORT`
 * in this process (src/cli.ts `main`). When it is ready it prints `seeds demo ready`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { main } from '../../src/cli.ts';
import { startBackend } from './backend.ts';
import { startWebsite } from './website.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
/**
 * SEEDS_CONFIG: `portcullis` (default: portcullis.yaml), `template` (template.yaml, the same two APIs as
 * a SAM template), `serverless` (serverless.yml, the Serverless Framework's form), or the path of
 * another portcullis.yaml of the same two scenarios (examples/seeds-python/start.ts: the Python half).
 */
const CONFIG_SETTING = process.env.SEEDS_CONFIG;
const useTemplate = CONFIG_SETTING === 'template';
const NAMED: Readonly<Record<string, string>> = { portcullis: 'portcullis.yaml', 'portcullis.yaml': 'portcullis.yaml', serverless: 'serverless.yml', 'serverless.yml': 'serverless.yml' };
const CONFIG = CONFIG_SETTING === undefined || useTemplate ? join(HERE, 'portcullis.yaml') : NAMED[CONFIG_SETTING] ? join(HERE, NAMED[CONFIG_SETTING]) : resolve(CONFIG_SETTING);
const CONFIG_DIR = dirname(CONFIG);
const IS_SERVERLESS = /serverless\.ya?ml$/.test(CONFIG);
const TEMPLATE = join(HERE, 'template.yaml');
if (!useTemplate && !existsSync(CONFIG)) {
  process.stderr.write(`seeds: SEEDS_CONFIG must be portcullis, template, serverless or the path of a portcullis.yaml; ${CONFIG} does not exist\n`);
  process.exit(2);
}
/** The core port written in portcullis.yaml (PORT 3000 + 567). */
const CONFIG_CORE_PORT = 3567;

function fail(message: string): never {
  process.stderr.write(`seeds: ${message}\n`);
  process.exit(2);
}

function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) fail(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return n;
}

const port = intFromEnv('PORT', 3000, 1, 65535 - 567);
const ports = { gateway: port, website: port + 1, backend: port + 2, core: port + 567 };
const publicPort = intFromEnv('SEEDS_PUBLIC_PORT', port, 1, 65534);
const apiDomain = `http://localhost:${publicPort}`;
const websiteDomain = `http://localhost:${publicPort + 1}`;
const dataDir = process.env.PORTCULLIS_DATA_DIR || '.portcullis';
const databaseUrl = process.env.PORTCULLIS_DATABASE_URL || undefined;
const databaseSchema = process.env.PORTCULLIS_DATABASE_SCHEMA || undefined;
const accessTokenValidity = process.env.SEEDS_ACCESS_TOKEN_VALIDITY_SECONDS
  ? intFromEnv('SEEDS_ACCESS_TOKEN_VALIDITY_SECONDS', 3600, 1, 86_400)
  : undefined;

// What portcullis.yaml (and the functions it starts, through their `environment:`) reads.
Object.assign(process.env, {
  PORTCULLIS_DATA_DIR: dataDir,
  SEEDS_API_DOMAIN: apiDomain,
  SEEDS_WEBSITE_DOMAIN: websiteDomain,
  SEEDS_BACKEND_URL: `http://127.0.0.1:${ports.backend}`,
  SEEDS_CORE_URL: `http://127.0.0.1:${ports.core}`,
});

/**
 * The config file to start. `${VAR}` interpolation only fills string values, so the three core
 * settings that follow the environment and are not strings (the core's port, the database section,
 * the access-token lifetime) cannot be written as `${…}` in portcullis.yaml. When one differs from
 * the file, this writes the same config with those values set (handler paths made absolute) under
 * the data directory and starts that instead; everything else is still interpolated by Portcullis.
 */
function configToStart(): string {
  const overrides: Record<string, unknown> = {};
  if (ports.core !== CONFIG_CORE_PORT) overrides.port = ports.core;
  if (databaseUrl !== undefined) {
    overrides.database = { kind: 'postgres', connectionString: databaseUrl, ...(databaseSchema ? { schema: databaseSchema } : {}) };
  }
  if (accessTokenValidity !== undefined) overrides.accessTokenValiditySeconds = accessTokenValidity;
  if (Object.keys(overrides).length === 0) return CONFIG;
  if (IS_SERVERLESS) return serverlessToStart(overrides);

  const raw = parseYaml(readFileSync(CONFIG, 'utf8'), { maxAliasCount: 100 }) as {
    core: Record<string, unknown>;
    apis: Array<{ routes: Record<string, { integration: { handler?: string; codeUri?: string } }>; authorizers?: Record<string, { function?: { handler: string; codeUri?: string } }> }>;
  };
  Object.assign(raw.core, overrides);
  const absolute = (p: string) => (isAbsolute(p) ? p : resolve(CONFIG_DIR, p));
  // A function's code is at `codeUri` (SAM's form: the handler is `file.function` inside it) or at `handler`.
  const place = (fn: { handler?: string; codeUri?: string }) => {
    if (fn.codeUri !== undefined) fn.codeUri = absolute(fn.codeUri);
    else if (fn.handler) fn.handler = absolute(fn.handler);
  };
  for (const api of raw.apis) {
    for (const route of Object.values(api.routes)) place(route.integration);
    for (const auth of Object.values(api.authorizers ?? {})) if (auth.function) place(auth.function);
  }
  mkdirSync(dataDir, { recursive: true });
  const file = resolve(dataDir, `seeds-portcullis.${ports.gateway}.json`);
  writeFileSync(file, `${JSON.stringify(raw, null, 2)}\n`);
  process.stdout.write(`seeds: core ${Object.keys(overrides).join(', ')} from the environment; starting ${file}\n`);
  return file;
}

/** The same for serverless.yml: the core settings go under custom.portcullis.core, handlers become absolute. */
function serverlessToStart(overrides: Record<string, unknown>): string {
  // `!Ref` tags only name CloudFormation resources the gateway does not use: kept as plain text.
  const raw = parseYaml(readFileSync(CONFIG, 'utf8'), { logLevel: 'silent' }) as {
    custom: { portcullis: { core: Record<string, unknown> } };
    functions: Record<string, { handler: string }>;
  };
  Object.assign(raw.custom.portcullis.core, overrides);
  for (const fn of Object.values(raw.functions)) fn.handler = resolve(HERE, fn.handler);
  mkdirSync(dataDir, { recursive: true });
  const file = resolve(dataDir, `seeds-serverless.${ports.gateway}.yml`);
  writeFileSync(file, stringifyYaml(raw));
  process.stdout.write(`seeds: core ${Object.keys(overrides).join(', ')} from the environment; starting ${file}\n`);
  return file;
}

/** Resolves once the auth Lambda answers through the gateway (its first call is a cold start). */
async function waitUntilReady(signal: AbortSignal): Promise<boolean> {
  const url = `http://127.0.0.1:${ports.gateway}/dev/auth/.well-known/openid-configuration`;
  const deadline = Date.now() + 60_000;
  while (!signal.aborted && Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal });
      if (res.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

const backend = await startBackend(ports.backend).catch((err: Error) => fail(`echo backend: cannot listen on 127.0.0.1:${ports.backend}: ${err.message}`));
const website = await startWebsite({ port: ports.website, apiDomain, websiteDomain }).catch((err: Error) =>
  fail(`website: cannot listen on 127.0.0.1:${ports.website}: ${err.message}`),
);

/**
 * SEEDS_CONFIG=template: the core a SAM template cannot describe, started here with what
 * portcullis.yaml's `core:` section says (and the same environment overrides).
 */
async function startTemplateCore(): Promise<{ close(): Promise<void> } | null> {
  if (!useTemplate) return null;
  const { startCore } = await import('../../src/supertokens/index.ts');
  const core = await startCore({
    port: ports.core,
    dataDir,
    database: databaseUrl === undefined ? { kind: 'sqlite' } : { kind: 'postgres', connectionString: databaseUrl, ...(databaseSchema ? { schema: databaseSchema } : {}) },
    ...(accessTokenValidity === undefined ? {} : { accessTokenValiditySeconds: accessTokenValidity }),
  }).catch((err: Error) => fail(`core: ${err.message}`));
  process.stdout.write(`portcullis core listening on ${core.url} (${core.storeDescription})\n`);
  return core;
}

const templateCore = await startTemplateCore();
const stopWaiting = new AbortController();
const running = useTemplate
  ? main(['start', '--config', TEMPLATE, '--port', String(ports.gateway), '--parameter-overrides', `ApiDomain=${apiDomain} WebsiteDomain=${websiteDomain} BackendUrl=http://127.0.0.1:${ports.backend} CoreUrl=http://127.0.0.1:${ports.core}`])
  : main(['start', '--config', configToStart(), '--port', String(ports.gateway)]);
void waitUntilReady(stopWaiting.signal).then((ready) => {
  if (!ready) return;
  const database = databaseUrl ? `PostgreSQL ${databaseUrl.replace(/\/\/[^@/]*@/, '//…@')}` : `SQLite in ${dataDir}/`;
  process.stdout.write(
    [
      '',
      'seeds demo ready',
      `  website            ${websiteDomain}`,
      `  scenario 1         ${apiDomain}/dev/wishlist   (HTTP API, JWT authorizer; auth API at ${apiDomain}/dev/auth/)`,
      `  scenario 2         ${apiDomain}/prod/profile   (REST API, Lambda authorizer)`,
      `  core               http://127.0.0.1:${ports.core}   (${database})`,
      `  echo backend       http://127.0.0.1:${ports.backend}`,
      '  e-mails are printed here as "[seeds] e-mail verification link for …"; Ctrl-C stops everything',
      '',
    ].join('\n') + '\n',
  );
});

const code = await running;
stopWaiting.abort();
await Promise.all([backend.close(), website.close(), templateCore?.close()]);
process.exitCode = code;
if (code !== 0) process.exit(code);
