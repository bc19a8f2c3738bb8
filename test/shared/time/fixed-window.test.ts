import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDb } from '../../../infra/duckdb/duckdb-database.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { foldEvents } from '../../../shared/compute/reference-fold.ts';
import { ConfigError } from '../../../shared/errors.ts';
import { bucketsPerWindow, checkFixedWindow, paneStartSql, slideOf, windowsOverlapping, windowStartsOf } from '../../../shared/time/fixed-window.ts';
import { alignDown, type FixedWindowSpec } from '../../../shared/time/window.ts';
import { Random } from '../../../workload/random.ts';
import { randomWorkload } from '../../support/random-events.ts';
import { createEventTable } from '../support/event-table.ts';
import { sortedPanes } from '../support/sorted-panes.ts';
import { sqlPanes } from '../support/sql-panes.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';

const MIN = 60_000;
const T = Date.UTC(2026, 0, 1, 10);
const tumbling: FixedWindowSpec = { kind: 'tumbling', sizeMs: MIN };
const sliding: FixedWindowSpec = { kind: 'sliding', sizeMs: 10 * MIN, slideMs: MIN };
const specs: FixedWindowSpec[] = [tumbling, sliding, { kind: 'sliding', sizeMs: 3_000, slideMs: 1_000 }, { kind: 'tumbling', sizeMs: 7 }, { kind: 'sliding', sizeMs: 12, slideMs: 4 }];

describe('fixed windows', () => {
  it('puts an event exactly on a boundary in the window starting there, not the one ending there', () => {
    expect(windowStartsOf(tumbling, T)).toEqual([T]);
    expect(windowStartsOf(tumbling, T - 1)).toEqual([T - MIN]);
    const starts = windowStartsOf(sliding, T);
    expect(starts[0]).toBe(T);
    expect(starts).not.toContain(T - 10 * MIN);
    expect(starts.at(-1)).toBe(T - 9 * MIN);
  });

  it('lists the windows newest first', () => {
    expect(windowStartsOf(sliding, T + 30_000)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => T - i * MIN));
  });

  it('gives every time exactly size/slide windows, each containing it and aligned to the slide', () => {
    const rng = new Random(1);
    for (const spec of specs) {
      const slide = slideOf(spec);
      for (let i = 0; i < 2_000; i++) {
        // Negative and pre-epoch times too: alignment must floor, not truncate.
        const t = rng.int(-5 * spec.sizeMs, 5 * spec.sizeMs) + (rng.chance(0.5) ? T : 0);
        const starts = windowStartsOf(spec, t);
        expect(starts).toHaveLength(spec.sizeMs / slide);
        for (const s of starts) {
          expect(s <= t && t < s + spec.sizeMs).toBe(true);
          expect(alignDown(s, slide)).toBe(s);
        }
        expect(new Set(starts).size).toBe(starts.length);
      }
    }
  });

  it('floors negative times and times before any window (alignment is not truncation)', () => {
    expect(windowStartsOf(tumbling, -1)).toEqual([-MIN]);
    expect(windowStartsOf(tumbling, -MIN)).toEqual([-MIN]);
    expect(windowStartsOf(tumbling, 0)).toEqual([0]);
    expect(windowStartsOf({ kind: 'sliding', sizeMs: 12, slideMs: 4 }, -5)).toEqual([-8, -12, -16]);
  });

  it('gives every time of one pane (slide) the same windows as the pane start', () => {
    const rng = new Random(2);
    for (const spec of specs) {
      for (let i = 0; i < 500; i++) {
        const t = T + rng.int(-100_000, 100_000);
        expect(windowStartsOf(spec, t)).toEqual(windowStartsOf(spec, alignDown(t, slideOf(spec))));
      }
    }
  });

  it('rejects specs that cannot work with a ConfigError naming the view', () => {
    expect(() => checkFixedWindow('v', { kind: 'sliding', sizeMs: 10, slideMs: 3 })).toThrow(/v: window size \(10 ms\) must be a multiple of the slide \(3 ms\)/);
    expect(() => checkFixedWindow('v', { kind: 'tumbling', sizeMs: 0 })).toThrow(ConfigError);
    expect(() => checkFixedWindow('v', { kind: 'tumbling', sizeMs: 1.5 })).toThrow(/positive whole number/);
    expect(() => checkFixedWindow('v', { kind: 'sliding', sizeMs: 10, slideMs: 0 })).toThrow(/slide/);
    expect(() => checkFixedWindow('v', sliding)).not.toThrow();
  });
});

