import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openEventLog } from '../../../infra/adapters.ts';
import { postgresOrSkip } from '../../support/services.ts';
import { waitFor } from '../../support/wait-for.ts';
import { waitForCheckpoints } from './support/caught-up.ts';
import { expectEqualsUninterrupted } from './support/equals-uninterrupted.ts';
import { readTopic } from './support/side-outputs-check.ts';
import { sleep, useFaultKafka } from './support/fault-services.ts';
import { openFaultRun } from './support/fault-run.ts';
import { chunks, workloadLines } from './support/workload-lines.ts';

/**
 * Part 2 of the fault-injection suite, the broker: a private broker (never the shared one of the
 * integration tier) is killed with SIGKILL (kill -9) under a running pipeline and restarted on its
 * port and data. The pipeline must wait the outage out, and its views must still equal an
 * uninterrupted run's.
 */

const PARTITIONS = 3;
/** How long the broker stays down after lk speed found it gone. */
const OUTAGE_MS = 3_000;
/**
 * How long the broker stays down under lk ingest alone: longer than kafkajs' own retries of a
 * produce request (5, from 300 ms doubling: about 10 s), so the send fails and lk ingest's retry,
 * with a new producer, is what brings the batch in.
 */
const INGEST_OUTAGE_MS = 15_000;

const faultKafka = useFaultKafka();


