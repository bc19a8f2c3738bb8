import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../infra/embedded/embedded-log.ts';
import { LocalObjectStore } from '../../infra/embedded/local-object-store.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import type { TopicNames } from '../../shared/config.ts';
import { startHttpServer, type HttpServer } from '../../serving/http-server.ts';
import type { ServiceStatus } from '../../serving/query-result.ts';
import { QueryService } from '../../serving/query-service.ts';
import { runKappaReplay } from '../../speed/kappa-replay.ts';
import { readReplayProgress, REPLAY_PROGRESS_KEY, ReplayProgressReporter } from '../../speed/replay-progress.ts';
import { generateWorkload } from '../../examples/ecommerce/workload/generator.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';
import { ForwardingObjectStore } from '../support/forwarding-object-store.ts';
import { InMemoryBatchPaneSource } from '../support/in-memory-batch-pane-source.ts';
import { InMemoryViewStore } from '../support/in-memory-view-store.ts';

const topics: TopicNames = { events: 'events', deadLetter: 'events.dead-letter', late: 'events.late' };
const pipeline = compilePipeline(ecommerceConfig());
const dirs: string[] = [];
let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** An object store that, once each progress write has landed, runs `after` (with the state written) before the write returns. */
class WatchedStore extends ForwardingObjectStore {
  after: (state: string) => Promise<void> = async () => {};
  override async putText(key: string, text: string): Promise<void> {
    await super.putText(key, text);
    if (key === REPLAY_PROGRESS_KEY) await this.after((JSON.parse(text) as { state: string }).state);
  }
}

describe('replay progress', () => {
  it('shows in /v1/status (the dashboard polls it) while lk replay builds version N+1 and N keeps serving, then the cut-over', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lk-replay-progress-'));
    dirs.push(dir);
    const log = await EmbeddedLog.open(join(dir, 'log'));
    await log.ensureTopic(topics.events, 2);
    const w = generateWorkload({ seed: 7, events: 3_000, users: 50, products: 10, spanMs: 30 * 60_000, startTime: Date.UTC(2026, 0, 1, 10) }, pipeline.config);
    await log.append(topics.events, w.records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
    const total = [...(await log.endOffsets(topics.events)).values()].reduce((a, b) => a + b, 0);
    const views = new InMemoryViewStore();
    const objects = new WatchedStore(new LocalObjectStore(join(dir, 'objects')));
    await runKappaReplay({ log, views, pipeline, topics });
    const service = new QueryService({ pipeline, viewStore: views, batch: new InMemoryBatchPaneSource(), replayProgress: () => readReplayProgress(objects) });
    server = await startHttpServer(service, { host: '127.0.0.1', port: 0 });
    const status = async () => (await (await fetch(`${server!.url}/v1/status`)).json()) as ServiceStatus;
    expect((await status()).replay).toBeNull();

    const seen: ServiceStatus[] = [];
    objects.after = async (state) => {
      if (state === 'running') seen.push(await status());
    };
    const result = await runKappaReplay({ log, views, pipeline, topics }, { progress: new ReplayProgressReporter(objects, { intervalMs: 0 }) });
    await log.close();
    expect(result).toMatchObject({ namespace: 'kappa_v2', cutOver: true });

    // While it read the log, v1 served and the status said how far v2 had got.
    expect(seen.length).toBeGreaterThanOrEqual(1);
    for (const s of seen) {
      expect(s.kappa.namespace).toBe('kappa_v1');
      expect(s.replay).toMatchObject({ version: 'kappa_v2', serving: 'kappa_v1', state: 'running', offsetsToRead: total });
      expect(s.replay!.offsetsRead + s.replay!.lagRecords).toBe(total);
    }
    expect(seen[0].replay).toMatchObject({ offsetsRead: 0, lagRecords: total, maxEventTime: null });
    // Behind the serving version by event time, until it has read as far.
    expect(seen[0].replay!.behindServingMs).toBeNull();

    const done = await status();
    expect(done.kappa.namespace).toBe('kappa_v2');
    expect(done.replay).toMatchObject({ version: 'kappa_v2', state: 'served', offsetsRead: total, lagRecords: 0, behindServingMs: null });
    expect(done.replay!.maxEventTime).toBe(done.namespaces.find((n) => n.namespace === 'kappa_v2')!.maxEventTime);
  });

  it('is folded from the commits: offsets read per partition against the end, the latest event time, and each state', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lk-replay-progress-'));
    dirs.push(dir);
    const objects = new LocalObjectStore(dir);
    let now = Date.UTC(2026, 0, 1, 12);
    const reporter = new ReplayProgressReporter(objects, { intervalMs: 1_000, clock: () => now });
    await reporter.start('kappa_v4', 'kappa_v3', new Map([[0, 100], [1, 50]]));
    const commit = (partition: number, nextOffset: number, maxEventTime: number) =>
      reporter.update({ partition, nextOffset, highWatermark: partition === 0 ? 100 : 50, records: 0, totals: { valid: 0, deadLetter: 0, duplicate: 0, tooLate: 0 }, checkpoint: { maxEventTime } as never, commitMs: 1 });
    commit(0, 40, Date.UTC(2026, 0, 1, 10, 5));
    commit(1, 50, Date.UTC(2026, 0, 1, 10, 1));
    expect(reporter.snapshot()).toMatchObject({
      version: 'kappa_v4',
      serving: 'kappa_v3',
      state: 'running',
      partitions: [{ partition: 0, nextOffset: 40, endOffset: 100 }, { partition: 1, nextOffset: 50, endOffset: 50 }],
      offsetsRead: 90,
      offsetsToRead: 150,
      lagRecords: 60,
      maxEventTime: '2026-01-01T10:05:00.000Z',
    });
    // Within the interval the published progress is the start's; a state change publishes at once.
    expect((await readReplayProgress(objects))?.offsetsRead).toBe(0);
    now += 5_000;
    await reporter.state('failed', 'the log went away');
    expect(await readReplayProgress(objects)).toMatchObject({ state: 'failed', error: 'the log went away', offsetsRead: 90, updatedAt: '2026-01-01T12:00:05.000Z' });
    await objects.putText(REPLAY_PROGRESS_KEY, 'not json');
    expect(await readReplayProgress(objects)).toBeUndefined();
  });
});
