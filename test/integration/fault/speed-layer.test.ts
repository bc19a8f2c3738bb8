import { describe, expect, it } from 'vitest';
import type { LkProcess } from '../../../bench/lk-process.ts';
import { Random } from '../../../workload/random.ts';
import { postgresOrSkip } from '../../support/services.ts';
import { waitForCheckpoints } from './support/caught-up.ts';
import { sleep, useFaultKafka } from './support/fault-services.ts';
import { openFaultRun, type FaultRun } from './support/fault-run.ts';
import { expectEqualsUninterrupted } from './support/equals-uninterrupted.ts';
import { chunks, workloadLines } from './support/workload-lines.ts';

/**
 * Parts 1 and 3 of the fault-injection suite, on one private broker: `lk speed` as child
 * processes over a seeded workload that `lk ingest` appends meanwhile, (1) SIGKILLed at seeded
 * random moments and restarted each time, (3) as two and then three members of one consumer group
 * joining and leaving. Afterwards the views must equal an uninterrupted run's over the same log,
 * and every bad record must be in the dead-letter topic (every too-late one in the late topic)
 * exactly once per source offset: no repeat, although kills land between a side-output append and
 * its view commit, and members that lost partitions in a rebalance may still be appending.
 */

const KILLS = 21;
/** Cycles during which `lk ingest` is running: the workload arrives in as many chunks. */
const INGEST_CYCLES = 16;
const PARTITIONS = 3;

const faultKafka = useFaultKafka();

/** How one `lk speed` process of the schedule dies. */
type KillMoment =
  /**
   * Soon after the spawn, before it reached the broker. (Later, during its first group join, a kill
   * holds the group's next rebalance for the whole rebalance timeout, 30 s: realistic, but slow.)
   */
  | { readonly kind: 'starting'; readonly afterMs: number }
  /**
   * Consuming with commits deferred for ten minutes: the group offsets run ahead, the view store
   * has nothing of it. Its session outlives it by 3 s, so the next process finds the group still
   * live and joins it as it is, committed offsets included (an empty group would be repositioned
   * at the start, which hides a resume from those offsets).
   */
  | { readonly kind: 'uncommitted'; readonly afterMs: number }
  /** Consuming and committing every 100 ms. */
  | { readonly kind: 'running'; readonly afterMs: number };

/** The seeded schedule: a shuffled mix of every kind; the first kill always lands before any commit, after records were consumed. */
function killSchedule(rng: Random): KillMoment[] {
  const kinds: KillMoment['kind'][] = [...Array<'starting'>(5).fill('starting'), ...Array<'uncommitted'>(5).fill('uncommitted'), ...Array<'running'>(KILLS - 11).fill('running')];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
  }
  return [
    { kind: 'uncommitted', afterMs: 1_000 },
    ...kinds.map((kind): KillMoment => ({ kind, afterMs: kind === 'starting' ? rng.int(0, 400) : rng.int(100, 1_500) })),
  ];
}


describe('fault injection: lk speed SIGKILLed and restarted', () => {
  it(`killed ${KILLS} times at seeded moments (before its first commit, while lk ingest runs), its views equal an uninterrupted run's and every bad record is dead-lettered once per offset`, async (ctx) => {
    const kafka = faultKafka();
    if (!kafka.ok) return ctx.skip(kafka.reason);
    const pg = postgresOrSkip(ctx);
    const run: FaultRun = await openFaultRun({ brokers: kafka.service.brokers, databaseUrl: pg.url, partitions: PARTITIONS, name: 'speed' });
    const adapters = await run.adapters();
    try {
      const { config, pipeline } = run;
      const lines = workloadLines(1101, 6_000, pipeline.config);
      const parts = chunks(lines, INGEST_CYCLES);
      await adapters.log.ensureTopic(config.topics.events, PARTITIONS);

      const ingest = run.lk(['ingest', '--input', '-', '--batch-size', '100'], { stdin: 'pipe' });
      const killedDuringIngest: number[] = [];
      for (const [i, moment] of killSchedule(new Random(2026)).entries()) {
        const speed: LkProcess =
          moment.kind === 'uncommitted' ? run.lk(['speed', '--commit-interval-ms', '600000'], { env: { KAFKA_SESSION_TIMEOUT_MS: '3000' } }) : run.lk(['speed']);
        if (i < parts.length) ingest.stdin.write(parts[i]);
        if (moment.kind !== 'starting') await speed.waitFor(/^speed: consuming /, 60_000);
        await sleep(moment.afterMs);
        if (ingest.running) killedDuringIngest.push(i);
        expect(speed.running, `lk speed #${i} should still be running; its output ends with:\n${speed.tail()}`).toBe(true);
        await speed.kill('SIGKILL');
        if (i === parts.length - 1) ingest.stdin.end();
      }
      expect(await ingest.exited, ingest.tail()).toBe(0);
      expect(killedDuringIngest.length).toBeGreaterThanOrEqual(INGEST_CYCLES - 1);
      expect([...(await adapters.log.endOffsets(config.topics.events)).values()].reduce((a, b) => a + b, 0)).toBe(lines.length);

      // The last restart runs until the views hold the whole log, then stops cleanly.
      const last = run.lk(['speed']);
      await last.waitFor(/^speed: consuming /, 60_000);
      await waitForCheckpoints(adapters.log, adapters.views, config.topics.events, 'speed', { watch: last });
      expect(await last.stop(), last.tail()).toBe(0);

      const sides = await expectEqualsUninterrupted(run, adapters);
      console.log(`[fault] speed: ${KILLS} kills; ${sides.deadLetters} dead letters, ${sides.late} late, none repeated`);
    } finally {
      await adapters.close();
      await run.cleanup();
    }
  });
});

