/** Longest identifier (a text field's default maximum, a view key), in UTF-16 code units. */
export const IDENTIFIER_MAX = 256;

/**
 * Why a string cannot be an identifier (an event's ids, a view key), or undefined when it can.
 * One rule for events and queries alike: a key no event can carry is refused, not looked up.
 * PostgreSQL text cannot hold NUL and no identifier needs one; a lone surrogate has no UTF-8 form.
 */
export function identifierProblem(v: string): string | undefined {
  if (v.length === 0 || v.length > IDENTIFIER_MAX) return `must be a non-empty string of at most ${IDENTIFIER_MAX} characters`;
  if (v.includes('\u0000')) return 'must not contain the NUL character';
  if (!v.isWellFormed()) return 'must be well-formed Unicode (no lone surrogate)';
  return undefined;
}
