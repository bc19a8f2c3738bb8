import { describe, expect, it } from 'vitest';
import { refuseDataOfEarlierRuns, runDataBanner, runDataNames, runDataNotice } from '../../demo/demo-run-data.ts';
import { loadConfig } from '../../shared/config.ts';
import { ConfigError, NotFoundError } from '../../shared/errors.ts';
import type { EventLog, PartitionOffsets } from '../../shared/ports/event-log.ts';
import type { ObjectStore } from '../../shared/ports/object-store.ts';
import type { ViewStore } from '../../shared/ports/view-store.ts';
import { newRunId, RUN_ID_PATTERN } from '../../shared/run-id.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

const DIR = '/tmp/lk-demo-run-data-test';
const RUN = 'demo_20261121103005_k3f9';

/** What the real services already hold, as the three checks read it. */
function held(state: { topics?: Record<string, number>; namespaces?: string[]; objects?: string[] }) {
  const log = {
    endOffsets: async (topic: string): Promise<PartitionOffsets> => {
      const n = state.topics?.[topic];
      if (n === undefined) throw new NotFoundError(`topic "${topic}" does not exist`);
      return new Map([[0, n]]);
    },
  } as unknown as EventLog;
  const views = { listNamespaces: async () => state.namespaces ?? [] } as unknown as ViewStore;
  // Keys as the store under the configured prefix lists them (relative to it).
  const objects = { list: async (prefix: string) => (state.objects ?? []).filter((k) => k.startsWith(prefix)).map((key) => ({ key, size: 1 })) } as unknown as ObjectStore;
  return { log, views, objects };
}

async function refusal(env: Record<string, string>, state: Parameters<typeof held>[0]): Promise<string | undefined> {
  const config = loadConfig({ LK_SERVICES: 'real', LK_DATA_DIR: DIR, ...env }, { pipeline: ecommerceConfig(), runId: RUN });
  return refuseDataOfEarlierRuns(config, runDataNames(config), held(state)).then(
    () => undefined,
    (err: unknown) => {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    },
  );
}

describe('run ids', () => {
  it('are demo_<UTC yyyymmddhhmmss>_<4 base-36>, valid as topic, schema and prefix', () => {
    expect(newRunId(new Date('2026-11-21T10:30:05.123Z'), () => 0)).toBe('demo_20261121103005_0000');
    expect(newRunId(new Date('2026-01-02T03:04:05Z'), () => 0.999)).toBe('demo_20260102030405_zzzz');
    expect(newRunId(new Date())).toMatch(RUN_ID_PATTERN);
    expect(() => newRunId(new Date(), Math.random, 'Demo-Run')).toThrow(RangeError);
  });
});

describe('a demo run names its data on real services after its run id', () => {
  it('names the topic (with its side topics), the schema and the prefix after the run', () => {
    const c = loadConfig({ LK_SERVICES: 'real', LK_DATA_DIR: DIR }, { pipeline: ecommerceConfig(), runId: RUN });
    expect(c.topics).toEqual({ events: RUN, deadLetter: `${RUN}.dead-letter`, late: `${RUN}.late` });
    expect(c.viewStore).toMatchObject({ kind: 'postgres', schema: RUN });
    expect(c.objectStore).toMatchObject({ kind: 's3', prefix: RUN });
    expect(c.scope).toEqual({ runId: RUN, userSet: [] });
  });

  it('keeps the names the user set, and the defaults without a run id or on embedded services', () => {
    const c = loadConfig({ LK_SERVICES: 'real', LK_DATA_DIR: DIR, LK_TOPIC: 'mine', S3_PREFIX: 'team/a' }, { pipeline: ecommerceConfig(), runId: RUN });
    expect(c.topics.events).toBe('mine');
    expect(c.objectStore).toMatchObject({ prefix: 'team/a' });
    expect(c.viewStore).toMatchObject({ schema: RUN });
    expect(c.scope.userSet).toEqual(['LK_TOPIC', 'S3_PREFIX']);

    expect(loadConfig({ LK_SERVICES: 'real', LK_DATA_DIR: DIR }, { pipeline: ecommerceConfig() }).topics.events).toBe('events');
    const embedded = loadConfig({ LK_DATA_DIR: DIR }, { pipeline: ecommerceConfig(), runId: RUN });
    expect(embedded.topics.events).toBe('events');
    expect(runDataNames(embedded)).toEqual([]);
    // One real port among embedded ones: only its name is the run's.
    const mixed = loadConfig({ LK_VIEW_STORE: 'postgres', LK_DATA_DIR: DIR }, { pipeline: ecommerceConfig(), runId: RUN });
    expect(mixed.topics.events).toBe('events');
    expect(runDataNames(mixed).map((n) => n.what)).toEqual([`PostgreSQL schema ${RUN}`]);
  });

  it('refuses a run id that is not a valid schema name', () => {
    expect(() => loadConfig({ LK_SERVICES: 'real', LK_DATA_DIR: DIR }, { pipeline: ecommerceConfig(), runId: 'Run-1' })).toThrow(ConfigError);
  });
});

