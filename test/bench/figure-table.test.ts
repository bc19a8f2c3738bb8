import { describe, expect, it } from 'vitest';
import { figureTable, formatValue } from '../../bench/figure-table.ts';
import { meetsTarget, type Figure } from '../../bench/figure.ts';

describe('meetsTarget', () => {
  it('holds a figure to at-least and at-most targets, inclusive', () => {
    expect(meetsTarget({ name: 'a', value: 100_000, target: { op: '>=', value: 100_000 } })).toBe(true);
    expect(meetsTarget({ name: 'a', value: 99_999, target: { op: '>=', value: 100_000 } })).toBe(false);
    expect(meetsTarget({ name: 'p99', value: 1_000, target: { op: '<=', value: 1_000 } })).toBe(true);
    expect(meetsTarget({ name: 'p99', value: 1_001, target: { op: '<=', value: 1_000 } })).toBe(false);
  });

  it('has no verdict without a target or without a number', () => {
    expect(meetsTarget({ name: 'a', value: 5 })).toBeUndefined();
    expect(meetsTarget({ name: 'p99', value: 'none visible', target: { op: '<=', value: 1_000 } })).toBeUndefined();
  });
});

describe('figureTable', () => {
  it('prints one aligned Markdown row per figure with its target and verdict', () => {
    const figures: Figure[] = [
      { name: 'speed layer', value: 43_210, unit: 'events/s', target: { op: '>=', value: 100_000 }, note: '1M events' },
      { name: 'freshness p99', value: 640, unit: 'ms', target: { op: '<=', value: 1_000 } },
      { name: 'PostgreSQL', value: 'local process' },
    ];
    const lines = figureTable(figures).split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^\| benchmark +\| figure +\| target +\| met +\| note +\|$/);
    expect(lines[1]).toMatch(/^\| -+ \| -+ \| -+ \| -+ \| -+ \|$/);
    expect(lines[2]).toContain('| 43,210 events/s');
    expect(lines[2]).toContain('| ≥ 100,000 events/s');
    expect(lines[2]).toContain('| **not met**');
    expect(lines[3]).toContain('| ≤ 1,000 ms');
    expect(lines[3]).toMatch(/\| met +\|/);
    expect(lines[4]).toContain('| local process');
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });
});

describe('formatValue', () => {
  it('groups thousands of whole numbers and keeps three significant digits of small fractions', () => {
    expect(formatValue(1_234_567)).toBe('1,234,567');
    expect(formatValue(1.23456)).toBe('1.23');
    expect(formatValue(12.5)).toBe('12.5');
    expect(formatValue(1234.6)).toBe('1,235');
    expect(formatValue('given')).toBe('given');
  });
});
