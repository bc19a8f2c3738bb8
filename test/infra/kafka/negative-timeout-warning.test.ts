import { afterEach, describe, expect, it } from 'vitest';
import { silenceKafkajsNegativeTimeouts } from '../../../infra/kafka/negative-timeout-warning.ts';

describe('silenceKafkajsNegativeTimeouts', () => {
  const seen: string[] = [];
  const listener = (w: Error) => seen.push(`${w.name}: ${w.message.split('\n')[0]}`);
  afterEach(() => {
    process.off('warning', listener);
    seen.length = 0;
  });

  it('drops only the epoch-scale negative timeouts kafkajs schedules; other warnings and negative timeouts still come', async () => {
    silenceKafkajsNegativeTimeouts();
    silenceKafkajsNegativeTimeouts();
    process.on('warning', listener);
    // Node emits TimeoutNegativeWarning once per process, so the timer's own warnings are not
    // reliable here; these are the messages its timers emit.
    const timerWarning = (ms: number) => process.emitWarning(`${ms} is a negative number.\nTimeout duration was set to 1.`, 'TimeoutNegativeWarning');
    timerWarning(-1 - Date.now());
    timerWarning(-5);
    process.emitWarning('-1795251848568 is not about timers', { type: 'OtherWarning' });
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['TimeoutNegativeWarning: -5 is a negative number.', 'OtherWarning: -1795251848568 is not about timers']);
    // The timeout itself still runs (after 1 ms), as kafkajs needs.
    await new Promise<void>((r) => setTimeout(r, -1 - Date.now()));
  });
});
