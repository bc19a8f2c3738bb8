import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { foldEvents } from '../../../shared/compute/reference-fold.ts';
import { type EcommerceEvent as Event, type EventType } from '../../../examples/ecommerce/pipeline.ts';
import { HOUR_MS } from '../../../shared/time/bucket.ts';
import { Random } from '../../../workload/random.ts';
import { randomWorkload, shuffled } from '../../support/random-events.ts';
import { mergedViews } from '../support/merged-views.ts';
import { sortedPanes } from '../support/sorted-panes.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';

const MIN = 60_000;
const T = Date.UTC(2026, 0, 1, 10);
const pipeline = compilePipeline(ecommerceConfig());
const ev = (id: string, type: EventType, t: number, cents = 0, quantity = 0, user = 'u1', product = 'p1'): Event => ({
  event_id: id,
  event_type: type,
  user_id: user,
  product_id: product,
  price: cents,
  quantity,
  event_time: t,
  session_id: null,
});

describe('foldEvents', () => {
  const events = [
    ev('a', 'page_view', T + 1_000),
    ev('b', 'page_view', T + 2_000, 0, 0, 'u2'),
    ev('c', 'add_to_cart', T + 3_000, 1_999, 2),
    ev('d', 'purchase', T + 4_000, 1_999, 2),
    ev('e', 'purchase', T + MIN, 500, 1, 'u2', 'p2'),
  ];

  it('computes the reference views of a small example by hand', () => {
    const views = mergedViews(pipeline, foldEvents(pipeline, events));
    expect(views.product_activity.map((w) => [w.key, w.start, w.acc])).toEqual([
      ['p1', T, [2, 1, 1, 3_998]],
      ['p2', T + MIN, [0, 0, 1, 500]],
    ]);
    // Only purchases enter revenue, under the single global key.
    expect(views.revenue.filter((w) => w.start === T).map((w) => [w.key, w.acc])).toEqual([['*', [4_498, 2]]]);
    expect(views.revenue).toHaveLength(11);
    expect(views.user_sessions.map((w) => [w.key, w.start, w.end, w.acc])).toEqual([
      ['u1', T + 1_000, T + 4_000 + 30 * MIN, [3, 1, 3_998, T + 1_000, T + 4_000]],
      ['u2', T + 2_000, T + MIN + 30 * MIN, [2, 1, 500, T + 2_000, T + MIN]],
    ]);
  });

  it('drops duplicates by event_id, keeping the first', () => {
    const withCopies = [...events, { ...events[3] }, { ...events[0], event_time: T + 10 * MIN }];
    expect(sortedPanes(foldEvents(pipeline, withCopies))).toEqual(sortedPanes(foldEvents(pipeline, events)));
  });

  it('gives each pane the bucket of the events it holds', () => {
    const panes = foldEvents(pipeline, [ev('x', 'purchase', T - 1, 100, 1), ev('y', 'purchase', T, 100, 1)]);
    const straddling = panes.filter((p) => p.view === 'revenue' && p.start === T - 5 * MIN);
    expect(straddling.map((p) => p.bucket).sort()).toEqual([T - HOUR_MS, T]);
  });

  it('does not depend on the order of its input', () => {
    const rng = new Random(1);
    for (const seed of [1, 2, 3]) {
      const { events: random } = randomWorkload({ seed, events: 2_000, start: T, spanMs: 3 * 60 * MIN, users: 30 });
      const expected = sortedPanes(foldEvents(pipeline, random));
      expect(sortedPanes(foldEvents(pipeline, shuffled(rng, random)))).toEqual(expected);
    }
  });

  it('returns nothing for no events', () => {
    expect(foldEvents(pipeline, [])).toEqual([]);
  });
});
