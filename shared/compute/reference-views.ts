import type { ViewDef } from './view-def.ts';

/** Sizes of the reference views; all configurable. */
export interface ReferenceViewOptions {
  readonly productWindowMs: number;
  readonly revenueWindowMs: number;
  readonly revenueSlideMs: number;
  readonly sessionGapMs: number;
}

export const DEFAULT_VIEW_OPTIONS: ReferenceViewOptions = {
  productWindowMs: 60_000,
  revenueWindowMs: 10 * 60_000,
  revenueSlideMs: 60_000,
  sessionGapMs: 30 * 60_000,
};

const money = (cents: number) => cents / 100;

/** The three reference views of the platform's demo pipeline. */
export function referenceViews(o: ReferenceViewOptions = DEFAULT_VIEW_OPTIONS): ViewDef[] {
  return [
    {
      name: 'product_activity',
      description: 'per product, tumbling windows: views, carts, purchases, revenue, conversion',
      keyField: 'product_id',
      window: { kind: 'tumbling', sizeMs: o.productWindowMs },
      measures: [
        { name: 'views', op: 'count', when: 'page_view' },
        { name: 'carts', op: 'count', when: 'add_to_cart' },
        { name: 'purchases', op: 'count', when: 'purchase' },
        { name: 'revenue_cents', op: 'sum', input: 'amount_cents', when: 'purchase' },
      ],
      present: (m) => ({
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
      keyField: null,
      eventTypes: ['purchase'],
      window: { kind: 'sliding', sizeMs: o.revenueWindowMs, slideMs: o.revenueSlideMs },
      measures: [
        { name: 'revenue_cents', op: 'sum', input: 'amount_cents' },
        { name: 'orders', op: 'count' },
      ],
      present: (m) => ({ revenue: money(m.revenue_cents), orders: m.orders }),
    },
    {
      name: 'user_sessions',
      description: 'per user, session windows: events, start, end, purchases, revenue',
      keyField: 'user_id',
      window: { kind: 'session', gapMs: o.sessionGapMs },
      measures: [
        { name: 'events', op: 'count' },
        { name: 'purchases', op: 'count', when: 'purchase' },
        { name: 'revenue_cents', op: 'sum', input: 'amount_cents', when: 'purchase' },
        { name: 'first_event_time', op: 'min', input: 'event_time' },
        { name: 'last_event_time', op: 'max', input: 'event_time' },
      ],
      present: (m, w) => ({
        events: m.events,
        start: new Date(w.start).toISOString(),
        end: new Date(w.end).toISOString(),
        last_event: new Date(m.last_event_time).toISOString(),
        purchases: m.purchases,
        revenue: money(m.revenue_cents),
      }),
    },
  ];
}
