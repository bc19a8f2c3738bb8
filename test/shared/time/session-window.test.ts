import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDb } from '../../../infra/duckdb/duckdb-database.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { foldEvents } from '../../../shared/compute/reference-fold.ts';
import { type EcommerceEvent as Event } from '../../../examples/ecommerce/pipeline.ts';
import { bucketSql, HOUR_MS } from '../../../shared/time/bucket.ts';
import { checkSessionWindow, sessionNumberSql, sessionSlotSql, sessionSlotsPerBucket, sessionStartSlotSql, sessionWindowOf } from '../../../shared/time/session-window.ts';
import type { SessionSpec } from '../../../shared/time/window.ts';
import { Random } from '../../../workload/random.ts';
import { randomEvent, randomWorkload, shuffled } from '../../support/random-events.ts';
import { createEventTable } from '../support/event-table.ts';
import { mergedViews } from '../support/merged-views.ts';
import { sortedPanes } from '../support/sorted-panes.ts';
import { sqlPanes } from '../support/sql-panes.ts';
import { ecommerceConfig, ecommerceViews } from '../../support/ecommerce.ts';

const MIN = 60_000;
const GAP = 30 * MIN;
const T = Date.UTC(2026, 0, 1, 10);
const pipeline = compilePipeline(ecommerceConfig());
const rng = new Random(5);

/** A page view of user u1 at t. */
const at = (t: number, id = `e${t}`): Event => ({ ...randomEvent(rng, id, t), user_id: 'u1', event_type: 'page_view', price: 0, quantity: 0 });
const sessions = (events: Event[]) => mergedViews(pipeline, foldEvents(pipeline, events)).user_sessions.map((w) => [w.start, w.end, w.acc[0]]);

describe('session windows', () => {
  it('opens [t, t + gap) for an event at t', () => {
    expect(sessionWindowOf({ kind: 'session', gapMs: GAP }, T)).toEqual({ start: T, end: T + GAP });
  });

  it('splits events exactly one gap apart into two sessions (half-open windows only touch)', () => {
    expect(sessions([at(T), at(T + GAP)])).toEqual([
      [T, T + GAP, 1],
      [T + GAP, T + 2 * GAP, 1],
    ]);
  });

  it('keeps events one millisecond less than the gap apart in one session', () => {
    expect(sessions([at(T), at(T + GAP - 1)])).toEqual([[T, T + 2 * GAP - 1, 2]]);
  });

  it('merges two sessions when an out-of-order event bridges them', () => {
    const first = at(T);
    const second = at(T + 50 * MIN);
    expect(sessions([first, second])).toHaveLength(2);
    expect(sessions([first, second, at(T + 25 * MIN)])).toEqual([[T, T + 80 * MIN, 3]]);
  });

  it('merges session fragments split at a bucket boundary back into one session', () => {
    const events = [at(T + 50 * MIN), at(T + 70 * MIN), at(T + 95 * MIN)];
    const panes = foldEvents(pipeline, events).filter((p) => p.view === 'user_sessions');
    expect(panes.map((p) => p.bucket).sort()).toEqual([T, T + 60 * MIN]);
    expect(sessions(events)).toEqual([[T + 50 * MIN, T + 125 * MIN, 3]]);
  });

  it('rejects a gap that is not a positive whole number of ms', () => {
    expect(() => checkSessionWindow('s', { kind: 'session', gapMs: 0 })).toThrow(/s: session gap must be a positive whole number of ms/);
    expect(() => checkSessionWindow('s', { kind: 'session', gapMs: 1.5 })).toThrow(/positive whole number/);
  });
});

