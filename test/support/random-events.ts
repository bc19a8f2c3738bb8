import type { SourceRecord } from '../../shared/compute/partition-processor.ts';
import { type EcommerceEvent as Event, type EventType } from '../../examples/ecommerce/pipeline.ts';
import { Random } from '../../workload/random.ts';

/**
 * Seeded random workloads for tests of the transform: events as `Event` objects and as the raw
 * JSON records a log partition would hold (offsets, append timestamps), with controlled disorder,
 * redeliveries and stragglers. The same options always give the same workload.
 */
export interface RandomWorkloadOptions {
  readonly seed: number;
  /** Distinct events (stragglers not included). */
  readonly events: number;
  /** Event times are uniform in [start, start + spanMs). */
  readonly start: number;
  readonly spanMs: number;
  readonly users?: number;
  readonly products?: number;
  /**
   * How far out of order records may be: each event is emitted at most this much (event time)
   * after an event later than it. Within maxOutOfOrderness + allowedLateness no event is too late,
   * in any partition (a partition's max event time never exceeds the whole log's).
   */
  readonly maxDisorderMs?: number;
  /** Share of events delivered twice; the copy follows within `duplicateDistance` records. */
  readonly duplicateRate?: number;
  readonly duplicateDistance?: number;
  /** Extra events (own ids) emitted this far behind the latest event time so far: candidates for the late output. */
  readonly stragglers?: number;
  readonly stragglerLagMs?: number;
  readonly partitions?: number;
  /** Which field routes a record to its partition: the user (as the platform keys the topic) or the event id. */
  readonly partitionBy?: 'user' | 'event';
}

/** One record of the workload: where it is in the log, and the event its JSON encodes. */
export interface GeneratedRecord {
  readonly record: SourceRecord;
  readonly event: Event;
  readonly kind: 'original' | 'duplicate' | 'straggler';
}

export interface RandomWorkload {
  /** Every distinct event (originals and stragglers), in emission order. */
  readonly events: Event[];
  /** Every record, in global emission order; offsets are dense per partition. */
  readonly records: GeneratedRecord[];
  readonly partitions: number;
}

const TYPES: readonly (readonly [EventType, number])[] = [
  ['page_view', 6],
  ['add_to_cart', 2],
  ['purchase', 2],
];

/** Builds a seeded random workload (see RandomWorkloadOptions). */
export function randomWorkload(o: RandomWorkloadOptions): RandomWorkload {
  const rng = new Random(o.seed);
  const users = o.users ?? 8;
  const products = o.products ?? 5;
  const disorder = o.maxDisorderMs ?? 0;
  const partitions = o.partitions ?? 1;
  const distance = o.duplicateDistance ?? 20;

  const base: Event[] = [];
  for (let i = 0; i < o.events; i++) base.push(randomEvent(rng, `e${o.seed}-${i}`, o.start + rng.int(0, o.spanMs - 1), users, products));
  // Emission order = event time + a delay of at most `disorder`: an event can only be overtaken
  // by events less than `disorder` later than it, which bounds the out-of-orderness.
  const delayed = base.map((e) => ({ e, at: e.event_time + rng.int(0, disorder) })).sort((a, b) => a.at - b.at);
  const order: { e: Event; kind: GeneratedRecord['kind'] }[] = delayed.map(({ e }) => ({ e, kind: 'original' as const }));

  for (let i = 0; i < (o.stragglers ?? 0); i++) {
    const at = rng.int(1, order.length);
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < at; j++) max = Math.max(max, order[j].e.event_time);
    const t = max - (o.stragglerLagMs ?? 0) - rng.int(0, 60_000);
    order.splice(at, 0, { e: randomEvent(rng, `late${o.seed}-${i}`, t, users, products), kind: 'straggler' });
  }
  const dupCount = Math.round(order.length * (o.duplicateRate ?? 0));
  for (let i = 0; i < dupCount; i++) {
    const from = rng.int(0, order.length - 1);
    if (order[from].kind === 'duplicate') continue;
    const to = Math.min(order.length, from + 1 + rng.int(0, distance));
    order.splice(to, 0, { e: order[from].e, kind: 'duplicate' });
  }

  const salt = rng.hex(8);
  const nextOffset = new Array<number>(partitions).fill(0);
  const records: GeneratedRecord[] = [];
  let maxSoFar = Number.NEGATIVE_INFINITY;
  for (const { e, kind } of order) {
    maxSoFar = Math.max(maxSoFar, e.event_time);
    const partition = hash(salt + (o.partitionBy === 'event' ? e.event_id : e.user_id)) % partitions;
    // Appended just after the latest event so far, so no event is "far future" for its record.
    const record: SourceRecord = { partition, offset: nextOffset[partition]++, timestamp: maxSoFar + rng.int(0, 2_000), value: encodeEvent(e, rng) };
    records.push({ record, event: e, kind });
  }
  const events = records.filter((r) => r.kind !== 'duplicate').map((r) => r.event);
  return { events, records, partitions };
}

/** One random valid event. Priced events cost whole cents; some page views carry a price too. */
export function randomEvent(rng: Random, id: string, time: number, users = 8, products = 5): Event {
  const type = rng.weighted(TYPES);
  const priced = type !== 'page_view';
  return {
    event_id: id,
    event_type: type,
    user_id: `u${rng.int(0, users - 1)}`,
    product_id: `p${rng.int(0, products - 1)}`,
    price: priced || rng.chance(0.3) ? rng.int(1, 50_000) : null,
    quantity: priced ? rng.int(1, 3) : null,
    event_time: time,
    session_id: rng.chance(0.5) ? `s${rng.int(0, 99)}` : null,
  };
}

/**
 * The wire JSON of an event, in one of the accepted time formats (ISO with Z, ISO with an offset,
 * epoch ms) chosen at random, so that validation is exercised on every shape.
 */
export function encodeEvent(e: Event, rng: Random): string {
  const o: Record<string, unknown> = { event_id: e.event_id, event_type: e.event_type, user_id: e.user_id, product_id: e.product_id };
  if (e.price !== null) o.price = e.price / 100;
  if (e.quantity !== null) o.quantity = e.quantity;
  const format = rng.int(0, 2);
  o.event_time = format === 0 ? e.event_time : format === 1 ? new Date(e.event_time).toISOString() : isoWithOffset(e.event_time, rng.int(-12, 14) * 60);
  if (e.session_id !== null) o.session_id = e.session_id;
  return JSON.stringify(o);
}

/** An ISO-8601 time with an explicit UTC offset (minutes), naming the same instant as `t`. */
export function isoWithOffset(t: number, offsetMinutes: number): string {
  const local = new Date(t + offsetMinutes * 60_000).toISOString().slice(0, -1);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** A copy of `items` in a seeded random order (Fisher-Yates). */
export function shuffled<T>(rng: Random, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** FNV-1a: a stable string hash, so a seed always routes a key to the same partition. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
