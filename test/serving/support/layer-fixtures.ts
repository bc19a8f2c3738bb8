import { PartitionProcessor } from '../../../shared/compute/partition-processor.ts';
import type { Pane } from '../../../shared/compute/pane.ts';
import { mergePanes } from '../../../shared/compute/pane-merge.ts';
import type { Pipeline } from '../../../shared/compute/pipeline.ts';
import { foldEvents } from '../../../shared/compute/reference-fold.ts';
import { type EcommerceEvent as Event, type EventType } from '../../../examples/ecommerce/pipeline.ts';
import { partitionCommitOf, type ViewStore } from '../../../shared/ports/view-store.ts';

/** Fixtures for serving tests: events, the panes each layer would hold, and the expected windows. */

/** 2026-01-01T10:00:00Z, a bucket start. */
export const T0 = Date.UTC(2026, 0, 1, 10);
export const MIN = 60_000;
export const HOUR = 3_600_000;

let nextId = 0;

/** One valid event; purchases and carts cost `cents` each. */
export function ev(type: EventType, user: string, product: string, time: number, cents = 1_999): Event {
  const priced = type !== 'page_view';
  return {
    event_id: `e${nextId++}`,
    event_type: type,
    user_id: user,
    product_id: product,
    price: priced ? cents : 0,
    quantity: priced ? 1 : 0,
    event_time: time,
    session_id: null,
  };
}

/** Seeded random events over [start, start + spanMs), sorted by time (mulberry32). */
export function randomEvents(seed: number, n: number, start: number, spanMs: number): Event[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const types: EventType[] = ['page_view', 'page_view', 'add_to_cart', 'purchase'];
  const out: Event[] = [];
  for (let i = 0; i < n; i++) {
    out.push(ev(types[Math.floor(rand() * types.length)], `u${Math.floor(rand() * 6)}`, `p${Math.floor(rand() * 4)}`, start + Math.floor(rand() * spanMs), 100 + Math.floor(rand() * 10_000)));
  }
  return out.sort((a, b) => a.event_time - b.event_time);
}

/** The log partition of an event in these tests: by user, as the platform keys the topic. */
export function partitionOf(e: Event, partitions: number): number {
  return Number(e.user_id.replace(/\D/g, '') || 0) % partitions;
}

/**
 * Runs the speed layer's transform over time-ordered events, one PartitionProcessor per log
 * partition, and commits panes and checkpoints into the namespace as the stream job does.
 */
export async function commitStream(store: ViewStore, namespace: string, pipeline: Pipeline, events: readonly Event[], partitions = 2): Promise<void> {
  await store.ensureNamespace(namespace);
  const processors = new Map<number, PartitionProcessor>();
  for (let p = 0; p < partitions; p++) processors.set(p, new PartitionProcessor(pipeline, p));
  for (const e of events) processors.get(partitionOf(e, partitions))!.processEvent(e);
  await store.commit(
    namespace,
    [...processors.values()].map((proc) => partitionCommitOf(proc.flush())),
  );
}

/** What the batch layer publishes at a horizon: the panes of every event before it. */
export function batchPanesBefore(pipeline: Pipeline, events: readonly Event[], horizon: number): Pane[] {
  return foldEvents(pipeline, events.filter((e) => e.event_time < horizon));
}

/** The expected windows of a view: every event folded at once, merged (key, start, end, accumulator, and the object states when the view has some). */
export function expectedWindows(pipeline: Pipeline, viewName: string, events: readonly Event[]) {
  const view = pipeline.view(viewName);
  const panes = foldEvents(pipeline, events).filter((p) => p.view === viewName);
  return mergePanes(view, panes.map((pane) => ({ pane, tag: 'all' }))).map((w) => ({ key: w.key, start: w.start, end: w.end, acc: w.acc, ...(w.states && { states: w.states }) }));
}
