import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropBucketEvents, loadBucketEvents } from '../../batch/bucket-events.ts';
import { masterColumnsSql } from '../../batch/master-dataset.ts';
import { schema } from '../../examples/ecommerce/pipeline.ts';
import { DuckDb, sqlString } from '../../infra/duckdb/duckdb-database.ts';
import { HOUR_MS } from '../../shared/time/bucket.ts';

const H = Date.UTC(2026, 0, 1, 10);

/** A master row: event id, user (to tell copies apart), event time, and its log position. */
interface Row {
  id: string;
  user: string;
  t: number;
  ts: number;
  p: number;
  off: number;
}

let db: DuckDb;
let dir: string;
beforeAll(async () => {
  db = await DuckDb.open();
  dir = await mkdtemp(join(tmpdir(), 'lk-bucket-events-'));
});
afterAll(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

/** Writes rows as a master Parquet file and returns its path. */
async function masterFile(name: string, rows: readonly Row[]): Promise<string> {
  const file = join(dir, `${name}.parquet`);
  await db.run(`CREATE OR REPLACE TABLE m (${masterColumnsSql(schema)})`);
  await db.append(
    'm',
    rows.map((r) => [r.id, 'page_view', r.user, 'p1', null, null, BigInt(r.t), null, BigInt(r.p), BigInt(r.off), BigInt(r.ts), '']),
  );
  await db.run(`COPY m TO ${sqlString(file)} (FORMAT parquet)`);
  return file;
}

/** The distinct events of the buckets; `inBuckets` when the caller vouches that every row of the files is in them. */
async function distinctEvents(files: string[], buckets: number[], inBuckets = false) {
  const { relation, counts } = await loadBucketEvents(db, { files, buckets, bucketMs: HOUR_MS, inBuckets, schema });
  const rows = await db.all<{ event_id: string; user_id: string; bucket: bigint }>(`SELECT event_id, user_id, bucket FROM ${relation} ORDER BY event_id, bucket`);
  await dropBucketEvents(db);
  return { counts: Object.fromEntries([...counts].map(([b, c]) => [(b - H) / HOUR_MS, c])), rows: rows.map((r) => `${r.event_id}:${r.user_id}@${(Number(r.bucket) - H) / HOUR_MS}`) };
}

describe('loadBucketEvents', () => {
  it('keeps the first copy of an event per bucket in log order (append time, partition, offset), whatever the copies hold', async () => {
    // a: append time decides; c: then the partition; d: then the offset.
    const p0 = await masterFile('p0', [
      { id: 'a', user: 'a-second', t: H + 10, ts: 200, p: 0, off: 1 },
      { id: 'b', user: 'b-only', t: H + 20, ts: 150, p: 0, off: 2 },
      { id: 'c', user: 'c-first', t: H + 30, ts: 90, p: 0, off: 9 },
      { id: 'c', user: 'c-next-hour', t: H + HOUR_MS + 30, ts: 95, p: 0, off: 10 },
      { id: 'c', user: 'c-next-hour-copy', t: H + HOUR_MS + 30, ts: 96, p: 0, off: 11 },
      { id: 'a', user: 'a-last', t: H + 10, ts: 300, p: 0, off: 0 },
    ]);
    const p1 = await masterFile('p1', [
      { id: 'd', user: 'd-later', t: H + 40, ts: 50, p: 1, off: 4 },
      { id: 'a', user: 'a-first', t: H + 10, ts: 100, p: 1, off: 9 },
      // A copy with another event time in the same bucket is still a copy.
      { id: 'c', user: 'c-later', t: H + 50, ts: 90, p: 1, off: 2 },
      { id: 'd', user: 'd-first', t: H + 40, ts: 50, p: 1, off: 3 },
    ]);
    expect(await distinctEvents([p0, p1], [H, H + HOUR_MS])).toEqual({
      counts: { 0: { rows: 8, events: 4 }, 1: { rows: 2, events: 1 } },
      rows: ['a:a-first@0', 'b:b-only@0', 'c:c-first@0', 'c:c-next-hour@1', 'd:d-first@0'],
    });
    // Only the buckets asked for.
    expect(await distinctEvents([p0, p1], [H + HOUR_MS])).toEqual({ counts: { 1: { rows: 2, events: 1 } }, rows: ['c:c-next-hour@1'] });
  });

  it('keeps one of two identical rows, even when two files hold the same record', async () => {
    const row = { id: 'x', user: 'ux', t: H + 1, ts: 5, p: 2, off: 40 };
    const f1 = await masterFile('same-1', [row, { ...row, id: 'y', off: 41 }]);
    const f2 = await masterFile('same-2', [row]);
    expect(await distinctEvents([f1, f2], [H])).toEqual({ counts: { 0: { rows: 3, events: 2 } }, rows: ['x:ux@0', 'y:ux@0'] });
  });

  it('reads every row when no event id repeats', async () => {
    const f = await masterFile('unique', [
      { id: 'u1', user: 'u', t: H, ts: 1, p: 0, off: 1 },
      { id: 'u2', user: 'u', t: H + HOUR_MS - 1, ts: 2, p: 0, off: 2 },
    ]);
    expect(await distinctEvents([f], [H])).toEqual({ counts: { 0: { rows: 2, events: 2 } }, rows: ['u1:u@0', 'u2:u@0'] });
  });

  it('dedups the same way when the files lie inside the buckets and no row is filtered or its bucket computed', async () => {
    // One file per hour, as the master dataset lays them out.
    const h0 = await masterFile('h0', [
      { id: 'a', user: 'a-second', t: H + 10, ts: 200, p: 0, off: 1 },
      { id: 'a', user: 'a-first', t: H + 10, ts: 100, p: 0, off: 0 },
      { id: 'b', user: 'b-only', t: H + HOUR_MS - 1, ts: 150, p: 0, off: 2 },
      // Another event time in the same bucket: still a copy.
      { id: 'a', user: 'a-later', t: H + 50, ts: 100, p: 1, off: 5 },
    ]);
    const h1 = await masterFile('h1', [
      { id: 'a', user: 'a-next-hour', t: H + HOUR_MS, ts: 90, p: 0, off: 3 },
      { id: 'c', user: 'c-first', t: H + HOUR_MS + 5, ts: 91, p: 0, off: 4 },
      { id: 'c', user: 'c-copy', t: H + HOUR_MS + 5, ts: 95, p: 2, off: 1 },
    ]);
    const single = await distinctEvents([h0], [H], true);
    expect(single).toEqual(await distinctEvents([h0], [H], false));
    expect(single).toEqual({ counts: { 0: { rows: 4, events: 2 } }, rows: ['a:a-first@0', 'b:b-only@0'] });
    // Several buckets: dedup stays per bucket (a is in both hours).
    const both = await distinctEvents([h0, h1], [H, H + HOUR_MS], true);
    expect(both).toEqual(await distinctEvents([h0, h1], [H, H + HOUR_MS], false));
    expect(both).toEqual({ counts: { 0: { rows: 4, events: 2 }, 1: { rows: 3, events: 2 } }, rows: ['a:a-first@0', 'a:a-next-hour@1', 'b:b-only@0', 'c:c-first@1'] });
  });

  it('tells rows apart by file position and row number when both files of a single bucket hold the same record', async () => {
    const row = { id: 'x', user: 'ux', t: H + 1, ts: 5, p: 2, off: 40 };
    const f1 = await masterFile('dup-1', [{ ...row, id: 'y', off: 39 }, row]);
    const f2 = await masterFile('dup-2', [row, row]);
    expect(await distinctEvents([f1, f2], [H], true)).toEqual({ counts: { 0: { rows: 4, events: 2 } }, rows: ['x:ux@0', 'y:ux@0'] });
  });
});
