import { definePipeline, field, type MeasureDefinition, type PipelineDefinition, type ViewDefinition } from '../../shared/pipeline-api.ts';
import type { SourceRecord } from '../../shared/compute/partition-processor.ts';
import type { FieldSpecs } from '../../shared/model/event-schema.ts';
import type { FieldSpec } from '../../shared/model/field-spec.ts';
import type { WindowSpec } from '../../shared/time/window.ts';
import { Random } from '../../workload/random.ts';
import { isoWithOffset } from './random-events.ts';

/**
 * Seeded random pipelines for the conformance property tests: a random schema (every field type,
 * optional and requiredWhen fields), random views over it (global, one-field and composite keys;
 * filters and measure inputs in the expression language; tumbling, sliding and session windows of
 * sizes that need not line up with the buckets; count, sum, min and max, some filtered), a random
 * bucket size and lateness policy, all declared through the public definePipeline/field API.
 * `randomPipelineRecords` then writes a log of raw records conforming to the schema, disordered
 * within the allowed lateness and with redeliveries. The same seed always gives the same pipeline.
 */
export interface RandomPipeline {
  readonly seed: number;
  readonly definition: PipelineDefinition;
  /** The definition as readable text (JSON of everything but `present`): what a failure prints to reproduce it. */
  readonly text: string;
}

const MIN = 60_000;
/** Around when the property tests put their events: filters on the event time compare with instants of the next hours. */
export const RANDOM_PIPELINE_EPOCH = Date.UTC(2026, 0, 1, 10);
/** Text values: a `|`, a `\` and a quote exercise the composite key's escaping and the literal syntax. */
const TEXTS = ['a', 'b', 'c|d', 'e\\', "o'k", ''];
const ENUMS = ['red', 'green', 'blue', 'cyan'];
const BUCKETS = [5 * MIN, 15 * MIN, 30 * MIN, 60 * MIN, 120 * MIN, 180 * MIN];

/** What the generator knows about a field besides its spec: how to draw values for it. */
interface FieldPlan {
  readonly name: string;
  readonly spec: FieldSpec;
  /** Values (validated form: decimals scaled) a present field takes. */
  readonly values?: readonly (string | number | boolean)[];
  /** Integer and decimal bounds, in stored (scaled) units. */
  readonly min?: number;
  readonly max?: number;
}

/** A random pipeline of this seed (see RandomPipeline). */
export function randomPipeline(seed: number): RandomPipeline {
  const rng = new Random(seed);
  const plans = randomFields(rng);
  const fields: Record<string, FieldSpec> = {};
  for (const p of plans) fields[p.name] = p.spec;
  const bucketMs = rng.pick(BUCKETS);
  const maxOutOfOrdernessMs = rng.pick([0, 1_000, 5_000, 30_000]);
  const allowedLatenessMs = rng.pick([0, 10_000, 60_000, 5 * MIN, 40 * MIN]);
  const views = Array.from({ length: rng.int(1, 3) }, (_, i) => randomView(rng, `v${i}`, plans));
  const definition = definePipeline({
    schema: { fields: fields as FieldSpecs, id: 'event_id', time: 'occurred_at', logKey: 'source' },
    views,
    bucketMs,
    lateness: { maxOutOfOrdernessMs, allowedLatenessMs, maxAheadOfAppendMs: Math.min(5_000, maxOutOfOrdernessMs + allowedLatenessMs) },
    dedupRetentionMs: maxOutOfOrdernessMs + allowedLatenessMs + rng.pick([0, MIN, 10 * MIN]),
  }) as PipelineDefinition;
  const text = JSON.stringify({ schema: definition.schema, bucketMs, lateness: definition.lateness, dedupRetentionMs: definition.dedupRetentionMs, views: views.map(({ present: _, ...v }) => v) }, null, 1);
  return { seed, definition, text };
}

