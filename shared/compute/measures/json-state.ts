import { MeasureStateError } from '../../errors.ts';

/** The parsed JSON of a stored measure state that must be an array; MeasureStateError (naming the kind) when it is not. */
export function parseJsonArrayState(kind: string, expected: string, text: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new MeasureStateError(kind, expected, text);
  }
  if (!Array.isArray(parsed)) throw new MeasureStateError(kind, expected, text);
  return parsed;
}
