import { describe, expect, it } from 'vitest';
import { isWindowFinal } from '../../serving/window-finality.ts';

const H = 10_000;

describe('isWindowFinal', () => {
  it('is final by the horizon in Lambda and batch modes, by the stream\'s bound otherwise', () => {
    // [mode, window end, horizon, stream lateBefore] -> final
    const cases: Array<[Parameters<typeof isWindowFinal>, boolean]> = [
      [['lambda', H, H, 0], true],
      [['lambda', H + 1, H, 0], false],
      [['lambda', H + 1, H, H + 1], true],
      [['lambda', H, null, 0], false],
      [['batch', H, H, 0], true],
      [['batch', H + 1, H, Infinity], false],
      [['batch', 1, null, Infinity], false],
      [['speed', H, H, H - 1], false],
      [['speed', H, null, H], true],
      [['kappa', H, H, -Infinity], false],
      [['kappa', H, H, H], true],
    ];
    for (const [args, final] of cases) expect(isWindowFinal(...args), args.join(' ')).toBe(final);
  });
});
