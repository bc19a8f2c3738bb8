import type { EventLog } from '../../../../shared/ports/event-log.ts';
import type { ViewStore } from '../../../../shared/ports/view-store.ts';
import { waitFor } from '../../../support/wait-for.ts';

/** Waits until the namespace's stored checkpoints reach the topic's end offsets as they are now (what "caught up" means to a reader of the views). */
export async function waitForCheckpoints(log: EventLog, views: ViewStore, topic: string, namespace: string, timeoutMs = 90_000): Promise<void> {
  const end = await log.endOffsets(topic);
  await waitFor(
    async () => {
      const cps = await views.checkpoints(namespace).catch(() => new Map<number, { nextOffset: number }>());
      return [...end].every(([p, offset]) => offset === 0 || (cps.get(p)?.nextOffset ?? 0) >= offset);
    },
    { timeoutMs, intervalMs: 200, message: `namespace ${namespace} never caught up with ${topic} at ${JSON.stringify([...end])}` },
  );
}
