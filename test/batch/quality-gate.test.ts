import { describe, expect, it } from 'vitest';
import { checkCounts, checkDeadLetters, checkDrift, checkFiles, checkMeasures, checkReach, checkSchema, qualityGate, type HourFacts, type StoredPaneFile } from '../../batch/quality-gate.ts';
import { compilePipeline, type CompiledView } from '../../shared/compute/pipeline.ts';
import type { ViewDef } from '../../shared/compute/view-def.ts';
import { HOUR_MS } from '../../shared/time/bucket.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

const H = Date.UTC(2026, 2, 1, 10);
const MIN = 60_000;

/** The reference views, with every view's quality bounds widened by `quality`. */
function views(quality: ViewDef['quality'] = {}): Record<string, CompiledView> {
  const config = ecommerceConfig();
  const p = compilePipeline({ ...config, views: config.views.map((v) => ({ ...v, quality: { ...v.quality, ...quality } })) });
  return Object.fromEntries(p.views.map((v) => [v.name, v]));
}
const { revenue, user_sessions: sessions, product_activity: products } = views();

const hour = (o: Partial<HourFacts> = {}): HourFacts => ({ bucket: H, rows: 100, events: 95, archivedValid: 100, deadLettered: 0, ...o });

/** A stored revenue pane file as the runner reads a good one back. */
function revenueFile(o: Partial<StoredPaneFile> = {}): StoredPaneFile {
  return {
    key: 'views/runs/r/revenue/dt=2026-03-01/hour=10/panes.parquet',
    written: 69,
    columns: [['key', 'VARCHAR'], ['start', 'BIGINT'], ['end', 'BIGINT'], ['bucket', 'BIGINT'], ['revenue_cents', 'DOUBLE'], ['orders', 'DOUBLE']],
    rows: 69,
    nullBounds: 0,
    bucket: { min: H, max: H },
    // Sliding 10 min windows every minute: the first starts 9 minutes before the hour, the last at 10:59.
    start: { min: H - 9 * MIN, max: H + 59 * MIN },
    end: { min: H + MIN, max: H + 69 * MIN },
    measures: { revenue_cents: { nulls: 0, min: 0 }, orders: { nulls: 0, min: 1 } },
    ...o,
  };
}

