import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WriterFencedError } from '../../../shared/errors.ts';
import { SOURCE_OFFSET_HEADER, SOURCE_PARTITION_HEADER, SOURCE_TOPIC_HEADER, type DerivedOutput, type DerivedRecord } from '../../../shared/ports/derived-writer.ts';
import type { ConsumeOptions, EventLog, LogRecord, PartitionOffsets, RecordBatch, Subscription } from '../../../shared/ports/event-log.ts';
import { waitFor } from '../wait-for.ts';
import { uniqueName } from './unique-name.ts';

export interface EventLogFixture {
  readonly log: EventLog;
  /** Closes the log and removes what the fixture created. */
  cleanup(): Promise<void>;
}

/**
 * Keys and the partition Kafka's default partitioner (murmur2) gives them in a 4-partition topic,
 * computed with the Java client's org.apache.kafka.common.utils.Utils.murmur2 (kafka-clients 3.7).
 * Every adapter must agree, so a key's partition is the same on the embedded log and on Kafka.
 */
const KAFKA_PARTITION_OF_4: ReadonlyArray<readonly [string, number]> = [
  ['21', 0],
  ['foobar', 2],
  ['abc', 3],
  ['user-42', 0],
  ['u_00017', 2],
  ['ünïcödé', 3],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', 1],
];
/** In a 2-partition topic (4 is a multiple of 2): 'foobar' lands on 0, 'abc' on 1. */
const KEY_ON_0_OF_2 = 'foobar';
const KEY_ON_1_OF_2 = 'abc';

/** A consumer's view of what it was given, for assertions. */
interface Collector {
  readonly records: LogRecord[];
  readonly batches: RecordBatch[];
  /** Partitions it owns now (onAssigned adds, onRevoked removes). */
  readonly owned: Set<number>;
  readonly revoked: number[][];
  readonly sub: Subscription;
}

/**
 * The EventLog port's contract (shared/ports/event-log.ts), run against an adapter. Every test
 * uses its own topic and group names, so the suite can share one real Kafka with other runs.
 */
