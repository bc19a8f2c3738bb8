import { randomUUID } from 'node:crypto';
import { readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LkError } from '../../shared/errors.ts';
import { createFileExclusive } from './atomic-write.ts';

/** Thrown when another live process (or another EmbeddedLog in this one) writes the topic. */
export class TopicLockedError extends LkError {
  readonly holderPid: number;

  constructor(topic: string, lockFile: string, holderPid: number) {
    super(
      `topic "${topic}" is being written by process ${holderPid} (lock file ${lockFile}): ` +
        `stop that process or append through it; if process ${holderPid} is gone, delete the lock file`,
    );
    this.holderPid = holderPid;
  }
}

interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly owner: string;
}

/**
 * The single-writer lock of one topic: `<topic>/writer.lock` naming the holder. Offsets are
 * assigned by the writer from its in-memory end, so two appending processes would reuse offsets;
 * the lock makes the second one fail loudly instead. A lock left by a dead process on this host
 * is taken over.
 */
export class TopicLock {
  readonly #path: string;
  readonly #owner: string;

  private constructor(path: string, owner: string) {
    this.#path = path;
    this.#owner = owner;
  }

  /** Takes the lock of the topic in `topicDir`, or throws TopicLockedError naming the holder. */
  static async acquire(topic: string, topicDir: string): Promise<TopicLock> {
    const path = join(topicDir, 'writer.lock');
    const me: LockHolder = { pid: process.pid, host: hostname(), owner: randomUUID() };
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await createFileExclusive(path, JSON.stringify(me))) return new TopicLock(path, me.owner);
      const text = await readFile(path, 'utf8').catch(() => undefined);
      if (text === undefined) continue; // released meanwhile
      const holder = parseHolder(text);
      if (holder && (holder.host !== me.host || isAlive(holder.pid))) throw new TopicLockedError(topic, path, holder.pid);
      // Stale (dead pid on this host) or unreadable: remove it only if it is still the file we judged.
      if ((await readFile(path, 'utf8').catch(() => undefined)) === text) await unlink(path).catch(() => undefined);
    }
    throw new LkError(`could not take the writer lock ${path}: it keeps changing; is another process starting up on this topic?`);
  }

  /** Releases the lock if this instance still holds it. */
  async release(): Promise<void> {
    const text = await readFile(this.#path, 'utf8').catch(() => undefined);
    if (text !== undefined && parseHolder(text)?.owner === this.#owner) await unlink(this.#path).catch(() => undefined);
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.owner === 'string') return v as LockHolder;
  } catch {
    // fall through: an unreadable lock is treated as stale
  }
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
