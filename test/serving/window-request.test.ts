import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../shared/errors.ts';
import { DEFAULT_RANGE_MS, parseWindowRequest } from '../../serving/window-request.ts';

const NOW = Date.UTC(2026, 0, 1, 12, 30);

/** The parameter a bad query is blamed on. */
function blamed(query: Record<string, unknown>): string {
  try {
    parseWindowRequest('revenue', query, NOW);
  } catch (err) {
    if (err instanceof BadRequestError) return err.parameter;
    throw err;
  }
  return 'accepted';
}

describe('parseWindowRequest', () => {
  it('defaults to Lambda over the last hour up to now, all keys', () => {
    expect(parseWindowRequest('revenue', {}, NOW)).toEqual({ view: 'revenue', key: undefined, from: NOW - DEFAULT_RANGE_MS, to: NOW, mode: 'lambda', limit: undefined });
  });

  it('reads ISO-8601 times with a zone, epoch milliseconds and now', () => {
    const q = parseWindowRequest('revenue', { from: '2026-01-01T10:00:00+01:00', to: String(Date.UTC(2026, 0, 1, 11)), mode: 'kappa', key: 'p1', limit: '20' }, NOW);
    expect(q).toEqual({ view: 'revenue', key: 'p1', from: Date.UTC(2026, 0, 1, 9), to: Date.UTC(2026, 0, 1, 11), mode: 'kappa', limit: 20 });
    expect(parseWindowRequest('revenue', { from: '2026-01-01T12:00Z', to: 'now' }, NOW)).toMatchObject({ from: Date.UTC(2026, 0, 1, 12), to: NOW });
  });

  it('blames the parameter of every malformed value', () => {
    expect(blamed({ from: '2026-01-01T10:00:00' })).toBe('from'); // no zone: refused, not guessed
    expect(blamed({ to: 'yesterday' })).toBe('to');
    expect(blamed({ to: '-5' })).toBe('to');
    expect(blamed({ from: '2026-13-01T10:00:00Z' })).toBe('from');
    expect(blamed({ from: '2026-02-30T10:00:00Z' })).toBe('from'); // Date.parse alone would say 2 March
    expect(blamed({ to: '2026-01-01T24:00:00Z' })).toBe('to');
    expect(blamed({ to: '2028-02-29T23:59:59.999-08:00' })).toBe('accepted');
    expect(blamed({ mode: 'hybrid' })).toBe('mode');
    expect(blamed({ limit: '0' })).toBe('limit');
    expect(blamed({ limit: '2.5' })).toBe('limit');
    expect(blamed({ key: '' })).toBe('key');
    expect(blamed({ key: 'k'.repeat(257) })).toBe('key');
    expect(blamed({ form: '2026-01-01T10:00:00Z' })).toBe('form');
    expect(blamed({ mode: ['lambda', 'kappa'] })).toBe('mode');
    expect(blamed({ mode: 'speed', key: 'u1' })).toBe('accepted');
  });
});
