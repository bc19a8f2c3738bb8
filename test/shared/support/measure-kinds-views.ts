import type { Measure } from '../../../shared/compute/measure.ts';
import { compilePipeline, type Pipeline, type PipelineConfig } from '../../../shared/compute/pipeline.ts';
import { ecommerceConfig, ecommerceViews } from '../../support/ecommerce.ts';

/** The measure kinds beyond count/sum/min/max, over e-commerce events. */
const KINDS: readonly Measure[] = [
  { name: 'avg_price', op: 'avg', input: 'price' },
  { name: 'first_quantity', op: 'first', input: 'quantity' },
  { name: 'last_price', op: 'last', input: 'price', filter: "event_type = 'purchase'" },
  { name: 'products', op: 'count_distinct', input: 'product_id' },
  { name: 'users_approx', op: 'count_distinct_hll', input: 'user_id', precision: 10 },
  { name: 'top_types', op: 'top_k', input: 'event_type', k: 2 },
];

/** The e-commerce pipeline with, besides its reference views, one view of each window kind declaring every measure kind (object states in every pane). */
export function measureKindsPipeline(overrides: Partial<PipelineConfig> = {}): Pipeline {
  return compilePipeline(
    ecommerceConfig({
      ...overrides,
      views: [
        ...ecommerceViews(),
        { name: 'kinds_sessions', description: '', key: 'user_id', window: { kind: 'session', gapMs: 10 * 60_000 }, measures: KINDS },
        { name: 'kinds_sliding', description: '', key: 'product_id', window: { kind: 'sliding', sizeMs: 10 * 60_000, slideMs: 2 * 60_000 }, measures: KINDS },
        { name: 'kinds_global', description: '', window: { kind: 'tumbling', sizeMs: 5 * 60_000 }, measures: KINDS },
      ],
    }),
  );
}
