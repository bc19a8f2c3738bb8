import { describe, expect, it } from 'vitest';
import { Random } from '../../workload/random.ts';
import { WakeQueue } from '../../workload/wake-queue.ts';

describe('WakeQueue', () => {
  it('pops by wake time, ties in insertion order, while being refilled', () => {
    const rng = new Random(1);
    type Actor = { id: string; nextWake: number };
    const q = new WakeQueue<Actor>();
    // The reference: a plain list scanned for the minimum (wake, insertion order).
    const reference: Array<{ actor: Actor; wake: number; order: number }> = [];
    let order = 0;
    const push = (a: Actor) => {
      q.push(a);
      reference.push({ actor: a, wake: a.nextWake, order: order++ });
    };
    // Few distinct wake times, so there are many ties.
    for (let i = 0; i < 300; i++) push({ id: `u${i}`, nextWake: rng.int(0, 40) });
    const got: string[] = [];
    const want: string[] = [];
    while (q.size > 0) {
      const a = q.pop();
      got.push(`${a.id}@${a.nextWake}`);
      let best = 0;
      for (let i = 1; i < reference.length; i++) {
        const x = reference[i];
        const b = reference[best];
        if (x.wake < b.wake || (x.wake === b.wake && x.order < b.order)) best = i;
      }
      const [r] = reference.splice(best, 1);
      want.push(`${r.actor.id}@${r.wake}`);
      if (got.length <= 400) {
        a.nextWake += rng.int(0, 30);
        push(a);
      }
    }
    expect(got).toHaveLength(700);
    expect(got).toEqual(want);
  });
});
