import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectStoreConfig } from '../../shared/config.ts';
import { ConfigError, LkError, ObjectNotFoundError } from '../../shared/errors.ts';
import type { ObjectInfo, ObjectStore } from '../../shared/ports/object-store.ts';
import { DownloadCache } from './download-cache.ts';
import { isS3NotFound, s3Error, type S3Target } from './s3-errors.ts';

/** Parts of a multipart upload: S3's minimum is 5 MiB; 8 MiB keeps a 1 GiB file under 130 parts. */
const PART_SIZE = 8 * 1024 * 1024;
/** Parts in flight per upload (memory: PART_SIZE each). */
const UPLOAD_CONCURRENCY = 4;
/** DeleteObjects takes at most 1000 keys. */
const DELETE_BATCH = 1000;

/** The S3 settings of the platform config (documented there), plus whether to create the bucket. */
export type S3ObjectStoreOptions = Omit<Extract<ObjectStoreConfig, { kind: 's3' }>, 'kind'> & {
  /** Create the bucket when it does not exist (docker-compose's S3Proxy starts empty). */
  readonly createBucket?: boolean;
};

/**
 * The ObjectStore port on S3, the only file that imports the AWS SDK. Files go up with
 * lib-storage's Upload (multipart above PART_SIZE, so a reader sees the whole object or nothing);
 * localPath downloads into a cache that is reused while the ETag matches.
 */
