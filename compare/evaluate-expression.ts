import type { Expr } from '../shared/compute/expression/expression.ts';
import type { Event } from '../shared/model/event.ts';

type Value = string | number | boolean | null;

/**
 * Evaluates a resolved expression on one event by walking the tree: the ground truth's own reading
 * of the language (expression.ts), sharing nothing with the generated JS or the SQL twins. A null
 * operand makes arithmetic null and a comparison false.
 */
export function evaluateExpression(x: Expr, e: Event): Value {
  switch (x.kind) {
    case 'field':
      return e[x.name] ?? null;
    case 'literal':
      return x.value;
    case 'arith': {
      const l = evaluateExpression(x.left, e);
      const r = evaluateExpression(x.right, e);
      if (l === null || r === null) return null;
      const a = l as number;
      const b = r as number;
      return x.op === '+' ? a + b : x.op === '-' ? a - b : a * b;
    }
    case 'compare': {
      const l = evaluateExpression(x.left, e);
      const r = evaluateExpression(x.right, e);
      if (l === null || r === null) return false;
      switch (x.op) {
        case '=':
          return l === r;
        case '!=':
          return l !== r;
        case '<':
          return l < r;
        case '<=':
          return l <= r;
        case '>':
          return l > r;
        case '>=':
          return l >= r;
      }
      break;
    }
    case 'in': {
      const v = evaluateExpression(x.value, e);
      return v !== null && x.list.includes(v);
    }
    case 'and':
      return evaluateExpression(x.left, e) === true && evaluateExpression(x.right, e) === true;
    case 'or':
      return evaluateExpression(x.left, e) === true || evaluateExpression(x.right, e) === true;
    case 'not':
      return evaluateExpression(x.arg, e) !== true;
  }
}
