import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ObjectNotFoundError } from '../../../shared/errors.ts';
import type { ObjectStore } from '../../../shared/ports/object-store.ts';
import { uniqueName } from './unique-name.ts';

export interface ObjectStoreFixture {
  readonly store: ObjectStore;
  /** Closes the store and removes what the fixture created. */
  cleanup(): Promise<void>;
}

/**
 * The ObjectStore port's contract (shared/ports/object-store.ts), run against an adapter. Every
 * test works under its own random key prefix, so the suite can share a real bucket.
 */
export function describeObjectStoreContract(name: string, factory: () => Promise<ObjectStoreFixture>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let fx: ObjectStoreFixture;
    let store: ObjectStore;
    let scratch: string;
    let root: string;

    beforeEach(async () => {
      fx = await factory();
      store = fx.store;
      scratch = await mkdtemp(join(tmpdir(), 'lk-object-contract-'));
      root = `${uniqueName('contract')}/`;
    });

    afterEach(async () => {
      await rm(scratch, { recursive: true, force: true });
      await fx?.cleanup();
    });

    it('puts and gets text, overwrites it, and returns undefined for a missing key', async () => {
      const key = `${root}views/_manifest.json`;
      expect(await store.getText(key)).toBeUndefined();
      await store.putText(key, '{"horizon": 1} ünïcödé');
      expect(await store.getText(key)).toBe('{"horizon": 1} ünïcödé');
      await store.putText(key, '{"horizon": 2}');
      expect(await store.getText(key)).toBe('{"horizon": 2}');
    });

    it('uploads a file and gives a local copy with the same bytes', async () => {
      const key = `${root}master/dt=2026-01-01/hour=10/p0-00000000.parquet`;
      // Above 5 MiB, so stores that upload in parts do so.
      const bytes = randomBytes(6 * 1024 * 1024 + 123);
      const src = join(scratch, 'src.bin');
      await writeFile(src, bytes);
      await store.putFile(key, src);
      const local = await store.localPath(key);
      expect(sha256(await readFile(local))).toBe(sha256(bytes));
      const [info] = await store.list(key);
      expect(info).toEqual({ key, size: bytes.length });
    });

    it('localPath of a missing key throws ObjectNotFoundError naming the key', async () => {
      const key = `${root}missing/file.parquet`;
      const err = await store.localPath(key).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ObjectNotFoundError);
      expect((err as ObjectNotFoundError).key).toBe(key);
    });

    it('lists keys starting with a prefix, sorted, with sizes, including partial segments', async () => {
      const keys = [
        `${root}master/dt=2026-01-02/hour=00/p1.parquet`,
        `${root}master/dt=2026-01-01/hour=10/p0.parquet`,
        `${root}master/dt=2026-01-01/hour=09/p0.parquet`,
        `${root}master/dt=2026-01-01/hour=10/p1.parquet`,
        `${root}views/_manifest.json`,
      ];
      for (const [i, key] of keys.entries()) await store.putText(key, 'x'.repeat(i + 1));
      const all = await store.list(root);
      expect(all.map((o) => o.key)).toEqual([...keys].sort());
      expect(all.find((o) => o.key === keys[4])?.size).toBe(5);
      expect((await store.list(`${root}master/dt=2026-01-01/`)).map((o) => o.key)).toEqual([keys[2], keys[1], keys[3]]);
      expect((await store.list(`${root}master/dt=2026-01-0`)).map((o) => o.key)).toEqual([keys[2], keys[1], keys[3], keys[0]]);
      expect((await store.list(`${root}master/dt=2026-01-01/hour=10/p`)).map((o) => o.key)).toEqual([keys[1], keys[3]]);
      expect(await store.list(`${root}nothing/`)).toEqual([]);
    });

    it('deletes objects, ignoring keys that are absent', async () => {
      const a = `${root}runs/r1/a.parquet`;
      const b = `${root}runs/r1/b.parquet`;
      const c = `${root}runs/r2/c.parquet`;
      for (const key of [a, b, c]) await store.putText(key, key);
      await store.delete([a, c, `${root}runs/never-there.parquet`]);
      expect((await store.list(root)).map((o) => o.key)).toEqual([b]);
      expect(await store.getText(a)).toBeUndefined();
      await expect(store.localPath(c)).rejects.toBeInstanceOf(ObjectNotFoundError);
      await store.delete([]);
      expect(await store.getText(b)).toBe(b);
    });

    it('an object written again is replaced whole', async () => {
      const key = `${root}master/dt=2026-01-01/hour=00/p0.parquet`;
      const first = join(scratch, 'first.bin');
      const second = join(scratch, 'second.bin');
      await writeFile(first, randomBytes(200_000));
      await writeFile(second, Buffer.from('short'));
      await store.putFile(key, first);
      await store.putFile(key, second);
      expect((await readFile(await store.localPath(key))).toString()).toBe('short');
      expect(await store.list(key)).toEqual([{ key, size: 5 }]);
    });
  });
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