export function describeEventLogContract(name: string, factory: () => Promise<EventLogFixture>): void {
  describe(`EventLog contract: ${name}`, () => {
    let fx: EventLogFixture;
    let log: EventLog;
    const subs: Subscription[] = [];

    beforeEach(async () => {
      fx = await factory();
      log = fx.log;
    });

    afterEach(async () => {
      for (const s of subs.splice(0)) await s.stop().catch(() => undefined);
      await fx?.cleanup();
    });

    async function collect(options: Omit<ConsumeOptions, 'onBatch'> & { onBatch?: ConsumeOptions['onBatch'] }): Promise<Collector> {
      const records: LogRecord[] = [];
      const batches: RecordBatch[] = [];
      const owned = new Set<number>();
      const revoked: number[][] = [];
      const sub = await log.consume({
        ...options,
        onAssigned: async (ps) => {
          for (const p of ps) owned.add(p);
          return options.onAssigned?.(ps);
        },
        onRevoked: async (ps) => {
          for (const p of ps) owned.delete(p);
          revoked.push([...ps]);
          await options.onRevoked?.(ps);
        },
        onBatch: async (b) => {
          batches.push(b);
          records.push(...b.records);
          await options.onBatch?.(b);
        },
      });
      subs.push(sub);
      return { records, batches, owned, revoked, sub };
    }

    /** Everything from `from` to the end offsets at start (a bounded read without a group). */
    async function readAll(topic: string, from: ConsumeOptions['from'] = { kind: 'earliest' }, extra: Partial<ConsumeOptions> = {}): Promise<Collector> {
      const c = await collect({ topic, from, stopAtEnd: true, ...extra });
      await c.sub.done;
      return c;
    }

    async function newTopic(partitions: number): Promise<string> {
      const topic = uniqueName('contract');
      await log.ensureTopic(topic, partitions);
      return topic;
    }

    it('creates a topic with the partitions asked for, idempotently, starting at offset 0', async () => {
      const topic = await newTopic(3);
      expect(await log.ensureTopic(topic, 3)).toBe(3);
      expect(await log.partitionCount(topic)).toBe(3);
      expect(sorted(await log.beginningOffsets(topic))).toEqual([[0, 0], [1, 0], [2, 0]]);
      expect(sorted(await log.endOffsets(topic))).toEqual([[0, 0], [1, 0], [2, 0]]);
    });

    it('keeps an existing topic\'s partitions and tells the caller how many it has', async () => {
      const topic = await newTopic(2);
      expect(await log.ensureTopic(topic, 5)).toBe(2);
      expect(await log.partitionCount(topic)).toBe(2);
    });

    it("puts a key on the partition Kafka's default partitioner picks and keeps each key's order", async () => {
      const topic = await newTopic(4);
      for (let round = 0; round < 3; round++) {
        const batch = [];
        for (let i = 0; i < 4; i++) for (const [key] of KAFKA_PARTITION_OF_4) batch.push({ key, value: `${key}#${round * 4 + i}` });
        await log.append(topic, batch);
      }
      const { records } = await readAll(topic);
      expect(records).toHaveLength(KAFKA_PARTITION_OF_4.length * 12);
      for (const [key, partition] of KAFKA_PARTITION_OF_4) {
        const mine = records.filter((r) => r.key === key);
        expect(new Set(mine.map((r) => r.partition))).toEqual(new Set([partition]));
        expect(mine.map((r) => r.value)).toEqual(Array.from({ length: 12 }, (_, i) => `${key}#${i}`));
      }
      const ends = await log.endOffsets(topic);
      for (let p = 0; p < 4; p++) {
        const offsets = records.filter((r) => r.partition === p).map((r) => r.offset);
        expect(offsets).toEqual(Array.from({ length: ends.get(p)! }, (_, i) => i));
      }
    });

    it('keeps values, null keys, headers and timestamps', async () => {
      const topic = await newTopic(1);
      const produced = Date.now() - 3_600_000;
      const before = Date.now();
      await log.append(topic, [
        { key: 'k', value: 'ünïcödé ✓ "quoted" \\ back\nslash', headers: { a: '1', 'lk-reason': 'x y' } },
        { key: null, value: 'no key' },
        { key: 'k', value: 'producer time', timestamp: produced },
      ]);
      const after = Date.now();
      const { records } = await readAll(topic);
      expect(records.map((r) => r.value)).toEqual(['ünïcödé ✓ "quoted" \\ back\nslash', 'no key', 'producer time']);
      const [first, second, third] = records;
      expect(first.key).toBe('k');
      expect(first.headers).toEqual({ a: '1', 'lk-reason': 'x y' });
      expect(second.key).toBeNull();
      expect(second.headers).toEqual({});
      expect(third.timestamp).toBe(produced);
      // Append time comes from a clock that may be another host's (a broker); allow it a second.
      for (const r of [first, second]) {
        expect(r.timestamp).toBeGreaterThanOrEqual(before - 1_000);
        expect(r.timestamp).toBeLessThanOrEqual(after + 1_000);
      }
      expect(first.topic).toBe(topic);
    });

    it('keeps text decoded from bytes that are not UTF-8 (U+DC80-U+DCFF, shared/model/byte-text.ts) as it was: keys, values, headers', async () => {
      const topic = await newTopic(1);
      // Keys and values that differ only in such a byte: never one of them twice, never U+FFFD.
      const texts = ['p-\udcff', 'p-\udcfe', 'p-\udc80', 'p-\uFFFD'];
      // Other lone surrogates have no bytes of their own: they must stay distinct and not well-formed.
      const lone = ['p-\ud800', 'p-\udc00'];
      await log.append(topic, [...texts, ...lone].map((t) => ({ key: t, value: `{"product_id":"${t}"}`, headers: { 'lk-message': t } })));
      const { records } = await readAll(topic);
      const kept = records.slice(0, texts.length);
      expect(kept.map((r) => r.key)).toEqual(texts);
      expect(kept.map((r) => r.value)).toEqual(texts.map((t) => `{"product_id":"${t}"}`));
      expect(kept.map((r) => r.headers['lk-message'])).toEqual(texts);
      const rest = records.slice(texts.length);
      expect(rest.map((r) => r.value.isWellFormed())).toEqual([false, false]);
      expect(new Set(rest.map((r) => r.value)).size).toBe(2);
    });

    it('finds the first offset at or after a timestamp, the end offset when there is none, and consumes from there', async () => {
      const topic = await newTopic(2);
      const base = Date.now() - 60_000;
      await log.append(topic, [0, 10_000, 20_000].map((dt, i) => ({ key: KEY_ON_0_OF_2, value: `v${i}`, timestamp: base + dt })));
      expect(sorted(await log.offsetsForTimestamp(topic, base - 1))).toEqual([[0, 0], [1, 0]]);
      expect(sorted(await log.offsetsForTimestamp(topic, base + 10_000))).toEqual([[0, 1], [1, 0]]);
      expect(sorted(await log.offsetsForTimestamp(topic, base + 15_000))).toEqual([[0, 2], [1, 0]]);
      expect(sorted(await log.offsetsForTimestamp(topic, base + 25_000))).toEqual([[0, 3], [1, 0]]);
      const { records } = await readAll(topic, { kind: 'timestamp', timestamp: base + 10_000 });
      expect(records.map((r) => r.value)).toEqual(['v1', 'v2']);
    });

    it('stopAtEnd reads up to the end offsets seen at start, in offset order, in batches of at most maxBatchRecords', async () => {
      const topic = await newTopic(3);
      await log.append(topic, Array.from({ length: 30 }, (_, i) => ({ key: `key-${i % 7}`, value: `v${i}` })));
      const ends = await log.endOffsets(topic);
      const { records, batches } = await readAll(topic, { kind: 'earliest' }, { maxBatchRecords: 4 });
      expect(records).toHaveLength(30);
      const next = new Map<number, number>();
      for (const b of batches) {
        expect(b.topic).toBe(topic);
        expect(b.records.length).toBeGreaterThan(0);
        expect(b.records.length).toBeLessThanOrEqual(4);
        for (const r of b.records) {
          expect(r.partition).toBe(b.partition);
          expect(r.offset).toBe(next.get(b.partition) ?? 0);
          next.set(b.partition, r.offset + 1);
        }
        expect(b.highWatermark).toBeGreaterThanOrEqual(b.records[b.records.length - 1].offset + 1);
      }
      expect(sorted(next)).toEqual(sorted(ends).filter(([, end]) => end > 0));
    });

    it('stopAtEnd on an empty topic finishes without a batch', async () => {
      const topic = await newTopic(2);
      const { batches } = await readAll(topic);
      expect(batches).toEqual([]);
    });

    it('latest skips what was there when the partitions were assigned', async () => {
      const topic = await newTopic(2);
      await log.append(topic, [{ key: KEY_ON_0_OF_2, value: 'old' }, { key: KEY_ON_1_OF_2, value: 'old' }]);
      const c = await collect({ topic, from: { kind: 'latest' } });
      await waitFor(() => c.owned.size === 2, { message: 'both partitions assigned' });
      await log.append(topic, [{ key: KEY_ON_0_OF_2, value: 'new' }, { key: KEY_ON_1_OF_2, value: 'new' }]);
      await waitFor(() => c.records.length >= 2, { message: 'the two new records' });
      await c.sub.stop();
      expect(c.records.map((r) => r.value)).toEqual(['new', 'new']);
    });

    it('offsets start each partition where given and take the fallback elsewhere', async () => {
      const topic = await newTopic(2);
      await log.append(topic, [
        ...Array.from({ length: 5 }, (_, i) => ({ key: KEY_ON_0_OF_2, value: `a${i}` })),
        ...Array.from({ length: 5 }, (_, i) => ({ key: KEY_ON_1_OF_2, value: `b${i}` })),
      ]);
      const earliest = await readAll(topic, { kind: 'offsets', offsets: new Map([[0, 3]]), fallback: 'earliest' });
      expect(earliest.records.map((r) => r.value).sort()).toEqual(['a3', 'a4', 'b0', 'b1', 'b2', 'b3', 'b4']);
      const latest = await readAll(topic, { kind: 'offsets', offsets: new Map([[0, 3]]), fallback: 'latest' });
      expect(latest.records.map((r) => r.value)).toEqual(['a3', 'a4']);
    });

    it('onAssigned can seek: the offsets it returns win over `from`', async () => {
      const topic = await newTopic(2);
      await log.append(topic, Array.from({ length: 5 }, (_, i) => ({ key: KEY_ON_0_OF_2, value: `a${i}` })));
      const { records } = await readAll(topic, { kind: 'earliest' }, { onAssigned: async () => new Map([[0, 3]]) });
      expect(records.map((r) => r.value)).toEqual(['a3', 'a4']);
    });

    it('a group commits after each batch and resumes from its committed offsets', async () => {
      const topic = await newTopic(2);
      const groupId = uniqueName('group');
      await log.append(topic, Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: `first${i}` })));
      const first = await readAll(topic, { kind: 'committed', fallback: 'earliest' }, { groupId, maxBatchRecords: 2 });
      expect(first.records).toHaveLength(6);
      expect(sorted(await log.committedOffsets(topic, groupId))).toEqual(sorted(await log.endOffsets(topic)).filter(([, end]) => end > 0));
      await log.append(topic, Array.from({ length: 4 }, (_, i) => ({ key: `k${i}`, value: `second${i}` })));
      const second = await readAll(topic, { kind: 'committed', fallback: 'earliest' }, { groupId });
      expect(second.records.map((r) => r.value).sort()).toEqual(['second0', 'second1', 'second2', 'second3']);
      // A group that never committed takes the fallback.
      const fresh = await readAll(topic, { kind: 'committed', fallback: 'latest' }, { groupId: uniqueName('group') });
      expect(fresh.records).toEqual([]);
    });

    it('commitOffsets and committedOffsets round-trip; a group that never committed has none', async () => {
      const topic = await newTopic(2);
      await log.append(topic, Array.from({ length: 5 }, (_, i) => ({ key: i % 2 ? KEY_ON_1_OF_2 : KEY_ON_0_OF_2, value: `v${i}` })));
      const groupId = uniqueName('group');
      expect((await log.committedOffsets(topic, groupId)).size).toBe(0);
      await log.commitOffsets(topic, groupId, new Map([[0, 2], [1, 1]]));
      expect(sorted(await log.committedOffsets(topic, groupId))).toEqual([[0, 2], [1, 1]]);
      const { records } = await readAll(topic, { kind: 'committed', fallback: 'earliest' }, { groupId });
      expect(records.map((r) => r.value).sort()).toEqual(['v3', 'v4']);
    });

    it('a throw in onBatch stops the consumer and rejects done with it', async () => {
      const topic = await newTopic(1);
      await log.append(topic, [{ key: 'k', value: 'v' }]);
      const c = await collect({
        topic,
        from: { kind: 'earliest' },
        onBatch: async () => {
          throw new Error('boom from onBatch');
        },
      });
      await expect(c.sub.done).rejects.toThrow('boom from onBatch');
    });

    it('hands a partition its next batch only after the previous onBatch resolved', async () => {
      const topic = await newTopic(2);
      await log.append(topic, Array.from({ length: 30 }, (_, i) => ({ key: i % 2 ? KEY_ON_1_OF_2 : KEY_ON_0_OF_2, value: `v${i}` })));
      const busy = new Set<number>();
      let overlapped = false;
      const { records } = await readAll(topic, { kind: 'earliest' }, {
        maxBatchRecords: 3,
        onBatch: async (b) => {
          if (busy.has(b.partition)) overlapped = true;
          busy.add(b.partition);
          // Give an adapter that does not wait every chance to start the next batch of this partition.
          await new Promise((r) => setTimeout(r, 2));
          busy.delete(b.partition);
        },
      });
      expect(records).toHaveLength(30);
      expect(overlapped).toBe(false);
    });

    it('members of one group share the partitions and take over those of a member that stops', async () => {
      const topic = await newTopic(4);
      const groupId = uniqueName('group');
      const from = { kind: 'committed', fallback: 'earliest' } as const;
      const m1 = await collect({ topic, groupId, from });
      await waitFor(() => m1.owned.size === 4, { timeoutMs: 60_000, message: 'the first member owns every partition' });
      const m2 = await collect({ topic, groupId, from });
      await waitFor(() => m2.owned.size > 0 && m1.owned.size > 0 && m1.owned.size + m2.owned.size === 4 && [...m1.owned].every((p) => !m2.owned.has(p)), {
        timeoutMs: 60_000,
        message: 'the two members split the four partitions',
      });
      const m1Owned = new Set(m1.owned);
      const m2Owned = new Set(m2.owned);

      await log.append(topic, Array.from({ length: 40 }, (_, i) => ({ key: `user-${i}`, value: `one-${i}` })));
      await waitFor(() => m1.records.length + m2.records.length >= 40, { timeoutMs: 60_000, message: '40 records consumed by the group' });
      // A stable group hands each record to exactly one member: the one owning its partition.
      expect(m1.records.length + m2.records.length).toBe(40);
      expect(m1.records.every((r) => m1Owned.has(r.partition))).toBe(true);
      expect(m2.records.every((r) => m2Owned.has(r.partition))).toBe(true);
      expect(m1.records.length).toBeGreaterThan(0);
      expect(m2.records.length).toBeGreaterThan(0);

      await m2.sub.stop();
      expect(m2.owned.size).toBe(0);
      expect(m2.revoked.flat().sort()).toEqual(expect.arrayContaining([...m2Owned].sort()));
      await waitFor(() => m1.owned.size === 4, { timeoutMs: 60_000, message: 'the remaining member owns every partition' });
      await log.append(topic, Array.from({ length: 40 }, (_, i) => ({ key: `user-${i}`, value: `two-${i}` })));
      await waitFor(() => new Set(m1.records.filter((r) => r.value.startsWith('two-')).map((r) => r.value)).size === 40, {
        timeoutMs: 60_000,
        message: 'the remaining member consumes all 40 new records',
      });
    });

    /** Two derived topics of a 2-partition source, and what a writer of its partition 1 writes. */
    async function derivedOutput(): Promise<DerivedOutput> {
      return { sourceTopic: await newTopic(2), sourcePartition: 1, topics: [await newTopic(2), await newTopic(2)] };
    }

    const derived = (topic: string, sourceOffset: number): DerivedRecord => ({ topic, sourceOffset, record: { key: `k${sourceOffset}`, value: `v${sourceOffset}`, headers: { 'lk-reason': 'test' } } });

    /** "source offset" of every record of a derived topic, in log order, with the partition it is on. */
    async function derivedContents(topic: string): Promise<Array<[partition: number, sourceOffset: string]>> {
      return (await readAll(topic)).records.map((r) => [r.partition, r.headers['lk-source-offset']]);
    }

    it('a derived writer puts each record on its source partition with the source headers; a bounded read sees each once', async () => {
      const out = await derivedOutput();
      const [a, b] = out.topics;
      const w = await log.openDerivedWriter(out);
      await w.append([derived(a, 3), derived(b, 4), derived(a, 5)]);
      await w.append([derived(b, 9)]);
      await w.close();
      const records = (await readAll(a)).records;
      expect(records.map((r) => ({ partition: r.partition, key: r.key, value: r.value, headers: r.headers }))).toEqual(
        [3, 5].map((o) => ({
          partition: 1,
          key: `k${o}`,
          value: `v${o}`,
          headers: { 'lk-reason': 'test', [SOURCE_TOPIC_HEADER]: out.sourceTopic, [SOURCE_PARTITION_HEADER]: '1', [SOURCE_OFFSET_HEADER]: String(o) },
        })),
      );
      expect(await derivedContents(b)).toEqual([[1, '4'], [1, '9']]);
    });

    it('a derived writer opened again (after a crash before its caller committed) skips the source offsets its topics hold', async () => {
      const out = await derivedOutput();
      const [a, b] = out.topics;
      const first = await log.openDerivedWriter(out);
      await first.append([derived(a, 3), derived(b, 4), derived(a, 5)]);
      // Not closed: the process died. Its successor processes the same records again, and more.
      const second = await log.openDerivedWriter(out);
      await second.append([derived(a, 3), derived(b, 4), derived(a, 5), derived(b, 6), derived(a, 7)]);
      await second.append([derived(b, 6), derived(a, 8)]);
      await second.close();
      expect(await derivedContents(a)).toEqual([[1, '3'], [1, '5'], [1, '7'], [1, '8']]);
      expect(await derivedContents(b)).toEqual([[1, '4'], [1, '6']]);
    });

    it('opening a derived writer fences the earlier one: its appends fail with WriterFencedError and write nothing', async () => {
      const out = await derivedOutput();
      const [a, b] = out.topics;
      const zombie = await log.openDerivedWriter(out);
      await zombie.append([derived(a, 1)]);
      // A new owner of the source partition (after a rebalance the zombie has not noticed).
      const owner = await log.openDerivedWriter(out);
      await expect(zombie.append([derived(a, 2), derived(b, 3)])).rejects.toBeInstanceOf(WriterFencedError);
      await owner.append([derived(a, 1), derived(a, 2), derived(b, 3)]);
      await expect(zombie.append([derived(a, 4)])).rejects.toBeInstanceOf(WriterFencedError);
      await zombie.close();
      await owner.close();
      expect(await derivedContents(a)).toEqual([[1, '1'], [1, '2']]);
      expect(await derivedContents(b)).toEqual([[1, '3']]);
    });
  });
}

function sorted(offsets: PartitionOffsets): Array<[number, number]> {
  return [...offsets].sort((a, b) => a[0] - b[0]);
}
