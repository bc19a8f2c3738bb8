import { describe, expect, it } from 'vitest';
import type { Pane } from '../../../shared/compute/pane.ts';
import { mergePanes } from '../../../shared/compute/pane-merge.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { foldEvents } from '../../../shared/compute/reference-fold.ts';
import { Random } from '../../../workload/random.ts';
import { randomWorkload, shuffled } from '../../support/random-events.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';

const MIN = 60_000;
const T = Date.UTC(2026, 0, 1, 10);
const pipeline = compilePipeline(ecommerceConfig());
const sessions = pipeline.view('user_sessions');
const products = pipeline.view('product_activity');
const session = (start: number, end: number, events: number, bucket = T): Pane => ({ view: sessions.name, key: 'u1', start, end, bucket, acc: [events, 0, 0, start, end - 30 * MIN] });

describe('mergePanes', () => {
  it('merges fixed-window panes with the same start and tags each window with its sources', () => {
    const pane = (start: number, views: number, bucket = T): Pane => ({ view: products.name, key: 'p1', start, end: start + MIN, bucket, acc: [views, 0, 0, 0] });
    const merged = mergePanes(products, [
      { pane: pane(T, 1), tag: 'speed' },
      { pane: pane(T + MIN, 5), tag: 'speed' },
      { pane: pane(T, 2), tag: 'batch' },
    ]);
    expect(merged).toEqual([
      { key: 'p1', start: T, end: T + MIN, acc: [3, 0, 0, 0], tags: ['batch', 'speed'] },
      { key: 'p1', start: T + MIN, end: T + 2 * MIN, acc: [5, 0, 0, 0], tags: ['speed'] },
    ]);
  });

  it('merges overlapping session fragments and keeps touching ones apart', () => {
    const merged = mergePanes(sessions, [
      { pane: session(T, T + 40 * MIN, 2), tag: 'a' },
      { pane: session(T + 39 * MIN, T + 70 * MIN, 1), tag: 'b' },
      { pane: session(T + 70 * MIN, T + 100 * MIN, 1), tag: 'a' },
    ]);
    expect(merged.map((w) => [w.start, w.end, w.acc[0], w.tags])).toEqual([
      [T, T + 70 * MIN, 3, ['a', 'b']],
      [T + 70 * MIN, T + 100 * MIN, 1, ['a']],
    ]);
  });

  it('chains fragments: one that overlaps only the merged extent still joins', () => {
    const merged = mergePanes(sessions, [
      { pane: session(T, T + 30 * MIN, 1), tag: 'x' },
      { pane: session(T + 10 * MIN, T + 80 * MIN, 2), tag: 'x' },
      { pane: session(T + 60 * MIN, T + 90 * MIN, 1), tag: 'x' },
    ]);
    expect(merged.map((w) => [w.start, w.end, w.acc[0]])).toEqual([[T, T + 90 * MIN, 4]]);
  });

  it('merges session fragments split at a bucket boundary back into one session', () => {
    // Events at 10:50 and 11:10 of one session: one fragment per bucket.
    const merged = mergePanes(sessions, [
      { pane: session(T + 50 * MIN, T + 80 * MIN, 1, T), tag: 'batch' },
      { pane: session(T + 70 * MIN, T + 100 * MIN, 1, T + 60 * MIN), tag: 'speed' },
    ]);
    expect(merged.map((w) => [w.start, w.end, w.acc[0], w.acc[3], w.acc[4]])).toEqual([[T + 50 * MIN, T + 100 * MIN, 2, T + 50 * MIN, T + 70 * MIN]]);
  });

  it('does not change the panes it merges', () => {
    const a = session(T, T + 40 * MIN, 2);
    const b = session(T + 10 * MIN, T + 50 * MIN, 1);
    const before = structuredClone([a, b]);
    mergePanes(sessions, [
      { pane: a, tag: 'x' },
      { pane: b, tag: 'x' },
    ]);
    expect([a, b]).toEqual(before);
  });

  it('sorts its output by key, then start', () => {
    const panes = ['p2', 'p1', 'p10'].flatMap((key) => [T + MIN, T].map((start) => ({ view: products.name, key, start, end: start + MIN, bucket: T, acc: [1, 0, 0, 0] })));
    expect(mergePanes(products, panes.map((pane) => ({ pane, tag: 't' }))).map((w) => `${w.key}@${w.start - T}`)).toEqual(['p1@0', 'p1@60000', 'p10@0', 'p10@60000', 'p2@0', 'p2@60000']);
  });

  it('gives the same windows whatever the order of its input (shuffled partials of random workloads)', () => {
    const rng = new Random(3);
    for (const seed of [1, 2, 3]) {
      const { events } = randomWorkload({ seed, events: 1_500, start: T, spanMs: 4 * 60 * MIN, users: 20 });
      // Partials from several sources: fold random subsets separately, as partitions and layers would.
      const sources = [[], [], []] as (typeof events)[];
      for (const e of events) sources[rng.int(0, 2)].push(e);
      const panes = sources.flatMap((s, i) => foldEvents(pipeline, s).map((pane) => ({ pane, tag: `s${i}` })));
      for (const view of pipeline.views) {
        const mine = panes.filter((p) => p.pane.view === view.name);
        const expected = mergePanes(view, mine);
        for (let k = 0; k < 5; k++) expect(mergePanes(view, shuffled(rng, mine))).toEqual(expected);
      }
    }
  });
});
