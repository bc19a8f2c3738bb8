import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PartitionCheckpoint } from '../../../shared/compute/partition-processor.ts';
import type { Pane, PaneId } from '../../../shared/compute/pane.ts';
import { PartitionFencedError } from '../../../shared/errors.ts';
import type { PartitionCommit, StoredPane, ViewStore } from '../../../shared/ports/view-store.ts';
import { uniqueName } from './unique-name.ts';

export interface ViewStoreFixture {
  readonly store: ViewStore;
  /** Closes the store and removes what the fixture created. */
  cleanup(): Promise<void>;
}

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

function pane(view: string, key: string, start: number, end: number, bucket: number, acc: number[]): Pane {
  return { view, key, start, end, bucket, acc };
}

function checkpoint(partition: number, nextOffset: number): PartitionCheckpoint {
  return {
    partition,
    nextOffset,
    maxEventTime: T0 + nextOffset,
    stats: { valid: nextOffset, deadLetter: 1, duplicate: 2, tooLate: 3 },
  };
}

function commit(partition: number, nextOffset: number, upserts: Pane[], deletes: PaneId[] = []): PartitionCommit {
  return { partition, upserts, deletes, checkpoint: checkpoint(partition, nextOffset) };
}

/** Results in a fixed order (the port does not promise one). */
function ordered(panes: readonly StoredPane[]): StoredPane[] {
  const k = (p: StoredPane) => [p.view, p.key, String(p.start).padStart(16, '0'), String(p.bucket).padStart(16, '0'), String(p.partition).padStart(4, '0')].join('|');
  return [...panes].sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));
}

function stored(p: Pane, partition: number): StoredPane {
  return { ...p, partition };
}

/**
 * The ViewStore port's contract (shared/ports/view-store.ts), run against an adapter. Every test
 * uses its own namespaces and aliases, so the suite can share a real database.
 */
