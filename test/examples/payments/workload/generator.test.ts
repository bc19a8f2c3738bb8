import { describe, expect, it } from 'vitest';
import payments, { type Payment } from '../../../../examples/payments/pipeline.ts';
import { generatePayments } from '../../../../examples/payments/workload/generator.ts';
import { pipelineConfigOf } from '../../../../shared/compute/define-pipeline.ts';
import { compileValidator } from '../../../../shared/model/validation.ts';
import { messyWorkloadLaws } from '../../../support/messy-workload-laws.ts';

const config = pipelineConfigOf(payments);
const validator = compileValidator(config.schema, config.limits);

messyWorkloadLaws('payments', config, (o) => generatePayments({ cards: 300, merchants: 80, ...o }, config));

describe('the payments workload', () => {
  it('looks like card payments: favourite merchants, bursts within a minute, cents, one currency per card', () => {
    const w = generatePayments({ seed: 3, events: 20_000, spanMs: 2 * 3_600_000, cards: 400, merchants: 120 }, config);
    const byCard = new Map<string, Payment[]>();
    for (const r of w.records) {
      const v = validator.validateRecord(r.value, r.timestamp);
      if (!v.ok || r.kind !== 'on_time') continue;
      const p = v.event as Payment;
      expect(Number.isInteger(p.amount)).toBe(true);
      expect(p.amount).toBeGreaterThan(0);
      const list = byCard.get(p.card_id) ?? [];
      list.push(p);
      byCard.set(p.card_id, list);
    }
    expect(byCard.size).toBeGreaterThan(390);
    let burstPairs = 0;
    let cardsWithFewMerchants = 0;
    for (const list of byCard.values()) {
      expect(new Set(list.map((p) => p.currency)).size).toBe(1);
      list.sort((a, b) => a.event_time - b.event_time);
      for (let i = 1; i < list.length; i++) if (list[i].event_time - list[i - 1].event_time < 60_000) burstPairs++;
      // Most payments at a few favourites: far fewer distinct merchants than payments.
      if (list.length >= 20 && new Set(list.map((p) => p.merchant_id)).size < list.length / 2) cardsWithFewMerchants++;
    }
    // Several payments of one card within a sliding minute, for the velocity view to see.
    expect(burstPairs).toBeGreaterThan(2_000);
    expect(cardsWithFewMerchants).toBeGreaterThan(byCard.size / 2);
  });
});
