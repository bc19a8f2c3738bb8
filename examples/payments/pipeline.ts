import { definePipeline, field, type EventOf, type WorkloadGenerator } from 'lambdakappa/pipeline';
import { streamPayments } from './workload/generator.ts';

/**
 * Card payments: one record per authorised transaction, amounts in the card's billing currency.
 * Views: per card, a sliding minute (how fast is the card spending now: velocity rules) and an
 * hour (with its distinct merchants); per merchant, an hour; the hour's top merchants. Its seeded workload is ./workload/ (cards with favourite merchants
 * and bursts, around the shared disorder, duplicates and malformed records).
 * Run it: `npm start -- --pipeline examples/payments/pipeline.ts`.
 */
export const schema = {
  fields: {
    tx_id: field.string({ minLength: 1 }),
    card_id: field.string({ minLength: 1 }),
    merchant_id: field.string({ minLength: 1 }),
    // Stored as cents: every layer sums exactly.
    amount: field.decimal(2, { min: 0.01, max: 100_000 }),
    currency: field.enum(['EUR', 'USD', 'GBP', 'CHF', 'SEK']),
    // The merchant's country (ISO 3166 alpha-2); a card abroad pays in other countries.
    country: field.string({ minLength: 2, maxLength: 2 }),
    channel: field.enum(['pos', 'web', 'app']),
    event_time: field.timestamp(),
  },
  id: 'tx_id',
  time: 'event_time',
  // A card's transactions stay in order in one partition.
  logKey: 'card_id',
} as const;

/** One validated payment (amount in cents). */
export type Payment = EventOf<typeof schema>;

const money = (cents: number) => cents / 100;
/** A max over no events is -Infinity: the window has none to show. */
const largest = (cents: number) => (Number.isFinite(cents) ? money(cents) : null);

export default definePipeline({
  schema,
  workload: streamPayments as WorkloadGenerator,
  views: [
    {
      name: 'card_minute',
      description: 'per card, a sliding minute (30 s slide): transactions, amount, largest',
      key: 'card_id',
      // Each payment is in size / slide windows: a 30 s slide keeps two per payment (a 10 s one six,
      // which triples what every layer stores and the comparison reads).
      window: { kind: 'sliding', sizeMs: 60_000, slideMs: 30_000 },
      measures: [
        { name: 'transactions', op: 'count' },
        { name: 'amount_cents', op: 'sum', input: 'amount' },
        { name: 'largest_cents', op: 'max', input: 'amount' },
      ],
      // Counts, sums and a max: numbers (MeasureResults covers the other kinds too).
      present: (m: Record<string, number>) => ({ transactions: m.transactions, amount: money(m.amount_cents), largest: largest(m.largest_cents) }),
    },
    {
      name: 'card_hour',
      description: 'per card, hourly: transactions, amount, online ones, distinct merchants',
      key: 'card_id',
      window: { kind: 'tumbling', sizeMs: 3_600_000 },
      measures: [
        { name: 'transactions', op: 'count' },
        { name: 'amount_cents', op: 'sum', input: 'amount' },
        { name: 'online', op: 'count', filter: "channel in ('web', 'app')" },
        // Exact: a card pays at a handful of merchants an hour (count_distinct_hll for large sets).
        { name: 'merchants', op: 'count_distinct', input: 'merchant_id' },
      ],
      present: (m: Record<string, number>) => ({ transactions: m.transactions, amount: money(m.amount_cents), online: m.online, merchants: m.merchants }),
    },
    {
      name: 'merchant_hour',
      description: 'per merchant, hourly: transactions and amount',
      key: 'merchant_id',
      window: { kind: 'tumbling', sizeMs: 3_600_000 },
      measures: [
        { name: 'transactions', op: 'count' },
        { name: 'amount_cents', op: 'sum', input: 'amount' },
      ],
      present: (m: Record<string, number>) => ({ transactions: m.transactions, amount: money(m.amount_cents) }),
    },
    {
      name: 'top_merchants',
      description: 'global, hourly: the five merchants with the most payments, and all payments',
      window: { kind: 'tumbling', sizeMs: 3_600_000 },
      measures: [
        { name: 'top', op: 'top_k', input: 'merchant_id', k: 5 },
        { name: 'transactions', op: 'count' },
      ],
      present: (m) => ({ top_merchants: m.top, transactions: m.transactions }),
    },
  ],
  alerts: [
    // Card velocity: a burst of payments of one card within a minute, the classic first fraud rule.
    { name: 'card_velocity', view: 'card_minute', when: 'transactions > 5', description: 'more than 5 payments of one card in a sliding minute' },
  ],
});