describe('sessionNumberSql, the SQL twin of the overlap rule', () => {
  let db: DuckDb;
  beforeAll(async () => {
    db = await DuckDb.open();
  });
  afterAll(async () => {
    await db.close();
  });

  it('starts a new session exactly at the gap, not one millisecond before', async () => {
    await createEventTable(db, 'gap_events', [at(T, 'a'), at(T + GAP - 1, 'b'), at(T + 2 * GAP - 1, 'c'), at(T + 3 * GAP - 1 + 1, 'd')]);
    const rows = await db.all(
      `SELECT event_id, session_no FROM (${sessionNumberSql({ kind: 'session', gapMs: GAP }, '(SELECT *, user_id AS key, 0 AS bucket FROM gap_events)')}) ORDER BY event_id`,
    );
    expect(rows.map((r) => [r.event_id, Number(r.session_no)])).toEqual([
      ['a', 1],
      ['b', 1],
      ['c', 2],
      ['d', 3],
    ]);
  });

  it('gives events at the same time the same session, whatever order ties are read in', async () => {
    // Many keys, each with a session opened by several simultaneous events: a frame that cuts
    // between peers would leave some of them in the previous session.
    const events: Event[] = [];
    for (let k = 0; k < 40; k++) {
      for (const [i, t] of [0, 5, 10, 100, 100, 100, 100, 100, 105, 105, 200, 200, 200].entries()) {
        events.push({ ...at(T + t * 1000, `k${k}-${i}`), user_id: `u${k}` });
      }
    }
    await createEventTable(db, 'tie_events', shuffled(new Random(9), events));
    const rows = await db.all(
      `SELECT key, session_no, min(event_time) AS s, max(event_time) AS e, count(*) AS n
       FROM (${sessionNumberSql({ kind: 'session', gapMs: 50_000 }, '(SELECT *, user_id AS key, 0 AS bucket FROM tie_events)')})
       GROUP BY key, session_no ORDER BY key, s`,
    );
    const shapes = new Set(rows.map((r) => `${Number(r.s) - T}..${Number(r.e) - T} x${r.n}`));
    expect([...shapes].sort()).toEqual(['0..10000 x3', '100000..105000 x7', '200000..200000 x3']);
  });

  it('pre-aggregates sessions in SQL to exactly the session panes of foldEvents', async () => {
    for (const seed of [1, 2, 3, 4]) {
      // Coarse times make ties frequent; few users make sessions long and bucket-crossing.
      const { events } = randomWorkload({ seed, events: 2_000, start: T, spanMs: 5 * 60 * MIN, users: 6 });
      const coarse = events.map((e) => ({ ...e, event_time: e.event_time - (e.event_time % (seed * 10_000)) }));
      await createEventTable(db, 'events', coarse);
      const view = pipeline.view('user_sessions');
      expect(sortedPanes(await sqlPanes(db, pipeline, view, 'events'))).toEqual(sortedPanes(foldEvents(pipeline, coarse).filter((p) => p.view === view.name)));
    }
  });

  it('agrees with the fold for other gaps too, with many sessions starting on tied times', async () => {
    const { events } = randomWorkload({ seed: 8, events: 2_000, start: T, spanMs: 3 * 60 * MIN, users: 4 });
    const coarse = events.map((e) => ({ ...e, event_time: e.event_time - (e.event_time % 20_000) }));
    await createEventTable(db, 'events', shuffled(new Random(8), coarse));
    for (const gap of [1, 20_000, MIN, 7 * MIN, 61 * MIN]) {
      const p = compilePipeline(ecommerceConfig({ views: ecommerceViews({ productWindowMs: MIN, revenueWindowMs: 10 * MIN, revenueSlideMs: MIN, sessionGapMs: gap }) }));
      const view = p.view('user_sessions');
      expect(sortedPanes(await sqlPanes(db, p, view, 'events'))).toEqual(sortedPanes(foldEvents(p, coarse).filter((x) => x.view === view.name)));
    }
  });

  it('puts two times in one slot only when they are in one bucket and less than a gap apart', async () => {
    const r = new Random(12);
    for (const [gap, bucketMs] of [
      [1, HOUR_MS],
      [7, HOUR_MS],
      [20_000, HOUR_MS],
      [GAP, HOUR_MS],
      [40 * MIN, HOUR_MS],
      [GAP, 2 * HOUR_MS],
      [3 * 60 * MIN, HOUR_MS],
    ]) {
      const spec: SessionSpec = { kind: 'session', gapMs: gap };
      const times = [0, -1, gap - 1, gap, -gap, -gap - 1, T, T + gap - 1, T - 1, T + bucketMs - 1, ...Array.from({ length: 200 }, () => T + r.int(-5 * gap, 5 * gap))];
      const rows = await db.all<{ t: bigint; b: bigint; s: bigint }>(
        `SELECT t, b, ${sessionSlotSql(spec, 't', 'b')} AS s FROM (SELECT t, ${bucketSql('t', bucketMs)} AS b FROM (SELECT unnest([${times.join(', ')}]::BIGINT[]) AS t))`,
      );
      for (const a of rows) {
        const slot = Number(a.s);
        expect(slot, `slot of ${a.t} (gap ${gap})`).toBe(Math.floor((Number(a.t) - Number(a.b)) / gap));
        expect(slot).toBeGreaterThanOrEqual(0);
        expect(slot, `slots per bucket (gap ${gap}, bucket ${bucketMs})`).toBeLessThan(sessionSlotsPerBucket(spec, bucketMs));
        for (const b of rows) if (a.s === b.s && a.b === b.b) expect(Math.abs(Number(a.t) - Number(b.t))).toBeLessThan(gap);
      }
    }
  });

  it('numbers slot fragments (spans of events) into the sessions their events get', async () => {
    const { events } = randomWorkload({ seed: 13, events: 2_000, start: T, spanMs: 4 * 60 * MIN, users: 5 });
    const coarse = events.map((e) => ({ ...e, event_time: e.event_time - (e.event_time % 15_000) }));
    await createEventTable(db, 'span_events', shuffled(new Random(13), coarse));
    for (const gap of [1, 15_000, 7 * MIN, GAP, 3 * 60 * MIN]) {
      const spec = { kind: 'session', gapMs: gap } as const;
      const keyed = '(SELECT *, user_id AS key, 0 AS bucket FROM span_events)';
      const fragments = `(SELECT key, bucket, ${sessionSlotSql(spec, 'event_time', 'bucket')} AS slot, min(event_time) AS first_time, max(event_time) AS last_time, count(*) AS n FROM ${keyed} GROUP BY ALL)`;
      const bySpans = await db.all(
        `SELECT key, min(first_time) AS s, max(last_time) AS e, sum(n) AS n FROM (${sessionNumberSql(spec, fragments, { first: 'first_time', last: 'last_time' })}) GROUP BY key, session_no ORDER BY key, s`,
      );
      const byEvents = await db.all(`SELECT key, min(event_time) AS s, max(event_time) AS e, count(*) AS n FROM (${sessionNumberSql(spec, keyed)}) GROUP BY key, session_no ORDER BY key, s`);
      expect(bySpans.length, `gap ${gap}`).toBeGreaterThan(4);
      expect(bySpans, `gap ${gap}`).toEqual(byEvents);
    }
  });
});


