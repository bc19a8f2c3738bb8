import type { EcommerceEvent } from '../examples/ecommerce/pipeline.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import { GLOBAL_KEY, type ViewDef } from '../shared/compute/view-def.ts';
import { LkError } from '../shared/errors.ts';
import type { EventLog } from '../shared/ports/event-log.ts';
import { DuckDb, type SqlValue } from '../infra/duckdb/duckdb-database.ts';
import { productActivitySql, revenueSql, userSessionsSql } from './truth-view-sql.ts';

/** A raw record as the log holds it: the line and its append timestamp (what "far future" is judged against). */
export interface RawRecord {
  readonly value: string;
  readonly timestamp: number;
}

/** One window of a view according to the truth, measures by name. */
export interface TruthWindow {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly values: Readonly<Record<string, number>>;
}

/** What the truth read: records = invalid + duplicate + events. */
export interface TruthCounts {
  /** Raw records read. */
  readonly records: number;
  /** Records the validator rejects (what the layers dead-letter). */
  readonly invalid: number;
  /** Valid records whose event_id an earlier valid record already had. */
  readonly duplicate: number;
  /** Distinct valid events: what every view is computed over. */
  readonly events: number;
}

/** The ground truth: counts and every covered view's windows. */
export interface GroundTruth {
  readonly counts: TruthCounts;
  /** Windows per view, sorted by key then start (the order mergePanes gives). */
  readonly views: Readonly<Record<string, readonly TruthWindow[]>>;
  /** Views of the pipeline the truth has no SQL for (only the reference views are covered). */
  readonly uncovered: readonly string[];
}

const CHUNK = 10_000;

/**
 * The ground truth over raw records given in log order: validity from the shared validator (input
 * policy), dedup by event_id keeping the first by log order, then each reference view from its
 * hand-written SQL over all remaining events, with no lateness limit. Independent of the
 * transform by construction; see truth-view-sql.ts.
 */
export async function computeGroundTruth(pipeline: Pipeline, records: Iterable<RawRecord> | AsyncIterable<RawRecord>): Promise<GroundTruth> {
  return withTruthDb(pipeline, async (load) => {
    let chunk: RawRecord[] = [];
    for await (const r of records) {
      chunk.push(r);
      if (chunk.length >= CHUNK) {
        await load(chunk);
        chunk = [];
      }
    }
    await load(chunk);
  });
}

/** The ground truth of everything in a topic now: reads every partition from its earliest offset to its current end. */
export async function groundTruthFromLog(pipeline: Pipeline, log: EventLog, topic: string): Promise<GroundTruth> {
  return withTruthDb(pipeline, async (load) => {
    // Order across partitions does not matter: duplicates share their key, hence their partition,
    // and within a partition batches arrive in offset order. A redelivered offset (the log is
    // at-least-once) is the same record, not a duplicate event, so it is read once.
    const next = new Map<number, number>();
    const sub = await log.consume({
      topic,
      from: { kind: 'earliest' },
      stopAtEnd: true,
      onBatch: (batch) => {
        const from = next.get(batch.partition) ?? Number.NEGATIVE_INFINITY;
        const fresh = batch.records.filter((r) => r.offset >= from);
        if (fresh.length > 0) next.set(batch.partition, fresh[fresh.length - 1].offset + 1);
        return load(fresh);
      },
    });
    await sub.done;
  });
}

