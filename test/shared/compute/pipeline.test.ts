import { describe, expect, it } from 'vitest';
import { compilePipeline, DEFAULT_LATENESS, UnknownViewError } from '../../../shared/compute/pipeline.ts';
import type { ViewDef } from '../../../shared/compute/view-def.ts';
import { ConfigError, NotFoundError } from '../../../shared/errors.ts';
import { type EcommerceEvent as Event } from '../../../examples/ecommerce/pipeline.ts';
import { HOUR_MS } from '../../../shared/time/bucket.ts';
import { ecommerceConfig, ecommerceViews } from '../../support/ecommerce.ts';

const T = Date.UTC(2026, 0, 1, 10);
const event: Event = { event_id: 'e', event_type: 'page_view', user_id: 'u7', product_id: 'p3', price: 0, quantity: 0, event_time: T, session_id: null };
const [products, revenue, sessions] = ecommerceViews();

describe('defaultPipelineConfig', () => {
  it('has the three reference views, hourly buckets and the default lateness', () => {
    const c = ecommerceConfig();
    expect(c.views.map((v) => v.name)).toEqual(['product_activity', 'revenue', 'user_sessions']);
    expect(c.bucketMs).toBe(HOUR_MS);
    expect(c.lateness).toEqual(DEFAULT_LATENESS);
  });

  it('takes overrides', () => {
    expect(ecommerceConfig({ bucketMs: 15 * 60_000 }).bucketMs).toBe(15 * 60_000);
  });
});

