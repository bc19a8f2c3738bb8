import { afterEach, describe, expect, it } from 'vitest';
import { runDailyRecompute, runHourlyCycle, staleBuckets, type BatchCycleDeps } from '../../batch/batch-cycle.ts';
import { ConfigError } from '../../shared/errors.ts';
import { waitFor } from '../support/wait-for.ts';
import { readManifest } from '../../batch/batch-manifest.ts';
import { DEFAULT_HOURLY_CRON, hourlyCronAfter, scheduleBatch } from '../../batch/batch-schedule.ts';
import { masterFilesByBucket } from '../../batch/master-buckets.ts';
import { HOUR_MS } from '../../shared/time/bucket.ts';
import { randomWorkload } from '../support/random-events.ts';
import { archive } from '../../batch/archiver.ts';
import { ForwardingObjectStore } from '../support/forwarding-object-store.ts';
import { partitionPath } from '../../shared/time/bucket.ts';
import { appendGenerated, closeHoursBefore, openBatchTestEnv, type BatchTestEnv } from './batch-test-env.ts';

const envs: BatchTestEnv[] = [];
afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});

const START = Date.UTC(2026, 2, 1, 9, 0);

async function envWithThreeHours(name: string): Promise<BatchTestEnv> {
  const e = await openBatchTestEnv(name);
  envs.push(e);
  await appendGenerated(e, randomWorkload({ seed: 31, events: 300, start: START, spanMs: 3 * HOUR_MS - 1 }).records);
  return e;
}

const lateEvent = (id: string, eventTime: number, appendedAt: number) => ({
  key: 'u1',
  value: JSON.stringify({ event_id: id, event_type: 'purchase', user_id: 'u1', product_id: 'p1', price: 12.5, quantity: 2, event_time: eventTime }),
  timestamp: appendedAt,
});

/** One event of every user of the workloads (u0..u7) at `time`, appended then: the log's watermark moves to it in every partition. */
const everyUser = (time: number) =>
  Array.from({ length: 8 }, (_, u) => ({
    key: `u${u}`,
    value: JSON.stringify({ event_id: `tick-${time}-${u}`, event_type: 'page_view', user_id: `u${u}`, product_id: 'p1', event_time: time }),
    timestamp: time,
  }));

/** Archives the log and lets its watermark be past `time` (plus the default straggler delay). */
async function archivedAndClosedBefore(e: BatchTestEnv, time: number): Promise<void> {
  await archive({ ...e }, { untilEnd: true });
  await closeHoursBefore(e, time);
}

describe('runHourlyCycle', () => {
  it('computes the buckets that became complete by the log\'s watermark, then only those that got new master files', async () => {
    const e = await envWithThreeHours('hourly');
    const now = START + 3 * HOUR_MS;
    const deps = { ...e, clock: () => now };

    // The log's watermark is just before START + 3 h: the third hour is not complete yet.
    const first = await runHourlyCycle(deps);
    expect(first.batch?.buckets).toEqual([START, START + HOUR_MS]);
    expect(first.batch?.horizon).toBe(START + 2 * HOUR_MS);

    expect((await runHourlyCycle(deps)).batch).toBeNull();

    await e.log.append(e.topic, [lateEvent('late-1', START + 10 * 60_000, now)]);
    const late = await runHourlyCycle(deps);
    expect(late.archived.hours).toEqual([START]);
    expect(late.batch?.buckets).toEqual([START]);

    // The log moves on past the third hour's end plus the straggler delay, in every partition.
    await e.log.append(e.topic, everyUser(START + 3 * HOUR_MS + 6 * 60_000));
    const next = await runHourlyCycle(deps);
    expect(next.batch?.buckets).toEqual([START + 2 * HOUR_MS]);
    const m = (await readManifest(e.objects))!;
    expect(m.horizon).toBe(START + 3 * HOUR_MS);
    expect(m.buckets.map((b) => b.runId)).toEqual([late.batch!.runId, first.batch!.runId, next.batch!.runId]);
  });
});

/** An object store that loses, while `losing`, the pane files of one hour: putFile returns as if it had stored them. */
class LosingStore extends ForwardingObjectStore {
  losing = true;
  readonly hour: string;

