import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, inject, it, type TestContext } from 'vitest';
import { S3ObjectStore, type S3ObjectStoreOptions } from '../../../infra/s3/s3-object-store.ts';
import { freePort } from '../../../infra/local/local-process.ts';
import { ConfigError, ServiceUnavailableError } from '../../../shared/errors.ts';
import type { S3Service } from '../../support/global-setup.ts';
import { describeObjectStoreContract } from '../../support/contracts/object-store-contract.ts';
import { s3OrSkip, uniqueName } from '../../support/services.ts';

/**
 * Tests share one bucket, each under its own random prefix, and delete their objects: on a real S3
 * server a bucket per test would be left behind (the port cannot delete buckets).
 */
const BUCKET = 'lk-integration';

/** A bucket name nobody created (S3 bucket names allow hyphens, not underscores). */
function absentBucket(): string {
  return uniqueName('lk-absent').replaceAll('_', '-');
}

function optionsFor(s3: S3Service, bucket: string, prefix: string, cacheDir: string): S3ObjectStoreOptions {
  return { bucket, prefix, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, cacheDir, createBucket: true };
}

/** A store under a fresh prefix with a fresh cache directory; its objects and cache are removed when the test ends. */
async function openStore(ctx: TestContext): Promise<{ store: S3ObjectStore; s3: S3Service; bucket: string; prefix: string; cacheDir: string; scratch: string }> {
  const s3 = s3OrSkip(ctx);
  const bucket = BUCKET;
  const prefix = uniqueName('it');
  const cacheDir = await mkdtemp(join(tmpdir(), 'lk-s3-cache-'));
  const scratch = await mkdtemp(join(tmpdir(), 'lk-s3-scratch-'));
  const store = await S3ObjectStore.open(optionsFor(s3, bucket, prefix, cacheDir));
  ctx.onTestFinished(async () => {
    await store.delete((await store.list('')).map((o) => o.key));
    await store.close();
    await rm(cacheDir, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });
  return { store, s3, bucket, prefix, cacheDir, scratch };
}

/** The raw client, to see what the adapter put in the bucket. */
function rawClient(ctx: TestContext, s3: S3Service): S3Client {
  const client = new S3Client({ region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
  ctx.onTestFinished(() => client.destroy());
  return client;
}

describe('S3ObjectStore', () => {
  beforeEach((ctx) => void s3OrSkip(ctx));

  describeObjectStoreContract('S3ObjectStore', async () => {
    const offer = inject('s3');
    if (!offer.available) throw new Error(offer.reason); // not reached: the beforeEach above skipped the test
    const cacheDir = await mkdtemp(join(tmpdir(), 'lk-s3-cache-'));
    // The contract uses random key roots; a store prefix on top exercises the key mapping too.
    const store = await S3ObjectStore.open(optionsFor(offer.settings, BUCKET, uniqueName('contract'), cacheDir));
    return {
      store,
      cleanup: async () => {
        await store.delete((await store.list('')).map((o) => o.key));
        await store.close();
        await rm(cacheDir, { recursive: true, force: true });
      },
    };
  });

  it('uploads a file above 5 MiB in parts', async (ctx) => {
    const { store, s3, bucket, prefix, scratch } = await openStore(ctx);
    const bytes = randomBytes(13 * 1024 * 1024 + 5);
    const src = join(scratch, 'big.parquet');
    await writeFile(src, bytes);
    await store.putFile('master/dt=2026-01-01/hour=00/p0-00000000.parquet', src);
    const head = await rawClient(ctx, s3).send(new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}/master/dt=2026-01-01/hour=00/p0-00000000.parquet` }));
    // A multipart object's ETag is the MD5 of its parts' MD5s followed by "-<parts>": 13 MiB in 8 MiB parts is 2.
    expect(head.ETag).toMatch(/-2"$/);
    expect(head.ContentLength).toBe(bytes.length);
    expect((await readFile(await store.localPath('master/dt=2026-01-01/hour=00/p0-00000000.parquet'))).equals(bytes)).toBe(true);
  });

  it('lists by partition prefix across pages and deletes in batches of 1000', async (ctx) => {
    const { store } = await openStore(ctx);
    // More than one ListObjectsV2 page (1000) and one DeleteObjects batch.
    const keys = Array.from({ length: 1_050 }, (_, i) => `master/dt=2026-01-0${1 + (i % 2)}/hour=${String(i % 24).padStart(2, '0')}/p${i % 4}-${String(i).padStart(8, '0')}.parquet`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => store.putText(k, k)));
    const all = await store.list('master/');
    expect(all.map((o) => o.key)).toEqual([...keys].sort());
    const hour = await store.list('master/dt=2026-01-01/hour=04/');
    expect(hour.map((o) => o.key)).toEqual(keys.filter((k) => k.startsWith('master/dt=2026-01-01/hour=04/')).sort());
    expect(hour.length).toBeGreaterThan(0);
    await store.delete(keys.slice(0, 1_020));
    expect((await store.list('master/')).map((o) => o.key)).toEqual(keys.slice(1_020).sort());
  });

  it('reuses the cached copy while the object is unchanged and downloads again when it changes', async (ctx) => {
    const { store, scratch } = await openStore(ctx);
    const src = join(scratch, 'f.parquet');
    await writeFile(src, 'version one');
    await store.putFile('views/runs/r1/v.parquet', src);
    const first = await store.localPath('views/runs/r1/v.parquet');
    const before = await stat(first);
    const [again, concurrent] = await Promise.all([store.localPath('views/runs/r1/v.parquet'), store.localPath('views/runs/r1/v.parquet')]);
    expect(again).toBe(first);
    expect(concurrent).toBe(first);
    // Same inode and mtime: the cached file was not downloaded again.
    const after = await stat(first);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);

    await writeFile(src, 'version two, longer');
    await store.putFile('views/runs/r1/v.parquet', src);
    expect(await readFile(await store.localPath('views/runs/r1/v.parquet'), 'utf8')).toBe('version two, longer');
  });

  it('keeps stores with different prefixes apart in one bucket', async (ctx) => {
    const { store: a, s3, bucket, cacheDir } = await openStore(ctx);
    const b = await S3ObjectStore.open(optionsFor(s3, bucket, uniqueName('it'), cacheDir));
    ctx.onTestFinished(async () => {
      await b.delete((await b.list('')).map((o) => o.key));
      await b.close();
    });
    await a.putText('k', 'from one');
    await b.putText('k', 'from two');
    expect(await a.getText('k')).toBe('from one');
    expect(await b.getText('k')).toBe('from two');
    expect(await b.list('')).toEqual([{ key: 'k', size: 8 }]);
  });

  describe('errors name the setting to fix', () => {
    it('wrong credentials: ConfigError naming AWS_ACCESS_KEY_ID', async (ctx) => {
      const s3 = s3OrSkip(ctx);
      const err = await S3ObjectStore.open({ ...optionsFor(s3, absentBucket(), '', tmpdir()), secretAccessKey: 'not-the-secret' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/AWS_ACCESS_KEY_ID/);
    });

    it('unreachable endpoint: ServiceUnavailableError naming S3_ENDPOINT', async (ctx) => {
      const s3 = s3OrSkip(ctx);
      const err = await S3ObjectStore.open({ ...optionsFor(s3, absentBucket(), '', tmpdir()), endpoint: `http://127.0.0.1:${await freePort()}` }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ServiceUnavailableError);
      expect((err as Error).message).toMatch(/S3_ENDPOINT/);
    });

    it('missing bucket without createBucket: ConfigError naming S3_BUCKET', async (ctx) => {
      const s3 = s3OrSkip(ctx);
      const err = await S3ObjectStore.open({ ...optionsFor(s3, absentBucket(), '', tmpdir()), createBucket: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/S3_BUCKET/);
    });

    it('half-given credentials: ConfigError before any request', async (ctx) => {
      const s3 = s3OrSkip(ctx);
      await expect(S3ObjectStore.open({ ...optionsFor(s3, absentBucket(), '', tmpdir()), secretAccessKey: undefined })).rejects.toThrow(/AWS_SECRET_ACCESS_KEY/);
    });
  });
});
