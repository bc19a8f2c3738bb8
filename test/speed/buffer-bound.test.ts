import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../infra/embedded/embedded-log.ts';
import { mergePanes } from '../../shared/compute/pane-merge.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import type { TopicNames } from '../../shared/config.ts';
import { LkError } from '../../shared/errors.ts';
import type { EventLog } from '../../shared/ports/event-log.ts';
import type { PartitionCommit, ViewStore } from '../../shared/ports/view-store.ts';
import { BufferBound } from '../../speed/buffer-bound.ts';
import { StreamJob } from '../../speed/stream-job.ts';
import { generateWorkload } from '../../examples/ecommerce/workload/generator.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';
import { InMemoryViewStore } from '../support/in-memory-view-store.ts';
import { waitFor } from '../support/wait-for.ts';

const topics: TopicNames = { events: 'events', deadLetter: 'events.dead-letter', late: 'events.late' };
const pipeline = compilePipeline(ecommerceConfig());
const workload = generateWorkload({ seed: 11, events: 6_000, users: 150, products: 40, spanMs: 90 * 60_000 }, pipeline.config);
const records = workload.records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp }));
const dirs: string[] = [];

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function freshLog(): Promise<EmbeddedLog> {
  const dir = await mkdtemp(join(tmpdir(), 'lk-bound-'));
  dirs.push(dir);
  const log = await EmbeddedLog.open(dir);
  await log.ensureTopic(topics.events, 3);
  return log;
}