describe('sessionStartSlotSql, sessions from slot fragments by one look back (buckets of one or two slots)', () => {
  let db: DuckDb;
  beforeAll(async () => {
    db = await DuckDb.open();
  });
  afterAll(async () => {
    await db.close();
  });

  /** Session panes as [key, bucket, first event, last event, events], from fragments linked by sessionStartSlotSql. */
  async function linkedSessions(spec: SessionSpec, bucketMs: number, table: string): Promise<(string | number)[][]> {
    const keyed = `(SELECT *, user_id AS key, ${bucketSql('event_time', bucketMs)} AS bucket FROM ${table})`;
    const fragments = `SELECT key, bucket, ${sessionSlotSql(spec, 'event_time', 'bucket')} AS slot, min(event_time) AS first_time, max(event_time) AS last_time, count(*) AS n
      FROM ${keyed} GROUP BY ALL`;
    const rows = await db.all(
      `WITH fragments AS MATERIALIZED (${fragments})
       SELECT key, bucket, min(first_time) AS s, max(last_time) AS e, sum(n) AS n
       FROM (${sessionStartSlotSql(spec, bucketMs, 'fragments', { first: 'first_time', last: 'last_time' })})
       GROUP BY key, bucket, session_slot`,
    );
    return sortRows(rows.map((r) => [r.key as string, Number(r.bucket), Number(r.s), Number(r.e), Number(r.n)]));
  }

  /** The same shape from the shared transform's session panes (foldEvents). */
  function foldedSessions(events: Event[], gapMs: number, bucketMs: number): (string | number)[][] {
    const p = compilePipeline(ecommerceConfig({ bucketMs, views: ecommerceViews({ productWindowMs: MIN, revenueWindowMs: 10 * MIN, revenueSlideMs: MIN, sessionGapMs: gapMs }) }));
    const panes = foldEvents(p, events).filter((x) => x.view === 'user_sessions');
    return sortRows(panes.map((x) => [x.key, x.bucket, x.start, x.end - gapMs, x.acc[0]]));
  }

  const sortRows = (rows: (string | number)[][]) => rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : (a[1] as number) - (b[1] as number) || (a[2] as number) - (b[2] as number)));

  it('matches the fold on the edges: exactly a gap apart across the slot boundary, one ms less, ties, sessions through both slots and across buckets', async () => {
    const H = T; // 10:00, a bucket start; slots [10:00, 10:30) and [10:30, 11:00)
    const u = (user: string, t: number, id: string): Event => ({ ...at(t, id), user_id: user });
    const cases: Record<string, number[]> = {
      gapApart: [H + 10 * MIN, H + 40 * MIN],
      lessThanGap: [H + 10 * MIN, H + 40 * MIN - 1],
      tiesAtBoundary: [H + 30 * MIN - 1, H + 30 * MIN - 1, H + 30 * MIN, H + 30 * MIN],
      throughBothSlots: [H + 5 * MIN, H + 25 * MIN, H + 45 * MIN, H + 59 * MIN],
      acrossBuckets: [H + 50 * MIN, H + 70 * MIN, H + 95 * MIN],
      lastSlotOnly: [H + 31 * MIN, H + 59 * MIN],
      gapWithinSlots: [H + 1 * MIN, H + 29 * MIN, H + 31 * MIN + 1, H + 59 * MIN + 59_999],
    };
    const events = Object.entries(cases).flatMap(([user, times]) => times.map((t, i) => u(user, t, `${user}-${i}`)));
    await createEventTable(db, 'edge_events', shuffled(new Random(21), events));
    const spec: SessionSpec = { kind: 'session', gapMs: GAP };
    const linked = await linkedSessions(spec, HOUR_MS, 'edge_events');
    expect(linked).toEqual(foldedSessions(events, GAP, HOUR_MS));
    const count = (user: string) => linked.filter((r) => r[0] === user).length;
    expect(count('gapApart')).toBe(2);
    expect(count('lessThanGap')).toBe(1);
    expect(count('tiesAtBoundary')).toBe(1);
    expect(count('throughBothSlots')).toBe(1);
    // One session cut by the bucket boundary: one pane per bucket, merged again on read.
    expect(linked.filter((r) => r[0] === 'acrossBuckets').map((r) => r[1])).toEqual([H, H + HOUR_MS]);
  });

  it('matches the fold on random workloads for every gap that leaves a bucket one or two slots', async () => {
    for (const [seed, gap, bucketMs] of [
      [1, GAP, HOUR_MS],
      [2, 40 * MIN, HOUR_MS],
      [3, 20 * MIN, 30 * MIN],
      [4, GAP, 30 * MIN],
      [5, 61 * MIN, HOUR_MS],
      [6, HOUR_MS, 2 * HOUR_MS],
    ]) {
      expect(sessionSlotsPerBucket({ kind: 'session', gapMs: gap }, bucketMs)).toBeLessThanOrEqual(2);
      const { events } = randomWorkload({ seed, events: 1_500, start: T, spanMs: 5 * 60 * MIN, users: 5 });
      const coarse = events.map((e) => ({ ...e, event_time: e.event_time - (e.event_time % 20_000) }));
      await createEventTable(db, 'link_events', shuffled(new Random(seed), coarse));
      const linked = await linkedSessions({ kind: 'session', gapMs: gap }, bucketMs, 'link_events');
      expect(linked.length, `gap ${gap}, bucket ${bucketMs}`).toBeGreaterThan(10);
      expect(linked, `gap ${gap}, bucket ${bucketMs}`).toEqual(foldedSessions(coarse, gap, bucketMs));
    }
  });

  it('refuses buckets of more than two slots, where a session can span more fragments than one look back joins', () => {
    expect(sessionSlotsPerBucket({ kind: 'session', gapMs: 20 * MIN }, HOUR_MS)).toBe(3);
    expect(() => sessionStartSlotSql({ kind: 'session', gapMs: 20 * MIN }, HOUR_MS, 'fragments', { first: 'f', last: 'l' })).toThrow(/holds 3 slots/);
  });
});
