import { describe, expect, it } from 'vitest';
import type { TemporaryPostgres } from '../../../infra/local/postgres-local.ts';
import { kafkaOrSkip } from '../../support/services.ts';
import { waitFor } from '../../support/wait-for.ts';
import { waitForCheckpoints } from './support/caught-up.ts';
import { expectEqualsUninterrupted } from './support/equals-uninterrupted.ts';
import { startFaultPostgres, sleep } from './support/fault-services.ts';
import { openFaultRun } from './support/fault-run.ts';
import { chunks, workloadLines } from './support/workload-lines.ts';

/**
 * Part 2 of the fault-injection suite, the view store: a private PostgreSQL cluster (never the
 * shared server on 5432) is stopped as a crash would stop it (pg_ctl stop -m immediate) while
 * `lk speed` commits, and started again. lk speed must retry its commits through the outage
 * (--store-retry-ms), and its views must still equal an uninterrupted run's.
 */

const PARTITIONS = 3;
/** How long each service stays down. */
const OUTAGE_MS = 3_000;


describe('fault injection: PostgreSQL crashed (immediate stop) and restarted mid-run', () => {
  it('PostgreSQL stops as in a crash (pg_ctl stop -m immediate) and starts again while lk speed commits: it retries, and its views equal an uninterrupted run', async (ctx) => {
    // The shared broker: only the database goes down here.
    const kafka = kafkaOrSkip(ctx);
    const started = await startFaultPostgres();
    if (!started.ok) return ctx.skip(started.reason);
    const db: TemporaryPostgres = started.service;
    const run = await openFaultRun({ brokers: kafka.brokers.join(','), databaseUrl: db.url, partitions: PARTITIONS, name: 'pg', shortSessions: false });
    try {
      const parts = chunks(workloadLines(3303, 6_000, run.pipeline.config), 12);
      const ingest = run.lk(['ingest', '--input', '-', '--batch-size', '100'], { stdin: 'pipe' });
      const speed = run.lk(['speed', '--store-retry-ms', '60000']);
      await speed.waitFor(/^speed: consuming /, 60_000);
      const feed = async (from: number, to: number, pauseMs: number) => {
        for (const part of parts.slice(from, to)) {
          ingest.stdin.write(part);
          await sleep(pauseMs);
        }
      };
      await feed(0, 5, 250);
      await db.crash();
      // Records keep arriving while the store is down; the commits wait for it.
      await feed(5, 8, OUTAGE_MS / 3);
      await waitFor(() => /view store unavailable/.test(speed.tail()), { timeoutMs: 30_000, message: 'lk speed never reported the store as unavailable' });
      await db.start();
      await feed(8, parts.length, 250);
      ingest.stdin.end();
      expect(await ingest.exited, ingest.tail()).toBe(0);

      const adapters = await run.adapters();
      try {
        await waitForCheckpoints(adapters.log, adapters.views, run.config.topics.events, 'speed', { watch: speed });
        expect(speed.running, `lk speed should have survived PostgreSQL's restart; its output ends with:\n${speed.tail()}`).toBe(true);
        expect(await speed.stop(), speed.tail()).toBe(0);
        const sides = await expectEqualsUninterrupted(run, adapters);
        console.log(`[fault] PostgreSQL restart: ${sides.deadLetters} dead letters, ${sides.late} late, none repeated`);
      } finally {
        await adapters.close();
      }
    } finally {
      await run.cleanup();
      await db.stop();
    }
  });
});
