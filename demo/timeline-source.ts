import type { Pipeline, PipelineConfig } from '../shared/compute/pipeline.ts';
import type { EventLog } from '../shared/ports/event-log.ts';
import type { EventSchema } from '../shared/model/event-schema.ts';
import { PlaybackClock } from '../shared/time/playback-clock.ts';
import { probeRecord } from './probe-record.ts';
import { readLines } from '../workload/read-lines.ts';
import { recordKey } from '../workload/record-key.ts';
import { ConfigError } from '../shared/errors.ts';

/** A record to play: its simulated append time is `timestamp`; `probe` names a probe event (freshness). */
export interface TimedRecord {
  readonly key: string | null;
  readonly value: string;
  readonly timestamp: number;
  readonly probe?: string;
}

/** What a timeline plays: records in non-decreasing simulated append time, readable twice (truth, then play). */
export interface TimelineSource {
  readonly kind: 'generated' | 'read';
  records(): AsyncIterable<TimedRecord>;
}

/** The seeded workload: its append times are the simulated clock. */
export function generatedSource(workload: Readonly<Record<string, number>>, config: PipelineConfig): TimelineSource {
  return {
    kind: 'generated',
    async *records() {
      if (!config.workload) throw new ConfigError('this pipeline has no workload generator (definePipeline({ workload })); give the demo records with --input');
      const it = config.workload(workload, config);
      for (let s = it.next(); !s.done; s = it.next()) yield { key: s.value.key, value: s.value.value, timestamp: s.value.timestamp };
    },
  };
}

/**
 * JSON lines from a file (or - for stdin, read once and kept), played in file order on the
 * playback clock (the latest event time so far); lines before the first valid event time wait
 * for it (all at now when none has one).
 */
export function fileSource(path: string, pipeline: Pipeline): TimelineSource {
  const keyField = pipeline.config.schema.logKey;
  let kept: string[] | undefined;
  const lines = async function* () {
    if (path !== '-') {
      yield* readLines(path);
      return;
    }
    if (!kept) {
      kept = [];
      for await (const l of readLines(path)) kept.push(l);
    }
    yield* kept;
  };
  return {
    kind: 'read',
    async *records() {
      const clock = new PlaybackClock(pipeline);
      let waiting: string[] = [];
      for await (const line of lines()) {
        if (line.trim() === '') continue;
        const t = clock.next(line);
        if (t === undefined) {
          waiting.push(line);
          continue;
        }
        for (const w of waiting) yield { key: recordKey(w, keyField), value: w, timestamp: t };
        waiting = [];
        yield { key: recordKey(line, keyField), value: line, timestamp: t };
      }
      const now = Date.now();
      for (const w of waiting) yield { key: recordKey(w, keyField), value: w, timestamp: now };
    },
  };
}

/**
 * A topic's records replayed on their own append times (merged across partitions by append
 * time, keeping each partition's order). Held in memory: meant for recorded workloads, not a
 * production topic's retention.
 */
export function topicSource(log: EventLog, topic: string): TimelineSource {
  let all: TimedRecord[] | undefined;
  return {
    kind: 'read',
    async *records() {
      if (!all) {
        const read: Array<TimedRecord & { p: number; o: number }> = [];
        const sub = await log.consume({ topic, from: { kind: 'earliest' }, stopAtEnd: true, onBatch: async (b) => void b.records.forEach((r) => read.push({ key: r.key, value: r.value, timestamp: r.timestamp, p: b.partition, o: r.offset })) });
        await sub.done;
        // Stable by append time; within a partition offsets follow append times except for a producer's own clock skew, so keep them ordered.
        read.sort((a, b) => a.timestamp - b.timestamp || a.p - b.p || a.o - b.o);
        let last = Number.NEGATIVE_INFINITY;
        all = read.map((r) => ({ key: r.key, value: r.value, timestamp: (last = Math.max(last, r.timestamp)) }));
      }
      yield* all;
    },
  };
}

/**
 * The source with a probe event every `everyMs` of simulated time after its first record: the
 * smallest valid event of the schema (probeRecord) with every text field `probe-<n>`, appended at
 * its own event time. Probes are ordinary valid events (the truth counts them); the timeline
 * times when each becomes visible through HTTP.
 */
export async function* withProbes(records: AsyncIterable<TimedRecord>, everyMs: number, schema: EventSchema): AsyncGenerator<TimedRecord> {
  let next = Number.NaN;
  let n = 0;
  for await (const r of records) {
    if (Number.isNaN(next)) next = r.timestamp + everyMs;
    while (r.timestamp >= next) {
      const id = `probe-${++n}`;
      const value = JSON.stringify(probeRecord(schema, id, next));
      yield { key: id, value, timestamp: next, probe: id };
      next += everyMs;
    }
    yield r;
  }
}
