import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../../../../shared/compute/pipeline.ts';
import type { RejectionCode } from '../../../../shared/model/rejection.ts';
import { validateRecord } from '../../../support/ecommerce.ts';
import { generateWorkload } from '../../../../examples/ecommerce/workload/generator.ts';
import type { GeneratedRecord } from '../../../../workload/messy-workload.ts';
import type { Malformation } from '../../../../examples/ecommerce/workload/shop-malformations.ts';
import { ecommerceConfig } from '../../../support/ecommerce.ts';
import { messyWorkloadLaws } from '../../../support/messy-workload-laws.ts';
import { runStream } from '../../../support/run-stream.ts';

const config = ecommerceConfig();
const pipeline = compilePipeline(config);

const busy = { events: 20_000, spanMs: 3_600_000, users: 800, products: 120, outOfOrderFraction: 0.1, tooLateFraction: 0.02, duplicateFraction: 0.03, malformedFraction: 0.05 };

messyWorkloadLaws('ecommerce', config, (o) => generateWorkload({ users: 800, products: 120, ...o }, config));

describe('generateWorkload', () => {
  it('is deterministic: the same seed gives the same records and facts', () => {
    const a = generateWorkload({ ...busy, events: 3_000, seed: 11 }, config);
    const b = generateWorkload({ ...busy, events: 3_000, seed: 11 }, config);
    const c = generateWorkload({ ...busy, events: 3_000, seed: 12 }, config);
    expect(b).toEqual(a);
    expect(c.records.map((r) => r.value)).not.toEqual(a.records.map((r) => r.value));
  });

  it('spreads non-decreasing append timestamps over the span, from rate x duration', () => {
    const start = Date.UTC(2026, 2, 1, 12);
    const w = generateWorkload({ seed: 3, ratePerSecond: 20, spanMs: 600_000, startTime: start, users: 100 }, config);
    expect(w.records).toHaveLength(12_000);
    expect(w.facts.generated).toBe(12_000);
    expect(w.facts.firstTimestamp).toBe(start);
    expect(w.facts.lastTimestamp).toBeLessThan(start + 600_000);
    expect(w.facts.lastTimestamp).toBeGreaterThan(start + 599_000);
    for (let i = 1; i < w.records.length; i++) expect(w.records[i].timestamp).toBeGreaterThanOrEqual(w.records[i - 1].timestamp);
  });

  it('makes exactly the malformed records invalid, with every kind of malformation', () => {
    const w = generateWorkload({ ...busy, seed: 5, malformedFraction: 0.2 }, config);
    const expected: Record<Malformation, readonly RejectionCode[]> = {
      broken_json: ['malformed_json'],
      not_an_object: ['not_an_object'],
      missing_field: ['missing_field'],
      wrong_type: ['wrong_type', 'bad_price', 'bad_quantity'],
      negative_price: ['bad_price'],
      too_many_decimals: ['bad_price'],
      far_future: ['event_time_out_of_range'],
      before_2000: ['event_time_out_of_range'],
      unknown_event_type: ['unknown_event_type'],
      oversized: ['oversized'],
    };
    let invalid = 0;
    for (const r of w.records) {
      const v = validateRecord(r.value, r.timestamp, config.limits);
      expect(v.ok, r.value.slice(0, 200)).toBe(r.kind !== 'malformed');
      if (!v.ok) {
        invalid++;
        expect(expected[r.malformation!]).toContain(v.rejection.code);
      }
    }
    expect(invalid).toBe(w.facts.malformed);
    expect(w.facts.malformed).toBeGreaterThan(3_500);
    for (const [kind, n] of Object.entries(w.facts.malformations)) expect(n, kind).toBeGreaterThan(0);
    const oversized = w.records.find((r) => r.malformation === 'oversized')!;
    expect(Buffer.byteLength(oversized.value)).toBeGreaterThan(config.limits.maxRecordBytes);
  });

  it('re-sends duplicates as exact copies of a recent record, with the same key', () => {
    const w = generateWorkload({ ...busy, seed: 8 }, config);
    const firstSent = new Map<string, GeneratedRecord>();
    let duplicates = 0;
    for (const r of w.records) {
      if (r.kind !== 'duplicate') {
        firstSent.set(r.value, r);
        continue;
      }
      duplicates++;
      const original = firstSent.get(r.value);
      expect(original, 'a duplicate copies an earlier record').toBeDefined();
      expect(r.key).toBe(original!.key);
      expect(r.timestamp - original!.timestamp).toBeLessThanOrEqual(30_000);
      const a = validateRecord(r.value, r.timestamp);
      const b = validateRecord(original!.value, original!.timestamp);
      expect(a.ok && b.ok && a.event.event_id === b.event.event_id).toBe(true);
    }
    expect(duplicates).toBe(w.facts.duplicates);
    expect(duplicates).toBeGreaterThan(400);
  });

  it.each([1, 4, 7])('makes the intended events, and only those, too late for the stream (%i partitions)', (partitions) => {
    const w = generateWorkload({ ...busy, seed: 21 }, config);
    const { totals, late } = runStream(pipeline, w.records, partitions);
    const intended = w.records.filter((r) => r.kind === 'too_late');
    expect(intended.length).toBe(w.facts.tooLate);
    expect(w.facts.tooLate).toBeGreaterThan(300);
    expect(late.size).toBe(intended.length);
    for (const r of intended) expect(late.has(r)).toBe(true);
    expect(totals).toEqual({
      valid: w.facts.onTime + w.facts.outOfOrder,
      deadLetter: w.facts.malformed,
      duplicate: w.facts.duplicates,
      tooLate: w.facts.tooLate,
    });
  });

  it('shifts out-of-order events back in event time, within the lateness bound', () => {
    const w = generateWorkload({ ...busy, seed: 13 }, config);
    const bound = config.lateness.maxOutOfOrdernessMs + config.lateness.allowedLatenessMs;
    let shiftedBeyondDelay = 0;
    for (const r of w.records.filter((x) => x.kind === 'out_of_order')) {
      const v = validateRecord(r.value, r.timestamp);
      if (!v.ok) throw new Error('out-of-order events are valid');
      const behind = r.timestamp - v.event.event_time;
      expect(behind).toBeLessThanOrEqual(bound);
      if (behind > 2_000) shiftedBeyondDelay++;
    }
    expect(w.facts.outOfOrder).toBeGreaterThan(1_500);
    expect(shiftedBeyondDelay).toBeGreaterThan(w.facts.outOfOrder * 0.8);
  });

  it('looks like shopping: views >> carts > purchases, prices in cents, quantities 1-5, mixed time formats, sessions', () => {
    const w = generateWorkload({ seed: 2, events: 30_000, spanMs: 4 * 3_600_000, users: 1_500 }, config);
    const types = { page_view: 0, add_to_cart: 0, purchase: 0 };
    const formats = { z: 0, offset: 0, epoch: 0 };
    const timesByUser = new Map<string, number[]>();
    for (const r of w.records) {
      const v = validateRecord(r.value, r.timestamp);
      if (!v.ok) continue;
      const e = v.event;
      types[e.event_type]++;
      if (e.event_type !== 'page_view') {
        expect(e.quantity).toBeGreaterThanOrEqual(1);
        expect(e.quantity).toBeLessThanOrEqual(5);
        expect(e.price).toBeGreaterThan(0);
      }
      const raw = (JSON.parse(r.value) as { event_time: string | number }).event_time;
      if (typeof raw === 'number') formats.epoch++;
      else if (raw.endsWith('Z')) formats.z++;
      else formats.offset++;
      if (r.kind === 'on_time') {
        const list = timesByUser.get(e.user_id) ?? [];
        list.push(e.event_time);
        timesByUser.set(e.user_id, list);
      }
    }
    expect(types.page_view).toBeGreaterThan(3 * types.add_to_cart);
    expect(types.add_to_cart).toBeGreaterThan(types.purchase);
    expect(types.purchase).toBeGreaterThan(500);
    expect(formats.z).toBeGreaterThan(formats.offset);
    expect(formats.offset).toBeGreaterThan(formats.epoch);
    expect(formats.epoch).toBeGreaterThan(0);
    // Bursts separated sometimes by more than the 30-minute session gap, sometimes by less.
    const gaps = { long: 0, breakWithinSession: 0 };
    for (const list of timesByUser.values()) {
      list.sort((a, b) => a - b);
      for (let i = 1; i < list.length; i++) {
        const g = list[i] - list[i - 1];
        if (g >= 30 * 60_000) gaps.long++;
        else if (g >= 5 * 60_000) gaps.breakWithinSession++;
      }
    }
    expect(gaps.long).toBeGreaterThan(500);
    expect(gaps.breakWithinSession).toBeGreaterThan(200);
  });
});
