import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'vitest';
import { openAdapters } from '../../infra/adapters.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { loadConfig } from '../../shared/config.ts';
import { checkInvalidTextIsDeadLettered } from '../support/invalid-text-scenario.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('text that is not valid Unicode, on the embedded log and DuckDB', () => {
  it('is dead-lettered with its reason and original bytes; keys never merge', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lk-invalid-text-'));
    dirs.push(dir);
    const config = loadConfig({ LK_DATA_DIR: dir }, { pipeline: ecommerceConfig() });
    const a = await openAdapters(config);
    try {
      await checkInvalidTextIsDeadLettered({ log: a.log, views: a.views, pipeline: compilePipeline(config.pipeline), topics: config.topics }, dir);
    } finally {
      await a.close();
    }
  });
});
