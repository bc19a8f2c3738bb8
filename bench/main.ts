import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../shared/config.ts';
import { LkError } from '../shared/errors.ts';
import { benchBatchJob } from './batch-job.bench.ts';
import { benchDemo } from './demo.bench.ts';
import { figureTable } from './figure-table.ts';
import type { Figure, Target } from './figure.ts';
import { benchFreshness, DEFAULT_FRESHNESS, type FreshnessOptions } from './freshness.bench.ts';
import { benchIngest, DEFAULT_INGEST_EVENTS } from './ingest.bench.ts';
import { benchMeasures } from './measures.bench.ts';
import { benchOverload, DEFAULT_OVERLOAD } from './overload.bench.ts';
import { instanceCounts } from './instance-counts.ts';
import { openRealServices } from './real-services.ts';
import { benchScaleOut, DEFAULT_SCALE_OUT } from './scale-out.bench.ts';
import { formatCount } from '../cli/progress.ts';
import { benchServing, DEFAULT_SERVING_BENCH } from './serving.bench.ts';
import { benchSpeedRetention, DEFAULT_RETENTION_BENCH } from './speed-retention.bench.ts';
import { benchStream } from './stream.bench.ts';
import { benchTransform } from './transform.bench.ts';
import ecommerce from '../examples/ecommerce/pipeline.ts';
import { pipelineConfigOf } from '../shared/compute/define-pipeline.ts';

const HELP = `npm run bench [-- options]: figures, not pass/fail, each next to its target (docs/decisions.md).

  --only transform|stream|batch|ingest|measures
                                 run one benchmark (default: all five; with real services: stream);
                                 ingest: lk ingest of a generated ~300 MB file, its peak memory
                                 (into the embedded log; with --services real, into Kafka);
                                 measures: each measure kind's JS fold (ns/event), SQL state and merge (per CPU-s)
  --only retention               the speed store over a multi-day run with the hourly batch (--days,
                                 default ${DEFAULT_RETENTION_BENCH.days}): its panes per day, with retirement and without
  --only freshness               real services: the freshness measurement alone
  --only demo                    npm start with --report (embedded, a child process): wall time against
                                 the target (3 simulated hours in about a minute), the timeline, CPU,
                                 peak RSS and the time to write the HTML report (--events: the workload)
  --overload                     real services: lk speed under overload (and nothing else): the
                                 drain rate of a backlog is its capacity C; then ingest at 2C for
                                 --overload-seconds (default ${DEFAULT_OVERLOAD.seconds}), then at C/2 until caught up; lk speed's
                                 peak RSS, the maximum lag, the time to catch up, and whether the
                                 views equal a run over the finished log
  --instances 1,2,3              real services: speed-layer scale-out (and nothing else): one topic of
                                 --partitions partitions (default ${DEFAULT_SCALE_OUT.partitions}) filled once with --events records
                                 (default ${formatCount(DEFAULT_SCALE_OUT.events)}); for each count, that many lk speed processes in one
                                 consumer group build a namespace from it: events/s and CPU-s per process,
                                 and whether every run's views equal the first run's
  --partitions N                 scale-out: the topic's partitions (the most processes that get work)
  --calibration-records N        overload: the backlog C is measured on (default ${formatCount(DEFAULT_OVERLOAD.calibrationRecords)})
  --max-buffered-records N       overload: passed to lk speed (its memory bound)
  --speed-cli PATH               overload: run another build's cli/main.ts as lk speed (before/after)
  --speed-nice N                 overload: lk speed's CPU priority, 0-19 (default 0): on a small shared
                                 machine the producer cannot outpace lk speed at normal priority
  --only serving                 lk serve under autocannon on loopback: a merged 1-hour product_activity
                                 query for one product (Lambda) and a top-10 query, each at --rate
                                 req/s for --seconds, next to a fastify route answering from memory
                                 (embedded store; with --services real, PostgreSQL)
  --rate N, --seconds S          serving: requests/s asked and for how long (default ${DEFAULT_SERVING_BENCH.rate}, ${DEFAULT_SERVING_BENCH.seconds})
  --serve-cli PATH               serving: run another build's cli/main.ts as lk serve (before/after)
  --live                         serving, real services: each query also while a writer commits speed
                                 panes every 100 ms (as lk speed would), instead of the caches-off cases
  --services embedded|real       the stream benchmarks on the embedded log + DuckDB (default), or on
                                 Kafka + PostgreSQL (also LK_SERVICES=real): producer, consume
                                 ceiling, speed layer, Kappa replay, and freshness through the HTTP API
  --events N                     records (default 1M transform/stream/measures, 10M batch, 1.5M ingest)
  --fresh-seconds S              real: how long probes are sent (default ${DEFAULT_FRESHNESS.seconds}; 0 skips freshness)
  --fresh-rate N                 real: background load while probing, events/s (default ${DEFAULT_FRESHNESS.rate})
  --fresh-warmup S               real: background load alone before probing (default ${DEFAULT_FRESHNESS.warmupSeconds})
  --probe-ms N                   real: one probe event every N ms (default ${DEFAULT_FRESHNESS.probeMs})
  --poll-ms N                    real: the oldest pending probe of each partition is queried
                                 again N ms after its last answer (default ${DEFAULT_FRESHNESS.pollMs})
  --json                         print the figures as JSON on stdout (progress stays on stderr)
  -h, --help                     this text

Real services: KAFKA_BROKERS and DATABASE_URL when set; otherwise found or started as the
integration tests do (testcontainers, else a local Kafka from Maven jars and the PostgreSQL on
127.0.0.1:5432 or a temporary cluster), and stopped afterwards. The run writes to its own
PostgreSQL schema and topics and removes them.`;

