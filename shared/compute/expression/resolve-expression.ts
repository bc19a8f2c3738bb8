import { ConfigError } from '../../errors.ts';
import type { FieldSpecs } from '../../model/event-schema.ts';
import type { Expr } from './expression.ts';

/** What a resolved expression evaluates to; numbers carry their decimal scale (value = units * 10^scale). */
export type ExprType = { readonly type: 'boolean' } | { readonly type: 'string' } | { readonly type: 'number'; readonly scale: number };

export interface Resolved {
  readonly expr: Expr;
  readonly type: ExprType;
}

/**
 * Checks a parsed expression against the schema and makes it exact: every field must exist,
 * operands must have one type, an enum is compared only with its own values, and numbers of
 * different decimal scales are aligned (a literal compared with a decimal field is scaled to the
 * field's stored integers, `price > 10.5` reads `price > 1050` at scale 2; an operand of smaller
 * scale in + - or a comparison is multiplied up). Strings and booleans compare by = != and in only:
 * an order of strings would differ between JS (UTF-16) and DuckDB (bytes).
 */
export function resolveExpression(parsed: Expr, fields: FieldSpecs, where: string): Resolved {
  const fail = (msg: string): never => {
    throw new ConfigError(`${where}: ${msg}`);
  };

  const go = (e: Expr): Resolved => {
    switch (e.kind) {
      case 'field': {
        const f = fields[e.name];
        if (!f) return fail(`no field ${e.name} in the schema (fields: ${Object.keys(fields).join(', ')})`);
        const expr: Expr = { kind: 'field', name: e.name, nullable: (f.presence ?? 'required') !== 'required' };
        const type: ExprType = f.type === 'boolean' ? { type: 'boolean' } : f.type === 'string' || f.type === 'enum' ? { type: 'string' } : { type: 'number', scale: f.type === 'decimal' ? f.scale : 0 };
        return { expr, type };
      }
      case 'literal': {
        if (typeof e.value !== 'number') return { expr: e, type: { type: typeof e.value === 'string' ? 'string' : 'boolean' } };
        // Numbers become integers at their own scale (10.5 is 105 at scale 1), so every backend computes on integers.
        const scale = decimalsOf(e.value);
        if (scale > 6) return fail(`the literal ${e.value} has more than 6 decimals`);
        const value = Math.round(e.value * 10 ** scale);
        if (!Number.isSafeInteger(value)) return fail(`the literal ${e.value} is too large to compute exactly`);
        return { expr: { kind: 'literal', value }, type: { type: 'number', scale } };
      }
      case 'arith': {
        const l = go(e.left);
        const r = go(e.right);
        if (l.type.type !== 'number' || r.type.type !== 'number') return fail(`${e.op} needs numbers on both sides`);
        if (e.op === '*') return { expr: { kind: 'arith', op: '*', left: l.expr, right: r.expr }, type: { type: 'number', scale: l.type.scale + r.type.scale } };
        const [a, b, scale] = align(l, r);
        return { expr: { kind: 'arith', op: e.op, left: a, right: b }, type: { type: 'number', scale } };
      }
      case 'compare': {
        const l = go(e.left);
        const r = go(e.right);
        if (l.type.type !== r.type.type) return fail(`cannot compare a ${l.type.type} with a ${r.type.type}`);
        if (l.type.type !== 'number' && e.op !== '=' && e.op !== '!=') return fail(`${l.type.type}s compare only with = and != (and in)`);
        checkEnumLiteral(e.left, e.right);
        checkEnumLiteral(e.right, e.left);
        if (l.type.type !== 'number') return { expr: { kind: 'compare', op: e.op, left: l.expr, right: r.expr }, type: { type: 'boolean' } };
        const [a, b] = align(l, r);
        return { expr: { kind: 'compare', op: e.op, left: a, right: b }, type: { type: 'boolean' } };
      }
      case 'in': {
        const v = go(e.value);
        const list = e.list.map((x) => {
          const t = typeof x === 'number' ? 'number' : typeof x;
          if (t !== v.type.type) fail(`in (...) holds a ${t} where a ${v.type.type} is compared`);
          if (typeof x === 'string') checkEnumLiteral(e.value, { kind: 'literal', value: x });
          return typeof x === 'number' && v.type.type === 'number' ? scaleLiteral(x, v.type.scale) : x;
        });
        return { expr: { kind: 'in', value: v.expr, list }, type: { type: 'boolean' } };
      }
      case 'and':
      case 'or': {
        const l = go(e.left);
        const r = go(e.right);
        if (l.type.type !== 'boolean' || r.type.type !== 'boolean') return fail(`${e.kind} needs conditions on both sides`);
        return { expr: { kind: e.kind, left: l.expr, right: r.expr }, type: { type: 'boolean' } };
      }
      case 'not': {
        const a = go(e.arg);
        if (a.type.type !== 'boolean') return fail('not needs a condition');
        return { expr: { kind: 'not', arg: a.expr }, type: { type: 'boolean' } };
      }
    }
  };

  /** Brings two numbers to one scale: a literal by scaling its value, any other operand by multiplying by 10^k. */
  const align = (l: Resolved, r: Resolved): [Expr, Expr, number] => {
    const ls = (l.type as { scale: number }).scale;
    const rs = (r.type as { scale: number }).scale;
    const scale = Math.max(ls, rs);
    return [rescale(l.expr, ls, scale), rescale(r.expr, rs, scale), scale];
  };
  const rescale = (e: Expr, from: number, to: number): Expr => {
    if (from === to) return e;
    if (e.kind === 'literal') {
      const value = (e.value as number) * 10 ** (to - from);
      if (!Number.isSafeInteger(value)) fail(`the literal ${e.value} is too large at scale ${to}`);
      return { kind: 'literal', value };
    }
    return { kind: 'arith', op: '*', left: e, right: { kind: 'literal', value: 10 ** (to - from) } };
  };
  const scaleLiteral = (x: number, scale: number): number => {
    const scaled = Math.round(x * 10 ** scale);
    if (decimalsOf(x) > scale || !Number.isSafeInteger(scaled)) fail(`in (...) holds ${x}, which has more decimals than the ${scale === 0 ? 'whole numbers' : `${scale}-decimal values`} it is compared with`);
    return scaled;
  };
  const checkEnumLiteral = (side: Expr, other: Expr) => {
    if (side.kind !== 'field' || other.kind !== 'literal' || typeof other.value !== 'string') return;
    const f = fields[side.name];
    if (f?.type === 'enum' && !f.values.includes(other.value)) fail(`${side.name} has no value '${other.value}' (values: ${f.values.join(', ')})`);
  };

  return go(parsed);
}

/** How many decimals a literal has as written (JS prints numbers shortest-first). */
function decimalsOf(x: number): number {
  const s = String(x);
  if (s.includes('e')) return Number.isInteger(x) ? 0 : 20;
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}