describe('the demo refuses names that already hold data', () => {
  it('passes when the run’s topics, schema and prefix hold nothing (missing or empty)', async () => {
    expect(await refusal({}, { topics: { [RUN]: 0 }, namespaces: [], objects: [] })).toBeUndefined();
  });

  it('names each set name holding data, what it holds, and what to do', async () => {
    const message = await refusal(
      { LK_TOPIC: 'events', PG_SCHEMA: 'lambdakappa', S3_PREFIX: 'shared' },
      { topics: { events: 1_200, 'events.late': 3 }, namespaces: ['kappa_v1', 'speed'], objects: ['master/dt=2026-11-21/hour=10/p0.parquet'] },
    );
    expect(message).toContain('LK_TOPIC=events (Kafka topics events, events.dead-letter, events.late) already holds records (events 1,200, events.late 3): unset LK_TOPIC');
    expect(message).toContain('PG_SCHEMA=lambdakappa (PostgreSQL schema lambdakappa) already holds view-store namespaces (kappa_v1, speed)');
    expect(message).toContain('S3_PREFIX=shared (S3 prefix s3://lambdakappa/shared/) already holds 1 object (master/dt=2026-11-21/hour=10/p0.parquet');
    expect(message).toContain('--keep-data');
  });

  it('refuses only the name that holds data', async () => {
    const message = await refusal({ PG_SCHEMA: 'lambdakappa' }, { namespaces: ['speed'] });
    expect(message).toContain('PG_SCHEMA=lambdakappa');
    expect(message).not.toContain('LK_TOPIC');
    expect(message).not.toContain('S3_PREFIX');
  });
});

describe('what the demo prints about its data', () => {
  it('says the names first, then how to reach and remove them, without the database password', () => {
    const c = loadConfig({ LK_SERVICES: 'real', LK_DATA_DIR: DIR, PG_SCHEMA: 'mine' }, { pipeline: ecommerceConfig(), runId: RUN });
    const names = runDataNames(c);
    const banner = runDataBanner(c, names);
    expect(banner).toContain(`run ${RUN}: Kafka topics ${RUN}, ${RUN}.dead-letter, ${RUN}.late; PostgreSQL schema mine; S3 prefix s3://lambdakappa/${RUN}/`);
    expect(banner).toContain('LK_TOPIC, S3_PREFIX named after this run; PG_SCHEMA as you set, checked empty');
    const notice = runDataNotice(c, names).join('\n');
    expect(notice).toContain(`LK_TOPIC=${RUN} PG_SCHEMA=mine S3_PREFIX=${RUN} npm run lk -- serve --services real`);
    expect(notice).toContain(`kafka-topics.sh --bootstrap-server 127.0.0.1:9092 --delete --topic '${RUN}(\\.dead-letter|\\.late)?'`);
    expect(notice).toContain(`psql 'postgres://postgres@127.0.0.1:5432/postgres' -c 'DROP SCHEMA "mine" CASCADE'`);
    expect(notice).toContain(`aws --endpoint-url http://127.0.0.1:9000 s3 rm --recursive s3://lambdakappa/${RUN}/`);
    expect(notice).not.toContain(':postgres@');
  });

  it('with --keep-data (no run id) prints no command that would delete earlier data', () => {
    const c = loadConfig({ LK_SERVICES: 'real', LK_DATA_DIR: DIR }, { pipeline: ecommerceConfig() });
    const notice = runDataNotice(c, runDataNames(c)).join('\n');
    expect(notice).toContain('PostgreSQL schema lambdakappa');
    expect(notice).not.toContain('DROP SCHEMA');
  });
});
