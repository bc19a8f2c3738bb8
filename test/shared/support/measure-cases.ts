import { evaluateExpression } from '../../../compare/evaluate-expression.ts';
import { schema, EVENT_TYPES, type EcommerceEvent } from '../../../examples/ecommerce/pipeline.ts';
import { combine, compileMeasure, identityOf, type CompiledMeasure, type Measure, type MeasureOp, type ScalarOp } from '../../../shared/compute/measure.ts';

const INPUTS = ['price * quantity', 'quantity', 'event_time', 'price', 'price + quantity', 'quantity - 1', '(price - 250) * 2'];
const FILTERS = [
  undefined,
  ...EVENT_TYPES.map((t) => `event_type = '${t}'`),
  'price > 10.5',
  "not (event_type = 'purchase') and quantity >= 2",
  "event_type in ('purchase', 'add_to_cart') or session_id = 's1'",
  'price * quantity <= 20000 and not price != 1999',
];

/** Every op over a spread of inputs and filters of the e-commerce schema, compiled. */
export function measureCases(): CompiledMeasure[] {
  const out: Measure[] = [];
  let i = 0;
  for (const op of ['count', 'sum', 'min', 'max'] as MeasureOp[]) {
    for (const input of op === 'count' ? [undefined] : INPUTS) {
      for (const filter of FILTERS) out.push({ name: `m${i++}`, op, input, filter });
    }
  }
  return out.map((m) => compileMeasure(m, schema.fields, 'cases'));
}

/** One measure compiled against the e-commerce schema. */
export function measure(m: Measure): CompiledMeasure {
  return compileMeasure(m, schema.fields, 'test');
}

/**
 * A measure over events by the definition, with the ground truth's tree-walking interpreter (not
 * the generated fold): the events its filter accepts whose input is not null, combined.
 */
export function foldByDefinition(m: CompiledMeasure, events: readonly EcommerceEvent[]): number {
  let acc = identityOf(m.op as ScalarOp);
  for (const e of events) {
    if (m.filter && evaluateExpression(m.filter, e) !== true) continue;
    const v = m.op === 'count' ? 1 : evaluateExpression(m.input!, e);
    if (v === null) continue;
    acc = combine(m.op as ScalarOp, acc, v as number);
  }
  return acc;
}
