import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../infra/embedded/embedded-log.ts';
import type { AppendRecord, EventLog, LogRecord } from '../../shared/ports/event-log.ts';
import { BadRequestError, IngestIncompleteError, ServiceUnavailableError } from '../../shared/errors.ts';
import { validateRecord } from '../support/ecommerce.ts';
import { DEFAULT_MAX_LINE_CHARS, ingest, type IngestCounts } from '../../workload/ingest.ts';

let dir: string;
let log: EmbeddedLog;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lk-ingest-'));
  log = await EmbeddedLog.open(dir);
});

afterEach(async () => {
  await log.close();
  await rm(dir, { recursive: true, force: true });
});

async function readAll(topic: string): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  const sub = await log.consume({ topic, from: { kind: 'earliest' }, stopAtEnd: true, onBatch: async (b) => void out.push(...b.records) });
  await sub.done;
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** The log, with appends that fail (the broker unreachable, a retriable error) on the calls `fails` picks, after writing the first `written(call, records)` records (0: before reaching it). */
function flaky(
  inner: EventLog,
  fails: (call: number) => boolean,
  written: (call: number, records: readonly AppendRecord[]) => number = () => 0,
  error: () => Error = () => new ServiceUnavailableError('kafka', 'cannot reach Kafka at localhost:9092 (connection refused)'),
): { log: EventLog; calls: () => number } {
  let calls = 0;
  const log = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'append') {
        return async (topic: string, records: readonly AppendRecord[]) => {
          calls++;
          if (fails(calls)) {
            const n = written(calls, records);
            if (n > 0) await target.append(topic, records.slice(0, n));
            throw error();
          }
          await target.append(topic, records);
        };
      }
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { log, calls: () => calls };
}

const good = (user: string, n: number) => JSON.stringify({ event_id: `e${n}`, event_type: 'page_view', user_id: user, product_id: 'p1', event_time: '2026-01-01T10:00:00Z' });

