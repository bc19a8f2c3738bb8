import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Pipeline } from '../../shared/compute/pipeline.ts';
import type { TopicNames } from '../../shared/config.ts';
import { encodeByteText } from '../../shared/model/byte-text.ts';
import type { EventLog, LogRecord } from '../../shared/ports/event-log.ts';
import type { ViewStore } from '../../shared/ports/view-store.ts';
import { StreamJob } from '../../speed/stream-job.ts';
import { ingest } from '../../workload/ingest.ts';
import { readLines } from '../../workload/read-lines.ts';

/** One line of the input file, as bytes, and the rejection the layers must give it (undefined: valid). */
interface Line {
  readonly bytes: Buffer;
  readonly reason: string | undefined;
}

const at = new Date().toISOString();
const event = (id: string, user: string, product: string) => `{"event_id":"${id}","event_type":"page_view","user_id":"${user}","product_id":"${product}","event_time":"${at}"}`;

/** A line with `byte` in place of the first "#" (a byte that is not UTF-8 where the text has a placeholder). */
function withByte(text: string, byte: number): Buffer {
  const b = Buffer.from(text, 'utf8');
  b[b.indexOf('#')] = byte;
  return b;
}

/**
 * Lines whose keys differ only by a byte that is not UTF-8 or by a lone surrogate (a JSON escape):
 * decoded with replacement they would all be "p-\uFFFD" (merged, or a duplicate key on PostgreSQL).
 */
const LINES: readonly Line[] = [
  { bytes: Buffer.from(event('e1', 'u1', 'p-ok')), reason: undefined },
  { bytes: withByte(event('e2', 'u2', 'p-#'), 0xff), reason: 'invalid_utf8' },
  { bytes: withByte(event('e3', 'u3', 'p-#'), 0xfe), reason: 'invalid_utf8' },
  { bytes: withByte(event('e4', 'u-#', 'p-ok'), 0x80), reason: 'invalid_utf8' },
  { bytes: Buffer.from(event('e5', 'u5', 'p-\\ud800')), reason: 'wrong_type' },
  { bytes: Buffer.from(event('e6', 'u6', 'p-\\udc00')), reason: 'wrong_type' },
  { bytes: Buffer.from(event('e7', 'u7', 'p-\uFFFD')), reason: undefined },
];

async function readAll(log: EventLog, topic: string): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  const sub = await log.consume({ topic, from: { kind: 'earliest' }, stopAtEnd: true, onBatch: async (b) => void out.push(...b.records) });
  await sub.done;
  return out;
}

/**
 * `lk ingest` of a file with text that is not valid Unicode, then the speed layer to the end: every
 * such record is dead-lettered with its reason and its original bytes, the job does not fail, and
 * the views hold only the valid events' keys, each once.
 */
export async function checkInvalidTextIsDeadLettered(deps: { log: EventLog; views: ViewStore; pipeline: Pipeline; topics: TopicNames }, dir: string): Promise<void> {
  const file = join(dir, 'invalid-text.jsonl');
  await writeFile(file, Buffer.concat(LINES.flatMap((l) => [l.bytes, Buffer.of(10)])));
  await deps.log.ensureTopic(deps.topics.events, 2);
  const counts = await ingest(deps.log, deps.topics.events, readLines(file), { keyField: deps.pipeline.config.schema.logKey });
  expect(counts.appended).toBe(LINES.length);

  const job = new StreamJob(deps, { namespace: 'speed', from: { kind: 'earliest' }, stopAtEnd: true, sideOutputs: true });
  await (await job.start()).done;

  const source = await readAll(deps.log, deps.topics.events);
  const dead = await readAll(deps.log, deps.topics.deadLetter);
  const lineOf = (r: LogRecord) => LINES.find((l) => l.bytes.equals(encodeByteText(r.value)));
  // The log keeps every line byte for byte.
  expect(source.map((r) => lineOf(r) !== undefined)).toEqual(source.map(() => true));
  const expected = LINES.filter((l) => l.reason !== undefined);
  expect(dead).toHaveLength(expected.length);
  for (const d of dead) {
    const line = lineOf(d);
    expect(line, `dead letter ${JSON.stringify(d.value)} keeps the bytes of an input line`).toBeDefined();
    expect(d.headers['lk-reason']).toBe(line!.reason);
  }
  expect(new Set(dead.map((d) => encodeByteText(d.value).toString('hex')))).toEqual(new Set(expected.map((l) => l.bytes.toString('hex'))));

  const byProduct = deps.pipeline.views.find((v) => v.def.key === 'product_id')!;
  const byUser = deps.pipeline.views.find((v) => v.def.key === 'user_id')!;
  const keys = async (view: string) => new Set((await deps.views.queryPanes('speed', { view, from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER })).map((p) => p.key));
  expect(await keys(byProduct.name)).toEqual(new Set(['p-ok', 'p-\uFFFD']));
  expect(await keys(byUser.name)).toEqual(new Set(['u1', 'u7']));
}
