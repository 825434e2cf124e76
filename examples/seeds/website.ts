/**
 * The demo's website: a static page on its own origin (`http://localhost:PORT+1`) that uses the
 * real SuperTokens frontend SDK (`supertokens-web-js`, its browser bundles served from
 * node_modules) against the gateway's two APIs.
 *
 *   /                         website/index.html (sign up / in, call both scenarios, sign out)
 *   /auth/verify-email?token= the same page; it verifies the e-mail (the link from the log)
 *   /app.js                   website/app.js
 *   /config.js                the API and website domains for this PORT
 *   /vendor/supertokens-web-js/<name>.js   node_modules/supertokens-web-js/bundle/<name>.<hash>.js
 */
import { createServer, type Server } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const BUNDLE_DIR = join(dirname(createRequire(import.meta.url).resolve('supertokens-web-js')), 'bundle');
/** The bundles the page loads, in order: `website` carries webpack's runtime and must come first. */
export const BUNDLES = ['website', 'supertokens', 'session', 'emailpassword', 'emailverification'] as const;

export interface WebsiteOptions {
  port: number;
  host?: string;
  apiDomain: string;
  websiteDomain: string;
}

export interface RunningWebsite {
  url: string;
  close(): Promise<void>;
}

/** `session` → `session.1e8cb79cef1389b3f612.js` (the bundle names carry a content hash). */
function bundleFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of readdirSync(BUNDLE_DIR)) {
    const m = /^([a-z]+)\.[0-9a-f]+\.js$/.exec(name);
    if (m) files.set(m[1]!, join(BUNDLE_DIR, name));
  }
  for (const b of BUNDLES) if (!files.has(b)) throw new Error(`supertokens-web-js: no ${b} bundle in ${BUNDLE_DIR}`);
  return files;
}

export async function startWebsite(options: WebsiteOptions): Promise<RunningWebsite> {
  const host = options.host ?? '127.0.0.1';
  const bundles = bundleFiles();
  const page = readFileSync(join(HERE, 'website', 'index.html'));
  const app = readFileSync(join(HERE, 'website', 'app.js'));
  const config = `window.SEEDS = ${JSON.stringify({ apiDomain: options.apiDomain, websiteDomain: options.websiteDomain })};\n`;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    if (path === '/' || path === '/index.html' || path.startsWith('/auth/')) return send(200, 'text/html; charset=utf-8', page);
    if (path === '/app.js') return send(200, 'text/javascript; charset=utf-8', app);
    if (path === '/config.js') return send(200, 'text/javascript; charset=utf-8', config);
    const m = /^\/vendor\/supertokens-web-js\/([a-z]+)\.js$/.exec(path);
    const file = m ? bundles.get(m[1]!) : undefined;
    if (file) return send(200, 'text/javascript; charset=utf-8', readFileSync(file));
    if (path === '/favicon.ico') return send(204, 'image/x-icon', '');
    send(404, 'text/plain', 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  return {
    url: options.websiteDomain,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
