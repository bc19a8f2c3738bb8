import { describe, expect, it } from 'vitest';
import { definePipeline, field } from 'lambdakappa/pipeline';
import { pipelineConfigOf } from '../../../shared/compute/define-pipeline.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { checkRankable, NotRankableError, topKeys } from '../../../shared/compute/top-keys.ts';
import { BadRequestError } from '../../../shared/errors.ts';

const pipeline = compilePipeline(
  pipelineConfigOf(
    definePipeline({
      schema: { fields: { id: field.string({ minLength: 1 }), at: field.timestamp(), who: field.string(), what: field.string() }, id: 'id', time: 'at', logKey: 'who' },
      views: [
        {
          name: 'v',
          description: '',
          key: 'who',
          window: { kind: 'tumbling', sizeMs: 60_000 },
          measures: [
            { name: 'n', op: 'count' },
            { name: 'whats', op: 'count_distinct', input: 'what' },
            { name: 'top_what', op: 'top_k', input: 'what', k: 2 },
          ],
        },
      ],
    }),
  ),
);
const view = pipeline.view('v');

describe('topKeys over a view with object measures', () => {
  it('ranks by a count and merges each key\'s object states too (distinct values over its windows, not a sum of per-window counts)', () => {
    const windowOf = (who: string, start: number, whats: string[]) => {
      const acc = view.aggregate.empty();
      const states = view.aggregate.emptyStates();
      for (const what of whats) view.aggregate.add(acc, { id: `${who}${start}${what}`, at: start, who, what }, states);
      return { key: who, start, end: start + 60_000, acc, states, tags: ['speed'] };
    };
    const ranked = topKeys(view, [windowOf('a', 0, ['x', 'y']), windowOf('a', 60_000, ['x', 'x']), windowOf('b', 0, ['z'])], 'n', 2);
    expect(ranked.map((t) => [t.key, view.aggregate.named(t.acc, t.states)])).toEqual([
      ['a', { n: 4, whats: 2, top_what: [{ value: 'x', count: 3 }, { value: 'y', count: 1 }] }],
      ['b', { n: 1, whats: 1, top_what: [{ value: 'z', count: 1 }] }],
    ]);
  });

  it('refuses to rank by a measure that is not a count, sum, min or max, as a bad request (HTTP 400) naming the measure', () => {
    expect(() => checkRankable(view, 'n')).not.toThrow();
    for (const by of ['whats', 'top_what']) {
      expect(() => checkRankable(view, by)).toThrow(NotRankableError);
      expect(() => checkRankable(view, by)).toThrow(BadRequestError);
      expect(() => topKeys(view, [], by, 3)).toThrow(new RegExp(`measure ${by} is a (count_distinct|top_k); top ranks by a count, sum, min or max measure only`));
    }
  });
});
