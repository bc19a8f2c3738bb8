import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../infra/embedded/embedded-log.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import type { TopicNames } from '../../shared/config.ts';
import { WriterFencedError } from '../../shared/errors.ts';
import type { LogRecord } from '../../shared/ports/event-log.ts';
import type { PartitionCommit, ViewStore } from '../../shared/ports/view-store.ts';
import { QueryService } from '../../serving/query-service.ts';
import { AlertPublisher, alertsTopicOf, schedulePublishing } from '../../speed/alert-publisher.ts';
import { waitFor } from '../support/wait-for.ts';
import { StreamJob } from '../../speed/stream-job.ts';
import { generateWorkload } from '../../examples/ecommerce/workload/generator.ts';
import { InMemoryBatchPaneSource } from '../support/in-memory-batch-pane-source.ts';
import { InMemoryViewStore } from '../support/in-memory-view-store.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

const topics: TopicNames = { events: 'events', deadLetter: 'events.dead-letter', late: 'events.late' };
const pipeline = compilePipeline(ecommerceConfig({ alerts: [{ name: 'busy_product', view: 'product_activity', when: 'views >= 4' }] }));
const workload = generateWorkload({ seed: 7, events: 6_000, users: 150, products: 40, spanMs: 90 * 60_000 }, pipeline.config);
const dirs: string[] = [];

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function loadedLog(): Promise<EmbeddedLog> {
  const dir = await mkdtemp(join(tmpdir(), 'lk-alerts-'));
  dirs.push(dir);
  const log = await EmbeddedLog.open(dir);
  await log.ensureTopic(topics.events, 3);
  await log.append(topics.events, workload.records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
  return log;
}

const jobOptions = { namespace: 'speed', groupId: 'speed', from: { kind: 'earliest' }, stopAtEnd: true, maxBatchRecords: 500, maxUncommittedRecords: 1 } as const;

async function runToEnd(log: EmbeddedLog, store: ViewStore): Promise<void> {
  await (await new StreamJob({ log, views: store, pipeline, topics }, jobOptions).start()).done;
}

function serviceOver(store: ViewStore): QueryService {
  return new QueryService({ pipeline, viewStore: store, batch: new InMemoryBatchPaneSource() });
}

async function readAll(log: EmbeddedLog, topic: string): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  const sub = await log.consume({ topic, from: { kind: 'earliest' }, stopAtEnd: true, onBatch: async (b) => void out.push(...b.records) });
  await sub.done;
  return out;
}

/** The alert ids an uninterrupted stream of the workload finds (on a log of its own). */
async function referenceIds(): Promise<string[]> {
  const log = await loadedLog();
  const store = new InMemoryViewStore();
  await runToEnd(log, store);
  const { alerts } = await serviceOver(store).finalAlerts({ from: 0, to: Date.UTC(3000, 0), mode: 'speed' }, { maxRangeMs: Infinity, maxWindows: Infinity, maxPanes: Infinity });
  await log.close();
  return alerts.map((a) => a.id).sort();
}

describe('AlertPublisher', () => {
  it('publishes the alerts of the final windows to <topic>.alerts once, in window-end order, and nothing again when nothing became final', async () => {
    const log = await loadedLog();
    const store = new InMemoryViewStore();
    await runToEnd(log, store);
    const publisher = await AlertPublisher.open({ log, eventsTopic: topics.events, source: serviceOver(store), mode: 'speed' });
    const published = await publisher.publish();
    expect(await publisher.publish()).toEqual([]);
    const records = await readAll(log, alertsTopicOf(topics.events));
    const want = await referenceIds();
    expect(want.length).toBeGreaterThan(0);
    expect(records.map((r) => r.key).sort()).toEqual(want);
    expect(published.map((a) => a.id).sort()).toEqual(want);
    const ends = records.map((r) => Date.parse((JSON.parse(r.value) as { end: string }).end));
    expect(ends).toEqual([...ends].sort((a, b) => a - b));
    expect(JSON.parse(records[0].value)).toMatchObject({ rule: 'busy_product', view: 'product_activity', id: records[0].key });
    await publisher.close();
    await log.close();
  });

  it('repeats no alert after crashes of the stream job and of the publisher: a restarted publisher skips what the crashed one appended', async () => {
    const log = await loadedLog();
    // The stream job dies in its 6th view commit; a publisher ran on what was committed by then.
    let crashing = true;
    let commits = 0;
    class CrashingStore extends InMemoryViewStore {
      override async commit(ns: string, c: readonly PartitionCommit[]): Promise<void> {
        if (crashing && ++commits === 6) throw new Error('simulated crash');
        return super.commit(ns, c);
      }
    }
    const store = new CrashingStore();
    await expect((await new StreamJob({ log, views: store, pipeline, topics }, jobOptions).start()).done).rejects.toThrow('simulated crash');
    const first = await AlertPublisher.open({ log, eventsTopic: topics.events, source: serviceOver(store), mode: 'speed' });
    await first.publish();
    const early = (await readAll(log, alertsTopicOf(topics.events))).length;
    expect(early).toBeGreaterThan(0);
    // The publisher "crashes" after its append: nothing of what it learned survives. The job restarts.
    crashing = false;
    await runToEnd(log, store);
    // The crashed job's partitions stopped unevenly: one whose reading fell behind looks idle, and a
    // window the others finished may still grow; alerts wait for it (settledBefore), so none fired early.
    const second = await AlertPublisher.open({ log, eventsTopic: topics.events, source: serviceOver(store), mode: 'speed' });
    await second.publish();
    const ids = (await readAll(log, alertsTopicOf(topics.events))).map((r) => r.key!);
    expect(ids.length).toBeGreaterThan(early);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(await referenceIds());
    // The older publisher was fenced by the newer: it writes nothing more.
    await expect(first.publish()).rejects.toThrow(WriterFencedError);
    expect((await readAll(log, alertsTopicOf(topics.events))).length).toBe(ids.length);
    await second.close();
    await log.close();
  });

  it('publishes on a schedule from before the first commit of the stream (nothing is final then) to its end; a second publisher takes over without repeats', async () => {
    const log = await loadedLog();
    const store = new InMemoryViewStore();
    const errors: Error[] = [];
    const first = schedulePublishing(await AlertPublisher.open({ log, eventsTopic: topics.events, source: serviceOver(store), mode: 'speed' }), { everyMs: 10, onError: (e) => errors.push(e) });
    await runToEnd(log, store);
    const want = await referenceIds();
    const topicIds = async () => (await readAll(log, alertsTopicOf(topics.events))).map((r) => r.key!).sort();
    await waitFor(async () => (await topicIds()).length === want.length, { timeoutMs: 30_000 });
    expect(await topicIds()).toEqual(want);
    // A second publisher takes over from scratch: it finds every alert written and adds none.
    const second = schedulePublishing(await AlertPublisher.open({ log, eventsTopic: topics.events, source: serviceOver(store), mode: 'speed' }), { everyMs: 10 });
    await second.stop();
    await first.stop();
    expect(errors).toEqual([]);
    expect(await topicIds()).toEqual(want);
    await log.close();
  });
});
