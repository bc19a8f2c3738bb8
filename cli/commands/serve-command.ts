import { BatchViewIndex } from '../../batch/batch-view-index.ts';
import { BatchViewReader } from '../../batch/batch-view-reader.ts';
import { openEventLog, openObjectStore, openViewStore } from '../../infra/adapters.ts';
import { LateFootprint } from '../../shared/compute/late-footprint.ts';
import { readLateEvents } from '../../speed/late-events.ts';
import { DuckDb } from '../../infra/duckdb/duckdb-database.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { QueryService } from '../../serving/query-service.ts';
import { dashboardPage } from '../../serving/dashboard-page.ts';
import { readChartAssets } from '../../infra/uplot/chart-assets.ts';
import { startHttpServer } from '../../serving/http-server.ts';
import { servingMetrics } from '../../serving/serving-metrics.ts';
import { servingReadiness } from '../../serving/serving-readiness.ts';
import { prometheusMetrics } from '../../infra/metrics/prometheus-metrics.ts';
import { configFrom, intOption, type Command } from '../command.ts';
import { cutOverTo, rollback } from '../../speed/kappa-cutover.ts';
import type { EventLog } from '../../shared/ports/event-log.ts';
import { windowExplainerOf } from '../window-explainer-of.ts';
import { readReplayProgress } from '../../speed/replay-progress.ts';

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
    const objects = await openObjectStore(config);
    const views = await openViewStore(config);
    const db = await DuckDb.open();
    // Opened when first needed (an explain request) unless the admin endpoints are on; a failed open is tried again next time.
    let logOpen: Promise<EventLog> | undefined = admin ? openEventLog(config) : undefined;
    const log = () => (logOpen ??= openEventLog(config).catch((err: unknown) => {
      logOpen = undefined;
      throw err;
    }));
    if (admin) await log();
    try {
      // The published batch is loaded once per publish (found by polling the manifest), not read per request.
      const batch = new BatchViewIndex(new BatchViewReader({ objects, db, pipeline }), { pollMs: intOption(options, 'manifest-poll-ms', 10, 3_600_000, 1000), pipeline });
      // A damaged or unreadable manifest does not stop the process: requests get its error (each
      // tries to load again, so a republished manifest is picked up), and /ready says why.
      await batch.refresh().catch((err: unknown) => env.err(`serve: the published batch could not be loaded: ${err instanceof Error ? err.message : String(err)}`));
      batch.start();
      const service = new QueryService({ pipeline, viewStore: views, batch, replayProgress: () => readReplayProgress(objects) }, { streamStateTtlMs: intOption(options, 'stream-state-ms', 0, 60_000, 50) });
      const server = await startHttpServer(service, {
        host: (options.host as string | undefined) ?? config.serving.host,
        port: config.serving.port,
        logger: Boolean(options['log-requests']),
        metrics: servingMetrics(prometheusMetrics(), service, batch),
        readiness: servingReadiness({ batch, viewStore: views }),
        dashboard: dashboardPage(await readChartAssets()),
        explainer: windowExplainerOf({ service, pipeline, topics: config.topics, log, objects, db }),
        admin: config.serving.adminToken === undefined ? undefined : {
          token: config.serving.adminToken,
          actions: {
            cutover: async (version, force) => {
              const late = new LateFootprint(pipeline, await readLateEvents(await log(), config.topics, pipeline));
              const r = await cutOverTo({ views, pipeline, batch: await batch.snapshot(), late }, version, { force });
              env.err(`serve: admin cut-over to ${version}: ${r.cutOver ? `served (was ${r.previous ?? 'none'})` : 'refused by the gate'}`);
              return { ...r };
            },
            rollback: async () => {
              const r = await rollback(views);
              env.err(`serve: admin rollback: ${r.to} serves (was ${r.from})`);
              return { ...r };
            },
          },
        },
      });
      env.err(`serve: listening on ${server.url} with the dashboard at /${config.serving.adminToken === undefined ? '' : ' and the admin endpoints on'} (Ctrl-C to stop)`);
      await new Promise<void>((resolve) => env.signal.addEventListener('abort', () => resolve(), { once: true }));
      await server.close();
      batch.close();
      return 0;
    } finally {
      await (await logOpen?.catch(() => undefined))?.close();
      await db.close();
      await views.close();
      await objects.close();
    }
  },
};
