/**
 * The log key of a raw JSON line: its user_id when the line parses to an object with a string
 * user_id, else null. Keying by user keeps one user's events in order in one partition (and
 * duplicates next to their original); lines without a usable user_id still go to the log, where
 * the layers dead-letter them. This only reads the key; it never judges the record.
 */
export function recordKey(line: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const userId = (parsed as Record<string, unknown>).user_id;
  return typeof userId === 'string' && userId.length > 0 ? userId : null;
}
