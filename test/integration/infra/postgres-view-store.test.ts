import pg from 'pg';
import { beforeEach, describe, expect, inject, it, type TestContext } from 'vitest';
import { applyMigrations, MIGRATIONS } from '../../../infra/postgres/migrations.ts';
import { float8ArrayLiteral, int8ArrayLiteral, textArrayLiteral } from '../../../infra/postgres/array-literal.ts';
import { deleteColumns } from '../../../infra/postgres/pane-rows.ts';
import { PaneTable } from '../../../infra/postgres/pane-table.ts';
import { PostgresViewStore } from '../../../infra/postgres/postgres-view-store.ts';
import { freePort } from '../../../infra/local/local-process.ts';
import type { PartitionCheckpoint } from '../../../shared/compute/partition-processor.ts';
import type { Pane } from '../../../shared/compute/pane.ts';
import { BadRequestError, ConfigError, NotFoundError, ServiceUnavailableError } from '../../../shared/errors.ts';
import { describeViewStoreContract } from '../../support/contracts/view-store-contract.ts';
import { dropPgSchema } from '../../support/pg-schema.ts';
import { postgresOrSkip, uniqueName } from '../../support/services.ts';

const T0 = Date.UTC(2026, 0, 1);

/** A connection for looking at what the store wrote, and for dropping a test's schema afterwards. */
async function admin(url: string, ctx?: TestContext): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  ctx?.onTestFinished(() => client.end());
  return client;
}

/** A store on a schema of its own, dropped when the test ends. */
async function openStore(ctx: TestContext, options: { schema?: string; poolSize?: number } = {}): Promise<{ store: PostgresViewStore; url: string; schema: string }> {
  const { url } = postgresOrSkip(ctx);
  const schema = options.schema ?? uniqueName('it');
  const store = await PostgresViewStore.open({ url, schema, poolSize: options.poolSize });
  ctx.onTestFinished(async () => {
    await store.close();
    await dropPgSchema(url, schema);
  });
  return { store, url, schema };
}

function cp(partition: number, nextOffset: number): PartitionCheckpoint {
  return { partition, nextOffset, maxEventTime: T0 + nextOffset, stats: { valid: nextOffset, deadLetter: 0, duplicate: 0, tooLate: 0 } };
}

/** n distinct panes of one view: 1000 keys per minute window. */
function panes(n: number, value: number): Pane[] {
  return Array.from({ length: n }, (_, i) => ({
    view: 'product_activity',
    key: `p${i % 1000}`,
    start: T0 + Math.floor(i / 1000) * 60_000,
    end: T0 + Math.floor(i / 1000) * 60_000 + 60_000,
    bucket: T0,
    acc: [value, i, Number.POSITIVE_INFINITY],
  }));
}