describe('fault injection: lk speed members of one consumer group joining and leaving', () => {
  it('two and then three members join and leave (SIGTERM and SIGKILL) while lk ingest runs: the views equal an uninterrupted run', async (ctx) => {
    const kafka = faultKafka();
    if (!kafka.ok) return ctx.skip(kafka.reason);
    const pg = postgresOrSkip(ctx);
    // Six partitions, so three members each own some.
    const run: FaultRun = await openFaultRun({ brokers: kafka.service.brokers, databaseUrl: pg.url, partitions: 6, name: 'group' });
    const adapters = await run.adapters();
    try {
      const lines = workloadLines(3131, 6_000, run.pipeline.config);
      const steps: Array<(members: Map<string, LkProcess>) => Promise<void>> = [];
      /** A member joins; the step ends once it has its partitions. */
      const join = (name: string) =>
        steps.push(async (members) => {
          const p = run.lk(['speed']);
          members.set(name, p);
          await p.waitFor(/^speed: consuming /, 60_000);
        });
      /** A member leaves: cleanly (SIGTERM: it commits and hands its partitions over) or as a crash (SIGKILL). */
      const leave = (name: string, signal: 'SIGTERM' | 'SIGKILL') =>
        steps.push(async (members) => {
          const p = members.get(name)!;
          expect(p.running, `${name} should still be running; its output ends with:\n${p.tail()}`).toBe(true);
          const code = await p.kill(signal);
          if (signal === 'SIGTERM') expect(code, p.tail()).toBe(0);
          members.delete(name);
        });
      join('a');
      join('b'); // two members
      join('c'); // three
      leave('a', 'SIGTERM');
      join('d'); // three again
      leave('b', 'SIGKILL');
      leave('c', 'SIGTERM'); // d alone
      join('e'); // two
      join('f'); // three
      leave('d', 'SIGKILL');

      const parts = chunks(lines, steps.length);
      const ingest = run.lk(['ingest', '--input', '-', '--batch-size', '100'], { stdin: 'pipe' });
      await adapters.log.ensureTopic(run.config.topics.events, 6);
      const members = new Map<string, LkProcess>();
      for (const [i, step] of steps.entries()) {
        ingest.stdin.write(parts[i] ?? '');
        await step(members);
        await sleep(700);
      }
      ingest.stdin.end();
      expect(await ingest.exited, ingest.tail()).toBe(0);

      // The members left (e and f) finish the log together.
      const group = {
        get running() {
          return [...members.values()].every((m) => m.running);
        },
        tail: () => [...members].map(([name, m]) => `${name}:\n${m.tail()}`).join('\n'),
      };
      await waitForCheckpoints(adapters.log, adapters.views, run.config.topics.events, 'speed', { watch: group });
      for (const m of members.values()) expect(await m.stop(), m.tail()).toBe(0);
      await expectEqualsUninterrupted(run, adapters);
    } finally {
      await adapters.close();
      await run.cleanup();
    }
  });
});