/** The fields: the three roles first (id, time, log key), then 2 to 7 random ones. */
function randomFields(rng: Random): FieldPlan[] {
  const plans: FieldPlan[] = [
    { name: 'event_id', spec: field.string({ minLength: 1 }) },
    { name: 'occurred_at', spec: field.timestamp() },
    { name: 'source', spec: field.string(), values: TEXTS },
  ];
  const count = rng.int(2, 7);
  for (let i = 0; i < count; i++) {
    const name = `f${i}_${rng.pick(['x', 'y', 'z'])}`;
    const presence = randomPresence(rng, plans);
    let plan: FieldPlan;
    switch (rng.pick(['string', 'integer', 'decimal', 'boolean', 'timestamp', 'enum'] as const)) {
      case 'string':
        plan = { name, spec: field.string({ presence }), values: TEXTS };
        break;
      case 'integer': {
        const min = rng.int(-20, 5);
        const max = min + rng.int(0, 40);
        plan = { name, spec: field.integer({ presence, min, max }), min, max };
        break;
      }
      case 'decimal': {
        const scale = rng.int(0, 3);
        const min = rng.int(-100, 10);
        const max = min + rng.int(0, 200);
        plan = { name, spec: field.decimal(scale, { presence, min, max }), min: min * 10 ** scale, max: max * 10 ** scale };
        break;
      }
      case 'boolean':
        plan = { name, spec: field.boolean({ presence }), values: [true, false] };
        break;
      case 'timestamp':
        plan = { name, spec: field.timestamp({ presence }) };
        break;
      case 'enum': {
        const values = ENUMS.slice(0, rng.int(1, ENUMS.length));
        plan = { name, spec: field.enum(values, { presence }), values };
        break;
      }
    }
    plans.push(plan);
  }
  return plans;
}

/** Required mostly; optional; or required when an earlier enum or boolean field has some values. */
function randomPresence(rng: Random, earlier: readonly FieldPlan[]): FieldSpec['presence'] {
  const r = rng.next();
  if (r < 0.55) return 'required';
  const conditions = earlier.filter((p) => p.spec.type === 'enum' || p.spec.type === 'boolean');
  if (r < 0.8 || conditions.length === 0) return 'optional';
  const on = rng.pick(conditions);
  return { requiredWhen: { field: on.name, in: [rng.pick(on.values!)] } };
}

const isRequired = (p: FieldPlan) => (p.spec.presence ?? 'required') === 'required';
const isNumber = (p: FieldPlan) => p.spec.type === 'integer' || p.spec.type === 'decimal';

function randomView(rng: Random, name: string, plans: readonly FieldPlan[]): ViewDefinition {
  // Fields of few values: text, booleans, small integers and decimals (not the id, not times).
  const keyable = plans.filter((p) => isRequired(p) && (p.values !== undefined || (isNumber(p) && p.max! - p.min! <= 100)));
  const keyCount = keyable.length === 0 ? 0 : rng.weighted([[0, 1], [1, 2], [Math.min(keyable.length, rng.int(2, 3)), 1]] as const);
  const keys = pickDistinct(rng, keyable, keyCount).map((p) => p.name);
  const key = keys.length === 0 ? undefined : keys.length === 1 && rng.chance(0.5) ? keys[0] : keys;
  const measures: MeasureDefinition[] = Array.from({ length: rng.int(1, 4) }, (_, i) => randomMeasure(rng, `m${i}`, plans));
  return {
    name,
    description: `random view ${name}`,
    ...(key === undefined ? {} : { key }),
    ...(rng.chance(0.5) ? { filter: randomCondition(rng, plans, 2) } : {}),
    window: randomWindow(rng),
    measures,
    present: (m) => m,
  };
}

/** Window sizes in minutes, on purpose not all divisors of the buckets: windows straddle bucket boundaries. */
function randomWindow(rng: Random): WindowSpec {
  switch (rng.pick(['tumbling', 'sliding', 'session'] as const)) {
    case 'tumbling':
      return { kind: 'tumbling', sizeMs: rng.pick([1, 5, 7, 10, 15, 30, 45, 60, 90, 120]) * MIN };
    case 'sliding': {
      const slideMs = rng.pick([1, 2, 3, 5, 7, 10, 20]) * MIN;
      return { kind: 'sliding', sizeMs: slideMs * rng.int(2, 6), slideMs };
    }
    case 'session':
      return { kind: 'session', gapMs: rng.pick([1, 3, 5, 10, 20, 45, 90]) * MIN };
  }
}

function randomMeasure(rng: Random, name: string, plans: readonly FieldPlan[]): MeasureDefinition {
  const op = rng.pick(['count', 'sum', 'min', 'max'] as const);
  const filter = rng.chance(0.35) ? { filter: randomCondition(rng, plans, 1) } : {};
  if (op === 'count') return { name, op, ...filter };
  return { name, op, input: randomNumber(rng, plans), ...filter };
}

/**
 * A numeric expression: a number field, `a * b`, `a + b`, `(a - 3) * 2`, a timestamp field or its
 * distance from the event time (sums of times over a test's events stay exact in a double).
 */
function randomNumber(rng: Random, plans: readonly FieldPlan[]): string {
  const numbers = plans.filter(isNumber);
  const times = plans.filter((p) => p.spec.type === 'timestamp');
  const r = rng.next();
  if (numbers.length === 0 || r < 0.15) {
    const t = rng.pick(times).name;
    return t === 'occurred_at' || rng.chance(0.3) ? t : `${t} - occurred_at`;
  }
  const a = rng.pick(numbers).name;
  if (r < 0.55) return a;
  const b = rng.pick(numbers).name;
  if (r < 0.7) return `${a} * ${b}`;
  if (r < 0.85) return `${a} + ${b}`;
  return `(${a} - ${rng.int(-5, 5)}) * 2`;
}

