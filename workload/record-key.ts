/**
 * The log key of a raw JSON line: the value of the schema's log key field (`field`, a text field)
 * when the line parses to an object with a non-empty string there, else null. Keying by it keeps one
 * key's events in order in one partition (and duplicates next to their original); lines without a
 * usable key still go to the log, where the layers dead-letter them. This only reads the key; it
 * never judges the record.
 */
export function recordKey(line: string, field: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const v = (parsed as Record<string, unknown>)[field];
  return typeof v === 'string' && v.length > 0 ? v : null;
}