const TRANSFORM_TARGET: Target = { op: '>=', value: 1_000_000 };
const BATCH_TARGET: Target = { op: '>=', value: 5_000_000 };

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    services: { type: 'string' },
    events: { type: 'string' },
    'fresh-seconds': { type: 'string' },
    'fresh-rate': { type: 'string' },
    'fresh-warmup': { type: 'string' },
    'probe-ms': { type: 'string' },
    'poll-ms': { type: 'string' },
    rate: { type: 'string' },
    seconds: { type: 'string' },
    'serve-cli': { type: 'string' },
    live: { type: 'boolean' },
    days: { type: 'string' },
    overload: { type: 'boolean' },
    instances: { type: 'string' },
    partitions: { type: 'string' },
    'overload-seconds': { type: 'string' },
    'calibration-records': { type: 'string' },
    'max-buffered-records': { type: 'string' },
    'speed-cli': { type: 'string' },
    'speed-nice': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}

/** A whole-number option (1_000_000 and 1e6 accepted), or the fallback; exits with a message when it is no such number. */
function intOption(name: string, fallback: number, min: number): number {
  const raw = values[name as keyof typeof values];
  if (raw === undefined) return fallback;
  const n = Number(String(raw).replaceAll('_', ''));
  if (!Number.isInteger(n) || n < min) {
    console.error(`bench: --${name} must be a whole number >= ${min}, got ${String(raw)}`);
    process.exit(2);
  }
  return n;
}

const services = values.services ?? process.env.LK_SERVICES ?? 'embedded';
if (services !== 'embedded' && services !== 'real') {
  console.error(`bench: --services must be embedded or real, got ${services}`);
  process.exit(2);
}
if (values.only !== undefined && !['transform', 'stream', 'batch', 'ingest', 'measures', 'freshness', 'serving', 'retention', 'demo'].includes(values.only)) {
  console.error(`bench: --only must be transform, stream, batch, ingest, measures, freshness, serving, retention or demo, got ${values.only}`);
  process.exit(2);
}
if (values.only === 'freshness' && services !== 'real') {
  console.error('bench: --only freshness needs --services real (freshness is measured through Kafka, PostgreSQL and the HTTP API)');
  process.exit(2);
}
if (values.overload && (services !== 'real' || values.only !== undefined)) {
  console.error('bench: --overload needs --services real and no --only (it runs lk speed against Kafka and PostgreSQL, alone)');
  process.exit(2);
}
if (values.instances !== undefined && (services !== 'real' || values.only !== undefined || values.overload)) {
  console.error('bench: --instances needs --services real and no --only or --overload (it runs lk speed processes against Kafka and PostgreSQL, alone)');
  process.exit(2);
}
const events = values.events === undefined ? undefined : intOption('events', 0, 1);
const fresh: FreshnessOptions = {
  seconds: intOption('fresh-seconds', DEFAULT_FRESHNESS.seconds, 0),
  rate: intOption('fresh-rate', DEFAULT_FRESHNESS.rate, 1),
  warmupSeconds: intOption('fresh-warmup', DEFAULT_FRESHNESS.warmupSeconds, 0),
  probeMs: intOption('probe-ms', DEFAULT_FRESHNESS.probeMs, 1),
  pollMs: intOption('poll-ms', DEFAULT_FRESHNESS.pollMs, 0),
};
// The serving, retention and demo benchmarks run only when asked for (they take minutes); --overload and --instances run alone.
const run = (name: string) => !values.overload && values.instances === undefined && (values.only === undefined ? name !== 'serving' && name !== 'retention' && name !== 'demo' && (services === 'embedded' || name === 'stream') : values.only === name || (values.only === 'freshness' && name === 'stream'));
// Names this run's topics, consumer groups and PostgreSQL schema, so runs never share state.
const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const log = (m: string) => process.stderr.write(`${m}\n`);

