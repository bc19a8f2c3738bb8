import type { PipelineConfig } from '../shared/compute/pipeline.ts';
import { formatEventTime } from './event-time-format.ts';
import { malformRecord, type Malformer } from './malformed-record.ts';
import type { Random } from './random.ts';
import { recordKey } from './record-key.ts';
import type { ResolvedWorkloadOptions } from './workload-options.ts';

/** What the generator meant a record to be (ground facts for tests; the ground truth never reads them). */
export type RecordKind = 'on_time' | 'out_of_order' | 'too_late' | 'duplicate' | 'malformed';

/** One record to append, in send order. Structurally an AppendRecord of the EventLog port. */
export interface GeneratedRecord<M extends string = string> {
  /** The schema's log key when the line has a usable one (as `lk ingest` would key it), else null. */
  readonly key: string | null;
  /** The raw JSON line. */
  readonly value: string;
  /** Append (processing) time to use: non-decreasing in send order, spread over the run. */
  readonly timestamp: number;
  readonly kind: RecordKind;
  readonly malformation?: M;
}

/** What the generator did. */
export interface WorkloadFacts<M extends string = string> {
  readonly generated: number;
  readonly onTime: number;
  readonly outOfOrder: number;
  readonly tooLate: number;
  readonly duplicates: number;
  readonly malformed: number;
  readonly malformations: Readonly<Record<M, number>>;
  /** Append timestamps of the first and last record. */
  readonly firstTimestamp: number;
  readonly lastTimestamp: number;
}

/** The part of a workload a pipeline brings: its simulated world, how it writes an event, how its records break. */
export interface EventSimulation<E, M extends string = string> {
  /** The world's next event, in send order (the world moves on). */
  next(rng: Random): E;
  /** The event's wire fields in the order producers write them, with its event time as given. */
  wire(event: E, eventTime: string | number): Record<string, unknown>;
  readonly malformer: Malformer<M>;
}

/** Recently sent accepted records a duplicate can copy. */
const RECENT_LIMIT = 256;

/**
 * The trouble every seeded workload has, around a pipeline's simulated world: records in send
 * order, the return value being the facts. The same options, rng state and world give the same
 * records, byte for byte.
 *
 * Processing time i is `startTime + floor(i * span / events)`; each slot takes the world's next
 * event, its event time the slot's time minus a small delivery delay, minus more for out-of-order
 * events. Too-late events are placed behind the latest accepted event of the same log key by
 * more than maxOutOfOrderness + allowedLateness: that key's partition has seen that event
 * whatever the partitioning, so its watermark has passed them for sure. Duplicates re-send a
 * recent accepted record byte for byte; malformed records are broken by the world's malformer.
 */
export function* messyWorkload<E, M extends string>(
  o: ResolvedWorkloadOptions,
  config: PipelineConfig,
  rng: Random,
  world: EventSimulation<E, M>,
): Generator<GeneratedRecord<M>, WorkloadFacts<M>> {
  const { logKey, time: timeField } = config.schema;
  const lateBoundMs = config.lateness.maxOutOfOrdernessMs + config.lateness.allowedLatenessMs;
  const latestAccepted = new Map<string, number>();
  const recent: Array<{ record: GeneratedRecord<M>; sentAt: number }> = [];
  const counts = { on_time: 0, out_of_order: 0, too_late: 0, duplicate: 0, malformed: 0 };
  const malformations = Object.fromEntries(world.malformer.weights.map(([m]) => [m, 0])) as Record<M, number>;
  const cMalformed = o.malformedFraction;
  const cDuplicate = cMalformed + o.duplicateFraction;
  const cTooLate = cDuplicate + o.tooLateFraction;
  const cOutOfOrder = cTooLate + o.outOfOrderFraction;
  let first = Number.NaN;
  let last = Number.NaN;

  for (let i = 0; i < o.events; i++) {
    const now = o.startTime + Math.floor((i * o.spanMs) / o.events);
    if (i === 0) first = now;
    last = now;
    const roll = rng.next();

    if (roll >= cMalformed && roll < cDuplicate) {
      const copy = pickRecent(rng, recent, now - o.duplicateMaxDelayMs);
      if (copy) {
        counts.duplicate++;
        yield { key: copy.key, value: copy.value, timestamp: now, kind: 'duplicate' };
        continue;
      }
      // Nothing recent enough to re-send: this slot becomes an ordinary event.
    }

    const event = world.next(rng);
    const delivered = now - rng.int(0, o.eventDelayMaxMs);

    if (roll < cMalformed) {
      const ctx = { appendTime: now, limits: config.limits, timeField };
      const { malformation, value } = malformRecord(rng, world.wire(event, formatEventTime(rng, delivered)), ctx, world.malformer);
      counts.malformed++;
      malformations[malformation as M]++;
      yield { key: recordKey(value, logKey), value, timestamp: now, kind: 'malformed', malformation: malformation as M };
      continue;
    }

    // Built once: re-assigning the time field below keeps its place among the fields.
    const fields = world.wire(event, delivered);
    const key = String(fields[logKey]);
    const latest = latestAccepted.get(key);
    let kind: RecordKind = 'on_time';
    let eventTime = delivered;
    if (roll >= cDuplicate && roll < cTooLate && latest !== undefined) {
      const tooLateTime = latest - lateBoundMs - rng.int(1, o.tooLateExtraMaxMs);
      if (tooLateTime >= config.limits.minEventTime) {
        kind = 'too_late';
        eventTime = tooLateTime;
      }
    } else if (roll >= cTooLate && roll < cOutOfOrder && o.outOfOrderMaxMs > 0) {
      kind = 'out_of_order';
      eventTime = delivered - rng.int(1, o.outOfOrderMaxMs);
    }
    fields[timeField] = formatEventTime(rng, eventTime);
    const value = JSON.stringify(fields);
    const record: GeneratedRecord<M> = { key, value, timestamp: now, kind };
    counts[kind]++;
    if (kind !== 'too_late') {
      // On-time and out-of-order events are within the lateness bound (checked by the options), so the stream accepts them.
      if (latest === undefined || eventTime > latest) latestAccepted.set(key, eventTime);
      recent.push({ record, sentAt: now });
      if (recent.length > RECENT_LIMIT) recent.shift();
    }
    yield record;
  }

  return {
    generated: o.events,
    onTime: counts.on_time,
    outOfOrder: counts.out_of_order,
    tooLate: counts.too_late,
    duplicates: counts.duplicate,
    malformed: counts.malformed,
    malformations,
    firstTimestamp: first,
    lastTimestamp: last,
  };
}

/** A random recently sent record sent at or after `since`, if any. */
function pickRecent<R>(rng: Random, recent: ReadonlyArray<{ record: R; sentAt: number }>, since: number): R | undefined {
  let lo = 0;
  let hi = recent.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (recent[mid].sentAt < since) lo = mid + 1;
    else hi = mid;
  }
  return lo < recent.length ? recent[rng.int(lo, recent.length - 1)].record : undefined;
}
