import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { topicSource } from '../../../demo/timeline-source.ts';
import { KafkaLog } from '../../../infra/kafka/kafka-log.ts';
import { kafkaOrSkip, uniqueName } from '../../support/services.ts';

describe('topicSource on Kafka', () => {
  it('spools every partition of a recorded topic to files and plays the records merged by append time, each once, on every read', async (ctx) => {
    const { brokers } = kafkaOrSkip(ctx);
    const log = await KafkaLog.connect({ brokers, clientId: uniqueName('it') });
    const dir = await mkdtemp(join(tmpdir(), 'lk-topic-source-'));
    ctx.onTestFinished(async () => {
      await log.close();
      await rm(dir, { recursive: true, force: true });
    });
    const topic = uniqueName('recorded');
    await log.ensureTopic(topic, 3);
    const base = Date.now() - 3_600_000;
    // 600 records over 20 keys (so over every partition), one a second of producer time.
    const appended = Array.from({ length: 600 }, (_, i) => ({ key: `k${i % 20}`, value: `v${i}`, timestamp: base + i * 1_000 }));
    await log.append(topic, appended);
    const source = topicSource(log, topic, join(dir, 'spool'));
    const read = async () => {
      const out: Array<[string, number]> = [];
      for await (const r of source.records()) out.push([r.value, r.timestamp]);
      return out;
    };
    const first = await read();
    expect(first).toEqual(appended.map((r) => [r.value, r.timestamp]));
    expect((await readdir(join(dir, 'spool'))).sort()).toEqual(['p0.jsonl', 'p1.jsonl', 'p2.jsonl']);
    expect(await read()).toEqual(first);
  }, 60_000);
});
