/**
 * Awaits `work` while sending group heartbeats every `intervalMs`, so a batch that takes longer
 * than the session timeout does not get this member thrown out of its group. The first heartbeat
 * failure (typically "the group is rebalancing") is returned, not thrown: the batch must finish
 * and commit first; the caller raises it afterwards so the consumer rejoins.
 */
export async function heartbeatWhile<T>(
  work: Promise<T>,
  heartbeat: () => Promise<void>,
  intervalMs: number,
): Promise<{ readonly value: T; readonly heartbeatError: unknown }> {
  let heartbeatError: unknown;
  let beating = false;
  const timer = setInterval(() => {
    if (beating || heartbeatError !== undefined) return;
    beating = true;
    heartbeat()
      .catch((err: unknown) => {
        heartbeatError ??= err;
      })
      .finally(() => {
        beating = false;
      });
  }, intervalMs);
  try {
    const value = await work;
    return { value, heartbeatError };
  } finally {
    clearInterval(timer);
  }
}