/** A condition over the fields, nested `depth` levels of and / or / not at most. */
function randomCondition(rng: Random, plans: readonly FieldPlan[], depth: number): string {
  if (depth > 0 && rng.chance(0.5)) {
    const r = rng.next();
    if (r < 0.2) return `not (${randomCondition(rng, plans, depth - 1)})`;
    return `(${randomCondition(rng, plans, depth - 1)}) ${r < 0.6 ? 'and' : 'or'} (${randomCondition(rng, plans, depth - 1)})`;
  }
  const p = rng.pick(plans.filter((x) => x.name !== 'event_id'));
  switch (p.spec.type) {
    case 'string':
    case 'enum': {
      const texts = plans.filter((x) => x !== p && x.values !== undefined && x.spec.type !== 'boolean');
      if (texts.length > 0 && rng.chance(0.15)) return `${p.name} ${rng.pick(['=', '!='])} ${rng.pick(texts).name}`;
      if (rng.chance(0.3)) return `${p.name} ${rng.chance(0.5) ? 'in' : 'not in'} (${pickDistinct(rng, p.values!, rng.int(1, 2)).map(quote).join(', ')})`;
      return `${p.name} ${rng.pick(['=', '!='])} ${quote(rng.pick(p.values!))}`;
    }
    case 'boolean':
      return rng.chance(0.5) ? p.name : `${p.name} ${rng.pick(['=', '!='])} ${rng.pick(['true', 'false'])}`;
    case 'timestamp':
      // The event time against an instant of the test's hours (a filter that changes at some time), another time by its distance.
      if (p.name === 'occurred_at') return `occurred_at ${rng.pick(['<', '>='])} ${RANDOM_PIPELINE_EPOCH + rng.int(0, 6 * 60) * MIN}`;
      return `${p.name} - occurred_at ${rng.pick(['<', '>=', '>'])} ${rng.int(-30, 30) * MIN}`;
    case 'integer':
    case 'decimal': {
      const scale = p.spec.type === 'decimal' ? p.spec.scale : 0;
      const op = rng.pick(['=', '!=', '<', '<=', '>', '>=']);
      const other = rng.pick(plans.filter(isNumber));
      // Two fields (of different scales, which the resolver aligns), or a sum of them, against each other or a literal.
      if (rng.chance(0.15)) return `${p.name} ${op} ${other.name}`;
      if (rng.chance(0.15)) return `${p.name} + ${other.name} ${op} ${rng.int(-20, 20)}`;
      if (rng.chance(0.2)) return `${p.name} in (${units(rng.int(p.min!, p.max!), rng.int(0, scale), scale)}, ${units(rng.int(p.min!, p.max!), scale, scale)})`;
      // Sometimes one decimal more than the field has: the field side is scaled up to compare exactly.
      if (rng.chance(0.2)) return `${p.name} ${op} ${units(rng.int(p.min! * 10, p.max! * 10), scale + 1, scale + 1)}`;
      return `${p.name} ${op} ${units(rng.int(p.min!, p.max!), rng.int(0, scale), scale)}`;
    }
  }
}

/** A value stored at `scale` as text in units, rounded to `decimals` decimals. */
function units(scaled: number, decimals: number, scale: number): string {
  return String(Math.round(scaled / 10 ** scale * 10 ** decimals) / 10 ** decimals);
}

const quote = (v: string | number | boolean) => `'${String(v).replaceAll("'", "''")}'`;

function pickDistinct<T>(rng: Random, items: readonly T[], n: number): T[] {
  const pool = items.slice();
  const out: T[] = [];
  while (out.length < n && pool.length > 0) out.push(pool.splice(rng.int(0, pool.length - 1), 1)[0]);
  return out;
}

/** How many records, over how long, disordered how far. */
export interface RandomRecordsOptions {
  readonly seed: number;
  readonly events: number;
  readonly start: number;
  readonly spanMs: number;
  readonly partitions: number;
  /** Share of events delivered twice (the copy within 20 records, and never too late). */
  readonly duplicateRate: number;
}

/** One record of the log and the raw object it encodes. */
export interface PipelineRecord {
  readonly record: SourceRecord;
  readonly kind: 'original' | 'duplicate';
}

/**
 * A log of raw JSON records conforming to the definition's schema: absent optional fields,
 * requiredWhen honoured, decimals with up to their scale of decimals, timestamps as epoch ms or ISO
 * (with Z or an offset). Records are emitted out of order by at most maxOutOfOrderness +
 * allowedLateness, so none is too late in any partition; append times follow the latest event.
 */
