import { describe, expect, it } from 'vitest';
import { ProbeLedger } from '../../bench/probe-ledger.ts';

describe('ProbeLedger', () => {
  it('marks the first n probes of a partition visible when its count reaches n', () => {
    const l = new ProbeLedger(2);
    l.sent(0, 1_000);
    l.sent(1, 1_050);
    l.sent(0, 1_100);
    l.sent(0, 1_150);
    expect(l.observe(0, 0, 1_200)).toBe(0);
    expect(l.observe(0, 2, 1_300)).toBe(2);
    expect(l.pending(0)).toBe(1);
    expect(l.pending(1)).toBe(1);
    expect(l.observe(1, 1, 1_400)).toBe(1);
    expect(l.observe(0, 3, 1_500)).toBe(1);
    expect(l.latencies()).toEqual([300, 350, 200, 350]);
    expect(l.seen).toBe(4);
  });

  it('keeps the first time a probe was seen and never goes back', () => {
    const l = new ProbeLedger(1);
    l.sent(0, 0);
    l.sent(0, 10);
    l.observe(0, 1, 100);
    expect(l.observe(0, 0, 200)).toBe(0);
    expect(l.observe(0, 1, 300)).toBe(0);
    l.observe(0, 2, 400);
    expect(l.latencies()).toEqual([100, 390]);
  });

  it('ignores a count above the probes sent and leaves unseen probes undefined', () => {
    const l = new ProbeLedger(2);
    l.sent(1, 0);
    expect(l.observe(1, 5, 50)).toBe(1);
    l.sent(0, 20);
    expect(l.latencies()).toEqual([50, undefined]);
    expect(l.pending(0)).toBe(1);
  });
});
