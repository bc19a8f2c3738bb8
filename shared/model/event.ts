/**
 * The event model: one validated, normalised event.
 *
 * Wire format (JSON, snake_case) is documented in README.md; `validation.ts` turns a raw record
 * into this shape. Money is carried as integer cents so that every layer (JS folds, DuckDB SQL,
 * PostgreSQL) sums it exactly and batch, speed and the ground truth agree to the cent.
 */
export const EVENT_TYPES = ['page_view', 'add_to_cart', 'purchase'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface Event {
  /** Duplicates (redeliveries) share it. */
  readonly event_id: string;
  readonly event_type: EventType;
  readonly user_id: string;
  readonly product_id: string;
  /** Price in integer cents; 0 when the event carries no price (page_view). */
  readonly price_cents: number;
  /** Integer >= 1 for add_to_cart and purchase; 0 when absent. */
  readonly quantity: number;
  /** Event time, epoch milliseconds UTC. */
  readonly event_time: number;
  readonly session_id: string | null;
}

/** Events of these types must carry price and quantity. */
export const PRICED_TYPES: ReadonlySet<EventType> = new Set(['add_to_cart', 'purchase']);