export class S3ObjectStore implements ObjectStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #target: S3Target;
  readonly #cache: DownloadCache;
  /** One download per key at a time within this process; concurrent callers share it. */
  readonly #downloads = new Map<string, Promise<string>>();

  private constructor(client: S3Client, options: S3ObjectStoreOptions) {
    this.#client = client;
    this.#bucket = options.bucket;
    this.#prefix = options.prefix.replace(/^\/+|\/+$/g, '');
    this.#target = { bucket: options.bucket, endpoint: options.endpoint };
    this.#cache = new DownloadCache(join(options.cacheDir, options.bucket));
  }

  /** Connects and checks the bucket (creating it when asked); throws errors naming S3_ENDPOINT, S3_BUCKET or AWS_ACCESS_KEY_ID. */
  static async open(options: S3ObjectStoreOptions): Promise<S3ObjectStore> {
    if ((options.accessKeyId === undefined) !== (options.secretAccessKey === undefined)) {
      throw new ConfigError('set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (to use the default AWS credential chain)');
    }
    const client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      credentials: options.accessKeyId && options.secretAccessKey ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } : undefined,
      maxAttempts: 3,
      // Fail fast on a dead endpoint; socketTimeout bounds a stalled transfer, not a long one.
      requestHandler: { connectionTimeout: 5_000, socketTimeout: 120_000 },
      // Since 3.729 the SDK adds CRC32 checksums (aws-chunked trailers) to every upload. S3Proxy 4.1
      // accepts them, but many S3-compatible servers (older MinIO, Ceph RGW) reject such uploads, so
      // with a custom endpoint send checksums only where S3 requires them (DeleteObjects).
      ...(options.endpoint ? { requestChecksumCalculation: 'WHEN_REQUIRED' as const, responseChecksumValidation: 'WHEN_REQUIRED' as const } : {}),
    });
    const store = new S3ObjectStore(client, options);
    try {
      await store.#checkBucket(options.createBucket ?? false, options.region);
      return store;
    } catch (err) {
      client.destroy();
      throw err;
    }
  }

  async putFile(key: string, localFile: string): Promise<void> {
    const upload = new Upload({
      client: this.#client,
      params: { Bucket: this.#bucket, Key: this.#full(key), Body: createReadStream(localFile) },
      partSize: PART_SIZE,
      queueSize: UPLOAD_CONCURRENCY,
      // A failed multipart upload is aborted, so no orphaned parts keep costing storage.
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      throw this.#error(err, `upload ${key}`);
    }
  }

  async putText(key: string, text: string): Promise<void> {
    try {
      await this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: this.#full(key), Body: text, ContentType: 'text/plain; charset=utf-8' }));
    } catch (err) {
      throw this.#error(err, `write ${key}`);
    }
  }

  async getText(key: string): Promise<string | undefined> {
    try {
      const r = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#full(key) }));
      return await r.Body!.transformToString('utf-8');
    } catch (err) {
      if (isS3NotFound(err)) return undefined;
      throw this.#error(err, `read ${key}`);
    }
  }

  localPath(key: string): Promise<string> {
    let pending = this.#downloads.get(key);
    if (!pending) {
      pending = this.#localPath(key).finally(() => this.#downloads.delete(key));
      this.#downloads.set(key, pending);
    }
    return pending;
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const strip = this.#prefix ? this.#prefix.length + 1 : 0;
    let token: string | undefined;
    try {
      do {
        const r = await this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: this.#full(prefix), ContinuationToken: token }));
        for (const o of r.Contents ?? []) out.push({ key: o.Key!.slice(strip), size: o.Size ?? 0 });
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw this.#error(err, `list ${prefix}`);
    }
    // S3 lists in UTF-8 byte order; the port promises JS string order, which differs above U+FFFF.
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      let failed: Array<{ Key?: string; Code?: string; Message?: string }>;
      try {
        const r = await this.#client.send(
          new DeleteObjectsCommand({ Bucket: this.#bucket, Delete: { Objects: batch.map((k) => ({ Key: this.#full(k) })), Quiet: true } }),
        );
        failed = r.Errors ?? [];
      } catch (err) {
        throw this.#error(err, `delete ${batch.length} objects`);
      }
      if (failed.length > 0) {
        const first = failed.slice(0, 3).map((e) => `${e.Key}: ${e.Code} ${e.Message}`).join('; ');
        throw new LkError(`S3 refused to delete ${failed.length} of ${batch.length} objects in bucket "${this.#bucket}" (${first}); check the credentials' delete permission`);
      }
      await Promise.all(batch.map((k) => this.#cache.evict(this.#full(k))));
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  async #localPath(key: string): Promise<string> {
    const full = this.#full(key);
    let head;
    try {
      head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: full }));
    } catch (err) {
      if (isS3NotFound(err)) throw new ObjectNotFoundError(key);
      throw this.#error(err, `read ${key}`);
    }
    const cached = await this.#cache.get(full, { etag: head.ETag ?? '', size: head.ContentLength ?? -1 });
    if (cached) return cached;
    return this.#cache.put(full, async (tmp) => {
      let r;
      try {
        r = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: full }));
      } catch (err) {
        // Deleted between the HEAD and the GET.
        if (isS3NotFound(err)) throw new ObjectNotFoundError(key);
        throw this.#error(err, `download ${key}`);
      }
      // Record the version actually downloaded (the object may have changed since the HEAD).
      await pipeline(r.Body as Readable, createWriteStream(tmp));
      return { etag: r.ETag ?? '', size: r.ContentLength ?? -1 };
    });
  }

  async #checkBucket(create: boolean, region: string): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
      return;
    } catch (err) {
      if (!isS3NotFound(err)) throw this.#error(err, 'open the bucket');
      if (!create) throw new ConfigError(`bucket "${this.#bucket}" does not exist at ${this.#target.endpoint ?? 'AWS S3'}; create it or fix S3_BUCKET`);
    }
    try {
      // us-east-1 is the one region that refuses an explicit LocationConstraint.
      const location = region === 'us-east-1' ? undefined : { LocationConstraint: region as BucketLocationConstraint };
      await this.#client.send(new CreateBucketCommand({ Bucket: this.#bucket, CreateBucketConfiguration: location }));
    } catch (err) {
      // Another process (speed, batch and serve start together) created it first: fine.
      if ((err as Error).name === 'BucketAlreadyOwnedByYou') return;
      if ((err as Error).name === 'BucketAlreadyExists') {
        throw new ConfigError(`bucket "${this.#bucket}" belongs to another account; choose another S3_BUCKET`, { cause: err });
      }
      throw this.#error(err, 'create the bucket');
    }
  }

  #full(key: string): string {
    return this.#prefix ? `${this.#prefix}/${key}` : key;
  }

  #error(err: unknown, action: string): Error {
    return s3Error(err, this.#target, action);
  }
}
