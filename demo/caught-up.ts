import type { EventLog } from '../shared/ports/event-log.ts';
/** What a stream job reports of its progress: the next offset of each partition it owns. */
export interface HasPositions {
  positions(): ReadonlyMap<number, number>;
}

/**
 * Resolves once every job (or group of jobs, through one combined HasPositions) has processed every
 * partition up to the topic's end offsets as they are now.
 */
export async function waitUntilCaughtUp(log: EventLog, topic: string, jobs: readonly HasPositions[], options: { pollMs?: number; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
  const end = await log.endOffsets(topic);
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const done = jobs.every((job) => {
      const pos = job.positions();
      return [...end].every(([p, offset]) => offset === 0 || (pos.get(p) ?? 0) >= offset);
    });
    if (done) return;
    if (options.signal?.aborted) throw new Error('stopped');
    if (Date.now() > deadline) throw new Error(`the stream jobs did not catch up with ${topic} within ${options.timeoutMs ?? 120_000} ms`);
    await new Promise((r) => setTimeout(r, options.pollMs ?? 20));
  }
}
