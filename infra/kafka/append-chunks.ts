import type { AppendRecord } from '../../shared/ports/event-log.ts';

/**
 * Bytes per produce request. The broker refuses a record batch over message.max.bytes (1 MiB by
 * default) and kafkajs sends one batch per partition per request, so staying well under it
 * whatever the key distribution keeps large appends from failing.
 */
export const MAX_CHUNK_BYTES = 512 * 1024;

/** Record overhead in the v2 batch format (varints, attributes), an upper bound for small records. */
const RECORD_OVERHEAD = 32;

/** Approximate encoded size of one record. */
function recordBytes(r: AppendRecord): number {
  let n = RECORD_OVERHEAD + Buffer.byteLength(r.value, 'utf8') + (r.key === null ? 0 : Buffer.byteLength(r.key, 'utf8'));
  for (const [name, v] of Object.entries(r.headers ?? {})) n += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(v, 'utf8') + 8;
  return n;
}

/** Splits records, in order, into consecutive chunks of at most `maxBytes` (a larger record goes alone). */
export function appendChunks(records: readonly AppendRecord[], maxBytes: number = MAX_CHUNK_BYTES): AppendRecord[][] {
  const chunks: AppendRecord[][] = [];
  let current: AppendRecord[] = [];
  let size = 0;
  for (const r of records) {
    const n = recordBytes(r);
    if (current.length > 0 && size + n > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(r);
    size += n;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
