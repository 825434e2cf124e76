/**
 * @module io/admin — the admin listener: `/metrics`, `/healthz`, `/readyz`. [io]
 *
 * Off unless the config has an `admin:` section; binds to loopback by default, on its own port, so
 * the gateway's public routes can never shadow or expose it.
 *
 *   GET /metrics   Prometheus text (format 0.0.4) from `io/metrics.ts`
 *   GET /healthz   200 {"status":"ok",...}: the process is up and its event loop answers
 *   GET /readyz    200 / 503 {"ready":bool,"checks":[{"name","ready","detail"}]}: config loaded,
 *                  every authorizer's `status()` ready (JWKS fetched at least once), the in-process
 *                  core's database reachable, and not shutting down
 *   /console…      the decision console and `POST /dev-tokens` (io/console.ts), when given
 *
 * Bodies carry detail strings only (issuer URLs, error reasons), never keys, tokens or secrets.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { METRICS_CONTENT_TYPE, type Metrics } from './metrics.ts';
import type { Logger } from './logger.ts';

export interface ReadinessCheck {
  name: string;
  ready: boolean;
  detail: string;
}

export interface AdminServerOptions {
  /** The exposition: a process's own registry, or (cluster primary) every worker's merged. */
  metrics: Pick<Metrics, 'render'> | { render(): Promise<string> };
  /** Every check for `/readyz`; ready only when all are. */
  readiness(): Promise<ReadinessCheck[]>;
  logger: Logger;
  now?: () => number;
  /** The console's routes (io/console.ts `createConsoleHandler`): answers `false` for other paths. */
  console?: ((req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) => boolean) | null;
}

export interface AdminServer {
  listen(port: number, host: string): Promise<number>;
  close(): Promise<void>;
}

/** Time a single readiness probe may take before it counts as not ready. */
export const READINESS_TIMEOUT_MS = 2000;

export function createAdminServer(options: AdminServerOptions): AdminServer {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (options.console?.(req, res, path, new URLSearchParams(q < 0 ? '' : url.slice(q + 1)))) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'application/json', '{"message":"Method Not Allowed"}');
    if (path === '/metrics') {
      void Promise.resolve()
        .then(() => options.metrics.render())
        .then(
          (text) => send(200, METRICS_CONTENT_TYPE, text),
          (err: unknown) => {
            options.logger.error('metrics rendering failed', { error: err instanceof Error ? err.message : String(err) });
            send(500, 'application/json', '{"message":"metrics unavailable"}');
          },
        );
      return;
    }
    if (path === '/healthz') {
      return send(200, 'application/json', JSON.stringify({ status: 'ok', pid: process.pid, uptimeSeconds: Math.round((now() - startedAt) / 1000) }));
    }
    if (path === '/readyz') {
      void runReadiness(options).then(
        (checks) => {
          const ready = checks.every((c) => c.ready);
          send(ready ? 200 : 503, 'application/json', JSON.stringify({ ready, checks }));
        },
        (err: unknown) => {
          options.logger.error('readiness check failed', { error: err instanceof Error ? err.message : String(err) });
          send(503, 'application/json', JSON.stringify({ ready: false, checks: [{ name: 'readiness', ready: false, detail: 'the readiness check itself failed' }] }));
        },
      );
      return;
    }
    send(404, 'application/json', '{"message":"Not Found","endpoints":["/metrics","/healthz","/readyz"]}');
  });
  return {
    listen(port, host) {
      return new Promise((resolvePort, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) =>
          reject(new Error(err.code === 'EADDRINUSE' ? `admin port ${port} on ${host} is already in use` : `cannot listen on admin ${host}:${port}: ${err.message}`)),
        );
        server.listen(port, host, () => resolvePort((server.address() as AddressInfo).port));
      });
    },
    close() {
      return new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    },
  };
}

async function runReadiness(options: AdminServerOptions): Promise<ReadinessCheck[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReadinessCheck[]>((r) => {
    timer = setTimeout(() => r([{ name: 'readiness', ready: false, detail: `checks did not finish within ${READINESS_TIMEOUT_MS} ms` }]), READINESS_TIMEOUT_MS);
  });
  try {
    return await Promise.race([options.readiness(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
