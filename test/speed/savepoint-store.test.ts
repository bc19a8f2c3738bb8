import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../infra/embedded/local-object-store.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { SavepointError } from '../../shared/errors.ts';
import { deleteSavepoint, listSavepoints, readDescriptor, readState, stateKey } from '../../speed/savepoint-store.ts';
import { takeSavepoint } from '../../speed/take-savepoint.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';
import { InMemoryViewStore } from '../support/in-memory-view-store.ts';

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const pipeline = compilePipeline(ecommerceConfig());
const dirs: string[] = [];

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A store whose "speed" namespace holds two partitions, and an object store in a temp dir. */
async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'lk-savepoint-store-'));
  dirs.push(dir);
  const objects = new LocalObjectStore(dir);
  const views = new InMemoryViewStore();
  await views.ensureNamespace('speed');
  const cp = (partition: number, nextOffset: number) => ({ partition, nextOffset, maxEventTime: T0 + 10 * HOUR, watermarkProgress: T0 + 10 * HOUR, lastAppendTime: T0 + 10 * HOUR, stats: { valid: nextOffset, deadLetter: 0, duplicate: 0, tooLate: 0 } });
  await views.commit('speed', [
    {
      partition: 1,
      upserts: [
        // A final pane (hours before the watermark) and an open one.
        { view: 'revenue', key: '*', start: T0, end: T0 + 600_000, bucket: T0, acc: [5, 1] },
        { view: 'user_sessions', key: 'u1', start: T0 + 10 * HOUR, end: T0 + 10 * HOUR + 1, bucket: T0 + 10 * HOUR, acc: [1, 0, 0, T0, T0] },
      ],
      deletes: [],
      checkpoint: cp(1, 30),
      dedup: { added: { ids: ['old', 'e1'], times: [T0, T0 + 10 * HOUR] }, forgetBefore: Number.NEGATIVE_INFINITY },
    },
    { partition: 0, upserts: [], deletes: [], checkpoint: cp(0, 12) },
  ]);
  return { objects, views };
}

const take = (views: InMemoryViewStore, objects: LocalObjectStore, now: Date) => takeSavepoint({ views, objects, pipeline }, { namespace: 'speed', topic: 'events', partitionCount: 2, pipelineName: 'p.ts', now, random: () => 0.5 });

describe('savepoints in the object store', () => {
  it('takes every pane, the ids a restore needs and the checkpoints; reads them back, lists and deletes', async () => {
    const { objects, views } = await setup();
    const a = await take(views, objects, new Date(T0));
    const b = await take(views, objects, new Date(T0 + 1000));
    expect(a.id).toBe('sp_20260101000000_iiii');
    expect(a.partitions.map((p) => [p.partition, p.checkpoint.nextOffset, p.panes, p.ids])).toEqual([[0, 12, 0, 0], [1, 30, 2, 1]]);
    expect(a.views.revenue).toMatchObject({ panes: 1, openPanes: 0 });
    expect(a.views.user_sessions).toMatchObject({ panes: 1, openPanes: 1 });
    expect(a.views.product_activity).toMatchObject({ panes: 0, openPanes: 0 });
    const state = await readState(objects, await readDescriptor(objects, a.id));
    expect(state.partitions[1].panes.map((p) => p.view).sort()).toEqual(['revenue', 'user_sessions']);
    // The id first seen 10 h before the watermark is forgotten; the recent one is kept.
    expect(state.partitions[1].seen.ids).toEqual(['e1']);
    expect((await listSavepoints(objects)).map((d) => d.id)).toEqual([a.id, b.id]);
    await deleteSavepoint(objects, a.id);
    expect((await listSavepoints(objects)).map((d) => d.id)).toEqual([b.id]);
    expect(await objects.list(`savepoints/${a.id}/`)).toEqual([]);
    await expect(deleteSavepoint(objects, a.id)).rejects.toThrow(/no savepoint sp_20260101000000_iiii/);
  });

  it('refuses a state whose bytes are not the descriptor\'s, and a namespace with nothing committed', async () => {
    const { objects, views } = await setup();
    const a = await take(views, objects, new Date(T0));
    const file = join(dirs[0], 'tampered.gz');
    await writeFile(file, 'not gzip');
    await objects.putFile(stateKey(a.id), file);
    await expect(readState(objects, a)).rejects.toThrow(/does not match its descriptor/);
    await views.ensureNamespace('empty');
    await expect(takeSavepoint({ views, objects, pipeline }, { namespace: 'empty', topic: 'events', partitionCount: 2, pipelineName: 'p.ts' })).rejects.toThrow(SavepointError);
  });
});
