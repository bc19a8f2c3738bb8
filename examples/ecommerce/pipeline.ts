import { definePipeline, field, type EventOf, type WorkloadGenerator } from 'lambdakappa/pipeline';
import { streamWorkload } from './workload/generator.ts';

/**
 * The e-commerce reference pipeline: shoppers' page views, carts and purchases, and three views
 * (per product tumbling, global sliding revenue, per user sessions). Loaded like any user's
 * pipeline (`--pipeline examples/ecommerce/pipeline.ts`, the default); its workload generator is
 * ./workload/ (shoppers, around the shared workload/ machinery), its hand-written SQL oracle
 * compare/truth-view-sql.ts.
 */
export const schema = {
  fields: {
    event_id: field.string({ minLength: 1 }),
    event_type: field.enum(['page_view', 'add_to_cart', 'purchase'], { invalidCode: 'unknown_event_type' }),
    user_id: field.string({ minLength: 1 }),
    product_id: field.string({ minLength: 1 }),
    // Currency: at most two decimals, so every layer sums exact integer cents.
    price: field.decimal(2, { min: 0, max: 1e10, presence: { requiredWhen: { field: 'event_type', in: ['add_to_cart', 'purchase'] } }, invalidCode: 'bad_price' }),
    quantity: field.integer({ min: 1, max: 1_000_000, presence: { requiredWhen: { field: 'event_type', in: ['add_to_cart', 'purchase'] } }, invalidCode: 'bad_quantity' }),
    event_time: field.timestamp(),
    session_id: field.string({ presence: 'optional' }),
  },
  id: 'event_id',
  time: 'event_time',
  logKey: 'user_id',
} as const;

/** One validated e-commerce event (price in cents, absent price and quantity null). */
export type EcommerceEvent = EventOf<typeof schema>;
export type EventType = EcommerceEvent['event_type'];
export const EVENT_TYPES: readonly EventType[] = schema.fields.event_type.values;

/** Sizes of the reference views; all configurable. */
export interface EcommerceViewOptions {
  readonly productWindowMs: number;
  readonly revenueWindowMs: number;
  readonly revenueSlideMs: number;
  readonly sessionGapMs: number;
}

export const DEFAULT_VIEW_OPTIONS: EcommerceViewOptions = {
  productWindowMs: 60_000,
  revenueWindowMs: 10 * 60_000,
  revenueSlideMs: 60_000,
  sessionGapMs: 30 * 60_000,
};

const money = (cents: number) => cents / 100;

/** The pipeline with views of the given sizes. */
export function ecommercePipeline(o: EcommerceViewOptions = DEFAULT_VIEW_OPTIONS) {
  return definePipeline({
    schema,
    // The seeded shoppers of ./workload/ (disorder, late events, duplicates, malformed records).
    workload: streamWorkload as WorkloadGenerator,
    views: [
      {
        name: 'product_activity',
        description: 'per product, tumbling windows: views, carts, purchases, revenue, conversion',
        key: 'product_id',
        window: { kind: 'tumbling', sizeMs: o.productWindowMs },
        measures: [
          { name: 'views', op: 'count', filter: "event_type = 'page_view'" },
          { name: 'carts', op: 'count', filter: "event_type = 'add_to_cart'" },
          { name: 'purchases', op: 'count', filter: "event_type = 'purchase'" },
          { name: 'revenue_cents', op: 'sum', input: 'price * quantity', filter: "event_type = 'purchase'" },
        ],
        // Prices and quantities are never negative; counts are checked without saying so.
        quality: { nonNegative: ['revenue_cents'] },
        // Every measure here is a count or a sum: a number (MeasureResults covers the other kinds).
        present: (m: Record<string, number>) => ({
          views: m.views,
          carts: m.carts,
          purchases: m.purchases,
          revenue: money(m.revenue_cents),
          // Purchases per view; null when the window had no views (undefined, not zero).
          conversion: m.views > 0 ? m.purchases / m.views : null,
        }),
      },
      {
        name: 'revenue',
        description: 'global, sliding windows: revenue and orders',
        filter: "event_type = 'purchase'",
        window: { kind: 'sliding', sizeMs: o.revenueWindowMs, slideMs: o.revenueSlideMs },
        measures: [
          { name: 'revenue_cents', op: 'sum', input: 'price * quantity' },
          { name: 'orders', op: 'count' },
        ],
        quality: { nonNegative: ['revenue_cents'] },
        present: (m: Record<string, number>) => ({ revenue: money(m.revenue_cents), orders: m.orders }),
      },
      {
        name: 'user_sessions',
        description: 'per user, session windows: events, start, end, purchases, revenue',
        key: 'user_id',
        window: { kind: 'session', gapMs: o.sessionGapMs },
        measures: [
          { name: 'events', op: 'count' },
          { name: 'purchases', op: 'count', filter: "event_type = 'purchase'" },
          { name: 'revenue_cents', op: 'sum', input: 'price * quantity', filter: "event_type = 'purchase'" },
          { name: 'first_event_time', op: 'min', input: 'event_time' },
          { name: 'last_event_time', op: 'max', input: 'event_time' },
        ],
        quality: { nonNegative: ['revenue_cents'] },
        present: (m: Record<string, number>, w) => ({
          events: m.events,
          start: new Date(w.start).toISOString(),
          end: new Date(w.end).toISOString(),
          last_event: new Date(m.last_event_time).toISOString(),
          purchases: m.purchases,
          revenue: money(m.revenue_cents),
        }),
      },
    ],
  });
}

export default ecommercePipeline();
