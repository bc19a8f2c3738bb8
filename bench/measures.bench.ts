import { DuckDb } from '../infra/duckdb/duckdb-database.ts';
import { avgMeasure } from '../shared/compute/measures/avg.ts';
import { countDistinctMeasure } from '../shared/compute/measures/count-distinct.ts';
import { hllCountDistinctMeasure } from '../shared/compute/measures/count-distinct-hll.ts';
import { firstLastMeasure } from '../shared/compute/measures/first-last.ts';
import type { MeasureKind } from '../shared/compute/measures/measure-kind.ts';
import type { MeasureValue } from '../shared/compute/measures/measure-value.ts';
import { topKMeasure } from '../shared/compute/measures/top-k.ts';
import { Random } from '../workload/random.ts';
import type { Figure } from './figure.ts';

const ROUNDS = 3;
/** Keys (states) the events spread over: a pane table's worth, so states do not all sit in cache. */
const GROUPS = 20_000;

interface Input {
  readonly group: Int32Array;
  readonly time: Float64Array;
  readonly num: Float64Array;
  /** 2,000 merchant-like values, skewed: the field of a count-distinct or a top-k. */
  readonly str: string[];
}

/**
 * Each measure kind's cost per event (issue 12): the JS fold (`add` into the state of the event's
 * key, the speed layer's hot path) in CPU ns per event, best of ROUNDS, next to today's `sum` done
 * the same way; and the SQL twin building the states in DuckDB (one GROUP BY over the events, one
 * thread), in rows per CPU-s next to a plain `sum`, and the SQL merge of 8 partial states per group. Inputs are generated before timing.
 */
export async function benchMeasures(events = 1_000_000): Promise<Figure[]> {
  const rng = new Random(5);
  const input: Input = { group: new Int32Array(events), time: new Float64Array(events), num: new Float64Array(events), str: new Array<string>(events) };
  const merchants = Array.from({ length: 2_000 }, (_, i) => `merchant-${i.toString(36)}-${rng.hex(6)}`);
  for (let i = 0; i < events; i++) {
    input.group[i] = rng.int(0, GROUPS - 1);
    input.time[i] = 1_700_000_000_000 + i * 3 + rng.int(0, 5_000);
    input.num[i] = rng.int(1, 50_000);
    input.str[i] = merchants[Math.min(merchants.length - 1, Math.floor(rng.exponential(200)))];
  }
  const kinds: [string, MeasureKind<unknown, never, unknown, unknown>, 'num' | 'str'][] = [
    ['avg', avgMeasure as never, 'num'],
    ['first', firstLastMeasure('first') as never, 'num'],
    ['last', firstLastMeasure('last') as never, 'num'],
    ['count_distinct (exact)', countDistinctMeasure as never, 'str'],
    ['count_distinct_hll p=12', hllCountDistinctMeasure(12) as never, 'str'],
    ['top_k k=10', topKMeasure(10) as never, 'str'],
  ];
  const figures: Figure[] = [];
  const note = `${events.toLocaleString('en-US')} events over ${GROUPS.toLocaleString('en-US')} keys, CPU time, best of ${ROUNDS}`;
  figures.push({ name: 'measures: sum (today), JS fold', value: foldNs(events, () => sumFold(input)), unit: 'ns/event', note });
  for (const [name, kind, field] of kinds) figures.push({ name: `measures: ${name}, JS fold`, value: foldNs(events, () => fold(kind, input, field)), unit: 'ns/event', note });
  // The fixed-width kinds' other path: slots of one flat table, as the stream processor keeps panes.
  figures.push({ name: 'measures: avg, JS fold into a flat pane table', value: foldNs(events, () => avgSlots(input)), unit: 'ns/event', note });

  const db = await DuckDb.open(':memory:', { threads: 1 });
  try {
    await db.run('CREATE TABLE events (g INTEGER, t BIGINT, n BIGINT, s VARCHAR)');
    await db.append(
      'events',
      (function* () {
        for (let i = 0; i < events; i++) yield [input.group[i], BigInt(input.time[i]), BigInt(input.num[i]), input.str[i]];
      })(),
    );
    const sqlNote = `${events.toLocaleString('en-US')} rows, ${GROUPS.toLocaleString('en-US')} groups, 1 DuckDB thread, best of ${ROUNDS}`;
    figures.push({ name: 'measures: sum (today), SQL state', value: await sqlRowsPerS(db, events, 'sum(n)'), unit: 'rows/CPU-s', note: sqlNote });
    for (const [name, kind, field] of kinds) {
      figures.push({ name: `measures: ${name}, SQL state`, value: await sqlRowsPerS(db, events, kind.sql.state(field === 'num' ? 'n' : 's', 't')), unit: 'rows/CPU-s', note: sqlNote });
    }
    // Merging partials, as the batch job merges a sliding window's panes: 8 partial states per group.
    for (const [name, kind, field] of kinds) {
      await db.run(`CREATE OR REPLACE TEMP TABLE partials AS SELECT g, t % 8 AS part, ${kind.sql.state(field === 'num' ? 'n' : 's', 't')} AS s FROM events GROUP BY g, part`);
      const [{ n }] = await db.all('SELECT count(*)::DOUBLE AS n FROM partials');
      figures.push({
        name: `measures: ${name}, SQL merge of partials`,
        value: await sqlRowsPerS(db, n as number, kind.sql.merge('s'), 'partials'),
        unit: 'partials/CPU-s',
        note: `${(n as number).toLocaleString('en-US')} partial states, 8 per group, 1 DuckDB thread, best of ${ROUNDS}`,
      });
    }
    await db.run('DROP TABLE partials');
  } finally {
    await db.close();
  }
  return figures;
}

