import type { PipelineConfig } from '../../../shared/compute/pipeline.ts';
import { collectWorkload, type Workload } from '../../../workload/collect-workload.ts';
import { messyWorkload, type GeneratedRecord, type WorkloadFacts } from '../../../workload/messy-workload.ts';
import { Random } from '../../../workload/random.ts';
import { schemaMalformer, type SchemaMalformation } from '../../../workload/schema-malformer.ts';
import { WakeQueue } from '../../../workload/wake-queue.ts';
import { countOption, resolveWorkloadOptions, type WorkloadOptions } from '../../../workload/workload-options.ts';
import { calibrateCardTiming, Card, type PaymentDraft } from './card.ts';
import { Merchants } from './merchants.ts';

/** The payments generator's own knobs, beside the shared ones. */
export interface PaymentOptions {
  readonly cards: number;
  readonly merchants: number;
}

export const DEFAULT_PAYMENTS: PaymentOptions = { cards: 2_000, merchants: 400 };

/** Generates a whole payments workload into memory (tests). */
export function generatePayments(options: Partial<WorkloadOptions & PaymentOptions>, config: PipelineConfig): Workload<SchemaMalformation> {
  return collectWorkload(streamPayments(options, config));
}

/**
 * The seeded payments workload (messyWorkload around cards): each slot goes to the card that
 * most wants to pay next. Malformed records are the schema's (schemaMalformer): a missing or
 * mistyped field, a negative amount, a third decimal, an unknown currency or channel, and the
 * record-level breaks.
 */
export function streamPayments(options: Partial<WorkloadOptions & PaymentOptions>, config: PipelineConfig): Generator<GeneratedRecord<SchemaMalformation>, WorkloadFacts<SchemaMalformation>> {
  const o = resolveWorkloadOptions(options, config);
  const cards = countOption(options, 'cards', DEFAULT_PAYMENTS.cards);
  const rng = new Random(o.seed);
  const merchants = new Merchants(rng, countOption(options, 'merchants', DEFAULT_PAYMENTS.merchants));
  const timing = calibrateCardTiming(cards, o.events, o.spanMs);
  const queue = new WakeQueue<Card>();
  const width = String(cards - 1).length;
  for (let c = 0; c < cards; c++) queue.push(new Card(rng, `card-${String(c).padStart(width, '0')}`, merchants, o.startTime + Math.floor(rng.next() * timing.cycleMs)));

  return messyWorkload(o, config, rng, {
    next(r) {
      const card = queue.pop();
      const draft = card.pay(r, merchants);
      card.scheduleNext(r, timing);
      queue.push(card);
      return draft;
    },
    wire: wireFields,
    malformer: schemaMalformer(config.schema),
  });
}

/** The wire fields of a payment, in the order the acquirer writes them. */
function wireFields(d: PaymentDraft, eventTime: string | number): Record<string, unknown> {
  return {
    tx_id: d.tx_id,
    card_id: d.card_id,
    merchant_id: d.merchant.id,
    // Cents to a two-decimal number: c / 100 is the double nearest that decimal, and prints as it.
    amount: d.amount_cents / 100,
    currency: d.currency,
    country: d.merchant.country,
    channel: d.merchant.channel,
    event_time: eventTime,
  };
}
