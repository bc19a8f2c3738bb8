import { IdTable } from './id-table.ts';

/** Event ids with the event time each was first seen at, as two parallel arrays (cheap to store as two columns). */
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
 * Remembers event ids for dedup. An id is remembered while its event time is at or after the
 * cutoff given with each lookup (the partition's watermark minus the retention, see
 * PipelineConfig.dedupRetentionMs), so whether a copy counts as a duplicate depends only on the
 * log, never on when memory happened to be swept: a replay or a restart decides the same way.
 *
 * Ids first seen since the last `drainAdded` form the dedup changelog: stored with each commit
 * (Kafka Streams' changelog idea), so a checkpoint never rewrites the whole set.
 */
export class DedupSet {
  /** id -> event time it was first seen at. */
  readonly #seen = new IdTable();
  readonly #retentionMs: number;
  #addedIds: string[] = [];
  #addedTimes: number[] = [];
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(retentionMs: number, restored: SeenIds = NO_SEEN_IDS) {
    this.#retentionMs = retentionMs;
    const { ids, times } = restored;
    for (let i = 0; i < ids.length; i++) {
      // A changelog can hold an id twice (re-seen after it expired): the later time is the live one.
      const at = this.#seen.find(ids[i]);
      if (at < 0) this.#seen.insert(ids[i], times[i]);
      else if (times[i] > this.#seen.valueAt(at)) this.#seen.setValueAt(at, times[i]);
    }
  }

  /**
   * Records the id unless it is remembered; returns false for a duplicate. `cutoff`: ids whose
   * first event time is before it are forgotten (they could only repeat as too-late events).
   */
  add(id: string, eventTime: number, cutoff: number): boolean {
    const seen = this.#seen;
    const at = seen.find(id);
    if (at < 0) seen.insert(id, eventTime);
    else if (seen.valueAt(at) >= cutoff) return false;
    else seen.setValueAt(at, eventTime);
    this.#addedIds.push(id);
    this.#addedTimes.push(eventTime);
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
    const added = { ids: this.#addedIds, times: this.#addedTimes };
    this.#addedIds = [];
    this.#addedTimes = [];
    return added;
  }

  /** The ids remembered at `cutoff` (for tests and diagnostics). */
  remembered(cutoff: number): string[] {
    const out: string[] = [];
    this.#seen.forEach((id, t) => {
      if (t >= cutoff) out.push(id);
    });
    return out;
  }
}