describe('fault injection: the broker killed (kill -9) and restarted mid-run', () => {
  it('the broker is killed (kill -9) and restarted while lk speed works: lk speed waits it out, and its views equal an uninterrupted run', async (ctx) => {
    const kafka = faultKafka();
    if (!kafka.ok) return ctx.skip(kafka.reason);
    const broker = kafka.service;
    const pg = postgresOrSkip(ctx);
    const run = await openFaultRun({ brokers: broker.brokers, databaseUrl: pg.url, partitions: PARTITIONS, name: 'broker' });
    try {
      const lines = workloadLines(2202, 6_000, run.pipeline.config);
      const [before, after] = chunks(lines, 2);
      const files = [join(run.config.dataDir, 'before.jsonl'), join(run.config.dataDir, 'after.jsonl')];
      await writeFile(files[0], before);
      await writeFile(files[1], after);
      const first = run.lk(['ingest', '--input', files[0]]);
      expect(await first.exited, first.tail()).toBe(0);

      // It reads everything, then commits 4 s later: the broker is dead by then, and the commit's dead letters must wait for it.
      const speed = run.lk(['speed', '--commit-interval-ms', '4000']);
      await speed.waitFor(/^speed: consuming /, 60_000);
      const probe = await openEventLog(run.config);
      try {
        const end = await probe.endOffsets(run.config.topics.events);
        await waitFor(async () => {
          const read = await probe.committedOffsets(run.config.topics.events, 'lk-speed');
          return [...end].every(([p, o]) => (read.get(p) ?? 0) >= o);
        });
      } finally {
        await probe.close();
      }
      await broker.kill();
      await waitFor(() => !speed.running || /speed: log unavailable/.test(speed.tail()), { timeoutMs: 60_000 });
      expect(speed.running, `lk speed should wait for the broker; its output ends with:\n${speed.tail()}`).toBe(true);
      await sleep(OUTAGE_MS);
      await broker.restart();
      const second = run.lk(['ingest', '--input', files[1]]);
      expect(await second.exited, second.tail()).toBe(0);

      const adapters = await run.adapters();
      try {
        await waitForCheckpoints(adapters.log, adapters.views, run.config.topics.events, 'speed', { watch: speed });
        expect(speed.running, `lk speed should have survived the broker's restart; its output ends with:\n${speed.tail()}`).toBe(true);
        expect(await speed.stop(), speed.tail()).toBe(0);
        const sides = await expectEqualsUninterrupted(run, adapters);
        console.log(`[fault] broker restart: ${sides.deadLetters} dead letters, ${sides.late} late, none repeated`);
      } finally {
        await adapters.close();
      }
    } finally {
      await run.cleanup();
    }
  });

  it('the broker is killed (kill -9) and restarted while lk ingest appends: lk ingest retries and appends every line, lk speed waits, and the views equal an uninterrupted run', async (ctx) => {
    const kafka = faultKafka();
    if (!kafka.ok) return ctx.skip(kafka.reason);
    const broker = kafka.service;
    const pg = postgresOrSkip(ctx);
    const run = await openFaultRun({ brokers: broker.brokers, databaseUrl: pg.url, partitions: PARTITIONS, name: 'ingest' });
    try {
      const lines = workloadLines(4404, 4_000, run.pipeline.config);
      const parts = chunks(lines, 10);
      const speed = run.lk(['speed']);
      const ingest = run.lk(['ingest', '--input', '-', '--batch-size', '50'], { stdin: 'pipe' });
      await speed.waitFor(/^speed: consuming /, 60_000);
      for (const [i, part] of parts.entries()) {
        if (i === 4) {
          // Lines already written are being appended when the broker dies; more arrive while it is down.
          ingest.stdin.write(part);
          await broker.kill();
          await sleep(OUTAGE_MS);
          await broker.restart();
          continue;
        }
        ingest.stdin.write(part);
        await sleep(300);
      }
      ingest.stdin.end();
      expect(await ingest.exited, `lk ingest should retry through the broker's restart; its output ends with:\n${ingest.tail()}`).toBe(0);

      const adapters = await run.adapters();
      try {
        // Every line was appended, once (a retry resends only what the read-back did not find); the report counts what the log holds.
        const records = await readTopic(adapters.log, run.config.topics.events);
        expect(records.map((r) => r.value).sort()).toEqual([...lines].sort());
        const total = [...(await adapters.log.endOffsets(run.config.topics.events)).values()].reduce((a, b) => a + b, 0);
        expect(ingest.tail()).toContain(`ingest: ${total.toLocaleString('en-US')} records appended`);
        await waitForCheckpoints(adapters.log, adapters.views, run.config.topics.events, 'speed', { watch: speed });
        expect(await speed.stop(), speed.tail()).toBe(0);
        await expectEqualsUninterrupted(run, adapters);
      } finally {
        await adapters.close();
      }
    } finally {
      await run.cleanup();
    }
  });

  it('the broker is killed (kill -9) in the middle of an lk ingest append and restarted: each line is in the topic once, and the summary says what the topic holds', async (ctx) => {
    const kafka = faultKafka();
    if (!kafka.ok) return ctx.skip(kafka.reason);
    const broker = kafka.service;
    const pg = postgresOrSkip(ctx);
    const run = await openFaultRun({ brokers: broker.brokers, databaseUrl: pg.url, partitions: PARTITIONS, name: 'ingest-once' });
    const probe = await openEventLog(run.config);
    try {
      // 20,000-line batches are about 8 produce requests each (append-chunks.ts): the broker dies after some of a batch's requests were written.
      const batch = 20_000;
      const lines = workloadLines(6606, 3 * batch, run.pipeline.config);
      const file = join(run.config.dataDir, 'events.jsonl');
      await writeFile(file, `${lines.join('\n')}\n`);
      const ingest = run.lk(['ingest', '--input', file, '--batch-size', String(batch), '--retry-ms', '120000']);
      const topic = run.config.topics.events;
      // Killed once the second batch has started to land, before all of it did.
      await waitFor(async () => {
        const end = await probe.endOffsets(topic).catch(() => new Map<number, number>());
        return [...end.values()].reduce((a, b) => a + b, 0) > batch;
      }, { timeoutMs: 120_000, intervalMs: 5 });
      await broker.kill();
      await sleep(INGEST_OUTAGE_MS);
      await broker.restart();
      expect(await ingest.exited, ingest.tail()).toBe(0);
      expect(ingest.tail(), 'the outage should have failed a send that lk ingest retried').toMatch(/retrying the append/);

      const records = await readTopic(probe, topic);
      // Each input line once: as many records as lines, the same values, each record naming its own line.
      expect(records).toHaveLength(lines.length);
      expect(records.map((r) => r.value).sort()).toEqual([...lines].sort());
      // The lk-ingest header: "<run> <line> <file>".
      const stamps = records.map((r) => ({ r, parts: r.headers['lk-ingest'].split(' ') }));
      const byLine = new Map(stamps.map(({ r, parts }) => [Number(parts[1]), r]));
      expect(byLine.size).toBe(lines.length);
      for (const [line, r] of byLine) expect(r.value).toBe(lines[line - 1]);
      expect(new Set(stamps.map(({ parts }) => parts[0])).size).toBe(1);
      expect(new Set(stamps.map(({ parts }) => parts.slice(2).join(' ')))).toEqual(new Set([file]));
      // The summary is the topic's content.
      expect(ingest.tail()).toContain(`ingest: ${records.length.toLocaleString('en-US')} records appended to ${topic}`);
      console.log(`[fault] ingest through a broker kill: ${ingest.tail().split('\n').filter((l) => /failed send|retrying/.test(l)).slice(-2).join(' | ')}`);
    } finally {
      await probe.close();
      await run.cleanup();
    }
  });
});
