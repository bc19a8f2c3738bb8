/**
 * The object store port: where the master dataset (raw events as Parquet) and the batch views
 * live. Keys are '/'-separated paths such as `master/dt=2026-01-01/hour=10/p0-00000000.parquet`.
 * Adapters: infra/embedded/local-object-store.ts (a directory), infra/s3/s3-object-store.ts.
 *
 * DuckDB reads and writes Parquet on local files, so the port moves whole files: `putFile` uploads a
 * local file, `localPath` gives a local copy to read (the directory adapter returns the file itself).
 */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
}

export interface ObjectStore {
  /** Uploads a local file under key. A reader sees the whole object or nothing. */
  putFile(key: string, localFile: string): Promise<void>;
  /** Writes a small object (manifests). Atomic: a reader sees the old or the new content. */
  putText(key: string, text: string): Promise<void>;
  /** Reads a small object; undefined when absent. */
  getText(key: string): Promise<string | undefined>;
  /** A local file with the object's content, for DuckDB to read; throws ObjectNotFoundError when absent. */
  localPath(key: string): Promise<string>;
  /** Objects whose key starts with prefix, sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Deletes objects (absent keys are fine). */
  delete(keys: readonly string[]): Promise<void>;
  close(): Promise<void>;
}
