import type { ViewStore } from '../shared/ports/view-store.ts';
import type { Readiness } from './http-server.ts';

/** What readiness asks the batch side: why it is not serving the latest publish, if so. */
export interface BatchReadiness {
  problem(): string | undefined;
}

/**
 * The serve process is ready when the latest published batch is loaded (batch-view-index.ts) and
 * the view store answers. A load balancer sends traffic only then; /health stays liveness.
 */
export function servingReadiness(deps: { readonly batch?: BatchReadiness; readonly viewStore: ViewStore; readonly timeoutMs?: number }): () => Promise<Readiness> {
  const timeoutMs = deps.timeoutMs ?? 2_000;
  return async () => {
    const checks: Record<string, string> = {};
    if (deps.batch) checks.batch = deps.batch.problem() ?? 'ok';
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        deps.viewStore.listNamespaces(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      checks.viewStore = 'ok';
    } catch (err) {
      checks.viewStore = `unavailable: ${err instanceof Error ? err.message.split('\n')[0].slice(0, 200) : String(err)}`;
    } finally {
      clearTimeout(timer);
    }
    return { ready: Object.values(checks).every((c) => c === 'ok'), checks };
  };
}