describe('quality checks', () => {
  it('schema: the columns of a pane file, names and types in order', () => {
    expect(checkSchema(revenue, H, [revenueFile()])).toEqual([]);
    const swapped = revenueFile({ columns: [['key', 'VARCHAR'], ['start', 'BIGINT'], ['end', 'BIGINT'], ['bucket', 'BIGINT'], ['orders', 'DOUBLE'], ['revenue_cents', 'DOUBLE']] });
    expect(checkSchema(revenue, H, [swapped])).toEqual([{ view: 'revenue', bucket: H, check: 'schema', detail: expect.stringContaining('expected (key VARCHAR, start BIGINT, end BIGINT, bucket BIGINT, revenue_cents DOUBLE, orders DOUBLE)') }]);
    const typed = revenueFile({ columns: [['key', 'VARCHAR'], ['start', 'BIGINT'], ['end', 'BIGINT'], ['bucket', 'BIGINT'], ['revenue_cents', 'BIGINT'], ['orders', 'DOUBLE']] });
    expect(checkSchema(revenue, H, [typed]).map((f) => f.check)).toEqual(['schema']);
  });

  it('files: every written file is stored whole, and a view taking every event has panes in an hour with events', () => {
    expect(checkFiles(revenue, hour(), [revenueFile()])).toEqual([]);
    expect(checkFiles(revenue, hour(), [{ key: 'k', written: 5, problem: 'not readable from the object store (object not found: k)' }])).toEqual([
      { view: 'revenue', bucket: H, check: 'files', detail: 'k: not readable from the object store (object not found: k)' },
    ]);
    expect(checkFiles(revenue, hour(), [revenueFile({ rows: 12 })])[0].detail).toContain('holds 12 panes, 69 were written');
    // No pane file at all: a view with a filter may have nothing in the hour (no purchase); one without cannot.
    expect(checkFiles(revenue, hour(), [])).toEqual([]);
    expect(checkFiles(sessions, hour(), [])).toEqual([{ view: 'user_sessions', bucket: H, check: 'files', detail: expect.stringContaining('no pane file for hour 2026-03-01T10:00:00.000Z, which has 95 events') }]);
    expect(checkFiles(sessions, hour({ rows: 0, events: 0 }), [])).toEqual([]);
  });

  it('counts: rows are events plus duplicates, and no fewer than the archiver stored', () => {
    expect(checkCounts(hour())).toEqual([]);
    expect(checkCounts(hour({ events: 101 }))[0].detail).toContain('rows must be events plus duplicates');
    expect(checkCounts(hour({ events: 0 })).map((f) => f.check)).toEqual(['counts']);
    expect(checkCounts(hour({ rows: 90, events: 90 }))).toEqual([{ view: null, bucket: H, check: 'counts', detail: expect.stringContaining('a master file is missing') }]);
    // More rows than the archiver counted (an archive added files since its progress was read), or no counts: not a failure.
    expect(checkCounts(hour({ rows: 120, events: 110 }))).toEqual([]);
    expect(checkCounts(hour({ archivedValid: null }))).toEqual([]);
  });

  it('measures: none null, no count below 0, none the view declares non-negative below 0', () => {
    expect(checkMeasures(revenue, H, [revenueFile()])).toEqual([]);
    expect(checkMeasures(revenue, H, [revenueFile({ measures: { revenue_cents: { nulls: 0, min: -5 }, orders: { nulls: 0, min: 1 } } })])).toEqual([
      { view: 'revenue', bucket: H, check: 'measures', detail: expect.stringContaining('revenue_cents is -5, below 0') },
    ]);
    expect(checkMeasures(revenue, H, [revenueFile({ measures: { revenue_cents: { nulls: 0, min: 0 }, orders: { nulls: 0, min: -1 } } })])[0].detail).toContain('orders is -1');
    expect(checkMeasures(revenue, H, [revenueFile({ measures: { revenue_cents: { nulls: 3, min: 0 }, orders: { nulls: 0, min: 1 } } })])[0].detail).toContain('3 panes with revenue_cents null or NaN');
    // Without the declaration a negative sum is allowed (a refund).
    const { revenue: undeclared } = compiledWithout('revenue');
    expect(checkMeasures(undeclared, H, [revenueFile({ measures: { revenue_cents: { nulls: 0, min: -5 }, orders: { nulls: 0, min: 1 } } })])).toEqual([]);
  });

  it('reach: panes of the hour only, windows no further out than the window reaches', () => {
    expect(checkReach(revenue, H, HOUR_MS, [revenueFile()])).toEqual([]);
    expect(checkReach(revenue, H, HOUR_MS, [revenueFile({ bucket: { min: H, max: H + HOUR_MS } })])[0].detail).toContain('panes of buckets');
    // A sliding 10 min window cannot start 11 minutes before the hour, nor at its end.
    expect(checkReach(revenue, H, HOUR_MS, [revenueFile({ start: { min: H - 11 * MIN, max: H } })]).map((f) => f.check)).toEqual(['reach']);
    expect(checkReach(revenue, H, HOUR_MS, [revenueFile({ start: { min: H, max: H + HOUR_MS } })]).map((f) => f.check)).toEqual(['reach']);
    // A session starts in its hour and ends up to a gap after it.
    const session = { key: 's', written: 1, rows: 1, nullBounds: 0, bucket: { min: H, max: H } };
    expect(checkReach(sessions, H, HOUR_MS, [{ ...session, start: { min: H, max: H + 59 * MIN }, end: { min: H + 30 * MIN, max: H + 90 * MIN } }])).toEqual([]);
    expect(checkReach(sessions, H, HOUR_MS, [{ ...session, start: { min: H, max: H }, end: { min: H + 30 * MIN, max: H + 91 * MIN } }]).map((f) => f.check)).toEqual(['reach']);
    expect(checkReach(revenue, H, HOUR_MS, [revenueFile({ nullBounds: 2 })])[0].detail).toContain('2 panes without a key');
  });

  it("dead letters: the hour's share within the view's bound, unchecked without one", () => {
    expect(checkDeadLetters(revenue, hour({ deadLettered: 50 }))).toEqual([]);
    const bounded = views({ maxDeadLetterShare: 0.1 }).revenue;
    expect(checkDeadLetters(bounded, hour({ deadLettered: 11 }))).toEqual([]);
    expect(checkDeadLetters(bounded, hour({ deadLettered: 12 }))).toEqual([
      { view: 'revenue', bucket: H, check: 'dead_letters', detail: '12 of 112 records of hour 2026-03-01T10:00:00.000Z were dead-lettered (10.7%), more than the bound 10%' },
    ]);
  });

  it('drift: no window part changed by more than the bound against the published hour; a window gone is unbounded', () => {
    const drift = [{ measure: 'orders', change: 0.25, key: '*', start: H }, { measure: 'revenue_cents', change: 0.75, key: '*', start: H + MIN }];
    expect(checkDrift(revenue, H, drift)).toEqual([]);
    const bounded = views({ maxDrift: 0.5 }).revenue;
    expect(checkDrift(bounded, H, drift)).toEqual([{ view: 'revenue', bucket: H, check: 'drift', detail: expect.stringContaining('revenue_cents of key *, window at 2026-03-01T10:01:00.000Z, changed by 75%') }]);
    expect(checkDrift(bounded, H, [{ measure: 'orders', change: Number.POSITIVE_INFINITY, key: '*', start: H }])[0].detail).toContain('is gone from the recompute');
    expect(checkDrift(bounded, H, null)).toEqual([]);
  });

  it('qualityGate runs every check for every view of every hour', () => {
    const facts = { bucketMs: HOUR_MS, hours: [hour(), hour({ bucket: H + HOUR_MS, rows: 10, events: 10, archivedValid: 11 })], views: [{ view: 'revenue', bucket: H, files: [revenueFile({ rows: 1 })], drift: null }] };
    // product_activity takes every event but has no facts (no pane file) in either hour.
    expect(qualityGate([revenue, products], facts).map((f) => [f.view, f.bucket - H, f.check])).toEqual([
      ['revenue', 0, 'files'],
      ['product_activity', 0, 'files'],
      [null, HOUR_MS, 'counts'],
      ['product_activity', HOUR_MS, 'files'],
    ]);
  });
});

/** The reference views with `view`'s nonNegative declaration removed. */
function compiledWithout(view: string): Record<string, CompiledView> {
  const config = ecommerceConfig();
  const p = compilePipeline({ ...config, views: config.views.map((v) => (v.name === view ? { ...v, quality: {} } : v)) });
  return Object.fromEntries(p.views.map((v) => [v.name, v]));
}
