/**
 * Scenario 2's backend: the HTTP service behind `GET /prod/profile`. It trusts the gateway: the
 * `x-user-id` header is set by the REST API's parameter mapping from the Lambda authorizer's
 * `principalId` (portcullis.yaml), and it answers with what it saw.
 *
 *   GET /profile  → 200 {"path":"/profile","x-user-id":"<user id>"}
 *   anything else → 404 {"message":"not found"}
 */
import { createServer, type Server } from 'node:http';

export interface RunningBackend {
  url: string;
  close(): Promise<void>;
}

export async function startBackend(port: number, host = '127.0.0.1'): Promise<RunningBackend> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && path === '/profile') send(200, { path, 'x-user-id': req.headers['x-user-id'] ?? null });
    else send(404, { message: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
