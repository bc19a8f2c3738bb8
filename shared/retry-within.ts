/** How `retryWithin` retries. */
export interface RetryPolicy {
  /** How long failures are retried, from the first attempt (ms); 0 gives up at the first failure. */
  readonly budgetMs: number;
  /** Whether trying again can help (e.g. the service is down for now); other errors are thrown at once. */
  readonly retriable: (err: unknown) => boolean;
  /** Called before each wait, with the error and the wait (ms). */
  readonly onRetry?: (err: unknown, waitMs: number) => void;
  /** The error to throw when the budget is spent (default: the last error). */
  readonly giveUp?: (err: unknown, tried: RetryTally) => unknown;
  /** Ends the waiting early: the last error is given up on. */
  readonly signal?: AbortSignal;
  /** First wait (default 100 ms), doubled after each failure up to maxDelayMs (default 5 s). */
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
}

/** What a retry loop tried before it gave up. */
export interface RetryTally {
  readonly attempts: number;
  readonly elapsedMs: number;
}

/** Default first wait and longest wait of the platform's retries: exponential backoff from 100 ms to 5 s. */
export const FIRST_RETRY_DELAY_MS = 100;
export const MAX_RETRY_DELAY_MS = 5_000;

/**
 * Runs `attempt` (given its number, from 1) until it succeeds, retrying retriable failures with
 * exponential backoff for as long as the policy's budget lasts: the one retry loop of the
 * platform (the speed layer's view-store commits, lk ingest's appends).
 */
export async function retryWithin<T>(attempt: (n: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  if (!Number.isFinite(policy.budgetMs) || policy.budgetMs < 0) throw new RangeError(`retry budget ${policy.budgetMs} must be a number of milliseconds >= 0`);
  const started = performance.now();
  let delayMs = policy.firstDelayMs ?? FIRST_RETRY_DELAY_MS;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!policy.retriable(err)) throw err;
      const elapsedMs = performance.now() - started;
      const left = policy.budgetMs - elapsedMs;
      if (left <= 0 || policy.signal?.aborted) throw policy.giveUp ? policy.giveUp(err, { attempts: n, elapsedMs }) : err;
      const waitMs = Math.min(delayMs, left);
      policy.onRetry?.(err, waitMs);
      await sleep(waitMs, policy.signal);
      delayMs = Math.min(delayMs * 2, policy.maxDelayMs ?? MAX_RETRY_DELAY_MS);
    }
  }
}

/** Waits `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
