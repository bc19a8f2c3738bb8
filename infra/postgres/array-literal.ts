/**
 * PostgreSQL array literals (`{"a","b"}`, `{1,2}`) built in one pass, for the bulk statements'
 * column parameters.
 *
 * Why not hand pg the JS arrays: its encoder quotes every element through two regex replaces,
 * numbers included, and that alone cost ~1.5 µs per event in the speed layer (a commit sends every
 * new event id and a few columns per pane). Strings here are quoted always (so `NULL`, empty
 * strings, spaces, braces and commas need no special case) and escaped only when they hold a
 * quote or a backslash, the two characters an array literal's quoted element escapes.
 */

const NEEDS_ESCAPE = /["\\]/;
const ESCAPE = /["\\]/g;

/** A text[] literal of the strings (none may be null: pane and event ids never are). */
export function textArrayLiteral(values: readonly string[]): string {
  const n = values.length;
  if (n === 0) return '{}';
  let plain = true;
  for (let i = 0; i < n && plain; i++) plain = !NEEDS_ESCAPE.test(values[i]);
  // join is native and sizes its result once: the common case costs one scan and one copy.
  if (plain) return `{"${values.join('","')}"}`;
  return `{"${values.map((v) => v.replace(ESCAPE, '\\$&')).join('","')}"}`;
}

/** A text[] literal whose undefined elements are NULL (a pane's object states, absent for most views). */
export function nullableTextArrayLiteral(values: readonly (string | undefined)[]): string {
  return `{${values.map((v) => (v === undefined ? 'NULL' : `"${v.replace(ESCAPE, '\\$&')}"`)).join(',')}}`;
}

/**
 * An int8[] literal of whole numbers. Throws on anything else: String() of a fraction or an
 * infinity is no int8, and the statement would fail less clearly.
 */
export function int8ArrayLiteral(values: readonly number[]): string {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isSafeInteger(values[i])) throw new RangeError(`int8 array element ${i} is ${values[i]}, not a whole number within ±2^53`);
  }
  return `{${values.join(',')}}`;
}

/**
 * A float8[] literal. String(number) is the shortest text that reads back to the same double, and
 * PostgreSQL's float8 input accepts JS's "Infinity", "-Infinity" and "NaN" spellings.
 */
export function float8ArrayLiteral(values: readonly number[]): string {
  return `{${values.join(',')}}`;
}
