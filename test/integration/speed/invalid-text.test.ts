import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'vitest';
import { openAdapters } from '../../../infra/adapters.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { loadConfig } from '../../../shared/config.ts';
import { checkInvalidTextIsDeadLettered } from '../../support/invalid-text-scenario.ts';
import { dropPgSchema } from '../../support/pg-schema.ts';
import { kafkaOrSkip, postgresOrSkip, uniqueName } from '../../support/services.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('text that is not valid Unicode, on Kafka and PostgreSQL', () => {
  it('is dead-lettered with its reason and original bytes; keys never merge or collide', async (ctx) => {
    const kafka = kafkaOrSkip(ctx);
    const pg = postgresOrSkip(ctx);
    const dir = await mkdtemp(join(tmpdir(), 'lk-invalid-text-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const schema = uniqueName('text').replaceAll('-', '_').toLowerCase();
    cleanups.push(() => dropPgSchema(pg.url, schema));
    const config = loadConfig({
      LK_LOG: 'kafka',
      KAFKA_BROKERS: kafka.brokers.join(','),
      LK_VIEW_STORE: 'postgres',
      DATABASE_URL: pg.url,
      PG_SCHEMA: schema,
      LK_TOPIC: uniqueName('text'),
      LK_DATA_DIR: dir,
    }, { pipeline: ecommerceConfig() });
    const a = await openAdapters(config);
    try {
      await checkInvalidTextIsDeadLettered({ log: a.log, views: a.views, pipeline: compilePipeline(config.pipeline), topics: config.topics }, dir);
    } finally {
      await a.close();
    }
  });
});
