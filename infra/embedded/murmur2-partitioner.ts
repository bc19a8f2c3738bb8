import { encodeByteText } from '../../shared/model/byte-text.ts';

/**
 * Kafka's default partitioner for keyed records, so a key lands on the same partition number in
 * the embedded log as in Kafka (Java client's BuiltInPartitioner and kafkajs' DefaultPartitioner):
 * `toPositive(murmur2(utf8(key))) % partitions`, over the key's original bytes (byte-text.ts) as the Kafka adapter sends them. Records without a key go round robin.
 */
export class Murmur2Partitioner {
  #next = 0;

  /** The partition for a record with this key. */
  partition(key: string | null, partitions: number): number {
    if (key === null) {
      const p = this.#next % partitions;
      this.#next = (this.#next + 1) % 0x7fffffff;
      return p;
    }
    return partitionOfKey(key, partitions);
  }
}

/** The partition Kafka's default partitioner picks for a non-null key. */
export function partitionOfKey(key: string, partitions: number): number {
  // toPositive is `& 0x7fffffff`, not Math.abs: that is what Kafka does, and abs(MIN_INT) overflows.
  return (murmur2(encodeByteText(key)) & 0x7fffffff) % partitions;
}

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2): a signed 32-bit hash. */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    // Math.imul keeps Java's 32-bit int overflow; `>>>` is Java's unsigned shift.
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // The tail bytes, as Java's fall-through switch on length % 4.
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2] << 16;
  if (rest >= 2) h ^= data[tail + 1] << 8;
  if (rest >= 1) {
    h ^= data[tail];
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}
