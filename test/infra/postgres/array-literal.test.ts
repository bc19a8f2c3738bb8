import { describe, expect, it } from 'vitest';
import { float8ArrayLiteral, int8ArrayLiteral, textArrayLiteral } from '../../../infra/postgres/array-literal.ts';

// PostgreSQL's reading of these literals is checked against a real server in
// test/integration/infra/postgres-view-store.test.ts; here, the cases the encoder branches on.
describe('array literals', () => {
  it('quote every text element and escape only quotes and backslashes', () => {
    expect(textArrayLiteral([])).toBe('{}');
    expect(textArrayLiteral(['a', 'NULL', ''])).toBe('{"a","NULL",""}');
    expect(textArrayLiteral(['x', 'a"b', 'c\\d'])).toBe('{"x","a\\"b","c\\\\d"}');
  });

  it('write int8 elements bare and refuse what is no whole number', () => {
    expect(int8ArrayLiteral([1, -2, 2 ** 53 - 1])).toBe(`{1,-2,${2 ** 53 - 1}}`);
    expect(() => int8ArrayLiteral([1.5])).toThrow(/element 0 is 1.5/);
    expect(() => int8ArrayLiteral([0, Number.POSITIVE_INFINITY])).toThrow(/element 1 is Infinity/);
  });

  it('write float8 elements in the spellings PostgreSQL reads back', () => {
    expect(float8ArrayLiteral([0.1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])).toBe('{0.1,Infinity,-Infinity}');
  });
});
