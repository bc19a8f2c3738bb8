/**
 * The filter and measure-input language, as data: one tree, parsed once from the view's text
 * (`parse-expression.ts`), checked against the schema (`resolve-expression.ts`), then compiled
 * to the JS fold (`expression-js.ts`) and to DuckDB SQL (`expression-sql.ts`); the ground truth
 * walks the same tree with its own interpreter. Nodes are frozen plain objects tagged by `kind`.
 *
 * Semantics every backend follows: an absent (null) field makes arithmetic null and a comparison
 * false (so `not` of it is true); a measure input that is null does not contribute.
 */
export type Expr = FieldRef | Literal | Compare | InList | Logical | Not | Arith;

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type ArithOp = '+' | '-' | '*';

export interface FieldRef {
  readonly kind: 'field';
  readonly name: string;
  /** Whether the field can be absent; set by the resolver. */
  readonly nullable: boolean;
}

export interface Literal {
  readonly kind: 'literal';
  readonly value: string | number | boolean;
}

export interface Compare {
  readonly kind: 'compare';
  readonly op: CompareOp;
  readonly left: Expr;
  readonly right: Expr;
}

export interface InList {
  readonly kind: 'in';
  readonly value: Expr;
  readonly list: readonly (string | number | boolean)[];
}

export interface Logical {
  readonly kind: 'and' | 'or';
  readonly left: Expr;
  readonly right: Expr;
}

export interface Not {
  readonly kind: 'not';
  readonly arg: Expr;
}

export interface Arith {
  readonly kind: 'arith';
  readonly op: ArithOp;
  readonly left: Expr;
  readonly right: Expr;
}

/** Whether an expression can evaluate to null (it reads a field that can be absent). */
export function isNullable(e: Expr): boolean {
  switch (e.kind) {
    case 'field':
      return e.nullable;
    case 'literal':
      return false;
    case 'arith':
      return isNullable(e.left) || isNullable(e.right);
    default:
      // Comparisons and logic are never null: a null operand makes a comparison false.
      return false;
  }
}

/** The fields an expression reads. */
export function fieldsOf(e: Expr, out: Set<string> = new Set()): Set<string> {
  switch (e.kind) {
    case 'field':
      out.add(e.name);
      break;
    case 'literal':
      break;
    case 'not':
      fieldsOf(e.arg, out);
      break;
    case 'in':
      fieldsOf(e.value, out);
      break;
    default:
      fieldsOf(e.left, out);
      fieldsOf(e.right, out);
  }
  return out;
}
