import { describe, expect, it } from 'vitest';
import { startOption } from '../../cli/start-position.ts';

describe('--from', () => {
  it('names the checkpoint, the ends of the log or a time', () => {
    expect(startOption({}, { kind: 'checkpoint' }, true)).toEqual({ kind: 'checkpoint' });
    expect(startOption({ from: 'checkpoint' }, { kind: 'earliest' }, true)).toEqual({ kind: 'checkpoint' });
    expect(startOption({ from: 'earliest' }, { kind: 'checkpoint' }, true)).toEqual({ kind: 'earliest' });
    expect(startOption({ from: 'latest' }, { kind: 'checkpoint' }, true)).toEqual({ kind: 'latest' });
    expect(startOption({ from: '2026-01-02T03:00:00Z' }, { kind: 'checkpoint' }, true)).toEqual({ kind: 'timestamp', timestamp: Date.UTC(2026, 0, 2, 3) });
    expect(startOption({ from: '1767322800000' }, { kind: 'checkpoint' }, true)).toEqual({ kind: 'timestamp', timestamp: 1767322800000 });
  });

  it('refuses what it does not know, and checkpoint where a new namespace is built', () => {
    expect(() => startOption({ from: 'savepoint:3' }, { kind: 'checkpoint' }, true)).toThrow(/must be earliest, latest, a time .* or checkpoint; got savepoint:3/);
    expect(() => startOption({ from: 'yesterday' }, { kind: 'checkpoint' }, true)).toThrow(/got yesterday/);
    expect(() => startOption({ from: '2026-01-02T03:00:00' }, { kind: 'checkpoint' }, true)).toThrow(/with a zone/);
    expect(() => startOption({ from: 'checkpoint' }, { kind: 'earliest' }, false)).toThrow(/builds a new one/);
  });
});
