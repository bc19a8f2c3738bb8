import { describe, expect, it } from 'vitest';
import { computeGroundTruth, type RawRecord } from '../../compare/ground-truth.ts';
import { mergePanes } from '../../shared/compute/pane-merge.ts';
import { compilePipeline, type PipelineConfig } from '../../shared/compute/pipeline.ts';
import { foldEvents } from '../../shared/compute/reference-fold.ts';
import type { Event } from '../../shared/model/event.ts';
import { field } from '../../shared/model/field.ts';
import { Random } from '../../workload/random.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

const T0 = Date.UTC(2026, 0, 1, 10);
const MIN = 60_000;

/** A pipeline unlike the reference one: payments, a composite key with separators in its values, booleans, optional decimals. */
const payments: PipelineConfig = ecommerceConfig({
  schema: {
    fields: {
      tx: field.string({ minLength: 1 }),
      card: field.string({ minLength: 1 }),
      merchant: field.string({ minLength: 1 }),
      at: field.timestamp(),
      amount: field.decimal(2, { min: 0, max: 10_000 }),
      tip: field.decimal(1, { presence: 'optional', min: 0, max: 100 }),
      approved: field.boolean(),
      channel: field.enum(['pos', 'web', 'app']),
    },
    id: 'tx',
    time: 'at',
    logKey: 'card',
  },
  views: [
    {
      name: 'card_merchant',
      description: 'per card and merchant, sliding 5 minutes every minute',
      key: ['card', 'merchant'],
      filter: 'approved = true',
      window: { kind: 'sliding', sizeMs: 5 * MIN, slideMs: MIN },
      measures: [
        { name: 'n', op: 'count' },
        { name: 'total', op: 'sum', input: 'amount + tip' },
        { name: 'biggest', op: 'max', input: 'amount' },
        { name: 'web', op: 'count', filter: "channel in ('web', 'app') and not amount < 10.5" },
      ],
      present: (m) => m,
    },
    {
      name: 'everything',
      description: 'global tumbling 10 minutes',
      window: { kind: 'tumbling', sizeMs: 10 * MIN },
      measures: [
        { name: 'n', op: 'count' },
        { name: 'declined', op: 'count', filter: 'approved = false' },
        { name: 'first', op: 'min', input: 'at' },
      ],
      present: (m) => m,
    },
    {
      name: 'card_sessions',
      description: 'per card, sessions of 10 seconds',
      key: 'card',
      window: { kind: 'session', gapMs: 10_000 },
      measures: [
        { name: 'n', op: 'count' },
        { name: 'tips', op: 'sum', input: 'tip * 2' },
      ],
      present: (m) => m,
    },
  ],
});

function randomRecords(seed: number, n: number): RawRecord[] {
  const rng = new Random(seed);
  const out: RawRecord[] = [];
  for (let i = 0; i < n; i++) {
    const at = T0 + rng.int(0, 90 * MIN);
    const o: Record<string, unknown> = {
      tx: `t${rng.chance(0.05) ? rng.int(0, i) : i}`,
      card: rng.pick(['c1', 'c|2', 'c\\3']),
      merchant: rng.pick(['m1', '|m2', 'm\\']),
      at: new Date(at).toISOString(),
      amount: rng.int(0, 5_000) / 100,
      approved: rng.chance(0.8),
      channel: rng.pick(['pos', 'web', 'app']),
    };
    if (rng.chance(0.5)) o.tip = rng.int(0, 50) / 10;
    if (rng.chance(0.03)) o.amount = -1; // invalid
    out.push({ value: JSON.stringify(o), timestamp: at + rng.int(0, 10_000) });
  }
  return out;
}

describe('the truth from the definitions, for a pipeline other than the reference one', () => {
  it('equals the incremental engine\'s fold (foldEvents + mergePanes) on every window, with composite keys, filters, sliding and session windows', async () => {
    const pipeline = compilePipeline(payments);
    const records = randomRecords(8, 3_000);
    const truth = await computeGroundTruth(pipeline, records);
    const events: Event[] = [];
    for (const r of records) {
      const v = pipeline.validator.validateRecord(r.value, r.timestamp);
      if (v.ok) events.push(v.event);
    }
    const panes = foldEvents(pipeline, events);
    for (const view of pipeline.views) {
      const folded = mergePanes(view, panes.filter((p) => p.view === view.name).map((pane) => ({ pane, tag: 'fold' }))).map((w) => ({ key: w.key, start: w.start, end: w.end, values: view.aggregate.named(w.acc) }));
      expect(truth.views[view.name].length, view.name).toBeGreaterThan(5);
      expect(truth.views[view.name], view.name).toEqual(folded);
    }
    expect(truth.counts.invalid).toBeGreaterThan(0);
    expect(truth.counts.duplicate).toBeGreaterThan(0);
    expect(new Set(truth.views.card_merchant.map((w) => w.key))).toContain('c\\|2|\\|m2');
  });
});
