import { describe, expect, it } from 'vitest';
import type { Pane } from '../../../shared/compute/pane.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { foldEvents } from '../../../shared/compute/reference-fold.ts';
import { HOUR_MS } from '../../../shared/time/bucket.ts';
import { mergeLayers } from '../../../serving/layer-merge.ts';
import { Random } from '../../../workload/random.ts';
import { randomWorkload } from '../../support/random-events.ts';
import { mergedViews, type WindowAnswer } from '../support/merged-views.ts';
import { runPartitions } from '../support/run-partitions.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';

/**
 * THE seam property: for any batch horizon (a bucket boundary), batch panes below it plus speed
 * panes from it on, merged, give the truth for every window of every view, including the
 * sliding windows and sessions the horizon cuts in two.
 */
const MIN = 60_000;
const T = Date.UTC(2026, 0, 1, 10);
const SPAN_HOURS = 5;
const pipeline = compilePipeline(ecommerceConfig());
const { maxOutOfOrdernessMs: OOO, allowedLatenessMs: ALLOWED } = pipeline.config.lateness;
const SEEDS = [1, 2, 3, 4, 5, 6];

/** A workload over several hours, every event within allowed lateness, run through the speed layer's transform. */
function scenario(seed: number) {
  const w = randomWorkload({ seed, events: 2_500, start: T + 20 * MIN, spanMs: SPAN_HOURS * HOUR_MS, users: 12, maxDisorderMs: OOO + ALLOWED, duplicateRate: 0.03, partitions: 3 });
  const speed = runPartitions(pipeline, w.records, new Random(seed)).store.allPanes();
  const truth = mergedViews(pipeline, foldEvents(pipeline, w.events));
  // Every hour boundary from before the first event to after the last one, so the horizon also
  // falls where one layer has everything and the other nothing.
  const horizons = Array.from({ length: SPAN_HOURS + 3 }, (_, i) => T + (i - 1) * HOUR_MS);
  return { events: w.events, speed, truth, horizons };
}

const cut = (windows: readonly WindowAnswer[], h: number) => windows.filter((w) => w.start < h && h < w.end);

describe('the seam at the batch horizon', () => {
  it.each(SEEDS)('batch below the horizon + speed from it equals the truth, at every horizon (seed %i)', (seed) => {
    const { events, speed, truth, horizons } = scenario(seed);
    let cutSessions = 0;
    for (const h of horizons) {
      const batch = foldEvents(pipeline, events.filter((e) => e.event_time < h));
      expect(batch.every((p) => p.bucket < h)).toBe(true);
      const lambda = mergedViews(pipeline, [...batch, ...speed.filter((p) => p.bucket >= h)]);
      expect(lambda, `horizon ${new Date(h).toISOString()}`).toEqual(truth);
      cutSessions += cut(truth.user_sessions, h).length;
      if (h > T && h < T + SPAN_HOURS * HOUR_MS) {
        // The property is not vacuous: inside the span the horizon cuts 10-minute sliding windows.
        expect(cut(truth.revenue, h).length).toBeGreaterThan(0);
      }
    }
    // ... and 30-minute sessions.
    expect(cutSessions).toBeGreaterThan(0);
  });

  it.each(SEEDS)('holds through the serving layer merge, with both layers feeding the windows the horizon cuts (seed %i)', (seed) => {
    const { events, speed, truth, horizons } = scenario(seed);
    let joinedSessions = 0;
    for (const h of horizons) {
      const batch = foldEvents(pipeline, events.filter((e) => e.event_time < h));
      const inside = h > T && h < T + SPAN_HOURS * HOUR_MS;
      for (const view of pipeline.views) {
        const of = (panes: Pane[]) => panes.filter((p) => p.view === view.name);
        // The speed layer still holds buckets below the horizon; the merge must ignore them.
        const served = mergeLayers(view, 'lambda', { batch: of(batch), speed: of(speed) }, h);
        expect(served.map(({ key, start, end, acc }) => ({ key, start, end, acc })), `${view.name} at ${new Date(h).toISOString()}`).toEqual(truth[view.name]);
        for (const w of served) if (w.end <= h) expect(w.tags).toEqual(['batch']);
        const joined = served.filter((w) => w.start < h && h < w.end && w.tags.length === 2);
        if (view.name === 'revenue' && inside) expect(joined.length).toBeGreaterThan(0);
        if (view.name === 'user_sessions') joinedSessions += joined.length;
      }
    }
    expect(joinedSessions).toBeGreaterThan(0);
  });

  it('joins a session and a sliding window cut exactly at the horizon (hand-made case)', () => {
    const h = T + HOUR_MS;
    const ev = (id: string, t: number) => ({ event_id: id, event_type: 'purchase' as const, user_id: 'u1', product_id: 'p1', price: 1_000, quantity: 1, event_time: t, session_id: null });
    const events = [ev('a', h - 10 * MIN), ev('b', h - 1), ev('c', h), ev('d', h + 25 * MIN)];
    const batch = foldEvents(pipeline, events.filter((e) => e.event_time < h));
    const speed = foldEvents(pipeline, events.filter((e) => e.event_time >= h));
    const lambda = mergedViews(pipeline, [...batch, ...speed]);
    expect(lambda).toEqual(mergedViews(pipeline, foldEvents(pipeline, events)));
    expect(lambda.user_sessions.map((s) => [s.start, s.end, s.acc[0]])).toEqual([[h - 10 * MIN, h + 55 * MIN, 4]]);
    expect(lambda.revenue.find((x) => x.start === h - 5 * MIN)!.acc).toEqual([2_000, 2]);
  });
});
