import { randomBytes } from 'node:crypto';
import { link, rename, unlink, writeFile } from 'node:fs/promises';

/** A temp name next to `path` (same directory, so rename and link stay on one filesystem). */
function tempPath(path: string): string {
  return `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

/** Replaces `path` with `text` atomically: readers see the old or the new content, never a torn file. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = tempPath(path);
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/**
 * Creates `path` with `text` only if it does not exist yet, atomically (link fails when the name
 * is taken). Returns false when another writer got there first. Unlike `open(wx)` + write, nobody
 * can observe the file empty or half-written.
 */
export async function createFileExclusive(path: string, text: string): Promise<boolean> {
  const tmp = tempPath(path);
  await writeFile(tmp, text);
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