describe('paneStartSql, the SQL twin of alignDown', () => {
  let db: DuckDb;
  beforeAll(async () => {
    db = await DuckDb.open();
  });
  afterAll(async () => {
    await db.close();
  });

  it('agrees with alignDown on random times, boundaries and negative times', async () => {
    const rng = new Random(3);
    const times: number[] = [0, -1, 1, T, T - 1, T + 1, -MIN, -MIN - 1, 2 ** 52, -(2 ** 52)];
    for (let i = 0; i < 5_000; i++) times.push(rng.chance(0.3) ? rng.int(-1e6, 1e6) : T + rng.int(-1e10, 1e10));
    await db.run('CREATE TABLE times (t BIGINT)');
    await db.append('times', times.map((t) => [BigInt(t)]));
    for (const spec of specs) {
      const rows = await db.all<{ t: bigint; pane: bigint }>(`SELECT t, ${paneStartSql(spec, 't')} AS pane FROM times`);
      expect(rows).toHaveLength(times.length);
      const wrong = rows.filter((r) => Number(r.pane) !== alignDown(Number(r.t), slideOf(spec)));
      expect(wrong).toEqual([]);
    }
  });

  it('pre-aggregates fixed-window views in SQL to exactly the panes of foldEvents', async () => {
    const pipeline = compilePipeline(ecommerceConfig());
    for (const seed of [1, 2, 3]) {
      const { events } = randomWorkload({ seed, events: 3_000, start: T - 90 * MIN, spanMs: 4 * 60 * MIN });
      await createEventTable(db, 'events', events);
      const folded = foldEvents(pipeline, events);
      for (const view of pipeline.views.filter((v) => v.def.window.kind !== 'session')) {
        expect(sortedPanes(await sqlPanes(db, pipeline, view, 'events'))).toEqual(sortedPanes(folded.filter((p) => p.view === view.name)));
      }
    }
  });
});

describe('windowsOverlapping and bucketsPerWindow', () => {
  const specs: FixedWindowSpec[] = [
    { kind: 'tumbling', sizeMs: 60_000 },
    { kind: 'sliding', sizeMs: 600_000, slideMs: 60_000 },
    { kind: 'sliding', sizeMs: 7_200_000, slideMs: 1_800_000 },
    { kind: 'tumbling', sizeMs: 2_700_000 },
  ];

  it('counts the windows overlapping a range as enumerating them does', () => {
    const rng = new Random(3);
    for (const spec of specs) {
      const slide = spec.kind === 'tumbling' ? spec.sizeMs : spec.slideMs;
      for (let i = 0; i < 200; i++) {
        const from = 1_700_000_000_000 + rng.int(-5_000_000, 5_000_000);
        const to = from + rng.int(1, 20_000_000);
        let n = 0;
        for (let s = Math.floor((from - spec.sizeMs) / slide) * slide; s < to; s += slide) if (s + spec.sizeMs > from) n++;
        expect(windowsOverlapping(spec, from, to)).toBe(n);
      }
    }
  });

  it('bounds the buckets one window overlaps, and some window reaches the bound', () => {
    const bucketMs = 3_600_000;
    for (const spec of specs) {
      const slide = spec.kind === 'tumbling' ? spec.sizeMs : spec.slideMs;
      let most = 0;
      for (let s = 0; s < 10 * bucketMs; s += slide) most = Math.max(most, Math.floor((s + spec.sizeMs - 1) / bucketMs) - Math.floor(s / bucketMs) + 1);
      expect(bucketsPerWindow(spec, bucketMs)).toBe(most);
    }
  });
});
