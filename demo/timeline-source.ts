import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
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
 * A topic's records replayed on their own append times, merged across partitions by append time
 * (each partition in its offset order; ties in partition order), the clock never going back (a
 * record dated before the one played last plays at the clock). Not held in memory: the first
 * read spools each partition to a JSON lines file in `spoolDir` as it streams by, and every
 * read merges those files, one record per partition at a time.
 */
export function topicSource(log: EventLog, topic: string, spoolDir: string): TimelineSource {
  let spooled: Promise<string[]> | undefined;
  return {
    kind: 'read',
    async *records() {
      spooled ??= spoolTopic(log, topic, spoolDir);
      const heads = (await spooled).map((file) => readLines(file)[Symbol.asyncIterator]());
      const next = async (i: number) => {
        const r = await heads[i].next();
        return r.done ? undefined : (JSON.parse(r.value) as { k: string | null; v: string; t: number });
      };
      const current = await Promise.all(heads.map((_, i) => next(i)));
      let clock = Number.NEGATIVE_INFINITY;
      for (;;) {
        let min = -1;
        for (let i = 0; i < current.length; i++) if (current[i] && (min < 0 || current[i]!.t < current[min]!.t)) min = i;
        if (min < 0) return;
        const r = current[min]!;
        clock = Math.max(clock, r.t);
        yield { key: r.k, value: r.v, timestamp: clock };
        current[min] = await next(min);
      }
    },
  };
}

/** Reads a topic to its end once, each partition's records to its own file (`p<n>.jsonl`, offset order); returns the files. */
async function spoolTopic(log: EventLog, topic: string, dir: string): Promise<string[]> {
  const partitions = await log.partitionCount(topic);
  await mkdir(dir, { recursive: true });
  const files = Array.from({ length: partitions }, (_, p) => join(dir, `p${p}.jsonl`));
  const handles = await Promise.all(files.map((f) => open(f, 'w')));
  // A redelivered offset (the log is at-least-once) is the same record, spooled once.
  const nextOffset = new Map<number, number>();
  try {
    const sub = await log.consume({
      topic,
      from: { kind: 'earliest' },
      stopAtEnd: true,
      onBatch: async (b) => {
        let text = '';
        for (const r of b.records) {
          if (r.offset < (nextOffset.get(b.partition) ?? 0)) continue;
          nextOffset.set(b.partition, r.offset + 1);
          text += `${JSON.stringify({ k: r.key, v: r.value, t: r.timestamp })}\n`;
        }
        await handles[b.partition].write(text);
      },
    });
    await sub.done;
  } finally {
    await Promise.all(handles.map((h) => h.close()));
  }
  return files;
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
