import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../../infra/embedded/embedded-log.ts';
import { TopicLockedError } from '../../../infra/embedded/topic-lock.ts';
import { BadRequestError, NotFoundError } from '../../../shared/errors.ts';
import type { LogRecord, Subscription } from '../../../shared/ports/event-log.ts';
import { describeEventLogContract } from '../../support/contracts/event-log-contract.ts';
import { waitFor } from '../../support/wait-for.ts';

const EMBEDDED_LOG_MODULE = pathToFileURL(join(import.meta.dirname, '../../../infra/embedded/embedded-log.ts')).href;

describeEventLogContract('EmbeddedLog', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lk-embedded-log-'));
  const log = await EmbeddedLog.open(dir, { pollIntervalMs: 5 });
  return {
    log,
    cleanup: async () => {
      await log.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('EmbeddedLog on disk', () => {
  let dir: string;
  const opened: EmbeddedLog[] = [];
  const subs: Subscription[] = [];
  const children: ChildProcess[] = [];

  async function open(): Promise<EmbeddedLog> {
    const log = await EmbeddedLog.open(dir, { pollIntervalMs: 5 });
    opened.push(log);
    return log;
  }

  /** Consumes in the background into an array. */
  async function tail(log: EmbeddedLog, topic: string, options: { groupId?: string; from?: 'earliest' | 'latest'; slowMs?: number } = {}): Promise<{ records: LogRecord[]; sub: Subscription }> {
    const records: LogRecord[] = [];
    const sub = await log.consume({
      topic,
      groupId: options.groupId,
      from: options.groupId ? { kind: 'committed', fallback: 'earliest' } : { kind: options.from ?? 'earliest' },
      maxBatchRecords: 7,
      onBatch: async (b) => {
        records.push(...b.records);
        if (options.slowMs) await new Promise((r) => setTimeout(r, options.slowMs));
      },
    });
    subs.push(sub);
    return { records, sub };
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lk-embedded-log-'));
  });

  afterEach(async () => {
    for (const s of subs.splice(0)) await s.stop();
    for (const l of opened.splice(0)) await l.close();
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the documented layout: meta.json, one JSON line per record, committed offsets per group', async () => {
    const log = await open();
    await log.ensureTopic('events', 2);
    await log.append('events', [{ key: 'foobar', value: 'v0', timestamp: 1_000, headers: { h: 'x' } }]);
    await log.commitOffsets('events', 'archiver', new Map([[0, 1]]));
    expect(JSON.parse(await readFile(join(dir, 'events', 'meta.json'), 'utf8'))).toEqual({ partitions: 2 });
    const lines = (await readFile(join(dir, 'events', '0.jsonl'), 'utf8')).split('\n');
    expect(lines).toEqual([JSON.stringify({ offset: 0, timestamp: 1_000, key: 'foobar', value: 'v0', headers: { h: 'x' } }), '']);
    expect(await readFile(join(dir, 'events', '1.jsonl'), 'utf8')).toBe('');
    expect(JSON.parse(await readFile(join(dir, '_groups', 'archiver.json'), 'utf8'))).toEqual({ events: { '0': 1 } });
  });

  it('survives a restart: records, offsets and committed offsets come back', async () => {
    const first = await open();
    await first.ensureTopic('events', 3);
    await first.append('events', Array.from({ length: 50 }, (_, i) => ({ key: `user-${i % 9}`, value: `v${i}`, timestamp: 5_000 + i })));
    await first.commitOffsets('events', 'g', new Map([[1, 4]]));
    const ends = await first.endOffsets('events');
    await first.close();

    const second = await open();
    expect(await second.endOffsets('events')).toEqual(ends);
    expect(await second.committedOffsets('events', 'g')).toEqual(new Map([[1, 4]]));
    const { records, sub } = await tail(second, 'events');
    await waitFor(() => records.length === 50);
    await sub.stop();
    expect(records.map((r) => r.value).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`).sort());
    await second.append('events', [{ key: 'user-0', value: 'after restart' }]);
    await expect(first.endOffsets('events')).rejects.toThrow(/closed/);
    const after = await second.endOffsets('events');
    expect([...after.values()].reduce((a, b) => a + b, 0)).toBe(51);
  });

  it('reads back from its files the records it no longer keeps in memory, in this process and another', async () => {
    const writer = await open();
    await writer.ensureTopic('big', 2);
    // ~16 MB of values: more than a partition keeps in memory, so the early ones come from the file.
    const sent = Array.from({ length: 4_000 }, (_, i) => ({
      key: `u${i % 5}`,
      value: `${'é'.repeat(i % 7)}${String(i).padStart(6, '0')}${'x'.repeat(4_000)}`,
      timestamp: i % 100 === 0 ? 50_000 + i : 10_000 + i,
      headers: i % 3 === 0 ? { n: String(i) } : undefined,
    }));
    for (let i = 0; i < sent.length; i += 500) await writer.append('big', sent.slice(i, i + 500));
    const expected = new Map(sent.map((r) => [r.value, r]));
    for (const log of [writer, await open()]) {
      const got: LogRecord[] = [];
      const sub = await log.consume({ topic: 'big', from: { kind: 'earliest' }, stopAtEnd: true, maxBatchRecords: 333, onBatch: async (b) => void got.push(...b.records) });
      await sub.done;
      expect(got).toHaveLength(sent.length);
      for (const p of [0, 1]) {
        const offsets = got.filter((r) => r.partition === p).map((r) => r.offset);
        expect(offsets).toEqual(offsets.map((_, i) => i));
      }
      for (const r of got) {
        const s = expected.get(r.value)!;
        expect({ key: r.key, timestamp: r.timestamp, headers: r.headers }).toEqual({ key: s.key, timestamp: s.timestamp, headers: s.headers ?? {} });
      }
      // Timestamps are not monotonic: the first record at or after 12_000 may come after a later one.
      const at = await log.offsetsForTimestamp('big', 12_000);
      for (const p of [0, 1]) {
        const mine = got.filter((r) => r.partition === p);
        expect(at.get(p)).toBe(mine.find((r) => r.timestamp >= 12_000)?.offset ?? mine.length);
      }
      expect(await log.offsetsForTimestamp('big', 1e12)).toEqual(await log.endOffsets('big'));
    }
  });

  it('defaults to batches of at most 1000 records', async () => {
    const log = await open();
    await log.ensureTopic('events', 1);
    await log.append('events', Array.from({ length: 2_500 }, (_, i) => ({ key: null, value: `v${i}` })));
    const sizes: number[] = [];
    const sub = await log.consume({ topic: 'events', from: { kind: 'earliest' }, stopAtEnd: true, onBatch: async (b) => void sizes.push(b.records.length) });
    await sub.done;
    expect(sizes).toEqual([1000, 1000, 500]);
  });

  it('creates an unknown topic with one partition on append, and refuses other calls on it', async () => {
    const log = await open();
    await expect(log.partitionCount('nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(log.consume({ topic: 'nope', from: { kind: 'earliest' }, onBatch: async () => undefined })).rejects.toThrow(/does not exist/);
    await log.append('events.dead-letter', [{ key: null, value: 'bad' }]);
    expect(await log.partitionCount('events.dead-letter')).toBe(1);
  });

  it('rejects topic names that could leave the directory', async () => {
    const log = await open();
    for (const bad of ['..', '.', '../x', 'a/b', '_groups', '', 'ü']) {
      await expect(log.ensureTopic(bad, 1)).rejects.toBeInstanceOf(BadRequestError);
    }
  });

  it('a second writer of a topic fails with an error naming the holder pid, until the holder closes', async () => {
    const a = await open();
    const b = await open();
    await a.ensureTopic('events', 2);
    await a.append('events', [{ key: 'k', value: 'from a' }]);
    const err = await b.append('events', [{ key: 'k', value: 'from b' }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TopicLockedError);
    expect((err as TopicLockedError).holderPid).toBe(process.pid);
    expect((err as Error).message).toContain(`process ${process.pid}`);
    expect((err as Error).message).toContain('writer.lock');
    await a.close();
    await b.append('events', [{ key: 'k', value: 'from b' }]);
    const { records, sub } = await tail(b, 'events');
    await waitFor(() => records.length === 2);
    await sub.stop();
    expect(records.map((r) => [r.offset, r.value])).toEqual([
      [0, 'from a'],
      [1, 'from b'],
    ]);
  });

  it('takes over a lock left by a process that died', async () => {
    const log = await open();
    await log.ensureTopic('events', 1);
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    await writeFile(join(dir, 'events', 'writer.lock'), JSON.stringify({ pid: dead, host: hostname(), owner: 'crashed' }));
    await log.append('events', [{ key: null, value: 'v' }]);
    expect(JSON.parse(await readFile(join(dir, 'events', 'writer.lock'), 'utf8')).pid).toBe(process.pid);
  });

  it('a reader instance tails records another instance appends', async () => {
    const writer = await open();
    await writer.ensureTopic('events', 2);
    await writer.append('events', [{ key: 'a', value: 'before' }]);
    const reader = await open();
    const { records } = await tail(reader, 'events', { from: 'latest' });
    for (let i = 0; i < 5; i++) await writer.append('events', [{ key: `k${i}`, value: `live${i}` }]);
    await waitFor(() => records.length === 5, { message: 'the reader sees the five appended records' });
    expect(records.map((r) => r.value).sort()).toEqual(['live0', 'live1', 'live2', 'live3', 'live4']);
    expect(await reader.endOffsets('events')).toEqual(await writer.endOffsets('events'));
  });

  it('a reader waits for a torn last line to be completed, and a new writer cuts a torn line left by a crash', async () => {
    const writer = await open();
    await writer.ensureTopic('events', 1);
    await writer.append('events', [{ key: null, value: 'whole', timestamp: 1 }]);
    await writer.close();
    const reader = await open();
    const { records } = await tail(reader, 'events');
    await waitFor(() => records.length === 1);
    const file = join(dir, 'events', '0.jsonl');
    const line = JSON.stringify({ offset: 1, timestamp: 2, key: null, value: 'torn', headers: {} });
    await appendFile(file, line.slice(0, 20));
    expect(await reader.endOffsets('events')).toEqual(new Map([[0, 1]]));
    await appendFile(file, `${line.slice(20)}\n`);
    await waitFor(() => records.length === 2, { message: 'the completed line is read' });
    expect(records[1].value).toBe('torn');

    // A crash mid-write leaves half a line; the next writer removes it and goes on at the next offset.
    await appendFile(file, '{"offset":2,"timest');
    const next = await open();
    expect(await next.endOffsets('events')).toEqual(new Map([[0, 2]]));
    await next.append('events', [{ key: null, value: 'after crash' }]);
    await waitFor(() => records.length === 3, { message: 'the reader sees the record after the cut' });
    expect(records.map((r) => [r.offset, r.value])).toEqual([
      [0, 'whole'],
      [1, 'torn'],
      [2, 'after crash'],
    ]);
  });

  it('reads records a writer in another process appends, and names that process when it holds the lock', async () => {
    const log = await open();
    await log.ensureTopic('events', 2);
    const { records } = await tail(log, 'events');
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { EmbeddedLog } = await import(process.argv[1]);
         const log = await EmbeddedLog.open(process.argv[2]);
         await log.append('events', Array.from({ length: 100 }, (_, i) => ({ key: 'user-' + i, value: 'child-' + i })));
         console.log('appended');
         process.stdin.on('end', async () => { await log.close(); process.exit(0); });
         process.stdin.resume();`,
        EMBEDDED_LOG_MODULE,
        dir,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('appended'), { message: 'the child process appended' });
    await waitFor(() => records.length === 100, { message: 'this process sees the 100 records of the child' });
    expect(new Set(records.map((r) => r.value)).size).toBe(100);

    const err = await log.append('events', [{ key: 'k', value: 'mine' }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TopicLockedError);
    expect((err as Error).message).toContain(`process ${child.pid}`);

    const exited = new Promise((r) => child.once('exit', r));
    child.stdin!.end();
    await exited;
    await log.append('events', [{ key: 'k', value: 'mine' }]);
    await waitFor(() => records.length === 101);
  });

  it('rebalances a live group without losing or repeating a record', async () => {
    const log = await open();
    await log.ensureTopic('events', 4);
    const m1 = await tail(log, 'events', { groupId: 'g', slowMs: 1 });
    const produce = async (from: number, to: number) => {
      for (let i = from; i < to; i += 10) await log.append('events', Array.from({ length: 10 }, (_, j) => ({ key: `user-${i + j}`, value: `v${i + j}` })));
    };
    await produce(0, 100);
    const m2 = await tail(log, 'events', { groupId: 'g', slowMs: 1 });
    await produce(100, 200);
    const m3 = await tail(log, 'events', { groupId: 'g', slowMs: 1 });
    await produce(200, 300);
    await m2.sub.stop();
    await produce(300, 400);
    const all = () => [...m1.records, ...m2.records, ...m3.records];
    await waitFor(() => all().length >= 400, { message: 'all 400 records consumed' });
    await m1.sub.stop();
    await m3.sub.stop();
    const delivered = all().map((r) => r.value);
    expect(delivered).toHaveLength(400);
    expect(new Set(delivered).size).toBe(400);
    expect(await log.committedOffsets('events', 'g')).toEqual(await log.endOffsets('events'));
  });

  it('stopAtEnd ignores records appended after the consumer started', async () => {
    const log = await open();
    await log.ensureTopic('events', 1);
    await log.append('events', Array.from({ length: 10 }, (_, i) => ({ key: null, value: `before${i}` })));
    const seen: string[] = [];
    const sub = await log.consume({
      topic: 'events',
      from: { kind: 'earliest' },
      stopAtEnd: true,
      maxBatchRecords: 3,
      onBatch: async (b) => {
        seen.push(...b.records.map((r) => r.value));
        await log.append('events', [{ key: null, value: 'during' }]);
      },
    });
    await sub.done;
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => `before${i}`));
  });

  it('a member joining a running group goes on from the committed offsets, whatever its `from`', async () => {
    const log = await open();
    await log.ensureTopic('events', 2);
    await log.append('events', Array.from({ length: 20 }, (_, i) => ({ key: `user-${i}`, value: `v${i}` })));
    const seen: string[] = [];
    const member = () => log.consume({ topic: 'events', groupId: 'g', from: { kind: 'earliest' }, onBatch: async (b) => void seen.push(...b.records.map((r) => r.value)) });
    subs.push(await member());
    await waitFor(() => seen.length === 20);
    subs.push(await member());
    await log.append('events', Array.from({ length: 20 }, (_, i) => ({ key: `user-${i}`, value: `w${i}` })));
    await waitFor(() => seen.length >= 40);
    expect(new Set(seen).size).toBe(40);
    expect(seen).toHaveLength(40);
  });

  it('fails a consumer whose onAssigned seeks beyond the end, saying why', async () => {
    const log = await open();
    await log.ensureTopic('events', 1);
    const sub = await log.consume({ topic: 'events', from: { kind: 'earliest' }, onAssigned: async () => new Map([[0, 5]]), onBatch: async () => undefined });
    await expect(sub.done).rejects.toThrow(/offset 5, outside 0\.\.0/);
  });

  it('close stops its consumers and releases the writer lock', async () => {
    const log = await open();
    await log.ensureTopic('events', 2);
    await log.append('events', [{ key: 'k', value: 'v' }]);
    expect(await readdir(join(dir, 'events'))).toContain('writer.lock');
    const revoked: number[] = [];
    const sub = await log.consume({ topic: 'events', from: { kind: 'latest' }, onRevoked: async (ps) => void revoked.push(...ps), onBatch: async () => undefined });
    await log.close();
    await sub.done;
    expect(revoked.sort()).toEqual([0, 1]);
    expect(await readdir(join(dir, 'events'))).not.toContain('writer.lock');
  });
});
