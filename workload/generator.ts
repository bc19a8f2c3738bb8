import type { PipelineConfig } from '../shared/compute/pipeline.ts';
import { Catalog } from './catalog.ts';
import { formatEventTime } from './event-time-format.ts';
import { malformRecord, MALFORMATION_WEIGHTS, type Malformation } from './malformed-record.ts';
import { Random } from './random.ts';
import { recordKey } from './record-key.ts';
import { calibrateSessionTiming } from './session-timing.ts';
import { Shopper, type EventDraft } from './shopper.ts';
import { WakeQueue } from './wake-queue.ts';
import { resolveWorkloadOptions, type WorkloadOptions } from './workload-options.ts';

/** What the generator meant a record to be (ground facts for tests; the ground truth never reads them). */
export type RecordKind = 'on_time' | 'out_of_order' | 'too_late' | 'duplicate' | 'malformed';

/** One record to append, in send order. Structurally an AppendRecord of the EventLog port. */
export interface GeneratedRecord {
  /** The user_id when the line has a usable one (as `lk ingest` would key it), else null. */
  readonly key: string | null;
  /** The raw JSON line. */
  readonly value: string;
  /** Append (processing) time to use: non-decreasing in send order, spread over the run. */
  readonly timestamp: number;
  readonly kind: RecordKind;
  readonly malformation?: Malformation;
}

/** What the generator did. */
export interface WorkloadFacts {
  readonly generated: number;
  readonly onTime: number;
  readonly outOfOrder: number;
  readonly tooLate: number;
  readonly duplicates: number;
  readonly malformed: number;
  readonly malformations: Readonly<Record<Malformation, number>>;
  /** Append timestamps of the first and last record. */
  readonly firstTimestamp: number;
  readonly lastTimestamp: number;
}

/** A whole workload, in memory. */
export interface Workload {
  readonly records: GeneratedRecord[];
  readonly facts: WorkloadFacts;
}

const DEFAULT_SESSION_GAP_MS = 30 * 60_000;
/** Recently sent accepted records a duplicate can copy. */
const RECENT_LIMIT = 256;

/** Generates a whole workload into memory (tests, small demos). */
export function generateWorkload(options: Partial<WorkloadOptions>, config: PipelineConfig): Workload {
  const records: GeneratedRecord[] = [];
  const it = streamWorkload(options, config);
  for (;;) {
    const step = it.next();
    if (step.done) return { records, facts: step.value };
    records.push(step.value);
  }
}

/**
 * The seeded workload: records in send order, the generator's return value being the facts.
 * The same options and pipeline config give the same records, byte for byte.
 *
 * Processing time i is `startTime + floor(i * span / events)`. Each slot goes to the shopper who
 * most wants to act (by their session model), so one user's events come in bursts; event time is
 * the slot's time minus a small delivery delay, minus more for out-of-order events. Too-late
 * events are placed behind the latest accepted event of the same user by more than
 * maxOutOfOrderness + allowedLateness: that user's partition has seen that event whatever the
 * partitioning, so its watermark has passed them for sure.
 */
export function* streamWorkload(options: Partial<WorkloadOptions>, config: PipelineConfig): Generator<GeneratedRecord, WorkloadFacts> {
  const o = resolveWorkloadOptions(options, config);
  const rng = new Random(o.seed);
  const catalog = new Catalog(rng, o.products);
  const sessionView = config.views.find((v) => v.window.kind === 'session');
  const gapMs = sessionView?.window.kind === 'session' ? sessionView.window.gapMs : DEFAULT_SESSION_GAP_MS;
  const timing = calibrateSessionTiming(o.users, o.events, o.spanMs, gapMs);
  const queue = new WakeQueue();
  const width = String(o.users - 1).length;
  // First wakes spread over one shopper cycle, so the run starts in a steady state rather than a rush.
  for (let u = 0; u < o.users; u++) queue.push(new Shopper(`u-${String(u).padStart(width, '0')}`, o.startTime + Math.floor(rng.next() * timing.cycleMs)));

  const lateBoundMs = config.lateness.maxOutOfOrdernessMs + config.lateness.allowedLatenessMs;
  const recent: Array<{ record: GeneratedRecord; sentAt: number }> = [];
  const counts = { on_time: 0, out_of_order: 0, too_late: 0, duplicate: 0, malformed: 0 };
  const malformations = Object.fromEntries(MALFORMATION_WEIGHTS.map(([m]) => [m, 0])) as Record<Malformation, number>;
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

    const shopper = queue.pop();
    const draft = shopper.act(rng, catalog);
    shopper.scheduleNext(rng, timing);
    queue.push(shopper);
    const delivered = now - rng.int(0, o.eventDelayMaxMs);

    if (roll < cMalformed) {
      const { malformation, value } = malformRecord(rng, wireFields(draft, formatEventTime(rng, delivered)), now, config.limits);
      counts.malformed++;
      malformations[malformation]++;
      yield { key: recordKey(value, 'user_id'), value, timestamp: now, kind: 'malformed', malformation };
      continue;
    }

    let kind: RecordKind = 'on_time';
    let eventTime = delivered;
    if (roll >= cDuplicate && roll < cTooLate && Number.isFinite(shopper.latestAcceptedTime)) {
      const tooLateTime = shopper.latestAcceptedTime - lateBoundMs - rng.int(1, o.tooLateExtraMaxMs);
      if (tooLateTime >= config.limits.minEventTime) {
        kind = 'too_late';
        eventTime = tooLateTime;
      }
    } else if (roll >= cTooLate && roll < cOutOfOrder && o.outOfOrderMaxMs > 0) {
      kind = 'out_of_order';
      eventTime = delivered - rng.int(1, o.outOfOrderMaxMs);
    }
    const value = JSON.stringify(wireFields(draft, formatEventTime(rng, eventTime)));
    const record: GeneratedRecord = { key: draft.user_id, value, timestamp: now, kind };
    counts[kind]++;
    if (kind !== 'too_late') {
      // On-time and out-of-order events are within the lateness bound (checked by the options), so the stream accepts them.
      if (eventTime > shopper.latestAcceptedTime) shopper.latestAcceptedTime = eventTime;
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

/** The wire fields of an event, in the order producers write them. */
function wireFields(d: EventDraft, eventTime: string | number): Record<string, unknown> {
  const o: Record<string, unknown> = { event_id: d.event_id, event_type: d.event_type, user_id: d.user_id, product_id: d.product_id };
  // Cents to a two-decimal number: c / 100 is the double nearest that decimal, and prints as it.
  if (d.price_cents !== null) o.price = d.price_cents / 100;
  if (d.quantity !== null) o.quantity = d.quantity;
  o.event_time = eventTime;
  o.session_id = d.session_id;
  return o;
}

/** A random recently sent record sent at or after `since`, if any. */
function pickRecent(rng: Random, recent: ReadonlyArray<{ record: GeneratedRecord; sentAt: number }>, since: number): GeneratedRecord | undefined {
  let lo = 0;
  let hi = recent.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (recent[mid].sentAt < since) lo = mid + 1;
    else hi = mid;
  }
  return lo < recent.length ? recent[rng.int(lo, recent.length - 1)].record : undefined;
}