async function withTruthDb(pipeline: Pipeline, fill: (load: (records: readonly RawRecord[]) => Promise<void>) => Promise<void>): Promise<GroundTruth> {
  const db = await DuckDb.open(':memory:');
  try {
    await db.run(`CREATE TABLE raw_records (
      seq BIGINT, appended_at BIGINT, valid BOOLEAN, rejection VARCHAR,
      event_id VARCHAR, event_type VARCHAR, user_id VARCHAR, product_id VARCHAR,
      price_cents BIGINT, quantity BIGINT, event_time BIGINT)`);
    let seq = 0;
    await fill(async (records) => {
      const rows: SqlValue[][] = [];
      for (const r of records) {
        const s = BigInt(seq++);
        const v = pipeline.validator.validateRecord(r.value, r.timestamp);
        if (!v.ok) {
          rows.push([s, BigInt(r.timestamp), false, v.rejection.code, null, null, null, null, null, null, null]);
          continue;
        }
        // The e-commerce schema's fields (the reference pipeline is the only one this oracle covers).
        const e = v.event as EcommerceEvent;
        const big = (x: number | null) => (x === null ? null : BigInt(x));
        rows.push([s, BigInt(r.timestamp), true, null, e.event_id, e.event_type, e.user_id, e.product_id, big(e.price), big(e.quantity), BigInt(e.event_time)]);
      }
      if (rows.length > 0) await db.append('raw_records', rows);
    });
    await db.run(`CREATE TABLE truth_events AS
      SELECT seq, event_id, event_type, user_id, product_id, price_cents, quantity, event_time
      FROM raw_records WHERE valid
      QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY seq) = 1`);
    const [c] = await db.all<{ records: bigint; invalid: bigint; valid: bigint; events: bigint }>(
      `SELECT (SELECT count(*) FROM raw_records) AS records,
              (SELECT count(*) FROM raw_records WHERE NOT valid) AS invalid,
              (SELECT count(*) FROM raw_records WHERE valid) AS valid,
              (SELECT count(*) FROM truth_events) AS events`,
    );
    const counts: TruthCounts = { records: Number(c.records), invalid: Number(c.invalid), duplicate: Number(c.valid - c.events), events: Number(c.events) };

    const views: Record<string, TruthWindow[]> = {};
    const uncovered: string[] = [];
    for (const v of pipeline.views) {
      const sql = truthSqlFor(v.def);
      if (sql === undefined) {
        uncovered.push(v.name);
        continue;
      }
      const rows = await db.all(sql);
      views[v.name] = rows.map((row) => toWindow(v.def, row)).sort(byKeyThenStart);
    }
    return { counts, views, uncovered };
  } finally {
    await db.close();
  }
}

/** The truth's SQL for a view, by the reference view names; only the sizes come from the definition. */
function truthSqlFor(def: ViewDef): string | undefined {
  const w = def.window;
  const wrongShape = (expected: string) =>
    new LkError(`ground truth: view "${def.name}" has a ${w.kind} window, but the truth's SQL computes it with ${expected}; rename the view or keep the reference definition`);
  switch (def.name) {
    case 'product_activity':
      if (w.kind !== 'tumbling') throw wrongShape('tumbling windows');
      return productActivitySql(w.sizeMs);
    case 'revenue':
      if (w.kind === 'session') throw wrongShape('fixed (tumbling or sliding) windows');
      return revenueSql(GLOBAL_KEY, w.sizeMs, w.kind === 'sliding' ? w.slideMs : w.sizeMs);
    case 'user_sessions':
      if (w.kind !== 'session') throw wrongShape('session windows');
      return userSessionsSql(w.gapMs);
    default:
      return undefined;
  }
}

function toWindow(def: ViewDef, row: Record<string, unknown>): TruthWindow {
  const values: Record<string, number> = {};
  for (const m of def.measures) {
    if (!(m.name in row)) {
      throw new LkError(`ground truth: view "${def.name}" has a measure "${m.name}" the truth's SQL does not compute; keep the reference measures or extend compare/truth-view-sql.ts`);
    }
    values[m.name] = Number(row[m.name]);
  }
  return { key: String(row.key), start: Number(row.start), end: Number(row.end), values };
}

/** Same order as mergePanes: keys by UTF-16 code units (JS string comparison), then start. */
function byKeyThenStart(a: TruthWindow, b: TruthWindow): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : a.start - b.start;
}
