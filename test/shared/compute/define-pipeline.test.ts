import { describe, expect, it } from 'vitest';
import { definePipeline, field } from 'lambdakappa/pipeline';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { pipelineConfigOf } from '../../../shared/compute/define-pipeline.ts';

const schema = {
  fields: { id: field.string({ minLength: 1 }), at: field.timestamp(), n: field.integer(), who: field.string() },
  id: 'id',
  time: 'at',
  logKey: 'who',
} as const;
const window = { kind: 'tumbling', sizeMs: 60_000 } as const;

describe('definePipeline', () => {
  it('is the identity at runtime, and its result compiles', () => {
    const def = { schema, views: [{ name: 'v', description: '', key: 'who', filter: 'n > 3', window, measures: [{ name: 'total', op: 'sum', input: 'n * 2' }], present: (m: Record<string, number>) => m }] } as const;
    expect(definePipeline(def)).toBe(def);
    expect(compilePipeline(pipelineConfigOf(definePipeline(def))).views.map((v) => v.name)).toEqual(['v']);
  });

  // These cases are checked by `npm run typecheck`: each @ts-expect-error must meet an error.
  it('rejects, at compile time, a key, filter field or measure input the schema lacks', () => {
    const present = (m: Record<string, number>) => m;
    const typed = [
      // @ts-expect-error the schema has no field "whom"
      definePipeline({ schema, views: [{ name: 'v', description: '', key: 'whom', window, measures: [{ name: 'c', op: 'count' }], present }] }),
      // @ts-expect-error a composite key naming a missing field
      definePipeline({ schema, views: [{ name: 'v', description: '', key: ['who', 'nn'], window, measures: [{ name: 'c', op: 'count' }], present }] }),
      // @ts-expect-error the filter names "nn"
      definePipeline({ schema, views: [{ name: 'v', description: '', filter: "nn > 3 and who = 'x y'", window, measures: [{ name: 'c', op: 'count' }], present }] }),
      // @ts-expect-error the measure input names "q"
      definePipeline({ schema, views: [{ name: 'v', description: '', window, measures: [{ name: 's', op: 'sum', input: 'n * q' }], present }] }),
      // @ts-expect-error the measure filter names "wh0"
      definePipeline({ schema, views: [{ name: 'v', description: '', window, measures: [{ name: 'c', op: 'count', filter: "wh0 in ('a', 'b')" }], present }] }),
    ];
    expect(typed).toHaveLength(5);
    // Quoted strings, numbers and keywords are not field names.
    const ok = definePipeline({ schema, views: [{ name: 'v', description: '', filter: "NOT (who = 'and or nn') OR n >= -2.5", window, measures: [{ name: 'c', op: 'count' }], present }] });
    expect(ok.views).toHaveLength(1);
  });

  it('rejects, at compile time and at load, a quality bound naming no measure of its view', () => {
    const present = (m: Record<string, number>) => m;
    const measures = [{ name: 'total', op: 'sum', input: 'n' }] as const;
    // @ts-expect-error nonNegative names "totl", not a measure of the view
    const typo = definePipeline({ schema, views: [{ name: 'v', description: '', window, measures, quality: { nonNegative: ['totl'] }, present }] });
    expect(() => compilePipeline(pipelineConfigOf(typo))).toThrow('view v, quality.nonNegative: no measure totl in the view (measures: total)');
    const ok = definePipeline({ schema, views: [{ name: 'v', description: '', window, measures, quality: { nonNegative: ['total'], maxDrift: 0.1 }, present }] });
    expect(compilePipeline(pipelineConfigOf(ok)).views[0].quality).toEqual({ nonNegative: ['total'], maxDeadLetterShare: null, maxDrift: 0.1 });
    const share = definePipeline({ schema, views: [{ name: 'v', description: '', window, measures, quality: { maxDeadLetterShare: 1.5 }, present }] });
    expect(() => compilePipeline(pipelineConfigOf(share))).toThrow('view v, quality.maxDeadLetterShare: must be a number from 0 to 1, got 1.5');
    // A count is never negative, declared or not.
    const counted = definePipeline({ schema, views: [{ name: 'v', description: '', window, measures: [{ name: 'c', op: 'count' }], present }] });
    expect(compilePipeline(pipelineConfigOf(counted)).views[0].quality.nonNegative).toEqual(['c']);
  });
});
