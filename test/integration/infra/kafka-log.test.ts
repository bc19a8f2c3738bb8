import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, inject, it, type TestContext } from 'vitest';
import { KafkaLog } from '../../../infra/kafka/kafka-log.ts';
import { freePort } from '../../../infra/local/local-process.ts';
import { NotFoundError, ServiceUnavailableError } from '../../../shared/errors.ts';
import type { ConsumeOptions, LogRecord, Subscription } from '../../../shared/ports/event-log.ts';
import { describeEventLogContract } from '../../support/contracts/event-log-contract.ts';
import { kafkaOrSkip, uniqueName } from '../../support/services.ts';
import { waitFor } from '../../support/wait-for.ts';

/** A client of the broker global setup provides, closed when the test ends (each like its own process). */
async function client(ctx: TestContext): Promise<KafkaLog> {
  const { brokers } = kafkaOrSkip(ctx);
  const log = await KafkaLog.connect({ brokers, clientId: uniqueName('it') });
  ctx.onTestFinished(() => log.close());
  return log;
}

/** What one consumer was given, for assertions. */
interface Member {
  readonly records: LogRecord[];
  readonly owned: Set<number>;
  readonly revoked: number[][];
  readonly sub: Subscription;
}

async function member(log: KafkaLog, options: Omit<ConsumeOptions, 'onBatch'> & { onBatch?: ConsumeOptions['onBatch'] }): Promise<Member> {
  const records: LogRecord[] = [];
  const owned = new Set<number>();
  const revoked: number[][] = [];
  const sub = await log.consume({
    ...options,
    onAssigned: async (ps) => {
      for (const p of ps) owned.add(p);
    },
    onRevoked: async (ps) => {
      for (const p of ps) owned.delete(p);
      revoked.push([...ps]);
    },
    onBatch: async (b) => {
      await options.onBatch?.(b);
      records.push(...b.records);
    },
  });
  return { records, owned, revoked, sub };
}