describe('compilePipeline', () => {
  const pipeline = compilePipeline(ecommerceConfig());

  it('keys views by their key field, or by "*" for a global view', () => {
    expect(pipeline.view('product_activity').keyOf(event)).toBe('p3');
    expect(pipeline.view('user_sessions').keyOf(event)).toBe('u7');
    expect(pipeline.view('revenue').keyOf(event)).toBe('*');
  });

  it('lets only the listed event types into a view', () => {
    expect(pipeline.view('revenue').accepts(event)).toBe(false);
    expect(pipeline.view('revenue').accepts({ ...event, event_type: 'purchase' })).toBe(true);
    expect(pipeline.view('product_activity').accepts(event)).toBe(true);
  });

  it('numbers views in definition order', () => {
    expect(pipeline.views.map((v) => v.index)).toEqual([0, 1, 2]);
  });

  it('throws a 404-class error naming the known views for an unknown view', () => {
    expect(() => pipeline.view('nope')).toThrow(UnknownViewError);
    expect(() => pipeline.view('nope')).toThrow(NotFoundError);
    expect(() => pipeline.view('nope')).toThrow('unknown view "nope"; known views: product_activity, revenue, user_sessions');
  });

  const bad: [string, Parameters<typeof ecommerceConfig>[0], RegExp][] = [
    ['negative lateness', { lateness: { maxOutOfOrdernessMs: -1, allowedLatenessMs: 0, maxAheadOfAppendMs: 0 } }, /lateness/],
    ['a negative append-time tolerance', { lateness: { maxOutOfOrdernessMs: 5_000, allowedLatenessMs: 60_000, maxAheadOfAppendMs: -1 } }, /maxAheadOfAppendMs/],
    ['an append-time tolerance beyond the lateness bounds', { lateness: { maxOutOfOrdernessMs: 5_000, allowedLatenessMs: 60_000, maxAheadOfAppendMs: 65_001 } }, /maxAheadOfAppendMs/],
    ['a bucket that does not divide a day', { bucketMs: 7 * HOUR_MS }, /bucketMs .* must divide a day/],
    ['a fractional bucket', { bucketMs: 1.5 }, /bucketMs/],
    ['a dedup retention shorter than the lateness bounds', { dedupRetentionMs: 60_000 }, /dedupRetentionMs must be at least/],
    ['a view name that is not snake_case', { views: [{ ...products, name: 'Product-Activity' }] }, /snake_case/],
    ['a view defined twice', { views: [products, products] }, /defined twice/],
    ['a slide that does not divide the window', { views: [{ ...revenue, window: { kind: 'sliding', sizeMs: 600_000, slideMs: 70_000 } } as ViewDef] }, /revenue: window size/],
    ['a zero session gap', { views: [{ ...sessions, window: { kind: 'session', gapMs: 0 } } as ViewDef] }, /user_sessions: session gap/],
    ['a key field the schema lacks', { views: [{ ...products, key: 'sku' }] }, /view product_activity, key: no field sku in the schema/],
    ['an optional key field', { views: [{ ...products, key: ['product_id', 'session_id'] }] }, /view product_activity, key: session_id must be a required field/],
    ['a filter over a field the schema lacks', { views: [{ ...revenue, filter: "kind = 'purchase'" }] }, /view revenue, filter: no field kind in the schema/],
    ['a filter that is not a condition', { views: [{ ...revenue, filter: 'price * quantity' }] }, /view revenue, filter: must be a condition/],
    ['a measure input over text', { views: [{ ...revenue, measures: [{ name: 'x', op: 'sum', input: 'user_id' }] }] }, /view revenue, measure x: the input must be numeric/],
    ['a measure filter with an unknown event type', { views: [{ ...revenue, measures: [{ name: 'x', op: 'count', filter: "event_type = 'refund'" }] }] }, /view revenue, measure x, filter: event_type has no value 'refund'/],
    ['a sum without an input', { views: [{ ...revenue, measures: [{ name: 'x', op: 'sum' }] }] }, /view revenue, measure x: sum needs an input/],
    ['a top_k without k', { views: [{ ...revenue, measures: [{ name: 'top_users', op: 'top_k', input: 'user_id' }] }] }, /view revenue, measure top_users: top_k needs k/],
    ['a top_k with k 0', { views: [{ ...revenue, measures: [{ name: 'top_users', op: 'top_k', input: 'user_id', k: 0 }] }] }, /view revenue, measure top_users: top_k's k must be a whole number from 1 to 1000, got 0/],
    ['a k on another op', { views: [{ ...revenue, measures: [{ name: 'users', op: 'count_distinct', input: 'user_id', k: 3 }] }] }, /view revenue, measure users: k is for top_k only/],
    ['an avg over a string field', { views: [{ ...revenue, measures: [{ name: 'avg_user', op: 'avg', input: 'user_id' }] }] }, /view revenue, measure avg_user: the input must be numeric for avg, user_id is a string/],
    ['a first over a string field', { views: [{ ...revenue, measures: [{ name: 'first_user', op: 'first', input: 'user_id' }] }] }, /view revenue, measure first_user: the input must be numeric for first/],
    ['a count_distinct without an input', { views: [{ ...revenue, measures: [{ name: 'users', op: 'count_distinct' }] }] }, /view revenue, measure users: count_distinct needs an input \(a field or expression\)/],
    ['an HLL precision out of range', { views: [{ ...revenue, measures: [{ name: 'users', op: 'count_distinct_hll', input: 'user_id', precision: 20 }] }] }, /view revenue, measure users: count_distinct_hll's precision must be a whole number from 4 to 16/],
    ['a precision on another op', { views: [{ ...revenue, measures: [{ name: 'users', op: 'count_distinct', input: 'user_id', precision: 10 }] }] }, /view revenue, measure users: precision is for count_distinct_hll only/],
    ['a count_distinct over an unknown field', { views: [{ ...revenue, measures: [{ name: 'users', op: 'count_distinct', input: 'usr' }] }] }, /view revenue, measure users, input: .*usr/],
    ['an unknown op', { views: [{ ...revenue, measures: [{ name: 'x', op: 'median' as 'sum', input: 'price' }] }] }, /view revenue, measure x: op must be one of count, sum, min, max, avg, first, last, count_distinct, count_distinct_hll, top_k, got median/],
  ];

  it.each(bad)('rejects %s with a ConfigError saying what to change', (_name, overrides, message) => {
    expect(() => compilePipeline(ecommerceConfig(overrides))).toThrow(ConfigError);
    expect(() => compilePipeline(ecommerceConfig(overrides))).toThrow(message);
  });
});

describe('reference view presentation', () => {
  it('presents product activity in currency with conversion, null without views', () => {
    expect(products.present!({ views: 4, carts: 1, purchases: 1, revenue_cents: 1_999 }, { start: T, end: T + 60_000 })).toEqual({ views: 4, carts: 1, purchases: 1, revenue: 19.99, conversion: 0.25 });
    expect(products.present!({ views: 0, carts: 0, purchases: 2, revenue_cents: 10 }, { start: T, end: T + 60_000 }).conversion).toBeNull();
  });

  it('presents sessions with ISO times', () => {
    const m = { events: 2, purchases: 0, revenue_cents: 0, first_event_time: T, last_event_time: T + 5_000 };
    expect(sessions.present!(m, { start: T, end: T + 5_000 + 1_800_000 })).toEqual({
      events: 2,
      start: '2026-01-01T10:00:00.000Z',
      end: '2026-01-01T10:30:05.000Z',
      last_event: '2026-01-01T10:00:05.000Z',
      purchases: 0,
      revenue: 0,
    });
  });
});
