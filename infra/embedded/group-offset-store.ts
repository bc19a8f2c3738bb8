import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LkError } from '../../shared/errors.ts';
import type { PartitionOffsets } from '../../shared/ports/event-log.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { assertGroupId, GROUPS_DIR } from './log-names.ts';

/** `_groups/<group>.json`: `{ "<topic>": { "<partition>": nextOffset } }`. */
type GroupFile = Record<string, Record<string, number>>;

interface GroupState {
  readonly file: GroupFile;
  /** The write in progress (settled when idle). */
  writing: Promise<void>;
  /** The next write, not started yet: commits made now ride on it. */
  queued: Promise<void> | undefined;
}

/**
 * Committed offsets of consumer groups, one JSON file per group, replaced atomically (a crash
 * leaves the previous commit). Replacing a file costs about a millisecond, so commits coalesce:
 * a commit updates the group's offsets in memory at once and resolves when a write containing it
 * is on disk; commits made while a write runs share the next one.
 *
 * A process keeps the offsets of the groups it commits in memory and is their only committer
 * (committing one group from two processes at once is not supported; Kafka would fence one).
 * Groups it never committed are read from disk, so a status command sees another process's progress.
 */
export class GroupOffsetStore {
  readonly #dir: string;
  readonly #states = new Map<string, Promise<GroupState>>();

  constructor(logDir: string) {
    this.#dir = join(logDir, GROUPS_DIR);
  }

  /** The group's committed offsets of one topic (absent partitions have none). */
  async committed(topic: string, groupId: string): Promise<Map<number, number>> {
    assertGroupId(groupId);
    const state = this.#states.get(groupId);
    const file = state ? (await state).file : await this.#read(groupId);
    return new Map(Object.entries(file[topic] ?? {}).map(([p, o]) => [Number(p), o]));
  }

  /** Merges offsets into the group's committed offsets of `topic`; resolves once they are on disk. */
  async commit(topic: string, groupId: string, offsets: PartitionOffsets): Promise<void> {
    assertGroupId(groupId);
    for (const [p, o] of offsets) {
      if (!Number.isSafeInteger(p) || p < 0 || !Number.isSafeInteger(o) || o < 0) {
        throw new LkError(`cannot commit offset ${o} for partition ${p} of ${topic}: offsets and partitions are whole numbers >= 0`);
      }
    }
    const state = await this.#state(groupId);
    const t = (state.file[topic] ??= {});
    for (const [p, o] of offsets) t[String(p)] = o;
    return this.#flush(groupId, state);
  }

  #flush(groupId: string, s: GroupState): Promise<void> {
    if (s.queued) return s.queued;
    const queued = s.writing.then(async () => {
      // From here on, commits need a later write: this one snapshots the offsets now.
      s.queued = undefined;
      const text = JSON.stringify(s.file);
      await mkdir(this.#dir, { recursive: true });
      await writeFileAtomic(this.#path(groupId), text);
    });
    s.queued = queued;
    s.writing = queued.catch(() => undefined);
    return queued;
  }

  #state(groupId: string): Promise<GroupState> {
    let s = this.#states.get(groupId);
    if (!s) {
      s = this.#read(groupId).then((file) => ({ file, writing: Promise.resolve(), queued: undefined }));
      this.#states.set(groupId, s);
      s.catch(() => this.#states.delete(groupId));
    }
    return s;
  }

  #path(groupId: string): string {
    return join(this.#dir, `${groupId}.json`);
  }

  async #read(groupId: string): Promise<GroupFile> {
    try {
      return JSON.parse(await readFile(this.#path(groupId), 'utf8')) as GroupFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new LkError(`cannot read committed offsets of group ${groupId} (${this.#path(groupId)}): fix or delete the file (the group then starts from its fallback position)`, { cause: err });
    }
  }
}
