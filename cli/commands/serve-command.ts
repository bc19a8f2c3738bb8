import { openEventLog, openObjectStore, openViewStore } from '../../infra/adapters.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import type { EventLog } from '../../shared/ports/event-log.ts';
import { prometheusMetrics } from '../../infra/metrics/prometheus-metrics.ts';
import { configFrom, intOption, type Command } from '../command.ts';
import { startServing } from '../serving-host.ts';

/** `lk serve`: the serving layer's HTTP API as a long-lived process. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the views over HTTP, merging batch and speed (Lambda) or reading the live Kappa version',
  details: `
GET /v1/views/{view}?key=&from=&to=&mode=lambda|kappa|batch|speed&limit=&cursor=
    one page of the windows overlapping [from, to) (ISO-8601 with zone, epoch ms, or now; default:
    the last hour) and \`next\`, the cursor of the following page
GET /v1/views/{view}/top?by=<measure>&n=10&from=&to=&mode=
    the top keys of a tumbling or session view by one measure
GET /    the live dashboard: every view in Lambda and Kappa for the last hour, the horizon,
    watermarks, side-output counts and freshness, polling this API every second
GET /v1/explain/{view}?key=&start=&mode=
    why one window has its value (what lk explain prints)
GET /v1/views   GET /v1/status   GET /openapi.json   GET /health   GET /ready   GET /metrics
POST /v1/admin/cutover?version=kappa_vN&force=   POST /v1/admin/rollback
    only when LK_ADMIN_TOKEN is set (16+ characters), for requests with
    Authorization: Bearer <token> (401 otherwise); the cut-over is gated as lk replay's is

On the embedded view store (a DuckDB file, one process at a time) \`lk serve\` cannot run beside
\`lk speed\`: \`lk run\` hosts serving and the jobs in one process.

Example: curl 'http://127.0.0.1:8080/v1/views/product_activity?key=p-0001&mode=lambda'`,
  options: {
    port: { type: 'string', valueName: 'N', description: 'port. Env: LK_PORT', default: '8080' },
    host: { type: 'string', valueName: 'HOST', description: 'interface to listen on. Env: LK_HOST', default: '127.0.0.1' },
    'log-requests': { type: 'boolean', description: 'log every request (fastify logger)' },
    'stream-state-ms': { type: 'string', valueName: 'MS', description: 'reuse the view store\'s checkpoints and alias this long, and pane reads while no commit changed them (0: read per request)', default: '50' },
    'manifest-poll-ms': { type: 'string', valueName: 'MS', description: 'how often the batch manifest is read for a new publish', default: '1000' },
  },
  async run(options, env) {
    // The late topic is read by the explain route, and by the admin cut-over's gate.
    const config = await configFrom(options, ['log', 'objectStore', 'viewStore']);
    const admin = config.serving.adminToken !== undefined;
    const pipeline = compilePipeline(config.pipeline);
    const servingOptions = servingOptionsFrom(options, config);
    const objects = await openObjectStore(config);
    const views = await openViewStore(config);
    // Opened when first needed (an explain request) unless the admin endpoints are on; a failed open is tried again next time.
    let logOpen: Promise<EventLog> | undefined = admin ? openEventLog(config) : undefined;
    const log = () => (logOpen ??= openEventLog(config).catch((err: unknown) => {
      logOpen = undefined;
      throw err;
    }));
    try {
      if (admin) await log();
      const server = await startServing({ config, pipeline, objects, views, log, registry: prometheusMetrics() }, servingOptions, (line) => env.err(`serve: ${line}`));
      await new Promise<void>((resolve) => env.signal.addEventListener('abort', () => resolve(), { once: true }));
      await server.close();
      return 0;
    } finally {
      await (await logOpen?.catch(() => undefined))?.close();
      await views.close();
      await objects.close();
    }
  },
};

/** The serving options of `lk serve` (and `lk run`, which takes the same), checked. */
export function servingOptionsFrom(options: Parameters<Command['run']>[0], config: { readonly serving: { readonly host: string; readonly port: number } }) {
  return {
    host: (options.host as string | undefined) ?? config.serving.host,
    port: config.serving.port,
    logRequests: Boolean(options['log-requests']),
    streamStateTtlMs: intOption(options, 'stream-state-ms', 0, 60_000, 50),
    manifestPollMs: intOption(options, 'manifest-poll-ms', 10, 3_600_000, 1000),
  };
}
