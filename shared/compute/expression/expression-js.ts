import { isNullable, type Expr } from './expression.ts';

const JS_OPS: Readonly<Record<string, string>> = { '=': '===', '!=': '!==', '<': '<', '<=': '<=', '>': '>', '>=': '>=', '+': '+', '-': '-', '*': '*' };

/**
 * JS source of a resolved expression over the event variable `e` (for the generated fold). No
 * user text enters the code unescaped: field names and literals go through JSON.stringify, and
 * operators come from a fixed table. A null operand makes arithmetic null and a comparison false,
 * the rule of expression.ts, which SQL's NULL would give differently (`null < 1` is true in JS).
 */
export function expressionJs(x: Expr, e: string): string {
  const go = (n: Expr): string => {
    switch (n.kind) {
      case 'field':
        return `${e}[${JSON.stringify(n.name)}]`;
      case 'literal':
        return JSON.stringify(n.value);
      case 'arith': {
        const l = go(n.left);
        const r = go(n.right);
        const value = `(${l} ${JS_OPS[n.op]} ${r})`;
        const guards = [n.left, n.right].filter(isNullable).map(go);
        return guards.length === 0 ? value : `(${guards.map((g) => `${g} === null`).join(' || ')} ? null : ${value})`;
      }
      case 'compare': {
        const value = `(${go(n.left)} ${JS_OPS[n.op]} ${go(n.right)})`;
        const guards = [n.left, n.right].filter(isNullable).map(go);
        return guards.length === 0 ? value : `(${guards.map((g) => `${g} !== null`).join(' && ')} && ${value})`;
      }
      case 'in': {
        const v = go(n.value);
        const any = n.list.map((x) => `${v} === ${JSON.stringify(x)}`).join(' || ');
        return isNullable(n.value) ? `(${v} !== null && (${any}))` : `(${any})`;
      }
      case 'and':
        return `(${go(n.left)} && ${go(n.right)})`;
      case 'or':
        return `(${go(n.left)} || ${go(n.right)})`;
      case 'not':
        return `(!${go(n.arg)})`;
    }
  };
  return go(x);
}
