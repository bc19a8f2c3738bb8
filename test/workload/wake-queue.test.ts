import { describe, expect, it } from 'vitest';
import { Random } from '../../workload/random.ts';
import { Shopper } from '../../workload/shopper.ts';
import { WakeQueue } from '../../workload/wake-queue.ts';

describe('WakeQueue', () => {
  it('pops shoppers by wake time, ties in insertion order, while being refilled', () => {
    const rng = new Random(1);
    const q = new WakeQueue();
    // The reference: a plain list scanned for the minimum (wake, insertion order).
    const reference: Array<{ shopper: Shopper; wake: number; order: number }> = [];
    let order = 0;
    const push = (s: Shopper) => {
      q.push(s);
      reference.push({ shopper: s, wake: s.nextWake, order: order++ });
    };
    // Few distinct wake times, so there are many ties.
    for (let i = 0; i < 300; i++) push(new Shopper(`u${i}`, rng.int(0, 40)));
    const got: string[] = [];
    const want: string[] = [];
    while (q.size > 0) {
      const s = q.pop();
      got.push(`${s.id}@${s.nextWake}`);
      let best = 0;
      for (let i = 1; i < reference.length; i++) {
        const a = reference[i];
        const b = reference[best];
        if (a.wake < b.wake || (a.wake === b.wake && a.order < b.order)) best = i;
      }
      const [r] = reference.splice(best, 1);
      want.push(`${r.shopper.id}@${r.wake}`);
      if (got.length <= 400) {
        s.nextWake += rng.int(0, 30);
        push(s);
      }
    }
    expect(got).toHaveLength(700);
    expect(got).toEqual(want);
  });
});
