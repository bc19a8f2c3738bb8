import { BatchViewIndex } from '../../batch/batch-view-index.ts';
import { BatchViewReader } from '../../batch/batch-view-reader.ts';
import { DuckDb } from '../../infra/duckdb/duckdb-database.ts';
import { openEventLog, openObjectStore, openViewStore } from '../../infra/adapters.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { BadRequestError } from '../../shared/errors.ts';
import { QueryService } from '../../serving/query-service.ts';
import type { WindowExplanation } from '../../serving/window-explanation.ts';
import { parseExplainRequest } from '../../serving/window-request.ts';
import type { EventLog } from '../../shared/ports/event-log.ts';
import { configFrom, type Command, type CommandEnv } from '../command.ts';
import { windowExplainerOf } from '../window-explainer-of.ts';

/** `lk explain`: why one window has the value it is served with (what GET /v1/explain/{view} answers). */
export const explainCommand: Command = {
  name: 'explain',
  summary: 'explain one window: the layers and version that served it, its value against the truth, and the too-late events and duplicates behind the difference',
  details: `
Answers what GET /v1/explain/{view}?key=&start=&mode= answers, with the same function, over the
stores directly (no lk serve needed): the layer(s) and version that served the window, the batch
horizon and watermark, the window's value against the truth where the truth is known (the window
ends by the batch horizon: computed from the master dataset's records of its hours through the
pipeline definition, by the independent oracle), and the events that make the difference: the
too-late events of the late topic in it (id, source partition and offset, how late), the event
ids the master dataset holds several copies of (the streaming layers keep only counts), and the
events of buckets from the horizon on, which only the streaming side counts so far.

Example: lk explain --view product_activity --key p-0001 --start 2026-01-01T10:05:00Z --mode speed`,
  options: {
    view: { type: 'string', valueName: 'NAME', description: 'the view' },
    key: { type: 'string', valueName: 'KEY', description: 'the key of the window (omit it for a global view)' },
    start: { type: 'string', valueName: 'TIME', description: "the window's start (ISO-8601 with zone, or epoch ms)" },
    mode: { type: 'string', valueName: 'MODE', description: 'lambda, kappa, batch or speed', default: 'lambda' },
    json: { type: 'boolean', description: 'print the explanation as one JSON document (the HTTP answer)' },
  },
  async run(options, env) {
    const view = options.view as string | undefined;
    if (!view) throw new BadRequestError('--view', 'name the view, e.g. --view product_activity');
    const config = await configFrom(options, ['log', 'objectStore', 'viewStore']);
    const pipeline = compilePipeline(config.pipeline);
    const query = { key: options.key, start: options.start, mode: options.mode };
    const q = parseExplainRequest(view, Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)), Date.now());
    const objects = await openObjectStore(config);
    const views = await openViewStore(config);
    const db = await DuckDb.open();
    let log: Promise<EventLog> | undefined;
    try {
      const batch = new BatchViewIndex(new BatchViewReader({ objects, db, pipeline }), { pollMs: 3_600_000 });
      await batch.refresh();
      const service = new QueryService({ pipeline, viewStore: views, batch });
      const explainer = windowExplainerOf({ service, pipeline, topics: config.topics, log: () => (log ??= openEventLog(config)), objects, db });
      const x = await explainer.explain(q);
      if (options.json) env.out(JSON.stringify(x));
      else printExplanation(env, x);
      batch.close();
      return 0;
    } finally {
      await (await log?.catch(() => undefined))?.close();
      await db.close();
      await views.close();
      await objects.close();
    }
  },
};

/** The explanation for people: the summary, then each list. */
function printExplanation(env: CommandEnv, x: WindowExplanation): void {
  const at = (p: { partition: number | null; offset: number | null }) => (p.partition === null ? '?' : `${p.partition}@${p.offset}`);
  env.out(`${x.view} ${x.key} [${x.start}, ${x.end}) in ${x.mode}: batch horizon ${x.served.batchHorizon ?? 'none'}, watermark ${x.served.watermark ?? 'none'}, final before ${x.served.finalBefore ?? 'none'}`);
  for (const line of x.summary) env.out(`  ${line}`);
  if (x.served.measures !== null) env.out(`served ${JSON.stringify(x.served.measures)}`);
  if (x.truth.known && x.truth.window !== null) env.out(`truth  ${JSON.stringify(x.truth.window.measures)}`);
  for (const e of x.tooLate) env.out(`too late ${e.eventId} at ${at(e)}: event time ${e.eventTime}, ${e.lateByMs === null ? '?' : `${e.lateByMs} ms`} before the bound ${e.lateBefore ?? '?'}${e.counted ? ' (counted: batch has it)' : ' (not counted)'}`);
  for (const d of x.duplicates.ids ?? []) env.out(`duplicate ${d.eventId}: ${d.copies} copies, kept ${at(d.kept)}, dropped ${d.dropped.map(at).join(', ')}`);
  if (x.duplicates.ids === null) env.out(`duplicates: ${x.duplicates.source}`);
  if (x.notYetInBatch.total) env.out(`not yet in batch: ${x.notYetInBatch.total} event(s) from ${x.notYetInBatch.from ?? 'the start'}${x.notYetInBatch.total > (x.notYetInBatch.events?.length ?? 0) ? ' (first listed in --json)' : ''}`);
}
