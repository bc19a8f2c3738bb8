import { parseArgs } from 'node:util';
import { benchBatchJob } from './batch-job.bench.ts';
import { benchStream } from './stream.bench.ts';
import { benchTransform } from './transform.bench.ts';

/**
 * `npm run bench`: figures, not pass/fail. Each benchmark prints its events/s; the targets are in
 * docs/decisions.md next to the figures measured on the reference 2-core machine.
 *   --only transform|stream|batch   run one
 *   --events N                      size (default: 1M transform/stream, 10M batch)
 *   LK_SERVICES=real                stream benchmark on Kafka + PostgreSQL
 */
const { values } = parseArgs({ options: { only: { type: 'string' }, events: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log('npm run bench [-- --only transform|stream|batch] [--events N]   (LK_SERVICES=real for Kafka + PostgreSQL)');
  process.exit(0);
}
const n = values.events ? Number(values.events) : undefined;
const run = (name: string) => values.only === undefined || values.only === name;
if (run('transform')) console.log('transform', await benchTransform(n ?? 1_000_000));
if (run('stream')) console.log('stream', await benchStream(n ?? 1_000_000));
if (run('batch')) console.log('batch', await benchBatchJob(n ? { events: n } : {}));
