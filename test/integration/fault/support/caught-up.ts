import type { EventLog } from '../../../../shared/ports/event-log.ts';
import type { ViewStore } from '../../../../shared/ports/view-store.ts';
import { waitFor } from '../../../support/wait-for.ts';

/** What catching up depends on: a process (an LkProcess) or several (running while all are). */
export interface Watched {
  readonly running: boolean;
  tail(): string;
}

/**
 * Waits until the namespace's stored checkpoints reach the topic's end offsets as they are now
 * (what "caught up" means to a reader of the views). With `watch`, fails as soon as that process
 * exits, with its output.
 */
export async function waitForCheckpoints(
  log: EventLog,
  views: ViewStore,
  topic: string,
  namespace: string,
  options: { readonly watch?: Watched; readonly timeoutMs?: number } = {},
): Promise<void> {
  const end = await log.endOffsets(topic);
  const { watch } = options;
  await waitFor(
    async () => {
      if (watch && !watch.running) throw new Error(`${namespace}: a process writing it exited before it caught up; the output ends with:\n${watch.tail()}`);
      const cps = await views.checkpoints(namespace).catch(() => new Map<number, { nextOffset: number }>());
      return [...end].every(([p, offset]) => offset === 0 || (cps.get(p)?.nextOffset ?? 0) >= offset);
    },
    { timeoutMs: options.timeoutMs ?? 90_000, intervalMs: 200, message: `namespace ${namespace} never caught up with ${topic} at ${JSON.stringify([...end])}${watch ? `; the output ends with:\n${watch.tail()}` : ''}` },
  );
}
