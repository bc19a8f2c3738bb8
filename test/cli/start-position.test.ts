import { describe, expect, it } from 'vitest';
import { logPositionOption, startOption } from '../../cli/start-position.ts';

describe('--from', () => {
  it('names the checkpoint, the ends of the log or a time', () => {
    expect(startOption({}, { kind: 'checkpoint' }, true)).toEqual({ kind: 'checkpoint' });
    expect(startOption({ from: 'checkpoint' }, { kind: 'earliest' }, true)).toEqual({ kind: 'checkpoint' });
    expect(startOption({ from: 'earliest' }, { kind: 'checkpoint' }, true)).toEqual({ kind: 'earliest' });
    expect(startOption({ from: 'latest' }, { kind: 'checkpoint' }, true)).toEqual({ kind: 'latest' });
    expect(startOption({ from: '2026-01-02T03:00:00Z' }, { kind: 'checkpoint' }, true)).toEqual({ kind: 'timestamp', timestamp: Date.UTC(2026, 0, 2, 3) });
    expect(startOption({ from: '1767322800000' }, { kind: 'checkpoint' }, true)).toEqual({ kind: 'timestamp', timestamp: 1767322800000 });
  });

  it('names a savepoint, for lk speed and lk replay alike', () => {
    expect(startOption({ from: 'savepoint:sp_20260101000000_ab12' }, { kind: 'checkpoint' }, true)).toEqual({ kind: 'savepoint', id: 'sp_20260101000000_ab12' });
    expect(startOption({ from: 'savepoint:sp_20260101000000_ab12' }, { kind: 'earliest' }, false)).toEqual({ kind: 'savepoint', id: 'sp_20260101000000_ab12' });
  });

  it('--new-views-from is a position in the log only', () => {
    expect(logPositionOption({}, 'new-views-from', { kind: 'earliest' })).toEqual({ kind: 'earliest' });
    expect(logPositionOption({ 'new-views-from': 'latest' }, 'new-views-from', { kind: 'earliest' })).toEqual({ kind: 'latest' });
    expect(logPositionOption({ 'new-views-from': '2026-01-02T03:00:00Z' }, 'new-views-from', { kind: 'earliest' })).toEqual({ kind: 'timestamp', timestamp: Date.UTC(2026, 0, 2, 3) });
    expect(() => logPositionOption({ 'new-views-from': 'checkpoint' }, 'new-views-from', { kind: 'earliest' })).toThrow(/--new-views-from.*must be earliest, latest or a time/);
  });

  it('refuses what it does not know, and checkpoint where a new namespace is built', () => {
    expect(() => startOption({ from: 'savepoint:3' }, { kind: 'checkpoint' }, true)).toThrow(/savepoint:<id> needs a savepoint's id .*got savepoint:3/);
    expect(() => startOption({ from: 'snapshot:3' }, { kind: 'checkpoint' }, true)).toThrow(/must be earliest, latest, a time .*, checkpoint or savepoint:<id>; got snapshot:3/);
    expect(() => startOption({ from: 'yesterday' }, { kind: 'checkpoint' }, true)).toThrow(/got yesterday/);
    expect(() => startOption({ from: '2026-01-02T03:00:00' }, { kind: 'checkpoint' }, true)).toThrow(/with a zone/);
    expect(() => startOption({ from: 'checkpoint' }, { kind: 'earliest' }, false)).toThrow(/builds a new one/);
  });
});