describe('PostgresViewStore', () => {
  beforeEach((ctx) => void postgresOrSkip(ctx));

  describeViewStoreContract('PostgresViewStore', async () => {
    const offer = inject('postgres');
    if (!offer.available) throw new Error(offer.reason); // not reached: the beforeEach above skipped the test
    const schema = uniqueName('contract');
    const store = await PostgresViewStore.open({ url: offer.settings.url, schema });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await dropPgSchema(offer.settings.url, schema);
      },
    };
  });

  describe('migrations', () => {
    it('apply once: a second open of the same schema applies nothing', async (ctx) => {
      const { store, url, schema } = await openStore(ctx);
      await store.close();
      const again = await PostgresViewStore.open({ url, schema });
      await again.close();
      const client = await admin(url, ctx);
      const { rows } = await client.query(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await applyMigrations(client, schema)).toEqual([]);
    });

    it('are safe when several processes start at once', async (ctx) => {
      const { url } = postgresOrSkip(ctx);
      const schema = uniqueName('race');
      ctx.onTestFinished(() => dropPgSchema(url, schema));
      // Separate connections racing on a schema that does not exist yet, as processes starting together do.
      const clients = await Promise.all([1, 2, 3, 4].map(() => admin(url, ctx)));
      const applied = await Promise.all(clients.map((c) => applyMigrations(c, schema)));
      expect(applied.flat().sort()).toEqual(MIGRATIONS.map((m) => m.version));
      const { rows } = await clients[0].query(`SELECT count(*)::int AS n FROM "${schema}".schema_migrations`);
      expect(rows[0].n).toBe(MIGRATIONS.length);
    });

    it('refuse a schema migrated by a newer build', async (ctx) => {
      const { url, schema, store } = await openStore(ctx);
      await store.close();
      const client = await admin(url, ctx);
      await client.query(`INSERT INTO "${schema}".schema_migrations (version, name) VALUES (999, 'from the future')`);
      await expect(PostgresViewStore.open({ url, schema })).rejects.toThrow(/version 999, newer than this build/);
    });

    it('concurrent ensureNamespace calls of one namespace both succeed', async (ctx) => {
      const { store, url, schema } = await openStore(ctx);
      const other = await PostgresViewStore.open({ url, schema });
      ctx.onTestFinished(() => other.close());
      await Promise.all([store.ensureNamespace('speed'), other.ensureNamespace('speed'), store.ensureNamespace('speed')]);
      expect(await other.listNamespaces()).toEqual(['speed']);
    });
  });

  describe('tables', () => {
    it('one panes table per namespace, keyed (view, key, start, bucket, partition), with an index for restores only', async (ctx) => {
      const { store, url, schema } = await openStore(ctx);
      await store.ensureNamespace('kappa_v1');
      await store.ensureNamespace('speed');
      const client = await admin(url, ctx);
      const { rows: tables } = await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename LIKE 'panes_%' ORDER BY 1`, [schema]);
      expect(tables.map((r) => r.tablename)).toEqual(['panes_kappa_v1', 'panes_speed']);
      const { rows: indexes } = await client.query(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'panes_speed'`, [schema]);
      const defs = indexes.map((r) => r.indexdef as string);
      expect(defs.some((d) => d.includes('UNIQUE') && d.includes('(view, key, start, bucket, partition)'))).toBe(true);
      expect(defs.some((d) => d.includes('(partition, bucket, start)'))).toBe(true);
      expect(defs).toHaveLength(2);
      // Ids compare byte by byte, not through the database's locale.
      const { rows: collations } = await client.query(
        `SELECT column_name, collation_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'panes_speed' AND data_type = 'text' ORDER BY 1`,
        [schema],
      );
      // The object measure states are a payload, never compared: the database's default collation.
      expect(collations).toEqual([{ column_name: 'key', collation_name: 'C' }, { column_name: 'states', collation_name: null }, { column_name: 'view', collation_name: 'C' }]);
      // A table from a version that served through an index on the end loses it.
      await client.query(`CREATE INDEX panes_speed_serving ON "${schema}".panes_speed (view, key, "end")`);
      // One from a version whose restore index had no start gives it up for the one with it.
      await client.query(`CREATE INDEX panes_speed_restore ON "${schema}".panes_speed (partition, bucket)`);
      await store.ensureNamespace('speed');
      const { rows: after } = await client.query(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'panes_speed'`, [schema]);
      expect(after.map((r) => r.indexname)).not.toContain('panes_speed_serving');
      expect(after.map((r) => r.indexname).sort()).toEqual(['panes_speed_pkey', 'panes_speed_restore_start']);
      await store.dropNamespace('kappa_v1');
      const { rows: left } = await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename LIKE 'panes_%'`, [schema]);
      expect(left.map((r) => r.tablename)).toEqual(['panes_speed']);
    });
  });

  describe('array literals', () => {
    it('read back as the values they were built from', async (ctx) => {
      const { url } = postgresOrSkip(ctx);
      const client = await admin(url, ctx);
      // Every printable ASCII character alone and in company, plus the words and spaces literals treat specially.
      const ascii = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
      const texts = [...ascii, ascii.join(''), 'NULL', 'null', '', '  ', '{}', '{"a",b}', 'ünï\u0041', '\\"\\'];
      const ints = [0, -1, 2 ** 53 - 1, -(2 ** 53 - 1), T0];
      const floats = [0.1, -2.5e-300, 1.7976931348623157e308, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53 - 1];
      const { rows } = await client.query('SELECT $1::text[] AS t, $2::int8[]::text[] AS i, $3::float8[] AS f', [
        textArrayLiteral(texts),
        int8ArrayLiteral(ints),
        float8ArrayLiteral(floats),
      ]);
      expect(rows[0].t).toEqual(texts);
      expect(rows[0].i.map(Number)).toEqual(ints);
      expect(rows[0].f).toEqual(floats);
    });
  });

  describe('commit', () => {
    it('writes a large batch (several bulk statements) in one commit, then updates and deletes it', async (ctx) => {
      const { store } = await openStore(ctx);
      await store.ensureNamespace('kappa_v1');
      const n = 12_345;
      await store.commit('kappa_v1', [{ partition: 3, upserts: panes(n, 1), deletes: [], checkpoint: cp(3, n) }]);
      const all = await store.partitionPanes('kappa_v1', 3, T0);
      expect(all).toHaveLength(n);
      const one = await store.queryPanes('kappa_v1', { view: 'product_activity', key: 'p7', from: T0 + 5 * 60_000, to: T0 + 6 * 60_000 });
      expect(one).toEqual([{ view: 'product_activity', key: 'p7', start: T0 + 5 * 60_000, end: T0 + 6 * 60_000, bucket: T0, partition: 3, acc: [1, 5007, Number.POSITIVE_INFINITY] }]);

      const updated = panes(n, 2);
      await store.commit('kappa_v1', [{ partition: 3, upserts: updated.slice(0, 6_000), deletes: updated.slice(6_000), checkpoint: cp(3, 2 * n) }]);
      const after = await store.partitionPanes('kappa_v1', 3, T0);
      expect(after).toHaveLength(6_000);
      expect(after.every((p) => p.acc[0] === 2)).toBe(true);
      expect((await store.checkpoints('kappa_v1')).get(3)?.nextOffset).toBe(2 * n);
    });

    it('keeps the last version of a pane listed twice in one commit', async (ctx) => {
      const { store } = await openStore(ctx);
      await store.ensureNamespace('speed');
      const [p] = panes(1, 1);
      await store.commit('speed', [{ partition: 0, upserts: [p, { ...p, end: p.end + 1, acc: [9, 9, 9] }], deletes: [], checkpoint: cp(0, 2) }]);
      expect(await store.partitionPanes('speed', 0, T0)).toEqual([{ ...p, end: p.end + 1, acc: [9, 9, 9], partition: 0 }]);
    });

    it('applies several commits of one partition in order, the last checkpoint winning', async (ctx) => {
      const { store } = await openStore(ctx);
      await store.ensureNamespace('speed');
      const [p] = panes(1, 1);
      await store.commit('speed', [
        { partition: 0, upserts: [p], deletes: [], checkpoint: cp(0, 1) },
        { partition: 0, upserts: [], deletes: [p], checkpoint: cp(0, 2) },
      ]);
      expect(await store.partitionPanes('speed', 0, T0)).toEqual([]);
      expect((await store.checkpoints('speed')).get(0)).toEqual(cp(0, 2));
    });

    it('rolls back the partition the database rejects, keeps the others whole, and keeps working', async (ctx) => {
      const { store } = await openStore(ctx, { poolSize: 1 });
      await store.ensureNamespace('speed');
      const [good] = panes(1, 1);
      // A fractional start cannot be a bigint: the server fails partition 1's upsert.
      const bad = { ...good, key: 'other', start: 1.5 };
      await expect(store.commit('speed', [{ partition: 0, upserts: [good], deletes: [], checkpoint: cp(0, 1) }, { partition: 1, upserts: [bad], deletes: [], checkpoint: cp(1, 1) }])).rejects.toThrow();
      // Partitions commit in transactions of their own: 0 is whole, 1 left nothing.
      expect(await store.partitionPanes('speed', 0, T0)).toHaveLength(1);
      expect(await store.partitionPanes('speed', 1, 0)).toEqual([]);
      expect(await store.checkpoints('speed')).toEqual(new Map([[0, cp(0, 1)]]));
      await store.commit('speed', [{ partition: 1, upserts: [{ ...good, key: 'other' }], deletes: [], checkpoint: cp(1, 1) }]);
      expect(await store.partitionPanes('speed', 1, T0)).toHaveLength(1);
    });

    it('deletes look panes up by primary key on a young table without statistics', async (ctx) => {
      const { store, url, schema } = await openStore(ctx);
      await store.ensureNamespace('speed');
      // A never-analyzed table (autovacuum analyzes only after a minute or more) with many rows per
      // (partition, bucket): the shape on which the planner used to scan a whole bucket per id.
      await store.commit('speed', [0, 1].map((partition) => ({ partition, upserts: panes(20_000, 1), deletes: [], checkpoint: cp(partition, 1) })));
      const table = new PaneTable(schema, 'speed');
      const ids = panes(50, 1);
      const client = await admin(url, ctx);
      const { rows } = await client.query(`EXPLAIN ${table.deleteSql()}`, [0, ...deleteColumns(ids)]);
      const plan = rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
      expect(plan).toContain('panes_speed_pkey');
      expect(plan).not.toContain('panes_speed_restore');
      expect(plan).not.toMatch(/Seq Scan on panes_speed/);
      // Serving a key reads the same index, bounded by minStart.
      const { rows: served } = await client.query(`EXPLAIN ${table.querySql(true)}`, ['product_activity', T0, T0 + 60_000, 0, T0 - 2 * 3_600_000, 'p7']);
      expect(served.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n')).toMatch(/Index (Only )?Scan using panes_speed_pkey/);
      // And it deletes exactly those panes of that partition.
      await store.commit('speed', [{ partition: 0, upserts: [], deletes: ids, checkpoint: cp(0, 2) }]);
      expect(await store.partitionPanes('speed', 0, T0)).toHaveLength(20_000 - 50);
      expect(await store.partitionPanes('speed', 1, T0)).toHaveLength(20_000);
    });

    it('writes every partition of one commit (more than the pool has connections), in order within a partition', async (ctx) => {
      const { store } = await openStore(ctx, { poolSize: 4 });
      await store.ensureNamespace('speed');
      const commits = [0, 1, 2, 3, 4, 5].map((partition) => ({ partition, upserts: panes(500, partition + 1), deletes: [], checkpoint: cp(partition, 500) }));
      // A second change set of partition 0 in the same commit: its panes and checkpoint win.
      const again = { partition: 0, upserts: panes(500, 42), deletes: [], checkpoint: cp(0, 900) };
      await store.commit('speed', [...commits, again]);
      for (const c of commits) {
        const stored = await store.partitionPanes('speed', c.partition, T0);
        expect(stored).toHaveLength(500);
        expect(new Set(stored.map((p) => p.acc[0]))).toEqual(new Set([c.partition === 0 ? 42 : c.partition + 1]));
      }
      const checkpoints = await store.checkpoints('speed');
      expect([...checkpoints.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5]);
      expect(checkpoints.get(0)).toEqual(cp(0, 900));
    });
  });

  describe('errors', () => {
    it('a namespace that was never created is NotFoundError; a bad name is BadRequestError', async (ctx) => {
      const { store } = await openStore(ctx);
      await expect(store.queryPanes('nowhere', { view: 'v', from: 0, to: 1 })).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.checkpoints('nowhere')).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.commit('nowhere', [])).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.commit('nowhere', [{ partition: 0, upserts: panes(1, 1), deletes: [], checkpoint: cp(0, 1) }])).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.setAlias('kappa', 'nowhere')).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.setAlias('Kappa', 'nowhere')).rejects.toBeInstanceOf(BadRequestError);
      await expect(store.expireBefore('x"; drop table y; --', 0)).rejects.toBeInstanceOf(BadRequestError);
    });

    it('an unreachable server is ServiceUnavailableError naming DATABASE_URL and the DuckDB alternative', async (ctx) => {
      postgresOrSkip(ctx);
      const url = `postgres://postgres@127.0.0.1:${await freePort()}/postgres`;
      const err = await PostgresViewStore.open({ url, schema: 'x' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ServiceUnavailableError);
      expect((err as Error).message).toMatch(/DATABASE_URL/);
      expect((err as Error).message).toMatch(/LK_VIEW_STORE=duckdb/);
      expect(await PostgresViewStore.ping(url, 1_000)).toBe(false);
    });

    it('a missing database is ConfigError naming DATABASE_URL, without the password', async (ctx) => {
      const { url } = postgresOrSkip(ctx);
      const u = new URL(url);
      u.pathname = `/${uniqueName('nodb')}`;
      u.password = 'sekret';
      const err = await PostgresViewStore.open({ url: u.toString(), schema: 'x' }).catch((e: unknown) => e);
      // With trust auth the login succeeds and the database is what is missing; with password auth the login fails: both are settings to fix.
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/DATABASE_URL/);
      expect((err as Error).message).not.toContain('sekret');
    });

    it('ping answers true for a server that accepts the login', async (ctx) => {
      const { url } = postgresOrSkip(ctx);
      expect(await PostgresViewStore.ping(url)).toBe(true);
    });
  });
});