export function randomPipelineRecords(def: PipelineDefinition, o: RandomRecordsOptions): PipelineRecord[] {
  const rng = new Random(o.seed * 7919 + 1);
  const fields = def.schema.fields as FieldSpecs;
  const disorder = (def.lateness?.maxOutOfOrdernessMs ?? 0) + (def.lateness?.allowedLatenessMs ?? 0);
  // Times on a coarse grid too (whole seconds or minutes), so that events tie, sit exactly a session
  // gap apart and fall exactly on window and bucket boundaries (the horizon among them).
  const grain = rng.pick([1, 1_000, MIN]);
  const at = () => o.start + Math.floor(rng.int(0, o.spanMs - 1) / grain) * grain;
  const base = Array.from({ length: o.events }, (_, i) => randomRawEvent(rng, fields, `e${i}`, at()));
  const order = base.map((e) => ({ e, at: e.time + rng.int(0, disorder), kind: 'original' as PipelineRecord['kind'] })).sort((a, b) => a.at - b.at);
  const dups = Math.round(order.length * o.duplicateRate);
  for (let i = 0; i < dups; i++) {
    const from = rng.int(0, order.length - 1);
    if (order[from].kind === 'duplicate') continue;
    // The copy follows within 20 records, but not after an event so much later that the copy is too late.
    let to = from + 1;
    for (const end = Math.min(order.length, from + 1 + rng.int(0, 20)); to < end && order[to].e.time <= order[from].e.time + disorder; ) to++;
    order.splice(to, 0, { ...order[from], kind: 'duplicate' });
  }
  const offsets = new Array<number>(o.partitions).fill(0);
  const appended = new Array<number>(o.partitions).fill(Number.NEGATIVE_INFINITY);
  // Append times near the latest event, at most maxAheadOfAppend behind it (so the watermark's
  // append-time cap holds it back, never past an on-time event), never decreasing in a partition.
  const ahead = def.lateness?.maxAheadOfAppendMs ?? 0;
  let maxSoFar = Number.NEGATIVE_INFINITY;
  return order.map(({ e, kind }) => {
    maxSoFar = Math.max(maxSoFar, e.time);
    const partition = e.logKeyHash % o.partitions;
    appended[partition] = Math.max(appended[partition], maxSoFar + rng.int(-ahead, 2_000));
    return { record: { partition, offset: offsets[partition]++, timestamp: appended[partition], value: e.json }, kind };
  });
}

interface RawEvent {
  readonly time: number;
  readonly json: string;
  readonly logKeyHash: number;
}

function randomRawEvent(rng: Random, fields: FieldSpecs, id: string, time: number): RawEvent {
  const o: Record<string, unknown> = {};
  const stored: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(fields)) {
    const p = f.presence ?? 'required';
    const required = p === 'required' || (typeof p === 'object' && p.requiredWhen.in.includes(stored[p.requiredWhen.field] as string));
    if (!required && rng.chance(0.35)) {
      // Absent: left out, or an explicit null (the validator takes both).
      if (rng.chance(0.3)) o[name] = null;
      stored[name] = null;
      continue;
    }
    let wire: unknown;
    let value: unknown;
    if (name === 'event_id') value = wire = id;
    else if (name === 'occurred_at') [value, wire] = [time, timeOnWire(rng, time)];
    else {
      switch (f.type) {
        case 'string':
          value = wire = rng.pick(TEXTS);
          break;
        case 'enum':
          value = wire = rng.pick(f.values);
          break;
        case 'boolean':
          value = wire = rng.chance(0.5);
          break;
        case 'integer':
          value = wire = rng.int(f.min!, f.max!);
          break;
        case 'decimal': {
          const scaled = rng.int(f.min! * 10 ** f.scale, f.max! * 10 ** f.scale);
          value = scaled;
          wire = Number(units(scaled, f.scale, f.scale));
          break;
        }
        case 'timestamp': {
          const t = time + rng.int(-40, 40) * MIN + rng.int(0, 999);
          [value, wire] = [t, timeOnWire(rng, t)];
          break;
        }
      }
    }
    o[name] = wire;
    stored[name] = value;
  }
  return { time, json: JSON.stringify(o), logKeyHash: hash(String(stored.source)) };
}

function timeOnWire(rng: Random, t: number): number | string {
  const format = rng.int(0, 2);
  return format === 0 ? t : format === 1 ? new Date(t).toISOString() : isoWithOffset(t, rng.int(-12, 14) * 60);
}

/** FNV-1a, so a log key always routes to the same partition. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