  constructor(e: BatchTestEnv, hour: number) {
    super(e.objects);
    this.hour = `/${partitionPath(hour)}/`;
  }

  override async putFile(key: string, localFile: string): Promise<void> {
    if (this.losing && key.startsWith('views/runs/') && key.includes(this.hour)) return;
    await this.inner.putFile(key, localFile);
  }
}

describe('runHourlyCycle and the quality gate', () => {
  it('reports a rejected hour without failing the cycle, publishes the others, and tries the hour again in the next cycle', async () => {
    const e = await envWithThreeHours('hourly-gate');
    const store = new LosingStore(e, START + HOUR_MS);
    const deps = { ...e, objects: store, clock: () => START + 3 * HOUR_MS };
    const first = await runHourlyCycle(deps);
    expect(first.batch?.buckets).toEqual([START, START + HOUR_MS]);
    expect(first.batch?.quality.rejected).toEqual([START + HOUR_MS]);
    expect(first.batch?.quality.failures.every((f) => f.check === 'files' && f.bucket === START + HOUR_MS)).toBe(true);
    // The hour never published stays above the horizon: Lambda takes it from the speed layer.
    expect((await readManifest(e.objects))?.horizon).toBe(START + HOUR_MS);

    store.losing = false;
    const second = await runHourlyCycle(deps);
    expect(second.batch?.buckets).toEqual([START + HOUR_MS]);
    expect(second.batch?.quality.failures).toEqual([]);
    expect((await readManifest(e.objects))?.horizon).toBe(START + 2 * HOUR_MS);
  });
});

describe('runDailyRecompute', () => {
  it('recomputes every complete bucket of the previous UTC day, quiet hours included', async () => {
    const e = await envWithThreeHours('daily');
    const midnight = Date.UTC(2026, 2, 2);
    const early = await runDailyRecompute({ ...e, clock: () => midnight + 30 * 60_000 });
    // The log's watermark is still in the third hour: the quiet hours after it may yet get events.
    expect(early.batch?.buckets).toEqual([START, START + HOUR_MS]);
    expect(early.batch?.horizon).toBe(START + 2 * HOUR_MS);
    await e.log.append(e.topic, everyUser(midnight + 10 * 60_000));
    const result = await runDailyRecompute({ ...e, clock: () => midnight + 30 * 60_000 });
    // The quiet hours up to midnight are covered, not computed.
    expect(result.batch?.buckets).toEqual([START, START + HOUR_MS, START + 2 * HOUR_MS]);
    expect(result.batch?.horizon).toBe(midnight);
    expect((await readManifest(e.objects))?.covered).toEqual([{ from: START, to: midnight }]);
  });
});

describe('staleBuckets', () => {
  it('picks complete buckets whose files changed since publishing, or published under other view definitions', async () => {
    const e = await envWithThreeHours('stale');
    const now = START + 3 * HOUR_MS;
    await archivedAndClosedBefore(e, now);
    await runHourlyCycle({ ...e, clock: () => now });
    const m = (await readManifest(e.objects))!;
    const all = [START, START + HOUR_MS, START + 2 * HOUR_MS];
    const files = await masterFilesByBucket(e.objects, e.pipeline.config.bucketMs);
    const cover = (hours: number) => ({ from: START, to: START + hours * HOUR_MS });
    expect(staleBuckets(files, m, e.pipeline, now)).toBeNull();
    // A quiet hour that became complete: covered, nothing computed.
    expect(staleBuckets(files, m, e.pipeline, now + HOUR_MS)).toEqual({ cover: cover(4), compute: [] });
    expect(staleBuckets(new Map(), m, e.pipeline, now)).toBeNull();
    // Same buckets listing other files: their digests differ from the published ones.
    const replaced = new Map([...files].map(([b, fs]) => [b, fs.map((f) => ({ ...f, key: `${f.key}.v2` }))]));
    expect(staleBuckets(replaced, m, e.pipeline, now)).toEqual({ cover: cover(3), compute: all });
    const redefined = { ...m, views: { ...m.views, revenue: { ...m.views.revenue, measures: [] } } };
    expect(staleBuckets(files, redefined, e.pipeline, now)).toEqual({ cover: cover(3), compute: all });
    expect(staleBuckets(files, undefined, e.pipeline, now)).toEqual({ cover: cover(3), compute: all });
    // A bucket published incomplete is stale once complete, though its files did not change.
    const partial = { ...m, buckets: m.buckets.map((b) => (b.bucket === START + 2 * HOUR_MS ? { ...b, incomplete: true as const } : b)) };
    expect(staleBuckets(files, partial, e.pipeline, now)).toEqual({ cover: cover(3), compute: [START + 2 * HOUR_MS] });
    // Master files for a covered bucket that had none: it must be computed.
    const arrived = new Map([...files, [START + 3 * HOUR_MS, files.get(START)!.map((f) => ({ ...f, key: `${f.key}.late` }))]]);
    const coveredQuiet = { ...m, covered: [cover(4)], horizon: START + 4 * HOUR_MS };
    expect(staleBuckets(arrived, coveredQuiet, e.pipeline, now + HOUR_MS)).toEqual({ cover: cover(4), compute: [START + 3 * HOUR_MS] });
  });
});

