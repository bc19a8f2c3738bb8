import { isNullable, type Expr } from './expression.ts';

const SQL_OPS: Readonly<Record<string, string>> = { '=': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=', '+': '+', '-': '-', '*': '*' };

/** A DuckDB identifier, quoted (a double quote inside doubled). */
export function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A DuckDB literal of a resolved expression's value (a quote inside a string doubled). */
export function sqlLiteral(v: string | number | boolean): string {
  if (typeof v === 'string') return `'${v.replaceAll("'", "''")}'`;
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  return String(v);
}

/**
 * DuckDB SQL of a resolved expression: the SQL twin of `expressionJs`. `column` maps a field to
 * the SQL that reads it (a quoted column by default). Comparisons that can meet a null are
 * `coalesce(..., false)`: SQL's NULL makes them unknown, and unknown under `not` stays unknown,
 * where the rule of expression.ts (and the JS fold) makes them false, so `not` gives true. (Over
 * required fields the plain comparison is the same and cheaper for DuckDB.)
 */
export function expressionSql(x: Expr, column: (field: string) => string = sqlIdentifier): string {
  const go = (n: Expr): string => {
    switch (n.kind) {
      case 'field':
        return column(n.name);
      case 'literal':
        return sqlLiteral(n.value);
      case 'arith':
        return `(${go(n.left)} ${SQL_OPS[n.op]} ${go(n.right)})`;
      case 'compare': {
        const cmp = `${go(n.left)} ${SQL_OPS[n.op]} ${go(n.right)}`;
        return isNullable(n.left) || isNullable(n.right) ? `coalesce(${cmp}, false)` : `(${cmp})`;
      }
      case 'in': {
        const cmp = `${go(n.value)} IN (${n.list.map(sqlLiteral).join(', ')})`;
        return isNullable(n.value) ? `coalesce(${cmp}, false)` : `(${cmp})`;
      }
      case 'and':
        return `(${go(n.left)} AND ${go(n.right)})`;
      case 'or':
        return `(${go(n.left)} OR ${go(n.right)})`;
      case 'not':
        return `(NOT ${go(n.arg)})`;
    }
  };
  return go(x);
}
