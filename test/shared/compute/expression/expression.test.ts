import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateExpression } from '../../../../compare/evaluate-expression.ts';
import { DuckDb } from '../../../../infra/duckdb/duckdb-database.ts';
import { expressionJs } from '../../../../shared/compute/expression/expression-js.ts';
import { expressionSql, sqlIdentifier } from '../../../../shared/compute/expression/expression-sql.ts';
import type { Expr } from '../../../../shared/compute/expression/expression.ts';
import { parseExpression } from '../../../../shared/compute/expression/parse-expression.ts';
import { resolveExpression } from '../../../../shared/compute/expression/resolve-expression.ts';
import { ConfigError } from '../../../../shared/errors.ts';
import type { Event } from '../../../../shared/model/event.ts';
import type { FieldSpecs } from '../../../../shared/model/event-schema.ts';
import { field } from '../../../../shared/model/field.ts';
import { Random } from '../../../../workload/random.ts';

const fields = {
  kind: field.enum(['a', 'b', "it's"]),
  name: field.string({ presence: 'optional' }),
  n: field.integer({ min: -50, max: 50 }),
  m: field.integer({ presence: 'optional', min: -50, max: 50 }),
  amount: field.decimal(2, { presence: 'optional', min: -100, max: 100 }),
  flag: field.boolean({ presence: 'optional' }),
  at: field.timestamp(),
} satisfies FieldSpecs;

const resolve = (text: string) => resolveExpression(parseExpression(text, 'test'), fields, 'test');
const js = (x: Expr) => new Function('e', `return ${expressionJs(x, 'e')};`) as (e: Event) => unknown;

