import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'vitest';
import { expectEveryModeEqualsTruth, MEASURE_KINDS_PIPELINE, measureKindsRecords } from '../../support/measure-kinds-pipeline.ts';
import { dropPgSchema } from '../../support/pg-schema.ts';
import { postgresOrSkip, uniqueName } from '../../support/services.ts';

describe('a pipeline with every measure kind, with the PostgreSQL view store', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('lk compare --pipeline: Lambda, Kappa, speed and batch equal the truth from the definitions, the speed and Kappa panes (object states included) in PostgreSQL', async (ctx) => {
    const { url } = postgresOrSkip(ctx);
    const dir = await mkdtemp(join(tmpdir(), 'lk-measure-kinds-pg-'));
    const schema = uniqueName('kinds');
    cleanups.push(() => rm(dir, { recursive: true, force: true }), () => dropPgSchema(url, schema));
    await writeFile(join(dir, 'pipeline.ts'), MEASURE_KINDS_PIPELINE);
    await writeFile(join(dir, 'payments.jsonl'), measureKindsRecords());
    await expectEveryModeEqualsTruth(dir, { LK_VIEW_STORE: 'postgres', DATABASE_URL: url, PG_SCHEMA: schema });
  }, 240_000);
});
