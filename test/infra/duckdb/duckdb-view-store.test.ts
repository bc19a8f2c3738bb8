import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDb } from '../../../infra/duckdb/duckdb-database.ts';
import { DuckDbViewStore } from '../../../infra/duckdb/duckdb-view-store.ts';
import type { PartitionCheckpoint } from '../../../shared/compute/partition-processor.ts';
import type { Pane } from '../../../shared/compute/pane.ts';
import { BadRequestError, NotFoundError } from '../../../shared/errors.ts';
import { describeViewStoreContract } from '../../support/contracts/view-store-contract.ts';
import { waitFor } from '../../support/wait-for.ts';

const DUCKDB_MODULE = pathToFileURL(join(import.meta.dirname, '../../../infra/duckdb/duckdb-database.ts')).href;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

describeViewStoreContract('DuckDbViewStore (:memory:)', async () => {
  const store = await DuckDbViewStore.open(':memory:');
  return { store, cleanup: () => store.close() };
});

describeViewStoreContract('DuckDbViewStore (file)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lk-views-'));
  const store = await DuckDbViewStore.open(join(dir, 'views.duckdb'));
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

function cp(partition: number, nextOffset: number): PartitionCheckpoint {
  return { partition, nextOffset, maxEventTime: null, stats: { valid: 0, deadLetter: 0, duplicate: 0, tooLate: 0 } };
}

function pane(key: string, start: number, acc: number[], bucket = T0): Pane {
  return { view: 'v', key, start, end: start + HOUR, bucket, acc };
}

