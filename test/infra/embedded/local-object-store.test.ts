import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../../infra/embedded/local-object-store.ts';
import { BadRequestError, LkError } from '../../../shared/errors.ts';
import { describeObjectStoreContract } from '../../support/contracts/object-store-contract.ts';

describeObjectStoreContract('LocalObjectStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lk-objects-'));
  const store = new LocalObjectStore(dir);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('LocalObjectStore on disk', () => {
  let dir: string;
  let store: LocalObjectStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lk-objects-'));
    store = new LocalObjectStore(join(dir, 'store'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('rejects keys that are empty, absolute or leave the directory', async () => {
    for (const bad of ['', '/etc/passwd', '../x', 'a/../../x', 'a//b', 'a/./b', 'a/', 'a\\b', '.lk-tmp/x']) {
      await expect(store.putText(bad, 'x')).rejects.toBeInstanceOf(BadRequestError);
      await expect(store.getText(bad)).rejects.toBeInstanceOf(BadRequestError);
    }
    await expect(store.list('../')).rejects.toBeInstanceOf(BadRequestError);
    await expect(store.list('a/..')).rejects.toBeInstanceOf(BadRequestError);
  });

  it('localPath is the object file itself, under the store directory', async () => {
    await store.putText('views/_manifest.json', '{}');
    expect(await store.localPath('views/_manifest.json')).toBe(join(dir, 'store', 'views', '_manifest.json'));
  });

  it('leaves no temp files behind and keeps them out of listings', async () => {
    const src = join(dir, 'src');
    await writeFile(src, 'data');
    await store.putFile('a/b.parquet', src);
    await store.putText('c.json', 'x');
    expect(await readdir(join(dir, 'store', '.lk-tmp'))).toEqual([]);
    await writeFile(join(dir, 'store', '.lk-tmp', 'in-progress'), 'half');
    expect((await store.list('')).map((o) => o.key)).toEqual(['a/b.parquet', 'c.json']);
    expect(await readFile(src, 'utf8')).toBe('data');
  });

  it('removes folders a delete leaves empty', async () => {
    await store.putText('master/dt=2026-01-01/hour=00/p0.parquet', 'x');
    await store.putText('master/dt=2026-01-02/hour=00/p0.parquet', 'y');
    await store.delete(['master/dt=2026-01-01/hour=00/p0.parquet']);
    expect(await readdir(join(dir, 'store', 'master'))).toEqual(['dt=2026-01-02']);
  });

  it('explains a key that clashes with a folder of other keys', async () => {
    await store.putText('a/b', 'x');
    const err = await store.putText('a', 'y').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LkError);
    expect((err as Error).message).toMatch(/clashes with another key used as a folder/);
    expect(await store.getText('a')).toBeUndefined();
    await expect(store.putText('a/b/c', 'z')).rejects.toThrow(/clashes with another key used as a folder/);
    expect(await store.getText('a/b')).toBe('x');
  });

  it('listing a store that was never written is empty', async () => {
    expect(await store.list('')).toEqual([]);
    expect(await store.list('master/')).toEqual([]);
  });
});
