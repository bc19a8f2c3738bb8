import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { LkError, ObjectNotFoundError } from '../../shared/errors.ts';
import type { ObjectInfo, ObjectStore } from '../../shared/ports/object-store.ts';
import { assertKeyPrefix, assertObjectKey, TEMP_DIR } from './object-key.ts';

/**
 * The object store on a local directory: a key is a file path under `dir`. Writes go to a temp
 * file under `<dir>/.lk-tmp/` and are renamed into place, so a reader sees the whole object or
 * nothing (rename is atomic within one filesystem). `localPath` returns the file itself: DuckDB
 * reads the master dataset in place, with no copy.
 */
export class LocalObjectStore implements ObjectStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  async putFile(key: string, localFile: string): Promise<void> {
    assertObjectKey(key);
    await this.#publish(key, (tmp) => copyFile(localFile, tmp));
  }

  async putText(key: string, text: string): Promise<void> {
    assertObjectKey(key);
    await this.#publish(key, (tmp) => writeFile(tmp, text));
  }

  async getText(key: string): Promise<string | undefined> {
    assertObjectKey(key);
    try {
      return await readFile(this.#path(key), 'utf8');
    } catch (err) {
      if (isAbsent(err)) return undefined;
      throw err;
    }
  }

  async localPath(key: string): Promise<string> {
    assertObjectKey(key);
    const path = this.#path(key);
    const s = await stat(path).catch((err: unknown) => {
      if (isAbsent(err)) return undefined;
      throw err;
    });
    if (!s?.isFile()) throw new ObjectNotFoundError(key);
    return path;
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    assertKeyPrefix(prefix);
    // Walk only the deepest folder the prefix names in full; the rest of the prefix filters names.
    const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const root = this.#path(folder);
    let entries;
    try {
      entries = await readdir(root, { recursive: true, withFileTypes: true });
    } catch (err) {
      if (isAbsent(err)) return [];
      throw err;
    }
    const out: ObjectInfo[] = [];
    for (const e of entries) {
      if (!e.isFile()) continue;
      const key = relative(this.dir, join(e.parentPath, e.name)).split(sep).join('/');
      if (!key.startsWith(prefix) || key.startsWith(`${TEMP_DIR}/`)) continue;
      const s = await stat(join(e.parentPath, e.name)).catch(() => undefined);
      if (s) out.push({ key, size: s.size }); // deleted while listing: skip it
    }
    // Code-unit order equals S3's byte order for the ASCII keys the platform writes.
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) assertObjectKey(key);
    for (const key of keys) {
      try {
        await unlink(this.#path(key));
      } catch (err) {
        if (isAbsent(err)) continue;
        throw err;
      }
      await this.#pruneEmptyFolders(dirname(this.#path(key)));
    }
  }

  async close(): Promise<void> {
    // Nothing held open.
  }

  #path(key: string): string {
    return join(this.dir, ...key.split('/').filter((s) => s !== ''));
  }

  /** Writes a temp file with `write`, then renames it to the key's path. */
  async #publish(key: string, write: (tmp: string) => Promise<void>): Promise<void> {
    const tmpDir = join(this.dir, TEMP_DIR);
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}`);
    const target = this.#path(key);
    try {
      await write(tmp);
      // A concurrent delete may prune the folder between mkdir and rename: try again once.
      for (let attempt = 0; ; attempt++) {
        try {
          await mkdir(dirname(target), { recursive: true });
          await rename(tmp, target);
          return;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' && attempt === 0) continue;
          if (code === 'EISDIR' || code === 'ENOTDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') {
            throw new LkError(`cannot store "${key}" in ${this.dir}: it clashes with another key used as a folder (a local store cannot hold both "a" and "a/b"); choose another key`, { cause: err });
          }
          throw err;
        }
      }
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }

  /** Removes folders left empty by a delete, up to the store's root, so listings stay small. */
  async #pruneEmptyFolders(folder: string): Promise<void> {
    while (folder !== this.dir && folder.startsWith(this.dir + sep)) {
      try {
        await rmdir(folder);
      } catch {
        return; // not empty (or already gone): stop
      }
      folder = dirname(folder);
    }
  }
}

function isAbsent(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  // ENOTDIR: a path segment is a file, so nothing can exist below it.
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}
