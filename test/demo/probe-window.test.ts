import { describe, expect, it } from 'vitest';
import payments from '../../examples/payments/pipeline.ts';
import rides from '../../examples/rides/pipeline.ts';
import { probeWindow } from '../../demo/probe-window.ts';
import { pipelineConfigOf, type ViewDefinition } from '../../shared/compute/define-pipeline.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { field } from '../../shared/model/field.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

const T = Date.UTC(2026, 0, 1, 10);

describe('probeWindow', () => {
  it("finds each example's probe in its first view keyed by a field the probe sets to its id", () => {
    expect(probeWindow(compilePipeline(ecommerceConfig()), 'probe-1', T)).toEqual({ view: 'product_activity', key: 'probe-1' });
    // payments' country is two characters long: the probe must still be valid.
    expect(probeWindow(compilePipeline(pipelineConfigOf(payments)), 'probe-2', T)).toEqual({ view: 'card_minute', key: 'probe-2' });
    expect(probeWindow(compilePipeline(pipelineConfigOf(rides)), 'probe-3', T)).toEqual({ view: 'zone_activity', key: 'probe-3' });
  });

  it('skips a view whose filter refuses the probe or whose key is not the probe’s alone, and says when none can show it', () => {
    const schema = {
      fields: { id: field.string({ minLength: 1 }), kind: field.enum(['a', 'b']), at: field.timestamp(), amount: field.decimal(2, { min: 0 }) },
      id: 'id',
      time: 'at',
      logKey: 'id',
    } as const;
    const view = (name: string, more: Partial<ViewDefinition>): ViewDefinition => ({ name, description: name, window: { kind: 'tumbling', sizeMs: 60_000 }, measures: [{ name: 'n', op: 'count' }], present: (m) => m, ...more });
    const global = view('all', {});
    // Every probe has the enum's first value: the window is not one probe's alone.
    const byKind = view('by_kind', { key: 'kind' });
    const big = view('big', { key: 'id', filter: 'amount > 10' });
    const byId = view('by_id', { key: 'id' });
    const of = (views: ViewDefinition[]) => compilePipeline({ ...pipelineConfigOf({ schema, views: [] }), views });
    expect(probeWindow(of([global, byKind, big, byId]), 'probe-9', T)).toEqual({ view: 'by_id', key: 'probe-9' });
    expect(probeWindow(of([global, byKind, big]), 'probe-9', T)).toBeNull();
  });
});
