import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Which version of an object a cached copy holds. */
export interface CachedVersion {
  readonly etag: string;
  readonly size: number;
}

/**
 * Local copies of S3 objects for DuckDB, which reads Parquet from files. A copy is reused while
 * the object's ETag and size still match what was downloaded; the master dataset is immutable, so
 * after the first read a file costs one HEAD request. Copies appear by rename, so a reader never
 * sees a partial download (and one still reading a replaced copy keeps its open inode).
 *
 * Files are named by a hash of the key (plus its last segment, for people and file extensions):
 * S3 allows both `a/b` and `a/b/c`, a directory tree could not hold both.
 */
export class DownloadCache {
  readonly #objects: string;
  readonly #versions: string;

  constructor(dir: string) {
    this.#objects = join(dir, 'objects');
    this.#versions = join(dir, 'versions');
  }

  /** Where the copy of `key` lives. */
  pathOf(key: string): string {
    const last = key.slice(key.lastIndexOf('/') + 1).replace(/[^A-Za-z0-9._=-]/g, '_').slice(-100);
    return join(this.#objects, `${idOf(key)}-${last}`);
  }

  /** The cached copy of `key` when it holds this version, else undefined. */
  async get(key: string, version: CachedVersion): Promise<string | undefined> {
    const file = this.pathOf(key);
    try {
      const held = JSON.parse(await readFile(this.#versionFile(key), 'utf8')) as CachedVersion;
      if (held.etag !== version.etag || held.size !== version.size) return undefined;
      // Someone may have removed or cut the file by hand: trust it only at the recorded size.
      return (await stat(file)).size === version.size ? file : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Stores a new copy: `download` writes the content to the temporary path it is given and says
   * which version it wrote; the copy then replaces the old one. Returns the copy's path.
   */
  async put(key: string, download: (tmpFile: string) => Promise<CachedVersion>): Promise<string> {
    const file = this.pathOf(key);
    const versionFile = this.#versionFile(key);
    await mkdir(this.#objects, { recursive: true });
    await mkdir(this.#versions, { recursive: true });
    const suffix = `.${randomBytes(6).toString('hex')}.part`;
    try {
      const version = await download(file + suffix);
      // Forget the old version first: a crash between the renames then reads as "not cached", never as a wrong match.
      await rm(versionFile, { force: true });
      await rename(file + suffix, file);
      await writeFile(versionFile + suffix, JSON.stringify(version));
      await rename(versionFile + suffix, versionFile);
      return file;
    } finally {
      await rm(file + suffix, { force: true });
      await rm(versionFile + suffix, { force: true });
    }
  }

  /** Drops the copy of `key` (its object was deleted). */
  async evict(key: string): Promise<void> {
    await rm(this.#versionFile(key), { force: true });
    await rm(this.pathOf(key), { force: true });
  }

  #versionFile(key: string): string {
    return join(this.#versions, `${idOf(key)}.json`);
  }
}

function idOf(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}