/** A view store whose commits take `delayMs` longer: slower than the log, as under a burst. */
class SlowStore extends InMemoryViewStore {
  readonly #delayMs: number;
  constructor(delayMs: number) {
    super();
    this.#delayMs = delayMs;
  }
  override async commit(ns: string, c: readonly PartitionCommit[]): Promise<void> {
    await new Promise((r) => setTimeout(r, this.#delayMs));
    return super.commit(ns, c);
  }
}

/** The log, with `delivered` told the size of every batch its consumers finished (the job's onBatch returned). */
function countingLog(log: EventLog, delivered: (records: number) => void): EventLog {
  return {
    ensureTopic: (t, n) => log.ensureTopic(t, n),
    append: (t, r) => log.append(t, r),
    partitionCount: (t) => log.partitionCount(t),
    beginningOffsets: (t) => log.beginningOffsets(t),
    endOffsets: (t) => log.endOffsets(t),
    offsetsForTimestamp: (t, ts) => log.offsetsForTimestamp(t, ts),
    committedOffsets: (t, g) => log.committedOffsets(t, g),
    commitOffsets: (t, g, o) => log.commitOffsets(t, g, o),
    consume: (o) =>
      log.consume({
        ...o,
        onBatch: async (b) => {
          await o.onBatch(b);
          delivered(b.records.length);
        },
      }),
    openDerivedWriter: (o) => log.openDerivedWriter(o),
    close: () => log.close(),
  };
}

/** A namespace's windows per view, merged across partitions and buckets. */
async function windowsOf(store: ViewStore) {
  const out: Record<string, unknown> = {};
  for (const v of pipeline.views) {
    const panes = await store.queryPanes('speed', { view: v.name, from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER });
    out[v.name] = mergePanes(v, panes.map((pane) => ({ pane, tag: 'x' }))).map(({ key, start, end, acc }) => ({ key, start, end, acc }));
  }
  return out;
}

/** The windows an unloaded job (default settings, a fast store, the whole log there at start) makes of the workload. */
async function unloadedWindows() {
  const log = await freshLog();
  await log.append(topics.events, records);
  const store = new InMemoryViewStore();
  const sub = await new StreamJob({ log, views: store, pipeline, topics }, { namespace: 'speed', from: { kind: 'earliest' }, stopAtEnd: true }).start();
  await sub.done;
  await log.close();
  return windowsOf(store);
}

describe('BufferBound', () => {
  it('takes records up to the bound, any batch when empty, and counts nested waits as one pause', () => {
    let now = 0;
    const b = new BufferBound(1_000, () => now);
    expect(b.fits(5_000)).toBe(true);
    b.add(600);
    expect(b.fits(400)).toBe(true);
    expect(b.fits(401)).toBe(false);
    b.pause();
    now = 30;
    b.pause();
    b.resume();
    expect(b.state()).toMatchObject({ paused: true, pauses: 1, pausedMs: 30 });
    now = 50;
    b.resume();
    b.release(600);
    b.add(100);
    expect(b.state()).toEqual({ bufferedRecords: 100, peakBufferedRecords: 600, maxBufferedRecords: 1_000, paused: false, pauses: 1, pausedMs: 50 });
  });

  it('refuses a bound that is not a whole number >= 1', () => {
    expect(() => new BufferBound(0)).toThrow(LkError);
    expect(() => new BufferBound(1.5)).toThrow(/maxBufferedRecords=1.5 must be a whole number >= 1/);
  });
});

describe('StreamJob backpressure', () => {
  it('an overload run stays under its memory bound: a log far ahead of a slow store pauses consumption, and the views then equal an unloaded run', async () => {
    const log = await freshLog();
    // Half the workload is a backlog at start; the rest arrives in a burst while the job runs.
    const half = Math.floor(records.length / 2);
    await log.append(topics.events, records.slice(0, half));
    const store = new SlowStore(20);
    let delivered = 0;
    let peak = 0;
    const bound = 1_200;
    const job: StreamJob = new StreamJob(
      {
        log: countingLog(log, (n) => {
          delivered += n;
          // Measured outside the job: records handed over and processed, minus those visible in the store.
          peak = Math.max(peak, delivered - job.records);
        }),
        views: store,
        pipeline,
        topics,
      },
      // Batches of 400 and a commit per 1,000 records: without the bound a second commit's worth piles up behind the slow write.
      { namespace: 'speed', from: { kind: 'earliest' }, maxBatchRecords: 400, maxUncommittedRecords: 1_000, maxBufferedRecords: bound },
    );
    const sub = await job.start();
    for (let i = half; i < records.length; i += 500) await log.append(topics.events, records.slice(i, i + 500));
    const end = await log.endOffsets(topics.events);
    await waitFor(() => [...end].every(([p, o]) => (job.positions().get(p) ?? 0) >= o), { message: 'the job never caught up with the end of the log' });
    await sub.stop();
    await sub.done;

    expect(delivered).toBe(records.length);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(bound);
    const flow = job.flow();
    expect(flow.peakBufferedRecords).toBeLessThanOrEqual(bound);
    expect(flow.pauses).toBeGreaterThan(0);
    expect(flow).toMatchObject({ bufferedRecords: 0, paused: false, maxBufferedRecords: bound });
    expect(await windowsOf(store)).toEqual(await unloadedWindows());
    await log.close();
  });

  it('refuses a batch or commit size above the bound, saying what to change', () => {
    const log = {} as EventLog;
    const deps = { log, views: new InMemoryViewStore(), pipeline, topics };
    expect(() => new StreamJob(deps, { namespace: 'speed', from: { kind: 'earliest' }, maxBufferedRecords: 1_000 })).toThrow(/maxBatchRecords=5000 must be a whole number from 1 to maxBufferedRecords \(1000\)/);
    expect(() => new StreamJob(deps, { namespace: 'speed', from: { kind: 'earliest' }, maxBatchRecords: 500, maxUncommittedRecords: 2_000, maxBufferedRecords: 1_000 })).toThrow(/maxUncommittedRecords=2000/);
    expect(() => new StreamJob(deps, { namespace: 'speed', from: { kind: 'earliest' }, maxBufferedRecords: 0 })).toThrow(/maxBufferedRecords=0/);
    // Defaults: a batch of 5,000 and a commit per 50,000 under a bound of 100,000.
    expect(() => new StreamJob(deps, { namespace: 'speed', from: { kind: 'earliest' } })).not.toThrow();
  });
});
