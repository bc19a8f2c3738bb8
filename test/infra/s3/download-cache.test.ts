import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadCache } from '../../../infra/s3/download-cache.ts';

describe('DownloadCache', () => {
  let dir: string;
  let cache: DownloadCache;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lk-download-cache-'));
    cache = new DownloadCache(dir);
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const put = (key: string, content: string, etag: string) =>
    cache.put(key, async (tmp) => {
      await writeFile(tmp, content);
      return { etag, size: Buffer.byteLength(content) };
    });

  it('returns the copy only for the version it holds', async () => {
    const path = await put('master/dt=2026-01-01/hour=00/p0.parquet', 'one', '"e1"');
    expect(path.endsWith('-p0.parquet')).toBe(true);
    expect(await cache.get('master/dt=2026-01-01/hour=00/p0.parquet', { etag: '"e1"', size: 3 })).toBe(path);
    expect(await cache.get('master/dt=2026-01-01/hour=00/p0.parquet', { etag: '"e2"', size: 3 })).toBeUndefined();
    expect(await cache.get('master/dt=2026-01-01/hour=00/p0.parquet', { etag: '"e1"', size: 4 })).toBeUndefined();
    expect(await cache.get('never/put', { etag: '"e1"', size: 3 })).toBeUndefined();
  });

  it('replaces a copy with a new version and leaves no temporary files', async () => {
    await put('k/v.parquet', 'old', '"a"');
    const path = await put('k/v.parquet', 'newer', '"b"');
    expect(await readFile(path, 'utf8')).toBe('newer');
    expect(await cache.get('k/v.parquet', { etag: '"a"', size: 3 })).toBeUndefined();
    expect(await cache.get('k/v.parquet', { etag: '"b"', size: 5 })).toBe(path);
    const files = [...(await readdir(join(dir, 'objects'))), ...(await readdir(join(dir, 'versions')))];
    expect(files.filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('holds a key and a key below it, which a directory tree could not', async () => {
    const file = await put('runs/r1', 'a file', '"x"');
    const below = await put('runs/r1/part', 'below it', '"y"');
    expect(await readFile(file, 'utf8')).toBe('a file');
    expect(await readFile(below, 'utf8')).toBe('below it');
  });

  it('does not trust a copy cut short by hand', async () => {
    const path = await put('k', 'complete', '"z"');
    await writeFile(path, 'cut');
    expect(await cache.get('k', { etag: '"z"', size: 8 })).toBeUndefined();
  });

  it('a failed download leaves the old copy in place', async () => {
    const path = await put('k', 'good', '"g"');
    await expect(
      cache.put('k', async (tmp) => {
        await writeFile(tmp, 'half');
        throw new Error('connection reset');
      }),
    ).rejects.toThrow('connection reset');
    expect(await cache.get('k', { etag: '"g"', size: 4 })).toBe(path);
    expect((await readdir(join(dir, 'objects'))).filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('evict removes the copy', async () => {
    await put('k', 'v', '"e"');
    await cache.evict('k');
    expect(await cache.get('k', { etag: '"e"', size: 1 })).toBeUndefined();
    await cache.evict('never/there');
  });
});
