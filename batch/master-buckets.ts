import { createHash } from 'node:crypto';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import { bucketOf } from '../shared/time/bucket.ts';
import { MASTER_PARTITION_MS, MASTER_PREFIX, parseMasterFileKey, type MasterFile } from './master-dataset.ts';

/** A master file as listed: what its key says, and its size in bytes. */
export interface MasterObject extends MasterFile {
  readonly size: number;
}

/**
 * The master files that hold events of each batch bucket, sorted by bucket. A file belongs to
 * every bucket its hour overlaps (one when buckets are hours; several when they are shorter).
 */
export async function masterFilesByBucket(objects: ObjectStore, bucketMs: number): Promise<Map<number, MasterObject[]>> {
  const byBucket = new Map<number, MasterObject[]>();
  for (const o of await objects.list(MASTER_PREFIX)) {
    const parsed = parseMasterFileKey(o.key);
    if (!parsed) continue;
    const f = { ...parsed, size: o.size };
    for (const b of bucketsOfMasterFile(f, bucketMs)) {
      let list = byBucket.get(b);
      if (!list) byBucket.set(b, (list = []));
      list.push(f);
    }
  }
  return new Map([...byBucket.entries()].sort((a, b) => a[0] - b[0]));
}

/** The buckets a master file's hour overlaps: the only buckets its events can be in. */
export function bucketsOfMasterFile(file: MasterFile, bucketMs: number): number[] {
  const out: number[] = [];
  for (let b = bucketOf(file.hour, bucketMs); b < file.hour + MASTER_PARTITION_MS; b += bucketMs) out.push(b);
  return out;
}

/** A short fingerprint of a set of master files: changes when a file is added or replaced. */
export function sourceDigest(files: readonly MasterFile[]): string {
  const keys = files.map((f) => f.key).sort();
  return createHash('sha256').update(keys.join('\n')).digest('hex').slice(0, 16);
}
