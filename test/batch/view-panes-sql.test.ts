import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropWindowMap, fixedWindowPanesSql } from '../../batch/fixed-window-panes.ts';
import { measureColumns } from '../../batch/pane-file.ts';
import { sessionWindowPanesSql } from '../../batch/session-window-panes.ts';
import { DuckDb } from '../../infra/duckdb/duckdb-database.ts';
import type { Pane } from '../../shared/compute/pane.ts';
import { compilePipeline, type CompiledView, type Pipeline } from '../../shared/compute/pipeline.ts';
import { foldEvents } from '../../shared/compute/reference-fold.ts';
import { type EcommerceEvent as Event } from '../../examples/ecommerce/pipeline.ts';
import { bucketSql, HOUR_MS } from '../../shared/time/bucket.ts';
import { sessionSlotsPerBucket } from '../../shared/time/session-window.ts';
import { Random } from '../../workload/random.ts';
import { randomWorkload, shuffled } from '../support/random-events.ts';
import { createEventTable } from '../shared/support/event-table.ts';
import { sortedPanes } from '../shared/support/sorted-panes.ts';
import { ecommerceConfig, ecommerceViews } from '../support/ecommerce.ts';

const MIN = 60_000;
const T = Date.UTC(2026, 0, 1, 10);

let db: DuckDb;
beforeAll(async () => {
  db = await DuckDb.open();
});
afterAll(async () => {
  await db.close();
});

/** The batch job's panes of one view over the `events` table: its pane SQL, pre-aggregated and merged in DuckDB. */
async function batchPanes(pipeline: Pipeline, view: CompiledView, events: readonly Event[]): Promise<Pane[]> {
  const bucketMs = pipeline.config.bucketMs;
  const relation = `(SELECT *, ${bucketSql('event_time', bucketMs)} AS bucket FROM events)`;
  const buckets = [...new Set(events.map((e) => Math.floor(e.event_time / bucketMs) * bucketMs))];
  const w = view.def.window;
  const select = w.kind === 'session' ? sessionWindowPanesSql(view, w, relation, bucketMs) : await fixedWindowPanesSql(db, view, w, relation, buckets, bucketMs);
  const columns = measureColumns(view.name, view.def.measures);
  const rows = await db.all(`SELECT key, start, "end", bucket, ${columns.join(', ')} FROM (${select})`);
  await dropWindowMap(db);
  return rows.map((r) => ({
    view: view.name,
    key: r.key as string,
    start: Number(r.start),
    end: Number(r.end),
    bucket: Number(r.bucket),
    acc: view.def.measures.map((m) => r[m.name] as number),
  }));
}

const foldOf = (pipeline: Pipeline, view: CompiledView, events: readonly Event[]) => sortedPanes(foldEvents(pipeline, events).filter((p) => p.view === view.name));

describe('the batch pane SQL (pre-aggregate finely, merge with combineSql)', () => {
  it('equals the fold for every reference view, with coarse times so ties are frequent', async () => {
    for (const bucketMs of [HOUR_MS, 30 * MIN, 2 * HOUR_MS]) {
      const pipeline = compilePipeline(ecommerceConfig({ bucketMs }));
      const { events } = randomWorkload({ seed: bucketMs / MIN, events: 3_000, start: T, spanMs: 5 * HOUR_MS, users: 6, products: 4 });
      const coarse = events.map((e) => ({ ...e, event_time: e.event_time - (e.event_time % 10_000) }));
      await createEventTable(db, 'events', shuffled(new Random(3), coarse));
      for (const view of pipeline.views) expect(sortedPanes(await batchPanes(pipeline, view, coarse)), `${view.name}, bucket ${bucketMs}`).toEqual(foldOf(pipeline, view, coarse));
    }
  });

  it('equals the fold for other window sizes and session gaps, including gaps shorter and longer than a bucket', async () => {
    const { events } = randomWorkload({ seed: 11, events: 2_000, start: T, spanMs: 4 * HOUR_MS, users: 4, products: 3 });
    const coarse = events.map((e) => ({ ...e, event_time: e.event_time - (e.event_time % 20_000) }));
    await createEventTable(db, 'events', coarse);
    for (const [size, slide, gap] of [
      [MIN, MIN, 1],
      [7 * MIN, MIN, 20_000],
      [2 * HOUR_MS, 20 * MIN, 7 * MIN],
      [5 * MIN, 5 * MIN, 61 * MIN],
      [HOUR_MS, 30 * MIN, 3 * HOUR_MS],
    ]) {
      const views = ecommerceViews({ productWindowMs: size, revenueWindowMs: size, revenueSlideMs: slide, sessionGapMs: gap });
      const pipeline = compilePipeline(ecommerceConfig({ views }));
      for (const view of pipeline.views) expect(sortedPanes(await batchPanes(pipeline, view, coarse)), `${view.name} (${size}/${slide}/${gap})`).toEqual(foldOf(pipeline, view, coarse));
    }
  });

  it('equals the fold whichever way sessions are found: one slot per bucket, two (one look back), or more (window functions)', async () => {
    const { events } = randomWorkload({ seed: 17, events: 2_500, start: T, spanMs: 5 * HOUR_MS, users: 5, products: 3 });
    const coarse = events.map((e) => ({ ...e, event_time: e.event_time - (e.event_time % 15_000) }));
    await createEventTable(db, 'events', shuffled(new Random(17), coarse));
    const slotCounts = new Set<number>();
    for (const [bucketMs, gap] of [
      [HOUR_MS, 30 * MIN],
      [HOUR_MS, 40 * MIN],
      [30 * MIN, 20 * MIN],
      [30 * MIN, 30 * MIN],
      [HOUR_MS, 2 * HOUR_MS],
      [2 * HOUR_MS, 25 * MIN],
    ]) {
      const views = ecommerceViews({ productWindowMs: MIN, revenueWindowMs: 10 * MIN, revenueSlideMs: MIN, sessionGapMs: gap });
      const pipeline = compilePipeline(ecommerceConfig({ bucketMs, views }));
      const view = pipeline.view('user_sessions');
      slotCounts.add(Math.min(3, sessionSlotsPerBucket({ kind: 'session', gapMs: gap }, bucketMs)));
      expect(sortedPanes(await batchPanes(pipeline, view, coarse)), `gap ${gap}, bucket ${bucketMs}`).toEqual(foldOf(pipeline, view, coarse));
    }
    expect([...slotCounts].sort()).toEqual([1, 2, 3]);
  });
});
