import { join } from 'node:path';
import { LkError } from '../../shared/errors.ts';
import { LockHeldError, ProcessLock } from './process-lock.ts';

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

/**
 * The single-writer lock of one topic: `<topic>/writer.lock` naming the holder. Offsets are
 * assigned by the writer from its in-memory end, so two appending processes would reuse offsets;
 * the lock makes the second one fail loudly instead. A lock left by a dead process on this host
 * is taken over.
 */
export class TopicLock {
  readonly #lock: ProcessLock;

  private constructor(lock: ProcessLock) {
    this.#lock = lock;
  }

  /** Takes the lock of the topic in `topicDir`, or throws TopicLockedError naming the holder. */
  static async acquire(topic: string, topicDir: string): Promise<TopicLock> {
    try {
      return new TopicLock(await ProcessLock.acquire(join(topicDir, 'writer.lock')));
    } catch (err) {
      if (err instanceof LockHeldError) throw new TopicLockedError(topic, err.path, err.holder.pid);
      throw err;
    }
  }

  /** Releases the lock if this instance still holds it. */
  release(): Promise<void> {
    return this.#lock.release();
  }
}
