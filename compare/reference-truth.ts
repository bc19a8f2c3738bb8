import type { EcommerceEvent } from '../examples/ecommerce/pipeline.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import { GLOBAL_KEY, type ViewDef } from '../shared/compute/view-def.ts';
import { LkError } from '../shared/errors.ts';
import { DuckDb, type SqlValue } from '../infra/duckdb/duckdb-database.ts';
import type { GroundTruth, TruthCounts, TruthOracle, TruthWindow } from './ground-truth.ts';
import { productActivitySql, revenueSql, userSessionsSql } from './truth-view-sql.ts';

/**
 * The hand-written oracle of the e-commerce reference pipeline (examples/ecommerce): validity from
 * the shared validator (input policy), dedup by event_id keeping the first by log order, then each
 * reference view from its hand-written SQL over all remaining events, with no lateness limit.
 * Independent of the transform by construction, and of the definitions' truth; see truth-view-sql.ts.
 */
export async function referenceTruth(pipeline: Pipeline): Promise<TruthOracle> {
  const db = await DuckDb.open(':memory:');
  await db.run(`CREATE TABLE raw_records (
    seq BIGINT, appended_at BIGINT, valid BOOLEAN, rejection VARCHAR,
    event_id VARCHAR, event_type VARCHAR, user_id VARCHAR, product_id VARCHAR,
    price_cents BIGINT, quantity BIGINT, event_time BIGINT)`);
  let seq = 0;
  return {
    async load(records) {
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
    },
    finish: () => finish(db, pipeline),
    close: () => db.close(),
  };
}

async function finish(db: DuckDb, pipeline: Pipeline): Promise<GroundTruth> {
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
