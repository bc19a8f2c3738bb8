import { IdTable } from './id-table.ts';

/** Event ids with the time each was first seen at (see DedupSet), as two parallel arrays (cheap to store as two columns). */
export interface SeenIds {
  readonly ids: readonly string[];
  readonly times: readonly number[];
}

export const NO_SEEN_IDS: SeenIds = { ids: [], times: [] };

/** The dedup cutoff at a partition watermark: ids first seen more than the retention behind it are forgotten. */
export function dedupCutoff(watermark: number, retentionMs: number): number {
  return watermark - retentionMs;
}

/**
 * Remembers event ids for dedup. An id is remembered while the time it was first *seen* at is at
 * or after the cutoff given with each lookup (the partition's watermark minus the retention, see
 * PipelineConfig.dedupRetentionMs). The seen time is the later of the event time and the
 * watermark when the id was first seen: an event whose time is already far behind the watermark
 * (a too-late one) is still remembered for the retention, so a redelivered copy of it is a
 * duplicate instead of a second too-late event. Both are functions of the log alone, so whether a
 * copy counts as a duplicate never depends on when memory happened to be swept: a replay or a
 * restart decides the same way. Copies further apart than the retention cannot be recognised by
 * bounded state.
 *
 * Ids first seen since the last `drainAdded` form the dedup changelog: stored with each commit
 * (Kafka Streams' changelog idea), so a checkpoint never rewrites the whole set.
 */
export class DedupSet {
  /** id -> time it was first seen at: max(event time, watermark then). */
  readonly #seen = new IdTable();
  readonly #retentionMs: number;
  #addedIds: string[] = new Array<string>(1024);
  #addedTimes: number[] = new Array<number>(1024);
  #added = 0;
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(retentionMs: number, restored: SeenIds = NO_SEEN_IDS) {
    this.#retentionMs = retentionMs;
    const { ids, times } = restored;
    for (let i = 0; i < ids.length; i++) {
      // A changelog can hold an id twice (re-seen after it expired): the later time is the live one.
      const at = this.#seen.findOrInsert(ids[i], times[i]);
      if (at >= 0 && times[i] > this.#seen.valueAt(at)) this.#seen.setValueAt(at, times[i]);
    }
  }

  /**
   * Records the id unless it is remembered; returns false for a duplicate. `cutoff` is the
   * partition's dedup cutoff now (`dedupCutoff(watermark, retention)`): ids first seen before it
   * are forgotten, and a new id is seen at max(eventTime, the watermark it implies).
   */
  add(id: string, eventTime: number, cutoff: number): boolean {
    const seenAt = Math.max(eventTime, cutoff + this.#retentionMs);
    const seen = this.#seen;
    const at = seen.findOrInsert(id, seenAt);
    if (at >= 0) {
      if (seen.valueAt(at) >= cutoff) return false;
      seen.setValueAt(at, seenAt);
    }
    const n = this.#added++;
    if (n === this.#addedIds.length) this.#growAdded();
    this.#addedIds[n] = id;
    this.#addedTimes[n] = seenAt;
    return true;
  }

  /** Number of ids held in memory (forgotten ones included until a sweep drops them). */
  get size(): number {
    return this.#seen.size;
  }

  /**
   * Frees the memory of forgotten ids: looks once per quarter retention of cutoff progress, and
   * drops them once they are half the table (IdTable.retain), so memory stays within about twice
   * the live ids and the cost per event stays constant.
   */
  sweep(cutoff: number): void {
    if (cutoff - this.#lastSweep < this.#retentionMs / 4) return;
    this.#lastSweep = cutoff;
    this.#seen.retain(cutoff);
  }

  /** Ids first seen since the last drain: the changelog to store with the next checkpoint. */
  drainAdded(): SeenIds {
    const n = this.#added;
    const added = { ids: this.#addedIds, times: this.#addedTimes };
    added.ids.length = n;
    added.times.length = n;
    this.#addedIds = new Array<string>(Math.max(1024, n));
    this.#addedTimes = new Array<number>(Math.max(1024, n));
    this.#added = 0;
    return added;
  }

  #growAdded(): void {
    const n = this.#addedIds.length;
    const ids = new Array<string>(n * 2);
    const times = new Array<number>(n * 2);
    for (let i = 0; i < n; i++) {
      ids[i] = this.#addedIds[i];
      times[i] = this.#addedTimes[i];
    }
    this.#addedIds = ids;
    this.#addedTimes = times;
  }

  /** The ids remembered at `cutoff`, with the time each was first seen at (what a restore from a checkpoint at that cutoff needs). */
  snapshot(cutoff: number): SeenIds {
    const ids: string[] = [];
    const times: number[] = [];
    this.#seen.forEach((id, t) => {
      if (t < cutoff) return;
      ids.push(id);
      times.push(t);
    });
    return { ids, times };
  }

  /** The ids remembered at `cutoff` (for tests and diagnostics). */
  remembered(cutoff: number): string[] {
    return [...this.snapshot(cutoff).ids];
  }
}
