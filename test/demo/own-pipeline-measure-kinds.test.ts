import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectEveryModeEqualsTruth, MEASURE_KINDS_PIPELINE, measureKindsRecords } from '../support/measure-kinds-pipeline.ts';

describe('a pipeline with every measure kind (avg, first, last, count_distinct, count_distinct_hll, top_k), through every mode', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lk-measure-kinds-'));
    await writeFile(join(dir, 'pipeline.ts'), MEASURE_KINDS_PIPELINE);
    await writeFile(join(dir, 'payments.jsonl'), measureKindsRecords());
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lk compare --pipeline: Lambda, Kappa, speed and batch equal the truth from the definitions, on embedded services', async () => {
    await expectEveryModeEqualsTruth(dir);
  }, 240_000);
});