describe('hourlyCronAfter', () => {
  it('runs the hourly cycle at the first minute at which the hour just ended can be complete', () => {
    // Default: 5 min straggler delay + 5 s out-of-orderness: at :05 the hour is 5 s short, at :06 it is complete.
    expect(hourlyCronAfter(5 * 60_000, 5_000)).toBe('6 * * * *');
    expect(DEFAULT_HOURLY_CRON).toBe('6 * * * *');
    expect(hourlyCronAfter(10 * 60_000, 0)).toBe('11 * * * *');
  });
});

describe('scheduleBatch', () => {
  it('never runs two cycles at once', async () => {
    const e = await envWithThreeHours('schedule');
    await archivedAndClosedBefore(e, START + 3 * HOUR_MS);
    const skipped: string[] = [];
    const handle = scheduleBatch({ ...e, clock: () => START + 3 * HOUR_MS }, { catchUp: false, onSkipped: (kind) => skipped.push(kind) });
    try {
      const running = handle.trigger('hourly');
      expect(await handle.trigger('daily')).toBe('skipped');
      const result = await running;
      expect(result === 'skipped' ? null : result.batch?.buckets.length).toBe(3);
      expect(skipped).toEqual(['daily']);
      expect(await handle.trigger('hourly')).not.toBe('skipped');
    } finally {
      await handle.stop();
    }
  });

  it('catches up at start: an hourly cycle runs before the first tick, and the next finds nothing stale', async () => {
    const e = await envWithThreeHours('catch-up');
    await archivedAndClosedBefore(e, START + 3 * HOUR_MS);
    const results: { kind: string; buckets: readonly number[] | undefined }[] = [];
    // A tick that cannot come during the test: only the catch-up runs.
    const handle = scheduleBatch({ ...e, clock: () => START + 3 * HOUR_MS }, { hourly: '0 0 1 1 *', daily: '0 0 1 1 *', onResult: (kind, r) => results.push({ kind, buckets: r.batch?.buckets }) });
    try {
      await waitFor(() => results.length === 1, { message: 'the catch-up cycle' });
      expect(results).toEqual([{ kind: 'hourly', buckets: [START, START + HOUR_MS, START + 2 * HOUR_MS] }]);
      expect((await readManifest(e.objects))?.buckets.map((b) => b.bucket)).toEqual([START, START + HOUR_MS, START + 2 * HOUR_MS]);
      const again = await handle.trigger('hourly');
      expect(again === 'skipped' ? 'skipped' : again.batch).toBeNull();
    } finally {
      await handle.stop();
    }
  });

  it('refuses a schedule that is not a cron expression before starting anything', () => {
    const deps = {} as BatchCycleDeps;
    expect(() => scheduleBatch(deps, { hourly: 'every hour' })).toThrow(ConfigError);
    expect(() => scheduleBatch(deps, { daily: '0 25 * * *' })).toThrow(/daily schedule "0 25 \* \* \*" is not a cron expression/);
  });
});
