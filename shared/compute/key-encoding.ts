import type { FieldValue } from '../model/field-spec.ts';
import { sqlLiteral } from './expression/expression-sql.ts';

/**
 * How a view's key fields become its one key string, the same in every layer and in serving's
 * `key=` parameter. One field: its value as text (String() of a number or boolean). Several:
 * each value with `\` written `\\` and `|` written `\|`, joined by `|`, so the encoding is
 * injective: no two different tuples ever share a key (a value containing `|` cannot pass for
 * a field boundary). A global view's key is GLOBAL_KEY.
 */
export const KEY_SEPARATOR = '|';

/** One part of a composite key, escaped. */
export function escapeKeyPart(v: FieldValue): string {
  const s = String(v);
  return s.includes('\\') || s.includes('|') ? s.replaceAll('\\', '\\\\').replaceAll('|', '\\|') : s;
}

/** The key of one tuple of key values (at least one). */
export function encodeKey(values: readonly FieldValue[]): string {
  return values.length === 1 ? String(values[0]) : values.map(escapeKeyPart).join(KEY_SEPARATOR);
}

/** The SQL twin of `encodeKey` over columns (each as SQL); DuckDB's string literals keep backslashes as is. */
export function encodeKeySql(columns: readonly string[]): string {
  const text = (c: string) => `CAST(${c} AS VARCHAR)`;
  if (columns.length === 1) return text(columns[0]);
  const esc = (c: string) => `replace(replace(${text(c)}, ${sqlLiteral('\\')}, ${sqlLiteral('\\\\')}), ${sqlLiteral('|')}, ${sqlLiteral('\\|')})`;
  return columns.map(esc).join(` || ${sqlLiteral(KEY_SEPARATOR)} || `);
}
