import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { PlaybackClock } from '../../../shared/time/playback-clock.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';

const pipeline = compilePipeline(ecommerceConfig());

const line = (event_time: unknown, id = 'e') => JSON.stringify({ event_id: id, event_type: 'page_view', user_id: 'u', product_id: 'p', event_time });
const T = Date.UTC(2026, 0, 1, 10);

describe('PlaybackClock', () => {
  it('is the latest event time so far: an older event is appended at the clock, so it arrives late', () => {
    const c = new PlaybackClock(pipeline);
    expect(c.next(line(T))).toBe(T);
    expect(c.next(line(new Date(T + 1000).toISOString()))).toBe(T + 1000);
    expect(c.next(line(T - 600_000))).toBe(T + 1000);
    expect(c.next(line(T + 2000))).toBe(T + 2000);
  });

  it('keeps the clock for a line without a valid event time, and is undefined before the first', () => {
    const c = new PlaybackClock(pipeline);
    expect(c.next('not json')).toBeUndefined();
    c.next(line(T));
    expect(c.next('not json')).toBe(T);
    expect(c.next(line('yesterday'))).toBe(T);
  });

  it('is not moved by an event far ahead of it (a wrong client clock)', () => {
    const c = new PlaybackClock(pipeline, 3_600_000);
    c.next(line(T));
    expect(c.next(line(T + 2 * 86_400_000))).toBe(T);
    expect(c.next(line(T + 3_600_000))).toBe(T + 3_600_000);
  });
});
