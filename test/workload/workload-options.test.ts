import { describe, expect, it } from 'vitest';

import { BadRequestError } from '../../shared/errors.ts';
import { countOption, DEFAULT_WORKLOAD, resolveWorkloadOptions } from '../../workload/workload-options.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

const config = ecommerceConfig();

describe('resolveWorkloadOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveWorkloadOptions({}, config)).toEqual(DEFAULT_WORKLOAD);
  });

  it('turns a rate and a span into a record count', () => {
    expect(resolveWorkloadOptions({ ratePerSecond: 250, spanMs: 60_000 }, config).events).toBe(15_000);
  });

  it.each([
    ['both a count and a rate', { events: 10, ratePerSecond: 5 }, 'events'],
    ['fractions adding up to more than 1', { malformedFraction: 0.6, duplicateFraction: 0.5 }, 'fractions'],
    ['a negative fraction', { tooLateFraction: -0.1 }, 'tooLateFraction'],
    ['no records', { events: 0 }, 'events'],
    ['out-of-order events beyond the allowed lateness', { outOfOrderMaxMs: 70_000 }, 'outOfOrderMaxMs'],
    ['duplicates later than the stream remembers ids', { duplicateMaxDelayMs: 20 * 60_000 }, 'duplicateMaxDelayMs'],
    ['a start before 2000', { startTime: Date.UTC(1999, 0, 1) }, 'startTime'],
  ])('rejects %s, naming the option', (_, options, parameter) => {
    let caught: unknown;
    try {
      resolveWorkloadOptions(options, config);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(BadRequestError);
    expect((caught as BadRequestError).parameter).toBe(parameter);
  });
});

describe('countOption', () => {
  it("reads a generator's own count knob, its default when absent, and rejects anything but a whole number from 1, naming it", () => {
    expect(countOption({}, 'cards', 2_000)).toBe(2_000);
    expect(countOption({ cards: 7 }, 'cards', 2_000)).toBe(7);
    for (const bad of [0, 2.5, -3, '12', Number.NaN]) {
      let caught: unknown;
      try {
        countOption({ cards: bad }, 'cards', 2_000);
      } catch (err) {
        caught = err;
      }
      expect(caught, String(bad)).toBeInstanceOf(BadRequestError);
      expect((caught as BadRequestError).parameter).toBe('cards');
    }
  });
});
