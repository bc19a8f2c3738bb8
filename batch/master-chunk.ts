import type { SqlValue } from '../infra/duckdb/duckdb-database.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import type { Event } from '../shared/model/event.ts';
import { masterHourOf, masterRowOf, type MasterRecordSource } from './master-dataset.ts';
import type { MasterFileRows } from './master-file-writer.ts';

/**
 * The records of one log partition read since its last commit, waiting to become master files:
 * valid events grouped by event-time hour, plus how far the partition was read (invalid records
 * included, so committing `nextOffset` never re-reads them).
 */
export class MasterChunk {
  readonly partition: number;
  /** When the first record arrived (epoch ms), for flushing idle partitions. */
  readonly openedAt: number;
  /** Records read, valid or not. */
  records = 0;
  #nextOffset = 0;
  readonly #hours = new Map<number, { rows: SqlValue[][]; first: number; last: number }>();
  readonly #timeOf: (e: Event) => number;
  readonly #rowOf: ReturnType<typeof masterRowOf>;

  /** `pipeline`: whose schema the rows follow. */
  constructor(partition: number, openedAt: number, pipeline: Pipeline) {
    this.partition = partition;
    this.openedAt = openedAt;
    this.#timeOf = pipeline.timeOf;
    this.#rowOf = masterRowOf(pipeline.config.schema);
  }

  /** Counts a record the archiver does not keep (it failed validation). */
  skip(offset: number): void {
    this.records++;
    this.#nextOffset = offset + 1;
  }

  /** Adds a valid event read from `source`. */
  add(e: Event, source: MasterRecordSource): void {
    this.records++;
    this.#nextOffset = source.offset + 1;
    const hour = masterHourOf(this.#timeOf(e));
    let h = this.#hours.get(hour);
    if (!h) this.#hours.set(hour, (h = { rows: [], first: source.offset, last: source.offset }));
    h.rows.push(this.#rowOf(e, source));
    h.last = source.offset;
  }

  /** The offset to commit once this chunk's files are stored. */
  get nextOffset(): number {
    return this.#nextOffset;
  }

  /** One file's rows per hour, in hour order. */
  files(): MasterFileRows[] {
    return [...this.#hours.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([hour, h]) => ({ partition: this.partition, hour, firstOffset: h.first, lastOffset: h.last, rows: h.rows }));
  }
}