const figures: Figure[] = [];
const machine = `${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at start`;
log(`bench: ${machine}; services ${services}`);
try {
  if (run('transform')) {
    const r = await benchTransform(events ?? 1_000_000);
    figures.push(...fromRecord('transform', r, { 'transform events/s (3 views, pre-parsed)': TRANSFORM_TARGET }));
  }
  if (run('stream')) {
    if (services === 'real') await benchRealStream(events ?? 1_000_000);
    else {
      const dir = await mkdtemp(join(tmpdir(), 'lk-bench-'));
      try {
        const config = loadConfig({ ...process.env, LK_DATA_DIR: dir, LK_TOPIC: `lk-bench-${runId}` }, { pipeline: pipelineConfigOf(ecommerce), services: 'embedded' });
        figures.push(...(await benchStream(config, { events: events ?? 1_000_000, runId, targets: false })));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
  if (run('batch')) {
    const r = await benchBatchJob(events ? { events } : {});
    figures.push(...fromRecord('batch', r, { 'batch events/s': BATCH_TARGET }));
  }
  if (run('ingest')) {
    if (services === 'real') {
      const real = await openRealServices(runId, log);
      try {
        figures.push(...real.figures, ...(await benchIngest(events ?? DEFAULT_INGEST_EVENTS, log, { kind: 'kafka', env: { ...real.env, LK_TOPIC: `lk-bench-${runId}-ingest` } })));
      } finally {
        await real.stop();
      }
    } else figures.push(...(await benchIngest(events ?? DEFAULT_INGEST_EVENTS, log)));
  }
  if (run('measures')) figures.push(...(await benchMeasures(events ?? 1_000_000)));
  if (run('serving')) {
    const serving = { events: events ?? DEFAULT_SERVING_BENCH.events, rate: intOption('rate', DEFAULT_SERVING_BENCH.rate, 1), seconds: intOption('seconds', DEFAULT_SERVING_BENCH.seconds, 1), serveCli: values['serve-cli'], live: values.live, log };
    if (services === 'real') {
      const real = await openRealServices(runId, log);
      try {
        figures.push(...real.figures, ...(await benchServing({ ...serving, env: real.env })));
      } finally {
        await real.stop();
      }
    } else figures.push(...(await benchServing(serving)));
  }
  if (run('demo')) {
    if (services === 'real') throw new LkError('bench: --only demo runs on the embedded services (npm start); lk demo --services real needs no benchmark of its own');
    figures.push(...(await benchDemo(events, log)));
  }
  if (values.overload) {
    const real = await openRealServices(runId, log);
    try {
      const maxBuffered = values['max-buffered-records'] === undefined ? [] : ['--max-buffered-records', String(intOption('max-buffered-records', 0, 1))];
      const overload = {
        seconds: intOption('overload-seconds', DEFAULT_OVERLOAD.seconds, 1),
        calibrationRecords: intOption('calibration-records', DEFAULT_OVERLOAD.calibrationRecords, 1_000),
        speedCli: values['speed-cli'],
        speedArgs: maxBuffered,
        speedNice: Math.min(19, intOption('speed-nice', DEFAULT_OVERLOAD.speedNice, 0)),
      };
      figures.push(...real.figures, ...(await benchOverload(real.configFor(`lk-bench-${runId}-overload`), real.env, overload, runId)));
    } finally {
      await real.stop();
    }
  }
  if (values.instances !== undefined) {
    const partitions = intOption('partitions', DEFAULT_SCALE_OUT.partitions, 1);
    const instances = instanceCounts(values.instances, partitions);
    const real = await openRealServices(runId, log);
    try {
      const topic = `lk-bench-${runId}-scale`;
      figures.push(...real.figures, ...(await benchScaleOut(real.configFor(topic), real.env, { events: events ?? DEFAULT_SCALE_OUT.events, partitions, instances }, runId)));
    } finally {
      await real.stop();
    }
  }
  if (run('retention')) {
    figures.push(...(await benchSpeedRetention({ ...DEFAULT_RETENTION_BENCH, days: intOption('days', DEFAULT_RETENTION_BENCH.days, 1) }, log)));
  }
} catch (err) {
  // Typed errors say what to do; anything else keeps its stack.
  log(`bench: ${err instanceof LkError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  // Whatever was measured before a failure is still worth printing.
  const end = `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at end`;
  if (values.json) console.log(JSON.stringify({ machine: `${machine}, ${end}`, services, figures }, null, 2));
  else if (figures.length > 0) console.log(`\n${figureTable(figures)}\n\n(${machine}, ${end})`);
}

/** The real-services stream benchmarks: one big topic for throughput, then a fresh one for freshness. */
async function benchRealStream(n: number): Promise<void> {
  const real = await openRealServices(runId, log);
  try {
    figures.push(...real.figures);
    if (values.only !== 'freshness') figures.push(...(await benchStream(real.configFor(`lk-bench-${runId}-events`), { events: n, runId, targets: true })));
    if (fresh.seconds > 0) figures.push(...(await benchFreshness(real.configFor(`lk-bench-${runId}-fresh`), real.env, fresh, runId)));
  } finally {
    await real.stop();
  }
}

/** The figures of a benchmark that reports a plain record (transform, batch), with their targets. */
function fromRecord(bench: string, r: Record<string, number | string>, targets: Record<string, Target>): Figure[] {
  return Object.entries(r).map(([k, v]) => ({ name: `${bench}: ${k}`, value: v, target: targets[k] }));
}
