import { describe, expect, it } from 'vitest';
import { compilePipeline, type PipelineConfig } from '../../shared/compute/pipeline.ts';
import { compileValidator } from '../../shared/model/validation.ts';
import type { Workload } from '../../workload/collect-workload.ts';
import type { GeneratedRecord } from '../../workload/messy-workload.ts';
import type { WorkloadOptions } from '../../workload/workload-options.ts';
import { runStream } from './run-stream.ts';

/** Plenty of every kind of trouble, so each share is measurable on 20,000 records. */
const BUSY = { events: 20_000, spanMs: 2 * 3_600_000, outOfOrderFraction: 0.1, tooLateFraction: 0.02, duplicateFraction: 0.03, malformedFraction: 0.05 };

/** Within 20% of the requested share of `events`. */
function expectShare(n: number, fraction: number, events: number, what: string) {
  expect(n, what).toBeGreaterThan(0.8 * fraction * events);
  expect(n, what).toBeLessThan(1.2 * fraction * events);
}

/**
 * What every pipeline's seeded generator (messyWorkload around its world) must do, judged by
 * the platform itself (the schema's validator, the stream's partition processors), not by the
 * generator's own labels alone: the same seed gives the same lines; the requested shares of
 * malformed, duplicate, too-late and out-of-order records appear, and exactly those are what the
 * validator rejects, the dedup drops and the stream finds too late.
 */
export function messyWorkloadLaws(name: string, config: PipelineConfig, generate: (o: Partial<WorkloadOptions>) => Workload) {
  const pipeline = compilePipeline(config);
  const validator = compileValidator(config.schema, config.limits);
  const idOf = (r: GeneratedRecord) => {
    const v = validator.validateRecord(r.value, r.timestamp);
    return v.ok ? String(v.event[config.schema.id]) : null;
  };

  describe(`${name}: the seeded workload`, () => {
    const busy = generate({ ...BUSY, seed: 5 });

    it('is deterministic: the same seed gives the same lines and facts, another seed others', () => {
      const a = generate({ ...BUSY, events: 2_000, seed: 11 });
      expect(generate({ ...BUSY, events: 2_000, seed: 11 })).toEqual(a);
      expect(generate({ ...BUSY, events: 2_000, seed: 12 }).records.map((r) => r.value)).not.toEqual(a.records.map((r) => r.value));
    });

    it('makes the requested share malformed, and exactly those invalid, with every kind of malformation', () => {
      let invalid = 0;
      for (const r of busy.records) {
        const v = validator.validateRecord(r.value, r.timestamp);
        expect(v.ok, r.value.slice(0, 300)).toBe(r.kind !== 'malformed');
        if (!v.ok) invalid++;
      }
      expect(invalid).toBe(busy.facts.malformed);
      expectShare(invalid, BUSY.malformedFraction, BUSY.events, 'malformed');
      const kinds = Object.entries(busy.facts.malformations);
      expect(kinds.length).toBeGreaterThan(5);
      for (const [kind, n] of kinds) expect(n, kind).toBeGreaterThan(0);
    });

    it('makes the requested share duplicates: byte-for-byte copies of a recent record, same key, same id', () => {
      const firstSent = new Map<string, GeneratedRecord>();
      const ids = new Set<string>();
      let repeatedIds = 0;
      for (const r of busy.records) {
        const id = idOf(r);
        if (id !== null) {
          if (ids.has(id)) repeatedIds++;
          ids.add(id);
        }
        if (r.kind !== 'duplicate') {
          firstSent.set(r.value, r);
          continue;
        }
        const original = firstSent.get(r.value);
        expect(original, 'a duplicate copies an earlier record').toBeDefined();
        expect(r.key).toBe(original!.key);
      }
      expect(repeatedIds).toBe(busy.facts.duplicates);
      expectShare(repeatedIds, BUSY.duplicateFraction, BUSY.events, 'duplicates');
    });

    it.each([1, 4])('makes the requested share too late for the stream, and only those (%i partitions)', (partitions) => {
      const { totals, late } = runStream(pipeline, busy.records, partitions);
      const intended = busy.records.filter((r) => r.kind === 'too_late');
      expect(late.size).toBe(intended.length);
      for (const r of intended) expect(late.has(r)).toBe(true);
      expectShare(late.size, BUSY.tooLateFraction, BUSY.events, 'too late');
      expect(totals).toEqual({ valid: busy.facts.onTime + busy.facts.outOfOrder, deadLetter: busy.facts.malformed, duplicate: busy.facts.duplicates, tooLate: busy.facts.tooLate });
    });

    it('makes the requested share out of order, within the lateness bound', () => {
      const bound = config.lateness.maxOutOfOrdernessMs + config.lateness.allowedLatenessMs;
      const shifted = busy.records.filter((r) => r.kind === 'out_of_order');
      for (const r of shifted) {
        const v = validator.validateRecord(r.value, r.timestamp);
        if (!v.ok) throw new Error('out-of-order events are valid');
        expect(r.timestamp - Number(v.event[config.schema.time])).toBeLessThanOrEqual(bound);
      }
      expectShare(shifted.length, BUSY.outOfOrderFraction, BUSY.events, 'out of order');
    });
  });
}