export function describeViewStoreContract(name: string, factory: () => Promise<ViewStoreFixture>): void {
  describe(`ViewStore contract: ${name}`, () => {
    let fx: ViewStoreFixture;
    let store: ViewStore;
    let ns: string;

    beforeEach(async () => {
      fx = await factory();
      store = fx.store;
      ns = uniqueName('contract');
      await store.ensureNamespace(ns);
    });

    afterEach(async () => {
      await store.dropNamespace(ns).catch(() => undefined);
      await fx?.cleanup();
    });

    it('ensureNamespace is idempotent and the namespace is listed', async () => {
      await store.ensureNamespace(ns);
      expect(await store.listNamespaces()).toContain(ns);
      expect(await store.checkpoints(ns)).toEqual(new Map());
      expect(await store.queryPanes(ns, { view: 'v', from: 0, to: T0 * 2 })).toEqual([]);
    });

    it('rejects namespace names outside /^[a-z][a-z0-9_]{0,40}$/', async () => {
      for (const bad of ['Speed', '1kappa', 'kappa-v1', 'x; drop table y', '', `a${'b'.repeat(41)}`]) {
        await expect(store.ensureNamespace(bad)).rejects.toThrow();
      }
    });

    it('refuses a commit that does not build on the stored checkpoint (fencing), applying nothing of its partition', async () => {
      const a = pane('v', 'k', T0, T0 + HOUR, T0, [1]);
      // Two members restored partition 0 without a checkpoint; the first to commit wins.
      await store.commit(ns, [{ ...commit(0, 10, [a]), base: null }]);
      const late = store.commit(ns, [{ ...commit(0, 12, [{ ...a, acc: [7] }]), base: null }]);
      await expect(late).rejects.toBeInstanceOf(PartitionFencedError);
      await expect(late).rejects.toMatchObject({ namespace: ns, partitions: [0] });
      expect((await store.checkpoints(ns)).get(0)?.nextOffset).toBe(10);
      expect(await store.partitionPanes(ns, 0, 0)).toEqual([stored(a, 0)]);
      // A commit building on what is stored goes through; so do chained commits in one call.
      await store.commit(ns, [{ ...commit(0, 11, [{ ...a, acc: [2] }]), base: 10 }, { ...commit(0, 13, [{ ...a, acc: [3] }]), base: 11 }]);
      expect((await store.checkpoints(ns)).get(0)?.nextOffset).toBe(13);
      await expect(store.commit(ns, [{ ...commit(0, 14, []), base: 13 }, { ...commit(0, 15, []), base: 13 }])).rejects.toBeInstanceOf(PartitionFencedError);
      // Without a base (bulk loads, tools) a commit is applied whatever is stored.
      await store.commit(ns, [commit(0, 20, [])]);
      expect((await store.checkpoints(ns)).get(0)?.nextOffset).toBe(20);
    });

    it('of two members committing one partition at once from the same checkpoint, exactly one is applied', async () => {
      const a = pane('v', 'k', T0, T0 + HOUR, T0, [1]);
      const results = await Promise.allSettled([
        store.commit(ns, [{ ...commit(3, 5, [{ ...a, acc: [5] }]), base: null }]),
        store.commit(ns, [{ ...commit(3, 6, [{ ...a, acc: [6] }]), base: null }]),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toBeInstanceOf(PartitionFencedError);
      const won = results.findIndex((r) => r.status === 'fulfilled');
      expect((await store.checkpoints(ns)).get(3)?.nextOffset).toBe(won === 0 ? 5 : 6);
      expect((await store.partitionPanes(ns, 3, 0)).map((p) => p.acc)).toEqual([[won === 0 ? 5 : 6]]);
    });

    it('commits panes and checkpoints and reads them back exactly', async () => {
      const a = pane('revenue_1h', 'user-1', T0, T0 + HOUR, T0, [3, 123_456_789_012, 0.1 + 0.2, -5]);
      // Min/max identities are infinities; big sums stay exact below 2^53.
      const b = pane('revenue_1h', 'user-2', T0, T0 + HOUR, T0, [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53 - 1, 0]);
      await store.commit(ns, [commit(0, 10, [a, b]), commit(1, 7, [])]);
      expect(ordered(await store.queryPanes(ns, { view: 'revenue_1h', from: T0, to: T0 + HOUR }))).toEqual([stored(a, 0), stored(b, 0)]);
      const cps = await store.checkpoints(ns);
      expect(cps).toEqual(new Map([[0, checkpoint(0, 10)], [1, checkpoint(1, 7)]]));
      expect(cps.get(1)!.maxEventTime).toBe(T0 + 7);
    });

    it('stores object measure states (Pane.states) as their exact text, beside panes without them, and an upsert replaces them', async () => {
      // What Aggregate.encodeStates writes: JSON with quotes, backslashes, braces, commas, non-ASCII and "NULL".
      const text = JSON.stringify(['["a\\"b","NULL",{"k":[1,2]}, "é漢😀"]', [65, 130, 4095 * 64 + 1], '[["m,1",3],[true,2]]']);
      const a: Pane = { ...pane('kinds', 'k1', T0, T0 + HOUR, T0, [3, 1.5, 2]), states: text };
      const plain = pane('kinds', 'k2', T0, T0 + HOUR, T0, [1, 0, 0]);
      const empty: Pane = { ...pane('kinds', 'k3', T0, T0 + HOUR, T0, [0, 0, 0]), states: '[]' };
      await store.commit(ns, [commit(0, 1, [a, plain, empty])]);
      const read = ordered(await store.queryPanes(ns, { view: 'kinds', from: T0, to: T0 + HOUR }));
      expect(read).toEqual([stored(a, 0), stored(plain, 0), stored(empty, 0)]);
      expect(read[1]).not.toHaveProperty('states');
      const replaced: Pane = { ...a, acc: [4, 1, 2], states: JSON.stringify(['["x"]', [], '[]']) };
      await store.commit(ns, [commit(0, 2, [replaced])]);
      expect(ordered(await store.partitionPanes(ns, 0, T0))).toEqual([stored(replaced, 0), stored(plain, 0), stored(empty, 0)]);

      const loaded = uniqueName('contract');
      const load = await store.beginLoad(loaded);
      try {
        await load.append(0, [a, plain]);
        await load.finish([commit(0, 3, [empty])]);
        expect(ordered(await store.queryPanes(loaded, { view: 'kinds', from: T0, to: T0 + HOUR }))).toEqual([stored(a, 0), stored(plain, 0), stored(empty, 0)]);
      } finally {
        await store.dropNamespace(loaded);
      }
    });

    it('stores the dedup changelog per partition and forgets ids before a commit\'s cutoff', async () => {
      const ids = (seen: { ids: readonly string[]; times: readonly number[] }) => seen.ids.map((id, i) => [id, seen.times[i]]).sort();
      // Ids with quotes, braces, backslashes, commas and non-ASCII survive (array literals escape them).
      const odd = ['evt-ünï', 'a"b', 'c\\d', '{e,f}', 'NULL', ' sp '];
      await store.commit(ns, [
        { ...commit(0, 1, []), dedup: { added: { ids: ['a', 'b', ...odd], times: [T0, T0 + 10, ...odd.map(() => T0 + 20)] }, forgetBefore: Number.NEGATIVE_INFINITY } },
        { ...commit(1, 1, []), dedup: { added: { ids: ['a'], times: [T0 + 5] }, forgetBefore: Number.NEGATIVE_INFINITY } },
      ]);
      expect(ids(await store.seenIds(ns, 0, Number.NEGATIVE_INFINITY))).toEqual([['a', T0], ['b', T0 + 10], ...odd.map((id) => [id, T0 + 20])].sort());
      expect(ids(await store.seenIds(ns, 1, Number.NEGATIVE_INFINITY))).toEqual([['a', T0 + 5]]);
      // A store may return ids older than `since`, but never misses a newer one.
      expect(ids(await store.seenIds(ns, 0, T0 + 20)).filter(([, t]) => (t as number) >= T0 + 20)).toEqual(odd.map((id) => [id, T0 + 20]).sort());
      // A later commit forgets everything of its partition first seen before its cutoff; other partitions keep theirs.
      await store.commit(ns, [{ ...commit(0, 2, []), dedup: { added: { ids: ['c'], times: [T0 + 30] }, forgetBefore: T0 + 25 } }]);
      expect(ids(await store.seenIds(ns, 0, T0 + 25))).toEqual([['c', T0 + 30]]);
      expect(ids(await store.seenIds(ns, 1, Number.NEGATIVE_INFINITY))).toEqual([['a', T0 + 5]]);
    });

    it('stores, finds and deletes panes whose keys hold quotes, backslashes, braces, commas, spaces or "NULL"', async () => {
      const odd = ['a"b', 'c\\d', '\\"', '{e,f}', 'NULL', '', ' sp ', 'ünï'];
      const panes = odd.map((key, i) => pane('sessions', key, T0 + i, T0 + 60_000, T0, [i]));
      await store.commit(ns, [commit(0, 1, panes)]);
      for (const p of panes) expect(await store.queryPanes(ns, { view: 'sessions', key: p.key, from: T0, to: T0 + HOUR })).toEqual([stored(p, 0)]);
      await store.commit(ns, [commit(0, 2, [], panes.slice(0, 4))]);
      expect(ordered(await store.queryPanes(ns, { view: 'sessions', from: T0, to: T0 + HOUR }))).toEqual(ordered(panes.slice(4).map((p) => stored(p, 0))));
    });

    it('a later commit replaces a pane and the checkpoint of its partition', async () => {
      const p1 = pane('sessions', 'u', T0, T0 + 60_000, T0, [1]);
      await store.commit(ns, [commit(0, 1, [p1])]);
      // A session grows: same id (view, key, start, bucket), new end and accumulator.
      const p2 = pane('sessions', 'u', T0, T0 + 120_000, T0, [2]);
      await store.commit(ns, [commit(0, 2, [p2])]);
      expect(await store.queryPanes(ns, { view: 'sessions', from: T0, to: T0 + HOUR })).toEqual([stored(p2, 0)]);
      expect((await store.checkpoints(ns)).get(0)).toEqual(checkpoint(0, 2));
    });

    it('applies deletes before upserts within a commit', async () => {
      const keep = pane('sessions', 'u', T0, T0 + 60_000, T0, [1]);
      const gone = pane('sessions', 'u', T0 + 600_000, T0 + 660_000, T0, [1]);
      await store.commit(ns, [commit(0, 2, [keep, gone])]);
      // Two sessions merge: both fragments are deleted and the merged one is written with the first id.
      const merged = pane('sessions', 'u', T0, T0 + 660_000, T0, [3]);
      await store.commit(ns, [commit(0, 3, [merged], [keep, gone])]);
      expect(await store.queryPanes(ns, { view: 'sessions', from: T0, to: T0 + HOUR })).toEqual([stored(merged, 0)]);
    });

    it('applies several commits of one partition in one call in order', async () => {
      const a = pane('v', 'k', T0, T0 + HOUR, T0, [1]);
      const b = pane('v', 'k', T0 + HOUR, T0 + 2 * HOUR, T0 + HOUR, [2]);
      await store.commit(ns, [commit(0, 1, [a, b]), commit(0, 2, [{ ...b, acc: [3] }], [a])]);
      expect(await store.queryPanes(ns, { view: 'v', from: T0, to: T0 + 2 * HOUR })).toEqual([stored({ ...b, acc: [3] }, 0)]);
      expect(await store.checkpoints(ns)).toEqual(new Map([[0, checkpoint(0, 2)]]));
    });

    it('keeps the panes of one window from different partitions apart', async () => {
      const w = pane('revenue_1h', 'user-1', T0, T0 + HOUR, T0, [1]);
      const w2 = { ...w, acc: [2] };
      await store.commit(ns, [commit(0, 1, [w]), commit(1, 1, [w2])]);
      expect(ordered(await store.queryPanes(ns, { view: 'revenue_1h', from: T0, to: T0 + 1 }))).toEqual([stored(w, 0), stored(w2, 1)]);
      expect(await store.partitionPanes(ns, 1, T0)).toEqual([stored(w2, 1)]);
      await store.commit(ns, [commit(1, 2, [], [w])]);
      expect(await store.queryPanes(ns, { view: 'revenue_1h', from: T0, to: T0 + 1 })).toEqual([stored(w, 0)]);
    });

    it('a commit that fails part-way leaves each partition all or nothing', async () => {
      const before = pane('v', 'k', T0, T0 + HOUR, T0, [1]);
      await store.commit(ns, [commit(0, 1, [before])]);
      const goodPanes = [pane('v', 'k', T0, T0 + HOUR, T0, [99]), pane('v', 'k2', T0, T0 + HOUR, T0, [5])];
      const good = commit(0, 2, goodPanes);
      // A checkpoint no store can serialize (a BigInt breaks JSON, a function breaks structured cloning),
      // placed after a valid partition's changes.
      const broken = { ...commit(1, 1, [pane('v', 'k3', T0, T0 + HOUR, T0, [7])]) };
      const poisoned = { ...broken, checkpoint: { ...broken.checkpoint, stats: { ...broken.checkpoint.stats, valid: 1n as unknown as number, hook: () => 0 } } };
      await expect(store.commit(ns, [good, poisoned])).rejects.toThrow();
      // The failed partition left nothing. The other one may have been applied in a transaction of
      // its own (the port allows it), but only whole: its panes always match its checkpoint.
      const visible = ordered(await store.queryPanes(ns, { view: 'v', from: T0, to: T0 + HOUR }));
      const checkpoints = await store.checkpoints(ns);
      expect(checkpoints.has(1)).toBe(false);
      expect(visible.some((p) => p.key === 'k3')).toBe(false);
      if (checkpoints.get(0)?.nextOffset === 2) expect(visible).toEqual(ordered(goodPanes.map((p) => stored(p, 0))));
      else {
        expect(checkpoints).toEqual(new Map([[0, checkpoint(0, 1)]]));
        expect(visible).toEqual([stored(before, 0)]);
      }
    });

    it('minStart leaves out panes starting before it, keeps one starting exactly at it', async () => {
      const m = 60_000;
      const long = pane('s', 'a', T0, T0 + 50 * m, T0, [1]);
      const atBound = pane('s', 'a', T0 + 10 * m, T0 + 40 * m, T0, [2]);
      const later = pane('s', 'b', T0 + 20 * m, T0 + 45 * m, T0, [3]);
      await store.commit(ns, [commit(0, 3, [long, atBound, later])]);
      const q = async (extra: { key?: string; minStart?: number }) => ordered(await store.queryPanes(ns, { view: 's', from: T0 + 30 * m, to: T0 + HOUR, ...extra })).map((p) => p.acc[0]);
      expect(await q({})).toEqual([1, 2, 3]);
      expect(await q({ minStart: T0 + 10 * m })).toEqual([2, 3]);
      expect(await q({ minStart: T0 + 10 * m, key: 'a' })).toEqual([2]);
      expect(await q({ minStart: T0 + 20 * m + 1 })).toEqual([]);
    });

    it('maxRows returns at most that many of the matching panes, with or without a key', async () => {
      const m = 60_000;
      const panes = Array.from({ length: 6 }, (_, i) => pane('s', i % 2 === 0 ? 'a' : 'b', T0 + i * m, T0 + (i + 1) * m, T0, [i]));
      await store.commit(ns, [commit(0, 1, panes)]);
      const all = ordered(await store.queryPanes(ns, { view: 's', from: T0, to: T0 + HOUR }));
      const some = await store.queryPanes(ns, { view: 's', from: T0, to: T0 + HOUR, maxRows: 4 });
      expect(some).toHaveLength(4);
      for (const p of some) expect(all).toContainEqual(p);
      expect(await store.queryPanes(ns, { view: 's', key: 'a', from: T0, to: T0 + HOUR, maxRows: 2 })).toHaveLength(2);
      expect(await store.queryPanes(ns, { view: 's', from: T0, to: T0 + HOUR, maxRows: 10 })).toHaveLength(6);
      expect(await store.queryPanes(ns, { view: 's', from: T0, to: T0 + HOUR, maxRows: 0 })).toEqual([]);
    });

    it('ordered reads come in (key, start, bucket, partition) order, from after a position, and maxRows keeps the first', async () => {
      const m = 60_000;
      // Two partitions and two buckets per window for some, committed out of order.
      const panes: Pane[] = [];
      for (const key of ['c', 'a', 'b']) for (let i = 3; i >= 0; i--) panes.push(pane('s', key, T0 + i * m, T0 + (i + 1) * m, T0 + (i % 2) * HOUR, [i]));
      await store.commit(ns, [commit(0, 1, panes), commit(1, 1, panes.filter((p) => p.key === 'b'))]);
      const sortKey = (p: StoredPane) => [p.key, p.start, p.bucket, p.partition] as const;
      const cmp = (x: StoredPane, y: StoredPane) => {
        const [a, b] = [sortKey(x), sortKey(y)];
        for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
        return 0;
      };
      const all = (await store.queryPanes(ns, { view: 's', from: T0, to: T0 + HOUR })).sort(cmp);
      expect(all).toHaveLength(16);
      expect(await store.queryPanes(ns, { view: 's', from: T0, to: T0 + HOUR, ordered: {} })).toEqual(all);
      expect(await store.queryPanes(ns, { view: 's', from: T0, to: T0 + HOUR, ordered: {}, maxRows: 5 })).toEqual(all.slice(0, 5));
      const after = { key: 'b', start: T0 + m };
      const rest = all.filter((p) => p.key > 'b' || (p.key === 'b' && p.start > T0 + m));
      expect(await store.queryPanes(ns, { view: 's', from: T0, to: T0 + HOUR, ordered: { after } })).toEqual(rest);
      expect(await store.queryPanes(ns, { view: 's', from: T0, to: T0 + HOUR, ordered: { after }, maxRows: 3 })).toEqual(rest.slice(0, 3));
      expect(await store.queryPanes(ns, { view: 's', key: 'b', from: T0, to: T0 + HOUR, ordered: { after } })).toEqual(rest.filter((p) => p.key === 'b'));
    });

    it('queries windows overlapping [from, to) (end > from, start < to), by view, key and minBucket', async () => {
      const m = 60_000;
      const w0 = pane('clicks_10m', 'a', T0, T0 + 10 * m, T0, [1]);
      const w1 = pane('clicks_10m', 'a', T0 + 10 * m, T0 + 20 * m, T0, [2]);
      const w2 = pane('clicks_10m', 'a', T0 + 20 * m, T0 + 30 * m, T0, [3]);
      const other = pane('clicks_10m', 'b', T0 + 10 * m, T0 + 20 * m, T0, [4]);
      const later = pane('clicks_10m', 'a', T0 + 10 * m, T0 + 20 * m, T0 + HOUR, [5]);
      const otherView = pane('revenue_1h', 'a', T0, T0 + HOUR, T0, [6]);
      await store.commit(ns, [commit(0, 6, [w0, w1, w2, other, later, otherView])]);
      const q = async (from: number, to: number, extra: { key?: string; minBucket?: number } = {}) =>
        ordered(await store.queryPanes(ns, { view: 'clicks_10m', from, to, ...extra })).map((p) => p.acc[0]);
      // Half-open: a window ending at `from` or starting at `to` does not overlap.
      expect(await q(T0 + 10 * m, T0 + 20 * m)).toEqual([2, 5, 4]);
      expect(await q(T0 + 5 * m, T0 + 25 * m)).toEqual([1, 2, 5, 3, 4]);
      expect(await q(T0 + 10 * m, T0 + 20 * m, { key: 'a' })).toEqual([2, 5]);
      expect(await q(T0 + 10 * m, T0 + 20 * m, { key: 'a', minBucket: T0 + HOUR })).toEqual([5]);
      expect(await q(T0, T0 + 30 * m, { minBucket: T0 + 1 })).toEqual([5]);
      expect(await q(T0 + 30 * m, T0 + HOUR)).toEqual([]);
      expect(await q(T0 + 29 * m, T0 + 29 * m + 1, { key: 'nobody' })).toEqual([]);
    });

    it('partitionPanes returns one partition from a bucket on', async () => {
      const old = pane('v', 'k', T0, T0 + HOUR, T0, [1]);
      const recent = pane('v', 'k', T0 + HOUR, T0 + 2 * HOUR, T0 + HOUR, [2]);
      const elsewhere = pane('v', 'k', T0 + HOUR, T0 + 2 * HOUR, T0 + HOUR, [3]);
      await store.commit(ns, [commit(0, 2, [old, recent]), commit(1, 1, [elsewhere])]);
      expect(ordered(await store.partitionPanes(ns, 0, T0))).toEqual([stored(old, 0), stored(recent, 0)]);
      expect(await store.partitionPanes(ns, 0, T0 + HOUR)).toEqual([stored(recent, 0)]);
      expect(await store.partitionPanes(ns, 2, T0)).toEqual([]);
    });

    it('partitionPanes from a start on: the windows a reader finds still open', async () => {
      const closed = pane('v', 'a', T0, T0 + 10 * 60_000, T0, [1]);
      const open = pane('v', 'b', T0 + 50 * 60_000, T0 + HOUR, T0, [2]);
      const later = pane('v', 'a', T0 + HOUR, T0 + HOUR + 10 * 60_000, T0 + HOUR, [3]);
      await store.commit(ns, [commit(0, 3, [closed, open, later])]);
      expect(ordered(await store.partitionPanes(ns, 0, T0, T0 + 50 * 60_000))).toEqual(ordered([stored(open, 0), stored(later, 0)]));
      expect(ordered(await store.partitionPanes(ns, 0, T0, T0 + 50 * 60_000 + 0.5))).toEqual([stored(later, 0)]);
      expect(await store.partitionPanes(ns, 0, T0 + HOUR, T0)).toEqual([stored(later, 0)]);
    });

    it('expireBefore drops panes of older buckets and says how many', async () => {
      const panes = [0, 1, 2].map((h) => pane('v', 'k', T0 + h * HOUR, T0 + (h + 1) * HOUR, T0 + h * HOUR, [h]));
      await store.commit(ns, [commit(0, 3, panes), commit(1, 1, [panes[0]])]);
      expect(await store.expireBefore(ns, T0 + 2 * HOUR)).toBe(3);
      expect(await store.queryPanes(ns, { view: 'v', from: T0, to: T0 + 3 * HOUR })).toEqual([stored(panes[2], 0)]);
      expect(await store.expireBefore(ns, T0)).toBe(0);
    });

    it('namespaces are independent', async () => {
      const other = uniqueName('contract');
      await store.ensureNamespace(other);
      try {
        const p = pane('v', 'k', T0, T0 + HOUR, T0, [1]);
        await store.commit(ns, [commit(0, 1, [p])]);
        expect(await store.queryPanes(other, { view: 'v', from: T0, to: T0 + HOUR })).toEqual([]);
        expect(await store.checkpoints(other)).toEqual(new Map());
      } finally {
        await store.dropNamespace(other);
      }
    });

    it('setAlias points an alias at a namespace and switches it atomically', async () => {
      const alias = uniqueName('alias');
      const v2 = uniqueName('contract');
      await store.ensureNamespace(v2);
      try {
        expect(await store.getAlias(alias)).toBeUndefined();
        await store.setAlias(alias, ns);
        expect(await store.getAlias(alias)).toBe(ns);
        await store.setAlias(alias, v2);
        expect(await store.getAlias(alias)).toBe(v2);
      } finally {
        await store.dropNamespace(v2);
      }
    });

    it('a bulk load is unusable until it finishes, then holds the appended panes and the finishing commits', async () => {
      const loaded = uniqueName('contract');
      const load = await store.beginLoad(loaded);
      try {
        expect(await store.listNamespaces()).toContain(loaded);
        expect(await store.unfinishedLoads()).toContain(loaded);
        const closed = [pane('v', 'a', T0, T0 + HOUR, T0, [1, 2]), pane('v', "o'dd \\ {k}", T0, T0 + HOUR, T0, [3, Number.POSITIVE_INFINITY])];
        await load.append(0, closed);
        await load.append(1, [closed[0]]);
        await load.append(0, []);
        // Not servable, resumable or writable before finish.
        await expect(store.ensureNamespace(loaded)).rejects.toThrow(/unfinished bulk load/);
        await expect(store.commit(loaded, [commit(0, 1, [])])).rejects.toThrow(/unfinished bulk load/);
        await expect(store.setAlias(uniqueName('alias'), loaded)).rejects.toThrow(/unfinished bulk load/);
        expect(await store.checkpoints(loaded)).toEqual(new Map());

        const open = pane('v', 'a', T0 + HOUR, T0 + 2 * HOUR, T0 + HOUR, [5, 6]);
        await expect(load.finish([commit(0, 10, [open], [closed[0]])])).rejects.toThrow(/cannot delete/);
        expect(await store.unfinishedLoads()).toContain(loaded);
        await load.finish([
          { ...commit(0, 10, [open]), dedup: { added: { ids: ['e1', 'e2'], times: [T0 + HOUR, T0 + HOUR + 1] }, forgetBefore: T0 } },
          commit(1, 4, []),
        ]);
        expect(await store.unfinishedLoads()).not.toContain(loaded);
        expect(ordered(await store.queryPanes(loaded, { view: 'v', from: T0, to: T0 + 2 * HOUR }))).toEqual(ordered([stored(closed[0], 0), stored(closed[1], 0), stored(closed[0], 1), stored(open, 0)]));
        expect(await store.checkpoints(loaded)).toEqual(new Map([[0, checkpoint(0, 10)], [1, checkpoint(1, 4)]]));
        expect(new Set((await store.seenIds(loaded, 0, T0)).ids)).toEqual(new Set(['e1', 'e2']));
        // Finished, it is an ordinary namespace: ensured, committed to (an appended pane is upserted), restored, aliased.
        await store.ensureNamespace(loaded);
        await store.commit(loaded, [commit(0, 11, [{ ...closed[0], acc: [9, 9] }])]);
        expect((await store.partitionPanes(loaded, 0, T0)).find((p) => p.key === 'a' && p.start === T0)?.acc).toEqual([9, 9]);
        const alias = uniqueName('alias');
        await store.setAlias(alias, loaded);
        expect(await store.getAlias(alias)).toBe(loaded);
      } finally {
        await store.dropNamespace(loaded);
      }
    });

    it('beginLoad refuses an existing namespace, and a dropped unfinished load is gone', async () => {
      await expect(store.beginLoad(ns)).rejects.toThrow(/already exists/);
      const loaded = uniqueName('contract');
      const load = await store.beginLoad(loaded);
      await load.append(0, [pane('v', 'a', T0, T0 + HOUR, T0, [1])]);
      await store.dropNamespace(loaded);
      expect(await store.listNamespaces()).not.toContain(loaded);
      expect(await store.unfinishedLoads()).not.toContain(loaded);
      await expect(load.finish([])).rejects.toThrow();
    });

    it('committedState reads every checkpointed partition with its panes and ids, within the bounds its checkpoint gives', async () => {
      const old = pane('v', 'a', T0, T0 + HOUR, T0, [1]);
      const recent = pane('v', 'a', T0 + HOUR, T0 + 2 * HOUR, T0 + HOUR, [2]);
      await store.commit(ns, [
        { ...commit(2, 9, [old, recent]), dedup: { added: { ids: ['x', 'y'], times: [T0, T0 + HOUR] }, forgetBefore: Number.NEGATIVE_INFINITY } },
        commit(0, 4, [pane('w', 'b', T0, T0 + HOUR, T0, [Number.POSITIVE_INFINITY])]),
      ]);
      const seenBy: number[] = [];
      const state = await store.committedState(ns, (cp) => {
        seenBy.push(cp.partition);
        return cp.partition === 2 ? { minBucket: T0 + HOUR, idsSince: T0 + 1 } : { minBucket: Number.MIN_SAFE_INTEGER, idsSince: Number.NEGATIVE_INFINITY };
      });
      expect(seenBy.sort()).toEqual([0, 2]);
      expect(state.map((s) => s.checkpoint)).toEqual([checkpoint(0, 4), checkpoint(2, 9)]);
      expect(state[0].panes).toEqual([stored(pane('w', 'b', T0, T0 + HOUR, T0, [Number.POSITIVE_INFINITY]), 0)]);
      expect(state[0].seen).toEqual({ ids: [], times: [] });
      expect(state[1].panes).toEqual([stored(recent, 2)]);
      // A store may return older ids too (as seenIds), never miss a newer one.
      expect(state[1].seen.ids.filter((_, i) => state[1].seen.times[i] >= T0 + 1)).toEqual(['y']);
      const empty = uniqueName('contract');
      await store.ensureNamespace(empty);
      try {
        expect(await store.committedState(empty, () => ({ minBucket: 0, idsSince: 0 }))).toEqual([]);
      } finally {
        await store.dropNamespace(empty);
      }
    });

    it('committedState reads one moment while commits go on: each partition\'s panes and ids are its checkpoint\'s', async () => {
      // Commit n of a partition writes offset n, the pane's value n and the id "n" (forgetting the earlier ones).
      const step = (partition: number, n: number): PartitionCommit => ({
        ...commit(partition, n, [pane('v', 'k', T0, T0 + HOUR, T0, [n])]),
        dedup: { added: { ids: [String(n)], times: [T0 + n] }, forgetBefore: T0 + n },
      });
      await store.commit(ns, [step(0, 1), step(1, 1)]);
      const writing = (async () => {
        for (let n = 2; n <= 30; n++) await store.commit(ns, [step(0, n), step(1, n)]);
      })();
      const reads = [];
      for (let i = 0; i < 8; i++) reads.push(await store.committedState(ns, (cp) => ({ minBucket: Number.MIN_SAFE_INTEGER, idsSince: T0 + cp.nextOffset })));
      await writing;
      for (const state of reads) {
        for (const s of state) {
          expect(s.panes.map((p) => p.acc)).toEqual([[s.checkpoint.nextOffset]]);
          expect(s.seen.ids.filter((_, i) => s.seen.times[i] >= T0 + s.checkpoint.nextOffset)).toEqual([String(s.checkpoint.nextOffset)]);
        }
      }
    });

    it('dropNamespace removes its panes and checkpoints and unlists it; dropping again is fine', async () => {
      const doomed = uniqueName('contract');
      await store.ensureNamespace(doomed);
      await store.commit(doomed, [{ ...commit(0, 1, [pane('v', 'k', T0, T0 + HOUR, T0, [1])]), dedup: { added: { ids: ['x'], times: [T0] }, forgetBefore: Number.NEGATIVE_INFINITY } }]);
      await store.dropNamespace(doomed);
      expect(await store.listNamespaces()).not.toContain(doomed);
      await store.dropNamespace(doomed);
      // Recreated, it starts empty.
      await store.ensureNamespace(doomed);
      try {
        expect(await store.queryPanes(doomed, { view: 'v', from: T0, to: T0 + HOUR })).toEqual([]);
        expect(await store.checkpoints(doomed)).toEqual(new Map());
        expect((await store.seenIds(doomed, 0, Number.NEGATIVE_INFINITY)).ids).toEqual([]);
      } finally {
        await store.dropNamespace(doomed);
      }
    });
  });
}
