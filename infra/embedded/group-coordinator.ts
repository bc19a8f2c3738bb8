import { assignRange } from './range-assignor.ts';

/** What the coordinator needs from a consumer. Neither method throws: a member handles its own failures. */
export interface GroupMember {
  /** Takes partitions over; resolves once it knows where to start in each. */
  assign(partitions: readonly number[]): Promise<void>;
  /** Gives partitions up; resolves once their in-flight batch finished and was committed. */
  revoke(partitions: readonly number[]): Promise<void>;
}

/**
 * The in-process group coordinator of one (group, topic): members share the partitions by range
 * assignment and every join or leave rebalances. Only moved partitions change hands, and every
 * revocation completes (in-flight batch done, offset committed, onRevoked called) before any new
 * owner is assigned, so no record is processed by two members at once and the new owner resumes
 * exactly at the committed offset.
 */
export class GroupCoordinator {
  readonly #partitions: number;
  readonly #members: GroupMember[] = [];
  readonly #owned = new Map<GroupMember, readonly number[]>();
  /** Partitions consumed since the group (re)formed: a new owner continues at the committed offset. */
  readonly #started = new Set<number>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(partitions: number) {
    this.#partitions = partitions;
  }

  /** Adds a member and rebalances; resolves once the member has its partitions. */
  join(member: GroupMember): Promise<void> {
    return this.#serial(async () => {
      this.#members.push(member);
      await this.#rebalance();
    });
  }

  /** Removes a member and rebalances; resolves once its partitions were revoked and handed on. */
  leave(member: GroupMember): Promise<void> {
    return this.#serial(async () => {
      const i = this.#members.indexOf(member);
      if (i < 0) return;
      this.#members.splice(i, 1);
      await this.#rebalance();
      if (this.#members.length === 0) this.#started.clear();
    });
  }

  /** Whether a member of the current group already consumed this partition (so its committed offset is where to go on). */
  wasStarted(partition: number): boolean {
    return this.#started.has(partition);
  }

  markStarted(partition: number): void {
    this.#started.add(partition);
  }

  /** Partitions a member owns now. */
  owned(member: GroupMember): readonly number[] {
    return this.#owned.get(member) ?? [];
  }

  async #rebalance(): Promise<void> {
    const target = new Map<GroupMember, readonly number[]>();
    assignRange(this.#partitions, this.#members.length).forEach((ps, i) => target.set(this.#members[i], ps));
    for (const [member, old] of [...this.#owned]) {
      const next = target.get(member) ?? [];
      const lost = old.filter((p) => !next.includes(p));
      if (lost.length > 0) await member.revoke(lost);
      if (!target.has(member)) this.#owned.delete(member);
      else this.#owned.set(member, old.filter((p) => next.includes(p)));
    }
    for (const [member, next] of target) {
      const old = this.#owned.get(member) ?? [];
      const gained = next.filter((p) => !old.includes(p));
      this.#owned.set(member, next);
      if (gained.length > 0) await member.assign(gained);
    }
  }

  #serial(fn: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
