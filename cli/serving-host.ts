import { BatchViewIndex } from '../batch/batch-view-index.ts';
import { BatchViewReader } from '../batch/batch-view-reader.ts';
import { DuckDb } from '../infra/duckdb/duckdb-database.ts';
import { readChartAssets } from '../infra/uplot/chart-assets.ts';
import { LateFootprint } from '../shared/compute/late-footprint.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import type { PlatformConfig } from '../shared/config.ts';
import type { EventLog } from '../shared/ports/event-log.ts';
import type { MetricsRegistry } from '../shared/ports/metrics.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import type { ViewStore } from '../shared/ports/view-store.ts';
import { dashboardPage } from '../serving/dashboard-page.ts';
import { startHttpServer, type HttpServer } from '../serving/http-server.ts';
import { QueryService } from '../serving/query-service.ts';
import { servingMetrics } from '../serving/serving-metrics.ts';
import { servingReadiness } from '../serving/serving-readiness.ts';
import { cutOverTo, rollback } from '../speed/kappa-cutover.ts';
import { readLateEvents } from '../speed/late-events.ts';
import { readReplayProgress } from '../speed/replay-progress.ts';
import { windowExplainerOf } from './window-explainer-of.ts';

export interface ServingDeps {
  readonly config: PlatformConfig;
  readonly pipeline: Pipeline;
  readonly objects: ObjectStore;
  readonly views: ViewStore;
  /** The log the explain route and the admin cut-over's gate read the late topic from, opened when first needed. */
  readonly log: () => Promise<EventLog>;
  /** The registry /metrics exposes; the serving metrics are registered on it. */
  readonly registry: MetricsRegistry;
}

export interface ServingOptions {
  readonly host: string;
  readonly port: number;
  readonly logRequests: boolean;
  readonly streamStateTtlMs: number;
  readonly manifestPollMs: number;
  /** More /ready checks (the jobs `lk run` hosts beside serving): "ok" or what is wrong, by name. */
  readonly moreChecks?: () => Promise<Record<string, string>>;
}

/**
 * The serving layer as `lk serve` and `lk run` host it: the published batch loaded into memory
 * (reloaded per publish), the query service over it and the view store, and the HTTP API with the
 * dashboard, the window explainer, /metrics, /ready and, with an admin token, the gated Kappa
 * cut-over and rollback.
 */
export async function startServing(deps: ServingDeps, options: ServingOptions, say: (line: string) => void): Promise<HttpServer> {
  const { config, pipeline, objects, views, log } = deps;
  const db = await DuckDb.open();
  // The published batch is loaded once per publish (found by polling the manifest), not read per request.
  const batch = new BatchViewIndex(new BatchViewReader({ objects, db, pipeline }), { pollMs: options.manifestPollMs, pipeline });
  try {
    // A damaged or unreadable manifest does not stop the process: requests get its error (each
    // tries to load again, so a republished manifest is picked up), and /ready says why.
    await batch.refresh().catch((err: unknown) => say(`the published batch could not be loaded: ${err instanceof Error ? err.message : String(err)}`));
    batch.start();
    const service = new QueryService({ pipeline, viewStore: views, batch, replayProgress: () => readReplayProgress(objects) }, { streamStateTtlMs: options.streamStateTtlMs });
    const readiness = servingReadiness({ batch, viewStore: views });
    const server = await startHttpServer(service, {
      host: options.host,
      port: options.port,
      logger: options.logRequests,
      metrics: servingMetrics(deps.registry, service, batch),
      readiness: options.moreChecks === undefined ? readiness : async () => {
        const [served, more] = await Promise.all([readiness(), options.moreChecks!()]);
        const checks = { ...served.checks, ...more };
        return { ready: Object.values(checks).every((c) => c === 'ok'), checks };
      },
      dashboard: dashboardPage(await readChartAssets()),
      explainer: windowExplainerOf({ service, pipeline, topics: config.topics, log, objects, db }),
      admin: config.serving.adminToken === undefined ? undefined : {
        token: config.serving.adminToken,
        actions: {
          cutover: async (version, force) => {
            const late = new LateFootprint(pipeline, await readLateEvents(await log(), config.topics, pipeline));
            const r = await cutOverTo({ views, pipeline, batch: await batch.snapshot(), late }, version, { force });
            say(`admin cut-over to ${version}: ${r.cutOver ? `served (was ${r.previous ?? 'none'})` : 'refused by the gate'}`);
            return { ...r };
          },
          rollback: async () => {
            const r = await rollback(views);
            say(`admin rollback: ${r.to} serves (was ${r.from})`);
            return { ...r };
          },
        },
      },
    });
    say(`listening on ${server.url} with the dashboard at /${config.serving.adminToken === undefined ? '' : ' and the admin endpoints on'} (Ctrl-C to stop)`);
    return {
      url: server.url,
      close: async () => {
        await server.close();
        batch.close();
        await db.close();
      },
    };
  } catch (err) {
    batch.close();
    await db.close();
    throw err;
  }
}
