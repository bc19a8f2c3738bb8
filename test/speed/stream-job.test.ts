import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../infra/embedded/embedded-log.ts';
import { mergePanes } from '../../shared/compute/pane-merge.ts';
import { compilePipeline, type Pipeline } from '../../shared/compute/pipeline.ts';
import { foldEvents } from '../../shared/compute/reference-fold.ts';
import { type EcommerceEvent as Event } from '../../examples/ecommerce/pipeline.ts';
import { validateRecord } from '../support/ecommerce.ts';
import type { TopicNames } from '../../shared/config.ts';
import type { EventLog, LogRecord } from '../../shared/ports/event-log.ts';
import type { Pane } from '../../shared/compute/pane.ts';
import type { PartitionCommit, ViewStore } from '../../shared/ports/view-store.ts';
import { PartitionFencedError, ServiceUnavailableError, StoreUnavailableError } from '../../shared/errors.ts';
import { runKappaReplay } from '../../speed/kappa-replay.ts';
import { KAPPA_ALIAS } from '../../speed/kappa-version.ts';
import { StreamJob, type StreamStart } from '../../speed/stream-job.ts';
import { generateWorkload } from '../../examples/ecommerce/workload/generator.ts';
import { InMemoryViewStore } from '../support/in-memory-view-store.ts';
import { waitFor } from '../support/wait-for.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

const topics: TopicNames = { events: 'events', deadLetter: 'events.dead-letter', late: 'events.late' };
const dirs: string[] = [];

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function freshLog(partitions = 3): Promise<EmbeddedLog> {
  const dir = await mkdtemp(join(tmpdir(), 'lk-speed-'));
  dirs.push(dir);
  const log = await EmbeddedLog.open(dir);
  await log.ensureTopic(topics.events, partitions);
  return log;
}

const pipeline: Pipeline = compilePipeline(ecommerceConfig());
const workload = generateWorkload({ seed: 7, events: 6_000, users: 150, products: 40, spanMs: 90 * 60_000 }, pipeline.config);

async function loadWorkload(log: EmbeddedLog): Promise<void> {
  await log.append(topics.events, workload.records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
}

/** Every record of a topic, read with a bounded replay. */
async function readAll(log: EmbeddedLog, topic: string): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  const sub = await log.consume({ topic, from: { kind: 'earliest' }, stopAtEnd: true, onBatch: async (b) => void out.push(...b.records) });
  await sub.done;
  return out;
}

/** A namespace's windows per view, merged across partitions and buckets. */
async function windowsOf(store: ViewStore, namespace: string) {
  const out: Record<string, unknown> = {};
  for (const v of pipeline.views) {
    const panes = await store.queryPanes(namespace, { view: v.name, from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER });
    out[v.name] = mergePanes(v, panes.map((pane) => ({ pane, tag: 'x' }))).map(({ key, start, end, acc }) => ({ key, start, end, acc }));
  }
  return out;
}

/** The reference: fold every valid event except those the log's late topic holds. */
function expectedWindows(events: readonly Event[]) {
  const panes = foldEvents(pipeline, events);
  const out: Record<string, unknown> = {};
  for (const v of pipeline.views) {
    out[v.name] = mergePanes(v, panes.filter((p) => p.view === v.name).map((pane) => ({ pane, tag: 'x' }))).map(({ key, start, end, acc }) => ({ key, start, end, acc }));
  }
  return out;
}

/** A log holding the workload, and the windows an uninterrupted speed layer with default settings makes of it. */
async function loadedLogWithReference() {
  const log = await freshLog();
  await loadWorkload(log);
  const store = new InMemoryViewStore();
  await runToEnd(log, store, 'speed');
  return { log, reference: await windowsOf(store, 'speed') };
}

