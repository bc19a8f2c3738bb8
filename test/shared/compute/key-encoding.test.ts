import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDb } from '../../../infra/duckdb/duckdb-database.ts';
import { sqlLiteral } from '../../../shared/compute/expression/expression-sql.ts';
import { encodeKey, encodeKeySql } from '../../../shared/compute/key-encoding.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { field } from '../../../shared/model/field.ts';
import { Random } from '../../../workload/random.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';

describe('composite keys', () => {
  it('never merge two different tuples, whatever separators and escapes the values hold', () => {
    const rng = new Random(3);
    const parts = ['', '|', '\\', '\\|', 'a|b', 'a\\', '|\\|', 'x'];
    const seen = new Map<string, string>();
    for (let i = 0; i < 5_000; i++) {
      const tuple = Array.from({ length: rng.int(2, 3) }, () => rng.pick(parts));
      const key = encodeKey(tuple);
      const before = seen.get(key);
      if (before !== undefined) expect(before, key).toBe(JSON.stringify(tuple));
      seen.set(key, JSON.stringify(tuple));
    }
    expect(encodeKey(['a|b', 'c'])).not.toBe(encodeKey(['a', 'b|c']));
    expect(encodeKey(['a\\', '|b'])).not.toBe(encodeKey(['a\\|', 'b']));
  });

  it('keep a single field value as it is', () => {
    expect(encodeKey(['p|1'])).toBe('p|1');
    expect(encodeKey([42])).toBe('42');
  });

  it('are what a view keyed by several fields (of several types) gives its events', () => {
    const p = compilePipeline(
      ecommerceConfig({
        schema: { fields: { id: field.string(), t: field.timestamp(), a: field.string(), n: field.integer(), b: field.boolean() }, id: 'id', time: 't', logKey: 'a' },
        views: [{ name: 'v', description: '', key: ['a', 'n', 'b'], window: { kind: 'tumbling', sizeMs: 60_000 }, measures: [{ name: 'c', op: 'count' }], present: (m) => m }],
      }),
    );
    expect(p.view('v').keyOf({ id: 'e', t: 0, a: 'x|y', n: -3, b: true })).toBe(encodeKey(['x|y', -3, true]));
    expect(p.view('v').keyOf({ id: 'e', t: 0, a: 'x|y', n: -3, b: true })).toBe('x\\|y|-3|true');
  });
});

describe('encodeKeySql, the SQL twin of encodeKey', () => {
  let db: DuckDb;
  beforeAll(async () => {
    db = await DuckDb.open();
  });
  afterAll(async () => {
    await db.close();
  });

  it('gives the same key as encodeKey for random tuples of text, integers and booleans', async () => {
    const rng = new Random(4);
    const parts = ['', '|', '\\', 'a|b', 'a\\', 'é|😀', 'x'];
    for (let i = 0; i < 200; i++) {
      const tuple = [rng.pick(parts), rng.int(-1_000, 1_000), rng.chance(0.5), rng.pick(parts)];
      const columns = [sqlLiteral(tuple[0] as string), `${tuple[1]}::BIGINT`, tuple[2] ? 'TRUE' : 'FALSE', sqlLiteral(tuple[3] as string)];
      const [row] = await db.all<{ k: string }>(`SELECT ${encodeKeySql(columns)} AS k`);
      expect(row.k, JSON.stringify(tuple)).toBe(encodeKey(tuple));
    }
  });
});