describe('the expression language', () => {
  it('parses precedence: not over and over or, * over + -, comparisons between', () => {
    const r = resolve("not kind = 'a' or n > 1 and n + 2 * 3 >= 7");
    const e: Event = { kind: 'a', name: null, n: 2, m: null, amount: null, flag: null, at: 0 };
    // (not (kind = 'a')) or ((n > 1) and (n + 6 >= 7)): false or (true and true)
    expect(js(r.expr)(e)).toBe(true);
    expect(evaluateExpression(r.expr, e)).toBe(true);
  });

  it('scales a literal to a decimal field, and an integer operand to the other side', () => {
    expect(resolve('amount > 10.5').expr).toEqual({ kind: 'compare', op: '>', left: { kind: 'field', name: 'amount', nullable: true }, right: { kind: 'literal', value: 1050 } });
    expect(resolve('amount + n').type).toEqual({ type: 'number', scale: 2 });
    expect(resolve('amount * n').type).toEqual({ type: 'number', scale: 2 });
    expect(resolve('amount * amount').type).toEqual({ type: 'number', scale: 4 });
  });

  it.each([
    ['an unknown field', 'price > 1', /view v, filter: no field price in the schema \(fields: kind, name/],
    ['a type mismatch', "n = 'x'", /cannot compare a number with a string/],
    ['an enum value it does not have', "kind = 'c'", /kind has no value 'c' \(values: a, b, it's\)/],
    ['an order of strings', "name < 'x'", /strings compare only with = and !=/],
    ['arithmetic on text', 'name * 2', /\* needs numbers/],
    ['and of numbers', 'n and m', /and needs conditions/],
    ['a dangling operator', 'n >', /expected a value at the end/],
    ['unbalanced parentheses', '(n > 1', /expected "\)"/],
    ['an unterminated string', "kind = 'a", /unterminated string/],
    ['a stray character', 'n > 1 ; drop', /unexpected character ";"/],
    ['an in list of another type', 'n in (1, 2, true)', /in \(...\) holds a boolean/],
  ])('refuses %s with a message naming the definition', (_name, text, message) => {
    const where = 'view v, filter';
    expect(() => resolveExpression(parseExpression(text, where), fields, where)).toThrow(ConfigError);
    expect(() => resolveExpression(parseExpression(text, where), fields, where)).toThrow(message);
  });

  it('reads quotes doubled inside a string and keeps them out of the generated code', () => {
    const r = resolve("kind = 'it''s' or name = '\"); process.exit(1); (\"'");
    const e: Event = { kind: "it's", name: null, n: 0, m: null, amount: null, flag: null, at: 0 };
    expect(js(r.expr)(e)).toBe(true);
    expect(expressionSql(r.expr)).toContain("'it''s'");
  });
});

/** A random expression over the test fields, as text (some do not type-check and are skipped). */
function randomText(rng: Random, depth: number): string {
  const num = (): string => {
    const leaf = () => rng.pick(['n', 'm', 'amount', 'at', String(rng.int(-20, 20)), `${rng.int(-20, 20)}.${rng.int(0, 99)}`]);
    if (depth <= 0 || rng.chance(0.5)) return leaf();
    return `(${leaf()} ${rng.pick(['+', '-', '*'])} ${leaf()})`;
  };
  if (depth <= 0 || rng.chance(0.3)) {
    switch (rng.int(0, 4)) {
      case 0:
        return `${num()} ${rng.pick(['=', '!=', '<', '<=', '>', '>='])} ${num()}`;
      case 1:
        return `kind ${rng.pick(['=', '!='])} '${rng.pick(['a', 'b', "it''s"])}'`;
      case 2:
        return `name ${rng.pick(['=', '!='])} '${rng.pick(['x', 'y', ''])}'`;
      case 3:
        return `flag = ${rng.pick(['true', 'false'])}`;
      default:
        return `${rng.pick(['n', 'm'])} ${rng.chance(0.5) ? 'not ' : ''}in (${rng.int(-3, 3)}, ${rng.int(-3, 3)}, ${rng.int(-3, 3)})`;
    }
  }
  const a = randomText(rng, depth - 1);
  const b = randomText(rng, depth - 1);
  return rng.pick([`(${a}) and (${b})`, `(${a}) or (${b})`, `not (${a})`]);
}

function randomEvent(rng: Random): Event {
  const maybe = <T>(v: T): T | null => (rng.chance(0.25) ? null : v);
  return {
    kind: rng.pick(['a', 'b', "it's"]),
    name: maybe(rng.pick(['x', 'y', ''])),
    n: rng.int(-5, 5),
    m: maybe(rng.int(-5, 5)),
    amount: maybe(rng.int(-2_000, 2_000)),
    flag: maybe(rng.chance(0.5)),
    at: rng.int(0, 10),
  };
}

describe('the JS and DuckDB SQL compilations of one tree agree with each other and with the interpreter', () => {
  let db: DuckDb;
  beforeAll(async () => {
    db = await DuckDb.open();
  });
  afterAll(async () => {
    await db.close();
  });

  it('on 300 random expressions over 200 random events with absent fields', async () => {
    const rng = new Random(21);
    const events = Array.from({ length: 200 }, () => randomEvent(rng));
    const names = Object.keys(fields);
    const types: Record<string, string> = { kind: 'VARCHAR', name: 'VARCHAR', n: 'BIGINT', m: 'BIGINT', amount: 'BIGINT', flag: 'BOOLEAN', at: 'BIGINT' };
    await db.run(`CREATE TABLE ev (seq INTEGER, ${names.map((n) => `${sqlIdentifier(n)} ${types[n]}`).join(', ')})`);
    await db.append('ev', events.map((e, i) => [i, ...names.map((n) => e[n])]));
    let checked = 0;
    while (checked < 300) {
      const text = randomText(rng, 3);
      let x: Expr;
      try {
        x = resolve(text).expr;
      } catch (err) {
        if (err instanceof ConfigError) continue;
        throw err;
      }
      const inJs = events.map(js(x));
      const byTree = events.map((e) => evaluateExpression(x, e));
      const rows = await db.all<{ v: boolean }>(`SELECT ${expressionSql(x)} AS v FROM ev ORDER BY seq`);
      expect(inJs, text).toEqual(byTree);
      expect(rows.map((r) => r.v), text).toEqual(byTree);
      checked++;
    }
  });
});
