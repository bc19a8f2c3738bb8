/**
 * Below this, a negative timeout is an epoch timestamp gone negative, not a small scheduling
 * error: kafkajs' request queue computes `throttledUntil - Date.now()` with `throttledUntil = -1`
 * before any broker throttle (tulios/kafkajs#1751; the fix is unreleased, kafkajs being in
 * maintenance mode).
 */
const EPOCH_SCALE_MS = -1e11;

let installed = false;

/**
 * Drops Node 24's TimeoutNegativeWarning for kafkajs' negative epoch-scale timeouts. Node clamps
 * such a timeout to 1 ms, as every earlier Node did silently, which is the delay kafkajs wants; the
 * warning only confuses whoever runs `lk speed`. Every other warning, and any other negative
 * timeout, still goes through. Idempotent.
 */
export function silenceKafkajsNegativeTimeouts(): void {
  if (installed) return;
  installed = true;
  const emit = process.emitWarning;
  process.emitWarning = function (warning: string | Error, ...rest: unknown[]): void {
    const options = rest[0];
    const type = typeof options === 'string' ? options : (options as { type?: string } | undefined)?.type;
    if (type === 'TimeoutNegativeWarning' && Number.parseFloat(String(warning)) < EPOCH_SCALE_MS) return;
    (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
}