describe('DuckDbViewStore specifics', () => {
  let dir: string;
  let path: string;
  const stores: DuckDbViewStore[] = [];

  async function open(): Promise<DuckDbViewStore> {
    const s = await DuckDbViewStore.open(path);
    stores.push(s);
    return s;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lk-views-'));
    path = join(dir, 'views.duckdb');
  });

  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps namespaces, panes, checkpoints and aliases across a reopen', async () => {
    const a = await open();
    await a.ensureNamespace('kappa_v1');
    await a.commit('kappa_v1', [{ partition: 0, upserts: [pane('k', T0, [1, 2])], deletes: [], checkpoint: cp(0, 5) }]);
    await a.setAlias('kappa', 'kappa_v1');
    await a.close();
    const b = await open();
    expect(await b.listNamespaces()).toEqual(['kappa_v1']);
    expect(await b.getAlias('kappa')).toBe('kappa_v1');
    expect(await b.checkpoints('kappa_v1')).toEqual(new Map([[0, cp(0, 5)]]));
    expect(await b.queryPanes('kappa_v1', { view: 'v', from: T0, to: T0 + 1 })).toEqual([{ ...pane('k', T0, [1, 2]), partition: 0 }]);
  });

  it('opens a file made before object measure states existed: its panes table gains the states column, old rows read without states', async () => {
    // The panes table as earlier versions created it: no states column.
    const old = await DuckDb.open(path);
    await old.run(`CREATE TABLE lk_namespaces (name VARCHAR PRIMARY KEY); INSERT INTO lk_namespaces VALUES ('speed');
      CREATE TABLE panes_speed (view VARCHAR NOT NULL, key VARCHAR NOT NULL, start BIGINT NOT NULL, "end" BIGINT NOT NULL,
        bucket BIGINT NOT NULL, partition INTEGER NOT NULL, acc DOUBLE[] NOT NULL, PRIMARY KEY (view, key, start, bucket, partition));
      CREATE INDEX speed_panes_key ON panes_speed (key);
      CREATE TABLE checkpoints_speed (partition INTEGER PRIMARY KEY, checkpoint VARCHAR NOT NULL);
      INSERT INTO panes_speed VALUES ('v', 'old', ${T0}, ${T0 + HOUR}, ${T0}, 0, [1, 2]);`);
    await old.close();
    const store = await open();
    const withStates: Pane = { ...pane('new', T0, [3]), states: '["[\\"a\\"]"]' };
    await store.commit('speed', [{ partition: 0, upserts: [withStates], deletes: [], checkpoint: cp(0, 5) }]);
    expect((await store.queryPanes('speed', { view: 'v', from: T0, to: T0 + 1 })).sort((x, y) => (x.key < y.key ? -1 : 1))).toEqual([{ ...withStates, partition: 0 }, { ...pane('old', T0, [1, 2]), partition: 0 }]);
  });

  it('an unfinished bulk load stays unfinished across a reopen (a crashed replay is never taken for a finished one)', async () => {
    const a = await open();
    const load = await a.beginLoad('kappa_v2');
    await load.append(0, [pane('k', T0, [1, 2])]);
    await a.close();
    const b = await open();
    expect(await b.unfinishedLoads()).toEqual(['kappa_v2']);
    await expect(b.ensureNamespace('kappa_v2')).rejects.toThrow(/unfinished bulk load/);
    await b.dropNamespace('kappa_v2');
    expect(await b.listNamespaces()).toEqual([]);
  });

  it('refuses a second open of the same file in this process', async () => {
    await open();
    await expect(DuckDbViewStore.open(path)).rejects.toThrow(/already open in this process/);
  });

  it('says which process holds the file when another one has it open', async () => {
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { DuckDb } = await import(process.argv[1]);
         const db = await DuckDb.open(process.argv[2]);
         console.log('open');
         process.stdin.on('end', async () => { await db.close(); process.exit(0); });
         process.stdin.resume();`,
        DUCKDB_MODULE,
        path,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor(() => out.includes('open'), { message: 'the child opened the file' });
      await expect(DuckDbViewStore.open(path)).rejects.toThrow(new RegExp(`in use by another process \\(PID ${child.pid}\\)`));
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin!.end();
      await exited;
    }
  });

  it('rejects bad names and unknown namespaces with errors that say what to do', async () => {
    const s = await open();
    await expect(s.ensureNamespace('Kappa-1')).rejects.toBeInstanceOf(BadRequestError);
    await expect(s.ensureNamespace('Kappa-1')).rejects.toThrow(/lowercase letter/);
    await expect(s.commit('speed', [])).rejects.toBeInstanceOf(NotFoundError);
    await expect(s.queryPanes('speed', { view: 'v', from: 0, to: 1 })).rejects.toThrow(/does not exist: it is created by the job/);
    await expect(s.setAlias('kappa', 'kappa_v9')).rejects.toBeInstanceOf(NotFoundError);
    await expect(s.setAlias('Bad', 'speed')).rejects.toBeInstanceOf(BadRequestError);
  });

  it('drops the aliases of a dropped namespace', async () => {
    const s = await open();
    await s.ensureNamespace('kappa_v1');
    await s.setAlias('kappa', 'kappa_v1');
    await s.dropNamespace('kappa_v1');
    expect(await s.getAlias('kappa')).toBeUndefined();
  });

  it('applies large commits in bulk, the last upsert of a pane winning', async () => {
    const s = await open();
    await s.ensureNamespace('speed');
    const upserts = Array.from({ length: 20_000 }, (_, i) => pane(`user-${i % 500}`, T0 + Math.floor(i / 500) * HOUR, [i, i * 0.5]));
    upserts.push(pane('user-0', T0, [-1, -1]));
    await s.commit('speed', [
      { partition: 0, upserts, deletes: [], checkpoint: cp(0, 20_001) },
      { partition: 1, upserts: upserts.slice(0, 100), deletes: [], checkpoint: cp(1, 100) },
    ]);
    const all = await s.queryPanes('speed', { view: 'v', from: Number.NEGATIVE_INFINITY, to: Number.POSITIVE_INFINITY });
    expect(all).toHaveLength(20_100);
    const one = await s.queryPanes('speed', { view: 'v', key: 'user-0', from: T0, to: T0 + 1 });
    expect(one.map((p) => [p.partition, p.acc])).toEqual([
      [0, [-1, -1]],
      [1, [0, 0]],
    ]);
    await s.commit('speed', [{ partition: 0, upserts: [], deletes: upserts.slice(0, 10_000), checkpoint: cp(0, 20_002) }]);
    expect(await s.queryPanes('speed', { view: 'v', from: Number.NEGATIVE_INFINITY, to: Number.POSITIVE_INFINITY })).toHaveLength(10_100);
  });

  it('rounds fractional query bounds so the half-open overlap stays exact', async () => {
    const s = await open();
    await s.ensureNamespace('speed');
    await s.commit('speed', [{ partition: 0, upserts: [pane('k', T0, [1])], deletes: [], checkpoint: cp(0, 1) }]);
    // The window is [T0, T0 + HOUR).
    expect(await s.queryPanes('speed', { view: 'v', from: T0 + HOUR - 0.5, to: T0 + HOUR + 10 })).toHaveLength(1);
    expect(await s.queryPanes('speed', { view: 'v', from: T0 - 10, to: T0 + 0.5 })).toHaveLength(1);
    expect(await s.queryPanes('speed', { view: 'v', from: T0 - 10, to: T0 - 0.5 })).toHaveLength(0);
    expect(await s.queryPanes('speed', { view: 'v', from: 0, to: T0 + HOUR, minBucket: T0 + 0.5 })).toHaveLength(0);
  });

  it('rejects times that are not whole milliseconds before touching the database', async () => {
    const s = await open();
    await s.ensureNamespace('speed');
    await expect(s.commit('speed', [{ partition: 0, upserts: [pane('k', T0 + 0.5, [1])], deletes: [], checkpoint: cp(0, 1) }])).rejects.toThrow(/whole number/);
    expect(await s.checkpoints('speed')).toEqual(new Map());
  });
});

describe('DuckDbViewStore rollback', () => {
  it('a commit that fails inside the transaction (after its deletes ran) leaves panes and checkpoints as they were', async () => {
    const store = await DuckDbViewStore.open(':memory:');
    try {
      await store.ensureNamespace('rb');
      await store.commit('rb', [{ partition: 0, upserts: [pane('a', T0, [1])], deletes: [], checkpoint: cp(0, 10) }]);
      // Partition 2^31 overflows the INTEGER column: the upsert fails after the delete of 'a' ran.
      const bad = { partition: 2 ** 31, upserts: [pane('b', T0, [2])], deletes: [{ view: 'v', key: 'a', start: T0, bucket: T0 }], checkpoint: cp(2 ** 31, 5) };
      await expect(store.commit('rb', [{ ...bad, deletes: [] }, { partition: 0, upserts: [], deletes: bad.deletes, checkpoint: cp(0, 20) }].reverse())).rejects.toThrow();
      expect((await store.queryPanes('rb', { view: 'v', from: 0, to: Number.MAX_SAFE_INTEGER })).map((p) => p.key)).toEqual(['a']);
      expect((await store.checkpoints('rb')).get(0)?.nextOffset).toBe(10);
      // The store still works afterwards.
      await store.commit('rb', [{ partition: 0, upserts: [pane('c', T0, [3])], deletes: [], checkpoint: cp(0, 30) }]);
      expect((await store.checkpoints('rb')).get(0)?.nextOffset).toBe(30);
    } finally {
      await store.close();
    }
  });
});