/** Counts commits; each takes `delayMs` longer (a slow store). */
class CountingStore extends InMemoryViewStore {
  commits = 0;
  readonly #delayMs: number;
  constructor(delayMs = 0) {
    super();
    this.#delayMs = delayMs;
  }
  override async commit(ns: string, c: readonly PartitionCommit[]): Promise<void> {
    this.commits++;
    if (this.#delayMs > 0) await new Promise((r) => setTimeout(r, this.#delayMs));
    return super.commit(ns, c);
  }
}

async function freshLogWithWorkload(): Promise<EmbeddedLog> {
  const log = await freshLog();
  await loadWorkload(log);
  return log;
}

/** The windows an uninterrupted job without a group makes of the workload (on a log of its own, so no side records are added). */
async function referenceWindows() {
  const log = await freshLogWithWorkload();
  const store = new InMemoryViewStore();
  await runToEnd(log, store, 'speed');
  await log.close();
  return windowsOf(store, 'speed');
}

async function runToEnd(log: EmbeddedLog, store: ViewStore, namespace = 'speed', groupId?: string): Promise<StreamJob> {
  const job = new StreamJob({ log, views: store, pipeline, topics }, { namespace, groupId, from: { kind: 'earliest' }, stopAtEnd: true, maxBatchRecords: 500 });
  const sub = await job.start();
  await sub.done;
  return job;
}

describe('StreamJob (speed layer over the embedded log)', () => {
  it('counts valid, dead-letter, duplicate and too-late records as the workload made them', async () => {
    const log = await freshLog();
    await loadWorkload(log);
    const job = await runToEnd(log, new InMemoryViewStore());
    const f = workload.facts;
    expect(job.totals()).toEqual({
      valid: f.generated - f.malformed - f.duplicates - f.tooLate,
      deadLetter: f.malformed,
      duplicate: f.duplicates,
      tooLate: f.tooLate,
    });
    expect(f.malformed).toBeGreaterThan(0);
    expect(f.tooLate).toBeGreaterThan(0);
    // Its transform's CPU, measured on its own thread around the synchronous steps.
    expect(job.computeCpuMs).toBeGreaterThan(0);
    await log.close();
  });

  it('routes every bad record to the dead-letter topic and every too-late event to the late topic, with reasons and sources', async () => {
    const log = await freshLog();
    await loadWorkload(log);
    await runToEnd(log, new InMemoryViewStore());
    const dead = await readAll(log, topics.deadLetter);
    const late = await readAll(log, topics.late);
    expect(dead).toHaveLength(workload.facts.malformed);
    expect(late).toHaveLength(workload.facts.tooLate);
    const source = await readAll(log, topics.events);
    const byPosition = new Map(source.map((r) => [`${r.partition}/${r.offset}`, r]));
    for (const d of dead) {
      const original = byPosition.get(`${d.headers['lk-source-partition']}/${d.headers['lk-source-offset']}`);
      expect(original).toBeDefined();
      const verdict = validateRecord(original!.value, original!.timestamp);
      expect(verdict.ok).toBe(false);
      if (!verdict.ok) expect(d.headers['lk-reason']).toBe(verdict.rejection.code);
    }
    for (const l of late) {
      expect(l.headers['lk-reason']).toBe('too_late');
      expect(byPosition.get(`${l.headers['lk-source-partition']}/${l.headers['lk-source-offset']}`)?.value).toBe(l.value);
    }
    await log.close();
  });

  it('holds exactly the windows of every accepted event: truth minus the late topic', async () => {
    const log = await freshLog();
    await loadWorkload(log);
    const store = new InMemoryViewStore();
    await runToEnd(log, store);
    const late = new Set((await readAll(log, topics.late)).map((l) => `${l.headers['lk-source-partition']}/${l.headers['lk-source-offset']}`));
    const accepted: Event[] = [];
    for (const r of await readAll(log, topics.events)) {
      const v = validateRecord(r.value, r.timestamp);
      if (v.ok && !late.has(`${r.partition}/${r.offset}`)) accepted.push(v.event);
    }
    expect(await windowsOf(store, 'speed')).toEqual(expectedWindows(accepted));
    await log.close();
  });

  it('events a day ahead of their append time poison no watermark: live, restarted and replayed jobs judge the same, only the workload\'s too-late events are late', async () => {
    // Every 500th record is followed by a valid event of the same user dated 23 h after its append time.
    const records = workload.records.flatMap((r, i) => {
      if (i % 500 !== 250 || r.kind === 'malformed' || r.key === null) return [r];
      const outlier = JSON.stringify({ event_id: `future-${i}`, event_type: 'page_view', user_id: r.key, product_id: 'p-1', event_time: r.timestamp + 23 * 3_600_000 });
      return [r, { key: r.key, value: outlier, timestamp: r.timestamp }];
    });
    const outliers = records.length - workload.records.length;
    const log = await freshLog();
    await log.append(topics.events, records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
    const store = new InMemoryViewStore();
    const live = await runToEnd(log, store, 'speed');
    const f = workload.facts;
    expect(outliers).toBeGreaterThan(5);
    expect(live.totals()).toEqual({ valid: f.generated - f.malformed - f.duplicates - f.tooLate + outliers, deadLetter: f.malformed, duplicate: f.duplicates, tooLate: f.tooLate });

    // A job restarted from the live job's checkpoints half-way (as after a crash), and a replay, find the same.
    const restartedStore = new InMemoryViewStore();
    const half = new StreamJob({ log, views: restartedStore, pipeline, topics }, { namespace: 'speed', from: { kind: 'earliest' }, sideOutputs: false, stopAtEnd: true, maxBatchRecords: 500 });
    const sub = await half.start();
    await waitFor(async () => half.records >= records.length / 2, { timeoutMs: 20_000 });
    await sub.stop();
    const restarted = new StreamJob({ log, views: restartedStore, pipeline, topics }, { namespace: 'speed', from: { kind: 'earliest' }, sideOutputs: false, stopAtEnd: true, maxBatchRecords: 500 });
    await (await restarted.start()).done;
    const replay = await runKappaReplay({ log, views: store, pipeline, topics });
    expect(await windowsOf(restartedStore, 'speed')).toEqual(await windowsOf(store, 'speed'));
    expect(await windowsOf(store, replay.namespace)).toEqual(await windowsOf(store, 'speed'));
    expect([...(await store.checkpoints(replay.namespace)).values()]).toEqual([...(await store.checkpoints('speed')).values()]);
    expect([...(await restartedStore.checkpoints('speed')).values()]).toEqual([...(await store.checkpoints('speed')).values()]);
    await log.close();
  });

  it('a crash between batches neither loses nor double-counts: the restarted job ends where an uninterrupted one does', async () => {
    const { log, reference } = await loadedLogWithReference();

    // The store fails the 5th commit: the job dies mid-stream, after side outputs were written.
    let commits = 0;
    class CrashingStore extends InMemoryViewStore {
      override async commit(ns: string, c: readonly PartitionCommit[]): Promise<void> {
        if (crashing && ++commits === 5) throw new Error('simulated crash');
        return super.commit(ns, c);
      }
    }
    let crashing = true;
    const store = new CrashingStore();
    const flaky: ViewStore = store;
    const crashed = new StreamJob({ log, views: flaky, pipeline, topics }, { namespace: 'speed', groupId: 'speed', from: { kind: 'earliest' }, stopAtEnd: true, maxBatchRecords: 500, maxUncommittedRecords: 1 });
    await expect((await crashed.start()).done).rejects.toThrow('simulated crash');
    const afterCrash = await store.checkpoints('speed');
    expect([...afterCrash.values()].reduce((n, cp) => n + cp.stats.valid, 0)).toBeGreaterThan(0);

    crashing = false;
    // Restart in the same group: the group's committed offsets may be ahead of or behind the store; the checkpoint wins.
    const restarted = await runToEnd(log, store, 'speed', 'speed');
    expect(await windowsOf(store, 'speed')).toEqual(reference);
    expect(restarted.totals()).toEqual((await runToEnd(log, new InMemoryViewStore())).totals());
    await log.close();
  });

  it('a crash after the side outputs were appended and before the view commit repeats none of them: after the restart each bad and each too-late record is in its topic once', async () => {
    const log = await freshLogWithWorkload();
    // The process dies inside its 4th view commit, after that commit's side records were appended.
    let crashing = true;
    let commits = 0;
    class CrashingStore extends InMemoryViewStore {
      override async commit(ns: string, c: readonly PartitionCommit[]): Promise<void> {
        if (crashing && ++commits === 4) throw new Error('simulated crash');
        return super.commit(ns, c);
      }
    }
    const store = new CrashingStore();
    const options = { namespace: 'speed', groupId: 'speed', from: { kind: 'earliest' }, stopAtEnd: true, maxBatchRecords: 500, maxUncommittedRecords: 1 } as const;
    const crashed = new StreamJob({ log, views: store, pipeline, topics }, options);
    await expect((await crashed.start()).done).rejects.toThrow('simulated crash');
    const sourceIds = (records: readonly LogRecord[]) => records.map((r) => `${r.headers['lk-source-partition']}:${r.headers['lk-source-offset']}`);
    // The side topics hold records of the commit that never reached the store.
    const stored = [...(await store.checkpoints('speed')).values()].reduce((n, cp) => n + cp.stats.deadLetter + cp.stats.tooLate, 0);
    expect((await readAll(log, topics.deadLetter)).length + (await readAll(log, topics.late)).length).toBeGreaterThan(stored);

    crashing = false;
    // The restart reprocesses from the stored checkpoints, the crashed commit's records included.
    await (await new StreamJob({ log, views: store, pipeline, topics }, options).start()).done;
    const dead = sourceIds(await readAll(log, topics.deadLetter));
    const late = sourceIds(await readAll(log, topics.late));
    const events = await readAll(log, topics.events);
    const bad = events.filter((r) => !validateRecord(r.value, r.timestamp, pipeline.config.limits).ok).map((r) => `${r.partition}:${r.offset}`);
    expect(dead.sort()).toEqual(bad.sort());
    expect(late).toHaveLength(workload.facts.tooLate);
    expect(new Set(late).size).toBe(late.length);
    expect(await windowsOf(store, 'speed')).toEqual(await referenceWindows());
    await log.close();
  });

  it('a member whose partitions another member committed meanwhile (a late-seen rebalance) is fenced: nothing of its commit is applied', async () => {
    const { log, reference } = await loadedLogWithReference();
    // Before the old member's 3rd commit reaches the store, a new owner restores the partitions
    // from the store's (older) checkpoints, reads them to the end and commits.
    let commits = 0;
    let newOwner: Promise<StreamJob> | undefined;
    class RebalancingStore extends InMemoryViewStore {
      override async commit(ns: string, c: readonly PartitionCommit[]): Promise<void> {
        if (newOwner === undefined && ++commits === 3) {
          newOwner = runToEnd(log, this, 'speed');
          await newOwner;
        }
        return super.commit(ns, c);
      }
    }
    const store = new RebalancingStore();
    const oldOwner = new StreamJob({ log, views: store, pipeline, topics }, { namespace: 'speed', from: { kind: 'earliest' }, stopAtEnd: true, maxBatchRecords: 500, maxUncommittedRecords: 1 });
    await expect((await oldOwner.start()).done).rejects.toBeInstanceOf(PartitionFencedError);
    expect(newOwner).toBeDefined();
    // The views are the new owner's: exactly an uninterrupted run's.
    expect(await windowsOf(store, 'speed')).toEqual(reference);
    expect((await newOwner!).totals()).toEqual((await runToEnd(log, new InMemoryViewStore())).totals());
    await log.close();
  });

  it('starts a partition the store has no checkpoint for at the start position, not at the group offset ahead of it', async () => {
    const log = await freshLog();
    await loadWorkload(log);
    // The adapter commits the group offset after each batch, before the view store has it: here it is at the end, the store empty.
    await log.commitOffsets(topics.events, 'lk-speed', await log.endOffsets(topics.events));
    const store = new InMemoryViewStore();
    const job = await runToEnd(log, store, 'speed', 'lk-speed');
    const f = workload.facts;
    expect(job.totals()).toEqual({ valid: f.generated - f.malformed - f.duplicates - f.tooLate, deadLetter: f.malformed, duplicate: f.duplicates, tooLate: f.tooLate });
    expect(await windowsOf(store, 'speed')).toEqual(await referenceWindows());
    expect(await readAll(log, topics.deadLetter)).toHaveLength(f.malformed);
    expect(await readAll(log, topics.late)).toHaveLength(f.tooLate);
    await log.close();
  });

  it('a member killed before its first view-store commit loses nothing: the member taking its partitions reads them again', async () => {
    const log = await freshLog();
    await loadWorkload(log);
    const store = new InMemoryViewStore();
    let killed = false;
    // The first member's view of the store: once killed, its commits fail (the process died before them).
    const dying = new Proxy(store, {
      get(target, name) {
        if (name === 'commit') {
          return async (ns: string, c: readonly PartitionCommit[]) => {
            if (killed) throw new Error('killed');
            return target.commit(ns, c);
          };
        }
        const v: unknown = Reflect.get(target, name, target);
        return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
      },
    });
    const first = new StreamJob({ log, views: dying, pipeline, topics }, { namespace: 'speed', groupId: 'lk-speed', from: { kind: 'earliest' }, maxBatchRecords: 500, commitIntervalMs: 600_000 });
    const firstRun = await first.start();
    const end = await log.endOffsets(topics.events);
    // Every batch was handed to the first member and its group offset committed; nothing is stored.
    await waitFor(async () => {
      const committed = await log.committedOffsets(topics.events, 'lk-speed');
      return [...end].every(([p, o]) => committed.get(p) === o);
    }, { timeoutMs: 20_000 });
    killed = true;
    const firstFails = expect(firstRun.done).rejects.toThrow('killed');
    // A second member joins; the first fails at the rebalance's commit and leaves, the second takes every partition.
    const second = new StreamJob({ log, views: store, pipeline, topics }, { namespace: 'speed', groupId: 'lk-speed', from: { kind: 'earliest' }, maxBatchRecords: 500 });
    await second.start();
    await firstFails;
    await waitFor(async () => {
      const stored = await store.checkpoints('speed');
      return [...end].every(([p, o]) => stored.get(p)?.nextOffset === o);
    }, { timeoutMs: 20_000 });
    await second.stop();
    expect(second.totals()).toEqual((await runToEnd(await freshLogWithWorkload(), new InMemoryViewStore())).totals());
    expect(await windowsOf(store, 'speed')).toEqual(await referenceWindows());
    // Each bad record is in the dead-letter topic once, though the killed member appended some before its failed commit.
    const dead = (await readAll(log, topics.deadLetter)).map((d) => `${d.headers['lk-source-partition']}/${d.headers['lk-source-offset']}`);
    expect(new Set(dead).size).toBe(workload.facts.malformed);
    expect(dead).toHaveLength(workload.facts.malformed);
    await log.close();
  });

  it('refuses to start from the group committed offsets, which run ahead of the view store', async () => {
    const log = await freshLog();
    const from = { kind: 'committed', fallback: 'earliest' } as unknown as StreamStart;
    expect(() => new StreamJob({ log, views: new InMemoryViewStore(), pipeline, topics }, { namespace: 'speed', groupId: 'g', from })).toThrow(/committed offsets/);
    await log.close();
  });

  it('retries a commit while the store is unavailable, over partial successes, and ends with the panes of an uninterrupted run', async () => {
    const { log, reference } = await loadedLogWithReference();
    let calls = 0;
    /** Commits 3 to 6 fail as a store that went down would, each after storing the first of their partitions (one transaction each). */
    class FlakyStore extends InMemoryViewStore {
      override async commit(ns: string, c: readonly PartitionCommit[]): Promise<void> {
        calls++;
        if (calls >= 3 && calls <= 6) {
          if (c.length > 0) await super.commit(ns, c.slice(0, 1));
          throw new StoreUnavailableError('test store', 'connection lost');
        }
        return super.commit(ns, c);
      }
    }
    const store = new FlakyStore();
    const retries: number[] = [];
    const job = new StreamJob(
      { log, views: store, pipeline, topics },
      { namespace: 'speed', from: { kind: 'earliest' }, stopAtEnd: true, maxBatchRecords: 500, maxUncommittedRecords: 1_000, onStoreRetry: (_, waitMs) => retries.push(waitMs) },
    );
    await (await job.start()).done;
    expect(retries).toEqual([100, 200, 400, 800]);
    // Side outputs are written once per source offset: the reference run over the same log wrote them all already.
    expect(await readAll(log, topics.deadLetter)).toHaveLength(workload.facts.malformed);
    expect(await windowsOf(store, 'speed')).toEqual(reference);
    expect(job.totals()).toEqual((await runToEnd(log, new InMemoryViewStore())).totals());
    const stored = [...(await store.checkpoints('speed')).values()];
    expect(stored.reduce((n, cp) => n + cp.stats.valid + cp.stats.deadLetter + cp.stats.duplicate + cp.stats.tooLate, 0)).toBe(workload.records.length);
    await log.close();
  });

  it('fails with StoreUnavailableError once the store stays down past the retry time; at once with a retry time of 0', async () => {
    for (const storeRetryMs of [300, 0]) {
      const log = await freshLogWithWorkload();
      let calls = 0;
      class DownStore extends InMemoryViewStore {
        override async commit(ns: string, c: readonly PartitionCommit[]): Promise<void> {
          if (++calls >= 2) throw new StoreUnavailableError('test store', 'connection refused');
          return super.commit(ns, c);
        }
      }
      const job = new StreamJob({ log, views: new DownStore(), pipeline, topics }, { namespace: 'speed', from: { kind: 'earliest' }, stopAtEnd: true, maxBatchRecords: 500, maxUncommittedRecords: 1, storeRetryMs });
      const err: unknown = await (await job.start()).done.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect((err as Error).message).toMatch(/stayed unavailable .*Check that the store is up/);
      if (storeRetryMs === 0) expect(calls).toBe(2);
      else expect(calls).toBeGreaterThan(3);
      await log.close();
    }
  });

  it('retries side-output appends while the log is unavailable (a broker restarting), and ends with every dead letter and the panes of an uninterrupted run', async () => {
    const reference = await referenceWindows();
    for (const logRetryMs of [undefined, 0]) {
      const log = await freshLogWithWorkload();
      let failures = 0;
      /** The first four side-output appends of partition 0 fail as Kafka's do while its broker is down. */
      const flaky: EventLog = {
        ensureTopic: (t, n) => log.ensureTopic(t, n),
        append: (topic, records) => log.append(topic, records),
        openDerivedWriter: async (output) => {
          const writer = await log.openDerivedWriter(output);
          return {
            append: async (records) => {
              if (output.sourcePartition === 0 && failures < 4) {
                failures++;
                throw new ServiceUnavailableError('kafka', 'cannot reach Kafka (Connection error: connect ECONNREFUSED)');
              }
              return writer.append(records);
            },
            close: () => writer.close(),
          };
        },
        partitionCount: (t) => log.partitionCount(t),
        beginningOffsets: (t) => log.beginningOffsets(t),
        endOffsets: (t) => log.endOffsets(t),
        offsetsForTimestamp: (t, ts) => log.offsetsForTimestamp(t, ts),
        committedOffsets: (t, g) => log.committedOffsets(t, g),
        commitOffsets: (t, g, o) => log.commitOffsets(t, g, o),
        consume: (o) => log.consume(o),
        close: () => log.close(),
      };
      const retries: number[] = [];
      const store = new InMemoryViewStore();
      const job = new StreamJob(
        { log: flaky, views: store, pipeline, topics },
        { namespace: 'speed', from: { kind: 'earliest' }, stopAtEnd: true, maxBatchRecords: 500, maxUncommittedRecords: 1_000, logRetryMs, onLogRetry: (_, waitMs) => retries.push(waitMs) },
      );
      const done = (await job.start()).done;
      if (logRetryMs === 0) {
        const err: unknown = await done.catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ServiceUnavailableError);
        expect(err).not.toBeInstanceOf(StoreUnavailableError);
        expect((err as Error).message).toMatch(/the log stayed unavailable .*logRetryMs 0.*Check that the broker is up/);
        expect(retries).toEqual([]);
      } else {
        await done;
        expect(retries).toEqual([100, 200, 400, 800]);
        const dead = new Set((await readAll(log, topics.deadLetter)).map((d) => `${d.headers['lk-source-partition']}:${d.headers['lk-source-offset']}`));
        expect(dead.size).toBe(workload.facts.malformed);
        expect(await windowsOf(store, 'speed')).toEqual(reference);
      }
      await log.close();
    }
  });

  it('coalesces batches into fewer commits within the commit interval, with the same views', async () => {
    const { log, reference } = await loadedLogWithReference();
    const run = async (options: { commitIntervalMs?: number; maxUncommittedRecords?: number }) => {
      const store = new CountingStore();
      const job = new StreamJob({ log, views: store, pipeline, topics }, { namespace: 'speed', from: { kind: 'earliest' }, stopAtEnd: true, maxBatchRecords: 500, ...options });
      await (await job.start()).done;
      return store;
    };
    const eager = await run({ maxUncommittedRecords: 1 });
    const lazy = await run({ commitIntervalMs: 60_000 });
    // With a limit of one record every batch (at most 500 records) commits on its own; with a long interval only the end of the replay does.
    expect(eager.commits).toBeGreaterThanOrEqual(workload.records.length / 500);
    expect(lazy.commits).toBe(1);
    expect(await windowsOf(lazy, 'speed')).toEqual(reference);
    expect(await windowsOf(eager, 'speed')).toEqual(reference);
    await log.close();
  });

  it('groups the batches that arrive while a write is in flight into the next commit, with the same views', async () => {
    const { log, reference } = await loadedLogWithReference();
    const store = new CountingStore(50);
    const job = new StreamJob({ log, views: store, pipeline, topics }, { namespace: 'speed', from: { kind: 'earliest' }, stopAtEnd: true, maxBatchRecords: 100, commitIntervalMs: 0 });
    await (await job.start()).done;
    // No interval, yet far fewer commits than the 60 batches of 100: each one waited for the write before it.
    expect(store.commits).toBeLessThan(workload.records.length / 100 / 2);
    expect(await windowsOf(store, 'speed')).toEqual(reference);
    await log.close();
  });

  it('commits records of a log that went quiet once the interval is up, without waiting for another batch', async () => {
    const log = await freshLog(1);
    const store = new InMemoryViewStore();
    const job = new StreamJob({ log, views: store, pipeline, topics }, { namespace: 'speed', from: { kind: 'earliest' }, commitIntervalMs: 200 });
    const sub = await job.start();
    try {
      await log.append(topics.events, workload.records.slice(0, 50).map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
      await waitFor(async () => (await store.checkpoints('speed')).get(0)?.nextOffset === 50, { timeoutMs: 10_000 });
      expect(job.records).toBe(50);
    } finally {
      await sub.stop();
      await log.close();
    }
  });

  it('Kappa replay builds a new version equal to the speed layer and cuts serving over to it', async () => {
    const log = await freshLog();
    await loadWorkload(log);
    const store = new InMemoryViewStore();
    await runToEnd(log, store, 'speed');
    const first = await runKappaReplay({ log, views: store, pipeline, topics });
    expect(first).toMatchObject({ namespace: 'kappa_v1', previous: undefined, records: workload.records.length, cutOver: true });
    expect(first.computeCpuMs).toBeGreaterThan(0);
    expect(await store.getAlias(KAPPA_ALIAS)).toBe('kappa_v1');
    expect(await windowsOf(store, 'kappa_v1')).toEqual(await windowsOf(store, 'speed'));

    const second = await runKappaReplay({ log, views: store, pipeline, topics });
    expect(second).toMatchObject({ namespace: 'kappa_v2', previous: 'kappa_v1' });
    expect(await store.getAlias(KAPPA_ALIAS)).toBe('kappa_v2');
    const third = await runKappaReplay({ log, views: store, pipeline, topics });
    expect(third.namespace).toBe('kappa_v3');
    // Replays do not repeat the live job's side records.
    expect(await readAll(log, topics.deadLetter)).toHaveLength(workload.facts.malformed);
    expect(await readAll(log, topics.late)).toHaveLength(workload.facts.tooLate);
    // The new version and the one it replaced stay; older ones are dropped.
    expect((await store.listNamespaces()).sort()).toEqual(['kappa_v2', 'kappa_v3', 'speed']);
    await log.close();
  });

  it('a replay that fails part-way drops its unfinished version; one left by a crash goes at the next cut-over', async () => {
    const log = await freshLog();
    await loadWorkload(log);
    let appends = 0;
    class FailingLoadStore extends InMemoryViewStore {
      override async beginLoad(namespace: string) {
        const load = await super.beginLoad(namespace);
        return {
          ...load,
          append: async (partition: number, panes: readonly Pane[]) => {
            if (++appends === 2) throw new Error('simulated store failure');
            return load.append(partition, panes);
          },
        };
      }
    }
    const store = new FailingLoadStore();
    await expect(runKappaReplay({ log, views: store, pipeline, topics })).rejects.toThrow('simulated store failure');
    expect(await store.listNamespaces()).toEqual([]);

    // A crashed process cannot drop its version: kappa_v1 stays an unfinished load.
    await store.beginLoad('kappa_v1');
    await expect(new StreamJob({ log, views: store, pipeline, topics }, { namespace: 'kappa_v1', from: { kind: 'earliest' } }).start()).rejects.toThrow(/unfinished bulk load/);
    const next = await runKappaReplay({ log, views: store, pipeline, topics }, { keepOlder: 5 });
    expect(next.namespace).toBe('kappa_v2');
    expect(await store.listNamespaces()).toEqual(['kappa_v2']);
    expect(await windowsOf(store, 'kappa_v2')).toEqual((await loadedLogWithReference()).reference);
  });

  it('a replay stopped by its signal drops its version instead of serving part of the log', async () => {
    const log = await freshLog();
    await loadWorkload(log);
    const store = new InMemoryViewStore();
    const stop = new AbortController();
    const replay = runKappaReplay({ log, views: store, pipeline, topics }, { signal: stop.signal, onProgress: () => stop.abort() });
    await expect(replay).rejects.toThrow(/stopped before the end of the log; its version was dropped/);
    expect(await store.listNamespaces()).toEqual([]);
    expect(await store.getAlias(KAPPA_ALIAS)).toBeUndefined();
    await log.close();
  });

  it('a replay that is not cut over leaves the alias where it was', async () => {
    const log = await freshLog(2);
    await loadWorkload(log);
    const store = new InMemoryViewStore();
    await runKappaReplay({ log, views: store, pipeline, topics });
    const r = await runKappaReplay({ log, views: store, pipeline, topics }, { cutOver: false });
    expect(r.namespace).toBe('kappa_v2');
    expect(await store.getAlias(KAPPA_ALIAS)).toBe('kappa_v1');
    await log.close();
  });
});
