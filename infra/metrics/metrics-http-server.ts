import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsRegistry } from '../../shared/ports/metrics.ts';

/**
 * A small HTTP port for a process that serves no API (`lk speed --metrics-port`): GET /metrics
 * (Prometheus text) and GET /ready (200 when `ready()` says so, else 503); anything else is 404.
 */
export async function startMetricsServer(registry: MetricsRegistry, options: { readonly host: string; readonly port: number; readonly ready: () => boolean }): Promise<{ readonly url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      registry.exposition().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(err)}`),
      );
    } else if (req.method === 'GET' && path === '/ready') {
      const ready = options.ready();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ready }));
    } else res.writeHead(404, { 'content-type': 'text/plain' }).end('try GET /metrics or /ready\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://${options.host}:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