describe('KafkaLog', () => {
  beforeEach((ctx) => void kafkaOrSkip(ctx));

  describeEventLogContract('KafkaLog', async () => {
    const offer = inject('kafka');
    if (!offer.available) throw new Error(offer.reason); // not reached: the beforeEach above skipped the test
    const log = await KafkaLog.connect({ brokers: offer.settings.brokers, clientId: uniqueName('contract') });
    return { log, cleanup: () => log.close() };
  });

  describe('on a real broker', () => {
    it('commitOffsets from outside waits out a member that died without leaving (until its session expires), then commits', async (ctx) => {
      const { brokers } = kafkaOrSkip(ctx);
      const log = await client(ctx);
      const topic = uniqueName('outsider');
      const group = uniqueName('crashed');
      await log.ensureTopic(topic, 1);
      await log.append(topic, [{ key: 'k', value: 'a' }, { key: 'k', value: 'b' }]);
      // A member with the shortest session the broker allows by default (group.min.session.timeout.ms), SIGKILLed once in the group.
      const child = spawn(process.execPath, [fileURLToPath(new URL('./support/group-member.ts', import.meta.url)), brokers.join(','), topic, group, '6000'], { stdio: ['ignore', 'pipe', 'inherit'] });
      ctx.onTestFinished(() => void child.kill('SIGKILL'));
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('joined') && resolve());
        child.once('exit', (code) => reject(new Error(`the group member exited (${code}) before joining`)));
      });
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      await log.commitOffsets(topic, group, new Map([[0, 1]]));
      expect(await log.committedOffsets(topic, group)).toEqual(new Map([[0, 1]]));
    });

    it('round-trips headers, including unicode and empty values', async (ctx) => {
      const log = await client(ctx);
      const topic = uniqueName('headers');
      await log.ensureTopic(topic, 1);
      const headers = { 'lk-source': 'it', 'ünï-name': 'välue ✓', empty: '', 'content-type': 'application/json; charset=utf-8' };
      await log.append(topic, [{ key: 'k', value: '{}', headers }, { key: 'k', value: 'none' }]);
      const m = await member(log, { topic, from: { kind: 'earliest' }, stopAtEnd: true });
      await m.sub.done;
      expect(m.records.map((r) => r.headers)).toEqual([headers, {}]);
    });

    it("finds offsets by time as Kafka's offsetsForTimes does when producer timestamps are out of order", async (ctx) => {
      const log = await client(ctx);
      const topic = uniqueName('by_time');
      await log.ensureTopic(topic, 1);
      const base = Date.now() - 600_000;
      await log.append(topic, [100, 300, 200, 400].map((dt, i) => ({ key: 'k', value: `v${i}`, timestamp: base + dt })));
      // The first offset whose timestamp is >= the target, in offset order: not a filter on time.
      expect((await log.offsetsForTimestamp(topic, base + 150)).get(0)).toBe(1);
      expect((await log.offsetsForTimestamp(topic, base + 250)).get(0)).toBe(1);
      expect((await log.offsetsForTimestamp(topic, base + 301)).get(0)).toBe(3);
      expect((await log.offsetsForTimestamp(topic, base + 401)).get(0)).toBe(4);
      const m = await member(log, { topic, from: { kind: 'timestamp', timestamp: base + 250 }, stopAtEnd: true });
      await m.sub.done;
      expect(m.records.map((r) => r.value)).toEqual(['v1', 'v2', 'v3']);
    });

    it("splits an append larger than the broker's request limit and keeps its order", async (ctx) => {
      const log = await client(ctx);
      const topic = uniqueName('large');
      await log.ensureTopic(topic, 1);
      const pad = 'x'.repeat(1_000);
      // ~3 MB in one call, three times the broker's default message.max.bytes.
      await log.append(topic, Array.from({ length: 3_000 }, (_, i) => ({ key: 'k', value: `${i}:${pad}` })));
      expect((await log.endOffsets(topic)).get(0)).toBe(3_000);
      const m = await member(log, { topic, from: { kind: 'earliest' }, stopAtEnd: true });
      await m.sub.done;
      expect(m.records.map((r) => Number(r.value.split(':')[0]))).toEqual(Array.from({ length: 3_000 }, (_, i) => i));
    });

    it('two clients of one group share the partitions; one joining later continues where the group is', async (ctx) => {
      const [a, b] = [await client(ctx), await client(ctx)];
      const topic = uniqueName('group');
      const groupId = uniqueName('group');
      await a.ensureTopic(topic, 4);
      await a.append(topic, Array.from({ length: 40 }, (_, i) => ({ key: `user-${i}`, value: `first-${i}` })));
      // An explicit start position: it applies when the group forms, not to each member that joins.
      const from = { kind: 'earliest' } as const;
      const m1 = await member(a, { topic, groupId, from });
      await waitFor(() => m1.records.length >= 40, { timeoutMs: 60_000, message: 'the first member reads the 40 records' });
      const m2 = await member(b, { topic, groupId, from });
      await waitFor(() => m1.owned.size > 0 && m2.owned.size > 0 && m1.owned.size + m2.owned.size === 4, {
        timeoutMs: 60_000,
        message: 'the two members split the four partitions',
      });
      expect([...m1.owned].some((p) => m2.owned.has(p))).toBe(false);

      await a.append(topic, Array.from({ length: 40 }, (_, i) => ({ key: `user-${i}`, value: `second-${i}` })));
      const second = () => [...m1.records, ...m2.records].filter((r) => r.value.startsWith('second-'));
      await waitFor(() => second().length >= 40, { timeoutMs: 60_000, message: 'the group reads the 40 new records' });
      expect(new Set(second().map((r) => r.value)).size).toBe(40);
      expect(second()).toHaveLength(40);
      expect(m2.records.some((r) => r.value.startsWith('first-'))).toBe(false);
      expect(m1.records.filter((r) => r.value.startsWith('first-'))).toHaveLength(40);
      expect(m2.records.length).toBeGreaterThan(0);
    });

    it('a restarted consumer resumes at the committed offsets: nothing lost, the failed batch again', async (ctx) => {
      const topic = uniqueName('restart');
      const groupId = uniqueName('group');
      const first = await client(ctx);
      await first.ensureTopic(topic, 2);
      await first.append(topic, Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 5}`, value: `v${i}` })));
      const processed: LogRecord[] = [];
      let failed: LogRecord[] = [];
      const crashing = await first.consume({
        topic,
        groupId,
        from: { kind: 'committed', fallback: 'earliest' },
        maxBatchRecords: 4,
        onBatch: async (b) => {
          if (processed.length >= 12) {
            failed = [...b.records];
            throw new Error('crash mid-stream');
          }
          processed.push(...b.records);
        },
      });
      await expect(crashing.done).rejects.toThrow('crash mid-stream');
      await first.close();

      const second = await client(ctx);
      const committed = await second.committedOffsets(topic, groupId);
      for (const [p, next] of committed) {
        expect(next).toBe(Math.max(...processed.filter((r) => r.partition === p).map((r) => r.offset)) + 1);
      }
      const resumed = await member(second, { topic, groupId, from: { kind: 'committed', fallback: 'earliest' }, stopAtEnd: true });
      await resumed.sub.done;
      const id = (r: LogRecord) => `${r.partition}@${r.offset}`;
      const again = new Set(resumed.records.map(id));
      expect(processed.filter((r) => again.has(id(r)))).toEqual([]);
      expect(failed.every((r) => again.has(id(r)))).toBe(true);
      expect(new Set([...processed.map(id), ...again]).size).toBe(30);
      expect(await second.committedOffsets(topic, groupId)).toEqual(await second.endOffsets(topic));
    });

    it('a batch that outlasts the session timeout keeps its partition (heartbeats while onBatch runs)', async (ctx) => {
      const [a, b] = [await client(ctx), await client(ctx)];
      const topic = uniqueName('slow');
      const groupId = uniqueName('group');
      await a.ensureTopic(topic, 2);
      const from = { kind: 'committed', fallback: 'earliest' } as const;
      let slowed = false;
      // Longer than the 10 s session timeout: without heartbeats the member is dropped and the other one
      // re-reads the record, since its offset was not committed yet.
      const slow = async () => {
        if (slowed) return;
        slowed = true;
        await new Promise((r) => setTimeout(r, 12_000));
      };
      const m1 = await member(a, { topic, groupId, from, onBatch: slow });
      const m2 = await member(b, { topic, groupId, from, onBatch: slow });
      await waitFor(() => m1.owned.size === 1 && m2.owned.size === 1, { timeoutMs: 60_000, message: 'one partition each' });
      // The second member's arrival took a partition from the first; any later revocation is a member lost.
      const revokedBefore = m1.revoked.length + m2.revoked.length;
      await a.append(topic, [
        { key: 'foobar', value: 'on-0' },
        { key: 'abc', value: 'on-1' },
      ]);
      await waitFor(() => m1.records.length + m2.records.length >= 2, { timeoutMs: 60_000, message: 'both records processed' });
      await a.append(topic, [{ key: 'foobar', value: 'after' }]);
      await waitFor(() => [...m1.records, ...m2.records].some((r) => r.value === 'after'), { timeoutMs: 60_000, message: 'a later record' });
      expect([...m1.records, ...m2.records].map((r) => r.value).sort()).toEqual(['after', 'on-0', 'on-1']);
      expect(m1.revoked.length + m2.revoked.length).toBe(revokedBefore);
      expect(m1.owned.size + m2.owned.size).toBe(2);
    });

    it('consuming a topic that does not exist fails with NotFoundError and creates nothing', async (ctx) => {
      const log = await client(ctx);
      const topic = uniqueName('missing');
      await expect(log.consume({ topic, from: { kind: 'earliest' }, onBatch: async () => undefined })).rejects.toBeInstanceOf(NotFoundError);
      await expect(log.partitionCount(topic)).rejects.toBeInstanceOf(NotFoundError);
      expect((await log.committedOffsets(topic, uniqueName('group'))).size).toBe(0);
    });
  });
});

describe('KafkaLog without a broker', () => {
  it('says where it looked and what to do', async () => {
    const port = await freePort();
    const err = await KafkaLog.connect({ brokers: [`127.0.0.1:${port}`], clientId: uniqueName('it'), logLevel: 'nothing' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    expect((err as Error).message).toContain('KAFKA_BROKERS');
  });
});
