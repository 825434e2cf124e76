/**
 * Test harness: starts the real gateway on 127.0.0.1:0 from a config object in the
 * portcullis.yaml shape, and small real servers (upstreams) on loopback.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseConfig } from '../../src/config.ts';
import type { Clock } from '../../src/core/clock.ts';
import { startGateway as start, type RunningGateway } from '../../src/gateway.ts';
import { silentLogger, type Logger } from '../../src/io/logger.ts';

export interface TestGateway extends RunningGateway {}

/**
 * What owns a started server: a test context (`t`) or anything with node:test's `after`. Passing one
 * registers the close with it, so the server goes whether the test passes or fails — the easy way to
 * never leave a handle that keeps the test file alive.
 */
export interface CleanupOwner {
  after(fn: () => unknown): void;
}

function isCleanupOwner(x: unknown): x is CleanupOwner {
  return typeof x === 'object' && x !== null && typeof (x as CleanupOwner).after === 'function';
}

export async function startGateway(config: unknown, options: { baseDir?: string; clock?: Clock; logger?: Logger; env?: Record<string, string>; t?: CleanupOwner } = {}): Promise<TestGateway> {
  const parsed = parseConfig(config, options.env ?? {});
  const gateway = await start(parsed, { baseDir: options.baseDir ?? process.cwd(), port: 0, host: '127.0.0.1', logger: options.logger ?? silentLogger, ...(options.clock ? { clock: options.clock } : {}) });
  options.t?.after(() => gateway.close());
  return gateway;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
  body: string;
}

export interface TestUpstream {
  url: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

type Respond = (req: RecordedRequest, res: ServerResponse) => unknown;

/**
 * An upstream that records each request and answers with `respond` (default: 200 JSON echo of
 * method, url, headers and body). `startUpstream(t, respond?)` closes it when the test ends.
 */
export async function startUpstream(ownerOrRespond?: CleanupOwner | Respond, maybeRespond?: Respond): Promise<TestUpstream> {
  const owner = isCleanupOwner(ownerOrRespond) ? ownerOrRespond : undefined;
  const respond = owner ? maybeRespond : (ownerOrRespond as Respond | undefined);
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(rec);
      if (respond) return void respond(rec, res);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: rec.method, url: rec.url, headers: rec.headers, body: rec.body }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const upstream: TestUpstream = {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      if (!server.listening) return r();
      server.close(() => r());
    }),
  };
  owner?.after(() => upstream.close());
  return upstream;
}

/** A temp directory with the given files (handler modules and the like). */
export function tempDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-test-'));
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}

/** A port nothing listens on (bound then released). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A request through node:http (fetch refuses hop-by-hop headers such as Connection / Keep-Alive). */
export function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
