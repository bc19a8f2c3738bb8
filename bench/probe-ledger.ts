/**
 * Which freshness probes are visible, per log partition. Probes of one partition all count toward
 * one key of a view, and the speed layer commits a partition's records in offset order, so when
 * the view counts n of them, the first n sent to that partition are visible and no others. One
 * query per partition thus settles any number of pending probes, and polling stays at one loop
 * per partition however far behind the pipeline is.
 */
export class ProbeLedger {
  readonly #probes: Array<{ readonly partition: number; readonly sentAt: number; seenAt?: number }> = [];
  /** Per partition: indexes into #probes in send order, and how many of them are seen. */
  readonly #byPartition: Array<{ readonly order: number[]; seen: number }>;

  constructor(partitions: number) {
    this.#byPartition = Array.from({ length: partitions }, () => ({ order: [], seen: 0 }));
  }

  /** Records a probe appended to `partition` at `sentAt` (epoch ms), after the ones sent before it. */
  sent(partition: number, sentAt: number): void {
    this.#byPartition[partition].order.push(this.#probes.length);
    this.#probes.push({ partition, sentAt });
  }

  /**
   * The view counts `count` probes of `partition` at `now`: the first `count` sent there are
   * visible, those not seen before are seen now. Returns how many became visible.
   */
  observe(partition: number, count: number, now: number): number {
    const p = this.#byPartition[partition];
    // More than were sent would be a count of something else; the probes sent are all there is.
    const visible = Math.min(count, p.order.length);
    const before = p.seen;
    for (let i = p.seen; i < visible; i++) this.#probes[p.order[i]].seenAt = now;
    p.seen = Math.max(p.seen, visible);
    return p.seen - before;
  }

  /** Probes of the partition sent and not seen yet. */
  pending(partition: number): number {
    const p = this.#byPartition[partition];
    return p.order.length - p.seen;
  }

  /** Probes seen so far (all partitions). */
  get seen(): number {
    return this.#byPartition.reduce((n, p) => n + p.seen, 0);
  }

  /** Sent to visible (ms) of every probe in send order; undefined for one never seen. */
  latencies(): Array<number | undefined> {
    return this.#probes.map((p) => (p.seenAt === undefined ? undefined : p.seenAt - p.sentAt));
  }
}