function foldNs(events: number, run: () => void): number {
  run(); // warm-up
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ROUNDS; r++) {
    const cpu = process.cpuUsage();
    run();
    const used = process.cpuUsage(cpu);
    best = Math.min(best, ((used.user + used.system) * 1_000) / events);
  }
  return Math.round(best);
}

function sumFold(input: Input): void {
  const sums = new Float64Array(GROUPS);
  for (let i = 0; i < input.group.length; i++) sums[input.group[i]] += input.num[i];
}

function avgSlots(input: Input): void {
  const table = new Float64Array(GROUPS * 2);
  for (let i = 0; i < input.group.length; i++) avgMeasure.addAt(table, input.group[i] * 2, input.num[i], input.time[i]);
}

function fold(kind: MeasureKind<unknown, MeasureValue, unknown, unknown>, input: Input, field: 'num' | 'str'): void {
  const states = Array.from({ length: GROUPS }, () => kind.empty());
  // A loop compiled per kind, so one kind's calls do not make the call site polymorphic for the next
  // (the stream processor compiles its fold per view the same way).
  const loop = new Function('kind', 'states', 'groups', 'values', 'times', 'for (let i = 0; i < groups.length; i++) kind.add(states[groups[i]], values[i], times[i]);');
  loop(kind, states, input.group, field === 'num' ? input.num : input.str, input.time);
}

async function sqlRowsPerS(db: DuckDb, rows: number, aggregate: string, from = 'events'): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ROUNDS; r++) {
    // CPU time of the process: DuckDB runs in it, on one thread; steadier than wall time on a shared host.
    const cpu = process.cpuUsage();
    // Materialized, so DuckDB cannot skip computing the states.
    await db.run(`CREATE OR REPLACE TEMP TABLE measure_states AS SELECT g, ${aggregate} AS s FROM ${from} GROUP BY g`);
    const used = process.cpuUsage(cpu);
    best = Math.min(best, (used.user + used.system) / 1e6);
  }
  await db.run('DROP TABLE measure_states');
  return Math.round(rows / best);
}

if (import.meta.main) console.log(await benchMeasures(Number(process.argv[2] ?? 1_000_000)));
