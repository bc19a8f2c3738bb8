/**
 * Polls `condition` until it returns a truthy value and returns that value; throws (with `message`,
 * a function read at the timeout when it should show state then, and the last value seen) after `timeoutMs`. Tests wait for effects this way instead of sleeping,
 * so they are as fast as the system allows and tolerate slow machines.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; message?: string | (() => string) } = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await condition();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) {
      throw new Error(`waitFor timed out after ${timeoutMs} ms: ${(typeof options.message === 'function' ? options.message() : options.message) ?? 'condition never held'} (last value: ${String(last)})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
