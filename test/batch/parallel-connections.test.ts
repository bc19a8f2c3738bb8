import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onParallelConnections } from '../../batch/parallel-connections.ts';
import { DuckDb } from '../../infra/duckdb/duckdb-database.ts';

let db: DuckDb;
beforeAll(async () => {
  db = await DuckDb.open(':memory:', { threads: 2 });
});
afterAll(async () => {
  await db.close();
});

const threads = async () => Number((await db.all<{ t: bigint }>(`SELECT current_setting('threads')::BIGINT AS t`))[0].t);

describe('onParallelConnections', () => {
  it('runs the items on as many connections as threads, one thread each, and returns results in item order', async () => {
    const seen = new Set<DuckDb>();
    const done: number[] = [];
    let running = 0;
    let most = 0;
    const results = await onParallelConnections(
      db,
      [1, 2, 3, 4, 5],
      async (conn, n) => {
        seen.add(conn);
        most = Math.max(most, ++running);
        // Temp tables are per connection: the same name on two connections at once does not clash.
        await conn.run(`CREATE OR REPLACE TEMP TABLE work AS SELECT ${n} AS n`);
        await new Promise((r) => setTimeout(r, 20 * (6 - n)));
        const [row] = await conn.all<{ n: number; t: bigint }>(`SELECT n, current_setting('threads')::BIGINT AS t FROM work`);
        running--;
        return `${row.n}/${row.t}`;
      },
      (_, n) => done.push(n),
    );
    expect(results).toEqual(['1/1', '2/1', '3/1', '4/1', '5/1']);
    expect(seen.size).toBe(2);
    expect(most).toBe(2);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(await threads()).toBe(2);
  });

  it('starts no further item after a failure, rethrows it and restores the thread setting', async () => {
    const started: number[] = [];
    await expect(
      onParallelConnections(db, [1, 2, 3, 4, 5, 6], async (_conn, n) => {
        started.push(n);
        if (n === 2) throw new Error('item 2 failed');
        await new Promise((r) => setTimeout(r, 30));
        return n;
      }),
    ).rejects.toThrow('item 2 failed');
    expect(started.length).toBeLessThan(6);
    expect(await threads()).toBe(2);
  });

  it('leaves a single item all the threads', async () => {
    expect(await onParallelConnections(db, ['only'], async (conn) => Number((await conn.all<{ t: bigint }>(`SELECT current_setting('threads')::BIGINT AS t`))[0].t))).toEqual([2]);
  });

  it('does nothing for no items', async () => {
    expect(await onParallelConnections(db, [], async () => 1)).toEqual([]);
  });
});