describe('ingest', () => {
  it('appends every non-empty line, good or bad, keyed by user_id when it has one', async () => {
    const topic = 'ingest-mixed';
    await log.ensureTopic(topic, 3);
    const lines = [good('u1', 1), '', '{"broken json', '   ', '{"user_id": 42}', '[1,2]', good('u2', 2), '{"user_id":"u1","event_type":"refund"}'];
    const counts = await ingest(log, topic, lines, { keyField: 'user_id', now: () => 1_767_261_600_000 });
    expect(counts).toMatchObject({ lines: 8, appended: 6, empty: 2, keyed: 3, unkeyed: 3 });
    const records = await readAll(topic);
    expect(records.map((r) => r.value).sort()).toEqual(lines.filter((l) => l.trim() !== '').sort());
    const keyOf = new Map(records.map((r) => [r.value, r.key]));
    expect(keyOf.get(good('u1', 1))).toBe('u1');
    expect(keyOf.get('{"user_id":"u1","event_type":"refund"}')).toBe('u1');
    expect(keyOf.get('{"broken json')).toBeNull();
    expect(keyOf.get('{"user_id": 42}')).toBeNull();
    expect(keyOf.get('[1,2]')).toBeNull();
    for (const r of records) expect(r.timestamp).toBe(1_767_261_600_000);
  });

  it('keeps one user\'s lines in order in one partition, in batches, reporting progress', async () => {
    const topic = 'ingest-order';
    await log.ensureTopic(topic, 4);
    async function* lines() {
      for (let i = 0; i < 25; i++) yield good(`u${i % 3}`, i);
    }
    const progress: IngestCounts[] = [];
    const counts = await ingest(log, topic, lines(), { keyField: 'user_id', batchSize: 10, onProgress: (c) => progress.push({ ...c }) });
    expect(counts.appended).toBe(25);
    expect(progress.map((p) => p.appended)).toEqual([10, 20, 25]);
    const records = await readAll(topic);
    for (const user of ['u0', 'u1', 'u2']) {
      const mine = records.filter((r) => r.key === user);
      expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
      const ids = mine.map((r) => Number((JSON.parse(r.value) as { event_id: string }).event_id.slice(1)));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(ids).toHaveLength(user === 'u0' ? 9 : 8);
    }
  });

  it('stops after the batch in flight when aborted', async () => {
    const topic = 'ingest-abort';
    await log.ensureTopic(topic, 1);
    const controller = new AbortController();
    const lines = Array.from({ length: 100 }, (_, i) => good('u', i));
    const counts = await ingest(log, topic, lines, { keyField: 'user_id', batchSize: 20, signal: controller.signal, onProgress: (c) => c.appended >= 40 && controller.abort() });
    expect(counts.appended).toBe(40);
    expect((await log.endOffsets(topic)).get(0)).toBe(40);
  });

  it('cuts a line too long for a broker, keeping its key, so that it is still rejected as oversized', async () => {
    const topic = 'ingest-huge';
    await log.ensureTopic(topic, 2);
    const huge = JSON.stringify({ event_id: 'h', event_type: 'page_view', user_id: 'u9', product_id: 'p', event_time: '2026-01-01T10:00:00Z', pad: 'x'.repeat(2_000_000) });
    const counts = await ingest(log, topic, [huge, good('u9', 1)], { keyField: 'user_id' });
    expect(counts).toMatchObject({ appended: 2, truncated: 1, keyed: 2 });
    const [cut] = (await readAll(topic)).filter((r) => r.value.startsWith('{"event_id":"h"'));
    expect(cut.key).toBe('u9');
    expect(cut.value).toBe(huge.slice(0, DEFAULT_MAX_LINE_CHARS));
    const verdict = validateRecord(cut.value, cut.timestamp);
    expect(verdict.ok ? undefined : verdict.rejection.code).toBe('oversized');
  });

  it('rejects a batch size that cannot work', async () => {
    await expect(ingest(log, 'ingest-bad-batch', [good('u', 1)], { keyField: 'user_id', batchSize: 0 })).rejects.toThrow(/batchSize/);
  });

  it('retries an append while the log is unavailable, and appends every record exactly once', async () => {
    const topic = 'ingest-retry';
    await log.ensureTopic(topic, 2);
    // The second batch fails three times in a row, then the log is back.
    const { log: unreliable, calls } = flaky(log, (call) => call >= 2 && call <= 4);
    const lines = Array.from({ length: 35 }, (_, i) => good(`u${i % 4}`, i));
    const retries: number[] = [];
    const counts = await ingest(unreliable, topic, lines, { keyField: 'user_id', batchSize: 10, onRetry: (_, waitMs) => void retries.push(waitMs) });
    expect(counts.appended).toBe(35);
    expect(calls()).toBe(4 + 3);
    expect(retries).toEqual([100, 200, 400]);
    const ids = (await readAll(topic)).map((r) => (JSON.parse(r.value) as { event_id: string }).event_id);
    expect(ids.sort()).toEqual(lines.map((l) => (JSON.parse(l) as { event_id: string }).event_id).sort());
  });

  it('stops when the log stays unavailable, saying what was appended and the line to resume at', async () => {
    const topic = 'ingest-gone';
    await log.ensureTopic(topic, 1);
    const { log: unreliable } = flaky(log, (call) => call >= 3);
    // Blank lines make line numbers differ from record counts: the two batches appended are lines 1-10 and 11-21.
    const lines = Array.from({ length: 40 }, (_, i) => (i === 3 || i === 14 || i === 15 ? '' : good('u', i)));
    const err = await ingest(unreliable, topic, lines, { keyField: 'user_id', batchSize: 9, retryMs: 250 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestIncompleteError);
    const incomplete = err as IngestIncompleteError;
    expect(incomplete.appended).toBe(18);
    expect(incomplete.resumeLine).toBe(22);
    expect(incomplete.message).toMatch(/18 records appended .*line 22.*cannot reach Kafka/);
    const stored = (await readAll(topic)).map((r) => r.value);
    expect(stored).toEqual(lines.slice(0, 21).filter((l) => l !== ''));
    // Resuming at that line appends the rest, nothing twice.
    await ingest(log, topic, lines.slice(incomplete.resumeLine - 1), { keyField: 'user_id' });
    expect((await readAll(topic)).map((r) => r.value)).toEqual(lines.filter((l) => l !== ''));
  });

  it('after a send that failed part-way, reads back what landed and sends only the rest: every line once, and counted once', async () => {
    const topic = 'ingest-partial';
    await log.ensureTopic(topic, 3);
    // The second batch's first send writes 4 of its 10 records, then fails; its retry writes 3 of the 6 left, then fails; the next one works.
    const { log: unreliable } = flaky(
      log,
      (call) => call === 2 || call === 3,
      (call) => (call === 2 ? 4 : 3),
    );
    const lines = Array.from({ length: 30 }, (_, i) => (i === 12 ? '' : good(`u${i % 5}`, i)));
    const counts = await ingest(unreliable, topic, lines, { keyField: 'user_id', batchSize: 10, runId: 'run-1', source: '/data/in.jsonl' });
    const expected = lines.filter((l) => l !== '');
    const records = await readAll(topic);
    expect(records.map((r) => r.value).sort()).toEqual([...expected].sort());
    expect(counts).toMatchObject({ appended: expected.length, found: 7, empty: 1 });
    // Each record names its run, input and line: the line holds the record's value.
    for (const r of records) {
      const [run, line, source] = r.headers['lk-ingest'].split(' ');
      expect([run, source]).toEqual(['run-1', '/data/in.jsonl']);
      expect(lines[Number(line) - 1]).toBe(r.value);
    }
  });

  it('a run reads back only its own records: the same lines from another run are appended again', async () => {
    const topic = 'ingest-two-runs';
    await log.ensureTopic(topic, 2);
    const lines = Array.from({ length: 12 }, (_, i) => good(`u${i % 3}`, i));
    await ingest(log, topic, lines, { keyField: 'user_id', batchSize: 5, runId: 'first' });
    const { log: unreliable } = flaky(log, (call) => call === 1, () => 2);
    const counts = await ingest(unreliable, topic, lines, { keyField: 'user_id', batchSize: 5, runId: 'second' });
    expect(counts).toMatchObject({ appended: 12, found: 2 });
    const records = await readAll(topic);
    const runOf = (r: LogRecord) => r.headers['lk-ingest'].split(' ')[0];
    expect(records.filter((r) => runOf(r) === 'first')).toHaveLength(12);
    expect(records.filter((r) => runOf(r) === 'second').map((r) => r.value).sort()).toEqual([...lines].sort());
  });

  it('stopping after a send that failed part-way says what landed and what may have', async () => {
    const topic = 'ingest-partial-gone';
    await log.ensureTopic(topic, 1);
    // The first send writes 3 records and fails; the read-back finds them; every later send fails before reaching the log.
    const { log: unreliable } = flaky(log, () => true, (call) => (call === 1 ? 3 : 0));
    const lines = Array.from({ length: 8 }, (_, i) => good('u', i));
    const err = await ingest(unreliable, topic, lines, { keyField: 'user_id', batchSize: 8, retryMs: 300, runId: 'r' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestIncompleteError);
    const stop = err as IngestIncompleteError;
    expect({ appended: stop.appended, found: stop.found, notAppended: stop.notAppended, inDoubt: stop.inDoubt, resumeLine: stop.resumeLine }).toEqual({ appended: 3, found: 3, notAppended: 5, inDoubt: 5, resumeLine: 1 });
    expect(stop.message).toContain('run r');
    expect((await readAll(topic)).map((r) => r.value)).toEqual(lines.slice(0, 3));
  });

  it('does not retry an append the log refuses for good', async () => {
    await log.ensureTopic('ingest-refused', 1);
    const { log: refusing, calls } = flaky(log, () => true, () => 0, () => new BadRequestError('value', 'a record value must be a string'));
    const err = await ingest(refusing, 'ingest-refused', [good('u', 1)], { keyField: 'user_id', retryMs: 60_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestIncompleteError);
    expect(calls()).toBe(1);
    expect((err as IngestIncompleteError).resumeLine).toBe(1);
    expect((err as IngestIncompleteError).cause).toBeInstanceOf(BadRequestError);
  });

  it('propagates a failing append instead of dropping lines', async () => {
    await log.ensureTopic('ingest-fail', 1);
    const { log: failing } = flaky(log, () => true, () => 0, () => new Error('broker down'));
    await expect(ingest(failing, 'ingest-fail', [good('u', 1)], { keyField: 'user_id' })).rejects.toThrow('broker down');
  });
});
