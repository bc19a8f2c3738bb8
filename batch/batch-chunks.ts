import type { MasterObject } from './master-buckets.ts';

/** Consecutive buckets computed by one set of queries, with the master files they read. */
export interface BatchChunk {
  readonly buckets: readonly number[];
  /** Each file once, though with sub-hour buckets one file serves several buckets. */
  readonly files: readonly MasterObject[];
  readonly bytes: number;
}

export interface ChunkLimits {
  /** Master Parquet bytes per chunk: bounds the memory one chunk's statements use. */
  readonly maxBytes: number;
  /** Buckets per chunk: DuckDB keeps at most 100 partitioned output files open (partitioned_write_max_open_files). */
  readonly maxBuckets: number;
}

export const DEFAULT_CHUNK_LIMITS: ChunkLimits = { maxBytes: 16 * 1024 * 1024, maxBuckets: 48 };

/**
 * Groups the buckets (sorted) into chunks. Chunks run in parallel, one per DuckDB thread, each
 * single-threaded: small chunks keep hash tables and sorts in cache and give every thread work,
 * while grouping small buckets saves per-statement costs and re-reading a master file shared by
 * sub-hour buckets. A bucket is never split, so one bucket larger than maxBytes is a chunk of its own.
 */
export function planChunks(buckets: readonly number[], sources: ReadonlyMap<number, readonly MasterObject[]>, limits: ChunkLimits = DEFAULT_CHUNK_LIMITS): BatchChunk[] {
  const chunks: BatchChunk[] = [];
  let cur: { buckets: number[]; files: Map<string, MasterObject> } = { buckets: [], files: new Map() };
  const bytesOf = (files: Iterable<MasterObject>) => {
    let n = 0;
    for (const f of files) n += f.size;
    return n;
  };
  const close = () => {
    if (cur.buckets.length > 0) chunks.push({ buckets: cur.buckets, files: [...cur.files.values()], bytes: bytesOf(cur.files.values()) });
    cur = { buckets: [], files: new Map() };
  };
  for (const bucket of buckets) {
    const added = (sources.get(bucket) ?? []).filter((f) => !cur.files.has(f.key));
    const full = cur.buckets.length >= limits.maxBuckets || (cur.buckets.length > 0 && bytesOf(cur.files.values()) + bytesOf(added) > limits.maxBytes);
    if (full) close();
    cur.buckets.push(bucket);
    for (const f of sources.get(bucket) ?? []) cur.files.set(f.key, f);
  }
  close();
  return chunks;
}
