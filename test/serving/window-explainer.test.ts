import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { QueryService } from '../../serving/query-service.ts';
import { WindowExplainer } from '../../serving/window-explainer.ts';
import type { LoggedRecord } from '../../serving/window-explanation.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';
import { InMemoryBatchPaneSource } from '../support/in-memory-batch-pane-source.ts';
import { InMemoryViewStore } from '../support/in-memory-view-store.ts';
import { batchPanesBefore, commitStream, ev, HOUR, MIN, T0 } from './support/layer-fixtures.ts';

const pipeline = compilePipeline(ecommerceConfig());
const H = T0 + HOUR;
const iso = (t: number) => new Date(t).toISOString();

/**
 * Two page views of p1 at 10:05:01 (u1) and 10:05:02 (u2) the stream counted, and one at 10:05:03
 * (u1) it found too late; batch, published at 11:00, and the master dataset have all three, and
 * the master dataset has the second view twice (a redelivery).
 */
async function explainer() {
  const onTime = [ev('page_view', 'u1', 'p1', T0 + 5 * MIN + 1_000), ev('page_view', 'u2', 'p1', T0 + 5 * MIN + 2_000)];
  const late = { ...ev('page_view', 'u1', 'p1', T0 + 5 * MIN + 3_000), event_id: 'late-1' };
  const store = new InMemoryViewStore();
  await commitStream(store, 'speed', pipeline, onTime);
  const batch = new InMemoryBatchPaneSource();
  batch.publish(H, batchPanesBefore(pipeline, [...onTime, late], H));
  const service = new QueryService({ pipeline, viewStore: store, batch, clock: () => T0 + 3 * HOUR });
  const raw = (e: typeof late, offset: number): LoggedRecord => ({
    value: JSON.stringify({ event_id: e.event_id, event_type: e.event_type, user_id: e.user_id, product_id: e.product_id, event_time: iso(e.event_time) }),
    timestamp: T0 + 2 * HOUR,
    partition: 0,
    offset,
  });
  const master = [raw(onTime[0], 0), raw(onTime[1], 1), raw(onTime[1], 2), raw(late, 3)];
  const reads: [number, number][] = [];
  const x = new WindowExplainer({
    service,
    pipeline,
    lateRecords: async () => [{ event: late, sourcePartition: 0, sourceOffset: 3, lateBefore: T0 + 20 * MIN }],
    masterRecords: async (from, to) => {
      reads.push([from, to]);
      return master;
    },
  });
  return { x, reads, onTime };
}

describe('WindowExplainer', () => {
  it('computes the truth from the master records of the window only below the horizon, with and without the uncounted too-late events', async () => {
    const { x, reads, onTime } = await explainer();
    const speed = await x.explain({ view: 'product_activity', key: 'p1', start: T0 + 5 * MIN, mode: 'speed' });
    expect(reads).toEqual([[T0 + 5 * MIN, T0 + 6 * MIN]]);
    expect(speed.served).toMatchObject({ layers: ['speed'], measures: { views: 2 } });
    expect(speed.truth).toMatchObject({ known: true, equal: false, explainedByTooLate: true, difference: { views: -1 }, window: { measures: { views: 3 } } });
    expect(speed.tooLate.map((e) => [e.eventId, e.lateByMs, e.counted])).toEqual([['late-1', 15 * MIN - 3_000, false]]);
    expect(speed.duplicates.ids).toEqual([{ eventId: onTime[1].event_id, copies: 2, kept: { partition: 0, offset: 1 }, dropped: [{ partition: 0, offset: 2 }] }]);

    const lambda = await x.explain({ view: 'product_activity', key: 'p1', start: T0 + 5 * MIN, mode: 'lambda' });
    expect(lambda.served).toMatchObject({ layers: ['batch'], measures: { views: 3 } });
    expect(lambda.truth).toMatchObject({ known: true, equal: true, explainedByTooLate: false });
  });

  it('explains a session: the too-late event within its gap would have extended it, and the truth says by how much', async () => {
    const { x, reads } = await explainer();
    const gap = 30 * MIN;
    const s = await x.explain({ view: 'user_sessions', key: 'u1', start: T0 + 5 * MIN + 1_000, mode: 'speed' });
    // The master hours read reach a gap before the session.
    expect(reads).toEqual([[T0 + 5 * MIN + 1_000 - gap, T0 + 5 * MIN + 1_000 + gap]]);
    expect(s.end).toBe(iso(T0 + 5 * MIN + 1_000 + gap));
    expect(s.truth).toMatchObject({ known: true, equal: false, explainedByTooLate: true, window: { end: iso(T0 + 5 * MIN + 3_000 + gap), measures: { events: 2 } } });
    expect(s.tooLate.map((e) => e.eventId)).toEqual(['late-1']);
  });

  it('refuses a start that is no window start, a missing key and a key on a global view', async () => {
    const { x } = await explainer();
    await expect(x.explain({ view: 'product_activity', key: 'p1', start: T0 + 5 * MIN + 1, mode: 'speed' })).rejects.toMatchObject({ parameter: 'start' });
    await expect(x.explain({ view: 'product_activity', start: T0, mode: 'speed' })).rejects.toMatchObject({ parameter: 'key' });
    await expect(x.explain({ view: 'revenue', key: 'p1', start: T0, mode: 'speed' })).rejects.toMatchObject({ parameter: 'key' });
  });
});
