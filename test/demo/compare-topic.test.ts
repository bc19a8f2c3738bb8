import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCommandArgs, type CommandEnv } from '../../cli/command.ts';
import { compareCommand } from '../../cli/commands/compare-command.ts';
import { topicSource, type TimedRecord } from '../../demo/timeline-source.ts';
import { EmbeddedLog } from '../../infra/embedded/embedded-log.ts';
import { NotFoundError } from '../../shared/errors.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lk-compare-topic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const T = Date.UTC(2026, 0, 1, 10);
const ev = (id: string, user: string, at: number) => JSON.stringify({ event_id: id, event_type: 'page_view', user_id: user, product_id: 'p1', event_time: new Date(at).toISOString() });

/** A recorded topic in an embedded log: 30 minutes of one event a minute, over 3 partitions, on their own append times. */
async function recordTopic(logDir: string, topic: string): Promise<number> {
  const log = await EmbeddedLog.open(logDir);
  await log.ensureTopic(topic, 3);
  const records = Array.from({ length: 30 }, (_, i) => ({ key: `u${i % 5}`, value: ev(`e${i}`, `u${i % 5}`, T + i * 60_000), timestamp: T + i * 60_000 + 500 }));
  await log.append(topic, records);
  await log.close();
  return records.length;
}

async function compare(...args: string[]) {
  const out: string[] = [];
  const env: CommandEnv = { out: (l) => out.push(l), err: () => undefined, signal: new AbortController().signal };
  const code = await compareCommand.run(parseCommandArgs(compareCommand, ['--data-dir', join(dir, 'data'), '--speedup', '0', ...args]), env);
  return { code, out: out.join('\n') };
}

describe('lk compare --topic on the embedded log', () => {
  it('reads the topic from the data dir as it is and compares in a scratch dir, leaving the data dir alone', async () => {
    // The run's own topic has the same name (events): it lives in the scratch dir's log, not the user's.
    const n = await recordTopic(join(dir, 'data', 'log'), 'events');
    const r = await compare('--topic', 'events', '--json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.events).toMatchObject({ source: 'read', generated: n, valid: n + json.events.probes });
    expect(json.ledger.reconciled).toBe(true);
    expect(json.timeline.simStart).toBe(new Date(T + 500).toISOString());
    // The data dir holds its log and nothing of the run (no objects, views or marker); the topic is unchanged.
    expect(await readdir(join(dir, 'data'))).toEqual(['log']);
    const log = await EmbeddedLog.open(join(dir, 'data', 'log'));
    expect([...(await log.endOffsets('events')).values()].reduce((a, b) => a + b, 0)).toBe(n);
    expect(await log.partitionCount('events.late').catch(() => 0)).toBe(0);
    await log.close();
  }, 60_000);

  it('says when the data dir has no such topic', async () => {
    await recordTopic(join(dir, 'data', 'log'), 'events');
    await expect(compare('--topic', 'recorded')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('topicSource', () => {
  it('merges the partitions by append time without going back, spooled to files, the same on every read', async () => {
    const log = await EmbeddedLog.open(join(dir, 'log'));
    await log.ensureTopic('t', 2);
    // Keys a and b land on some partitions; b's second record is dated before a's second (a producer's clock).
    await log.append('t', [
      { key: 'a', value: '1', timestamp: 100 },
      { key: 'b', value: '2', timestamp: 150 },
      { key: 'a', value: '3', timestamp: 300 },
      { key: 'b', value: '4', timestamp: 250 },
      { key: 'b', value: '5', timestamp: 400 },
    ]);
    const source = topicSource(log, 't', join(dir, 'spool'));
    const read = async () => {
      const out: TimedRecord[] = [];
      for await (const r of source.records()) out.push(r);
      return out.map((r) => [r.value, r.timestamp]);
    };
    const first = await read();
    expect(first.map(([v]) => v).sort()).toEqual(['1', '2', '3', '4', '5']);
    // Non-decreasing append times; each key's records (one partition) in their log order.
    expect(first.map(([, t]) => t)).toEqual([...first.map(([, t]) => t as number)].sort((x, y) => x - y));
    expect(first.filter(([v]) => ['2', '4', '5'].includes(v as string)).map(([v]) => v)).toEqual(['2', '4', '5']);
    expect(await readdir(join(dir, 'spool'))).toEqual(['p0.jsonl', 'p1.jsonl']);
    expect(await read()).toEqual(first);
    await log.close();
  });
});
