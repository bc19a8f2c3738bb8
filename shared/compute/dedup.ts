/**
 * Remembers event ids for dedup, forgetting an id once its event time falls `retentionMs` behind
 * the watermark (by then a copy would be too late anyway, see PipelineConfig.dedupRetentionMs).
 * Sweeps are amortised: at most one per quarter of the retention of watermark progress.
 */
export class DedupSet {
  readonly #seen = new Map<string, number>();
  readonly #retentionMs: number;
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(retentionMs: number, entries: Iterable<readonly [string, number]> = []) {
    this.#retentionMs = retentionMs;
    for (const [id, t] of entries) this.#seen.set(id, t);
  }

  /** Records the id; returns false when it was already seen (a duplicate). */
  add(id: string, eventTime: number): boolean {
    if (this.#seen.has(id)) return false;
    this.#seen.set(id, eventTime);
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }

  /** Forgets ids whose event time is more than the retention behind the watermark. */
  expire(watermark: number): void {
    if (watermark - this.#lastSweep < this.#retentionMs / 4) return;
    this.#lastSweep = watermark;
    const before = watermark - this.#retentionMs;
    for (const [id, t] of this.#seen) if (t < before) this.#seen.delete(id);
  }

  entries(): Array<[string, number]> {
    return [...this.#seen];
  }
}
