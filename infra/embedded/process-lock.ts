import { randomUUID } from 'node:crypto';
import { readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { LkError } from '../../shared/errors.ts';
import { createFileExclusive, writeFileAtomic } from './atomic-write.ts';

/** Who holds a ProcessLock: the process, its host, one id per acquisition, and what the holder says of itself. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly owner: string;
  readonly info: Readonly<Record<string, string>>;
}

/** Thrown when another live process (or another holder in this one) has the lock; callers turn it into a message that says what to do. */
export class LockHeldError extends LkError {
  readonly path: string;
  readonly holder: LockHolder;

  constructor(path: string, holder: LockHolder) {
    super(`${path} is held by process ${holder.pid} on ${holder.host}`);
    this.path = path;
    this.holder = holder;
  }
}

/**
 * An exclusive lock file naming its holder (JSON: pid, host, owner, info), created atomically. A
 * lock left by a dead process on this host is taken over; one from another host is never judged
 * stale (its pid means nothing here).
 */
export class ProcessLock {
  readonly #path: string;
  readonly #holder: LockHolder;

  private constructor(path: string, holder: LockHolder) {
    this.#path = path;
    this.#holder = holder;
  }

  /** Takes the lock at `path`, or throws LockHeldError naming the holder. */
  static async acquire(path: string, info: Readonly<Record<string, string>> = {}): Promise<ProcessLock> {
    const me: LockHolder = { pid: process.pid, host: hostname(), owner: randomUUID(), info };
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await createFileExclusive(path, JSON.stringify(me))) return new ProcessLock(path, me);
      const text = await readFile(path, 'utf8').catch(() => undefined);
      if (text === undefined) continue; // released meanwhile
      const holder = parseHolder(text);
      if (holder && (holder.host !== me.host || isAlive(holder.pid))) throw new LockHeldError(path, holder);
      // Stale (dead pid on this host) or unreadable: remove it only if it is still the file we judged.
      if ((await readFile(path, 'utf8').catch(() => undefined)) === text) await unlink(path).catch(() => undefined);
    }
    throw new LkError(`could not take the lock ${path}: it keeps changing; is another process starting up on it?`);
  }

  /** Adds to what the lock says of its holder (e.g. the URL it serves at, known once listening), if this instance still holds it. */
  async describe(info: Readonly<Record<string, string>>): Promise<void> {
    if (!(await this.#held())) return;
    const next: LockHolder = { ...this.#holder, info: { ...this.#holder.info, ...info } };
    await writeFileAtomic(this.#path, JSON.stringify(next));
  }

  /** Releases the lock if this instance still holds it. */
  async release(): Promise<void> {
    if (await this.#held()) await unlink(this.#path).catch(() => undefined);
  }

  async #held(): Promise<boolean> {
    const text = await readFile(this.#path, 'utf8').catch(() => undefined);
    return text !== undefined && parseHolder(text)?.owner === this.#holder.owner;
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.owner === 'string') return { pid: v.pid, host: v.host, owner: v.owner, info: typeof v.info === 'object' && v.info !== null ? v.info : {} };
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
