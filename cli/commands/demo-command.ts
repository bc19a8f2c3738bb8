import { formatComparisonReport } from '../../compare/comparison-report.ts';
import { runDemo, type DemoResult } from '../../demo/run-demo.ts';
import { DEFAULT_WORKLOAD } from '../../workload/workload-options.ts';
import { ALL_PORTS } from '../../shared/config.ts';
import { newRunId } from '../../shared/run-id.ts';
import { configFrom, intOption, numberOption, type Command } from '../command.ts';
import { Progress } from '../progress.ts';

/** `lk demo` (what `npm start` runs): one workload through Lambda and Kappa, compared with the truth. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'generate a messy workload, run Lambda and Kappa on it, compare both with the ground truth, serve the views',
  details: `
Steps: the speed layer and the Kappa job consume live while the workload is appended at --rate;
the batch layer archives the log to Parquet and recomputes every hour; a Kappa backfill replays
the log into a new version and cuts over; then every mode (lambda, kappa, batch, speed) is read
through the serving layer and compared, window by window, with a ground truth computed by plain
DuckDB SQL over all valid, deduplicated events with no lateness limit.

Examples:
  npm start
  npm start -- --events 500000 --rate 50000 --too-late 0.01
  npm start -- --input my-events.jsonl --keep-serving
  npm start -- --json > report.json
  npm start -- --services real

On real services (Kafka, PostgreSQL, S3) each run uses a topic, schema and prefix named after its
run id (demo_<yyyymmddhhmmss>_<rand>) for each of LK_TOPIC, PG_SCHEMA, S3_PREFIX you did not set,
and refuses one you set that already holds data; it prints the names first, and at the end how to
serve its data again and how to remove it (the data stays).`,
  options: {
    events: { type: 'string', valueName: 'N', description: 'records to generate', default: String(DEFAULT_WORKLOAD.events) },
    rate: { type: 'string', valueName: 'N', description: 'records appended per second while streaming runs live', default: '20000' },
    seed: { type: 'string', valueName: 'N', description: 'workload seed (same seed, same records)', default: String(DEFAULT_WORKLOAD.seed) },
    users: { type: 'string', valueName: 'N', description: 'distinct users', default: String(DEFAULT_WORKLOAD.users) },
    products: { type: 'string', valueName: 'N', description: 'distinct products', default: String(DEFAULT_WORKLOAD.products) },
    'span-minutes': { type: 'string', valueName: 'N', description: 'event-time span of the workload, ending now', default: String(DEFAULT_WORKLOAD.spanMs / 60_000) },
    'out-of-order': { type: 'string', valueName: 'F', description: 'fraction of events out of order within the allowed lateness', default: String(DEFAULT_WORKLOAD.outOfOrderFraction) },
    'out-of-order-max-ms': { type: 'string', valueName: 'MS', description: 'how far out of order', default: String(DEFAULT_WORKLOAD.outOfOrderMaxMs) },
    'too-late': { type: 'string', valueName: 'F', description: 'fraction of events later than the allowed lateness', default: String(DEFAULT_WORKLOAD.tooLateFraction) },
    duplicates: { type: 'string', valueName: 'F', description: 'fraction of records that are redeliveries', default: String(DEFAULT_WORKLOAD.duplicateFraction) },
    malformed: { type: 'string', valueName: 'F', description: 'fraction of malformed records', default: String(DEFAULT_WORKLOAD.malformedFraction) },
    input: { type: 'string', valueName: 'FILE', description: 'use these JSON lines (or - for stdin) instead of generating' },
    port: { type: 'string', valueName: 'N', description: 'HTTP port for the views (0 = any free port)', default: '0' },
    json: { type: 'boolean', description: 'print one JSON document instead of tables' },
    'keep-serving': { type: 'boolean', description: 'leave the HTTP server up after the run (Ctrl-C to stop)' },
    'keep-data': {
      type: 'boolean',
      description:
        'run on the data already there: do not clear the data dir (embedded services), use LK_TOPIC, PG_SCHEMA and S3_PREFIX (or their defaults) as they are instead of names of its own (real services)',
    },
  },
  async run(options, env) {
    // A fresh run names its topic, schema and prefix on real services after its own id (unless set).
    const config = configFrom({ ...options, port: undefined }, ALL_PORTS, options['keep-data'] ? undefined : newRunId(new Date()));
    const progress = new Progress();
    const result: DemoResult = await runDemo(config, {
      workload: {
        events: intOption(options, 'events', 1, 50_000_000, DEFAULT_WORKLOAD.events),
        seed: intOption(options, 'seed', 0, 2 ** 31 - 1, DEFAULT_WORKLOAD.seed),
        users: intOption(options, 'users', 1, 10_000_000, DEFAULT_WORKLOAD.users),
        products: intOption(options, 'products', 1, 10_000_000, DEFAULT_WORKLOAD.products),
        spanMs: intOption(options, 'span-minutes', 1, 60 * 24 * 7, DEFAULT_WORKLOAD.spanMs / 60_000) * 60_000,
        outOfOrderFraction: numberOption(options, 'out-of-order', 0, 1, DEFAULT_WORKLOAD.outOfOrderFraction),
        outOfOrderMaxMs: intOption(options, 'out-of-order-max-ms', 0, 86_400_000, DEFAULT_WORKLOAD.outOfOrderMaxMs),
        tooLateFraction: numberOption(options, 'too-late', 0, 1, DEFAULT_WORKLOAD.tooLateFraction),
        duplicateFraction: numberOption(options, 'duplicates', 0, 1, DEFAULT_WORKLOAD.duplicateFraction),
        malformedFraction: numberOption(options, 'malformed', 0, 1, DEFAULT_WORKLOAD.malformedFraction),
      },
      input: options.input as string | undefined,
      ratePerSecond: intOption(options, 'rate', 1, 10_000_000, 20_000),
      keepData: Boolean(options['keep-data']),
      port: intOption(options, 'port', 0, 65535, 0),
      progress: (line, final) => (final ? progress.done(line) : progress.update(line)),
    });
    const keepServing = Boolean(options['keep-serving']);
    try {
      if (options.json) {
        env.out(
          JSON.stringify(
            // The url only while the server stays up: after the run it is closed.
            {
              ...result.report,
              freshness: result.freshness,
              backfill: result.backfill,
              steps: result.steps,
              batchHorizon: result.batchHorizon,
              ...(result.data.length > 0 ? { data: result.data } : {}),
              ...(keepServing ? { url: result.url } : {}),
            },
            null,
            2,
          ),
        );
      } else {
        env.out('');
        env.out(formatComparisonReport(result.report));
        const below = result.belowHorizon;
        if (below) {
          // Above the horizon Lambda is the speed layer (it misses the too-late events); below it, the batch layer's.
          const verdicts = Object.entries(below.modes).map(([mode, m]) => `${mode} ${m.allExact ? 'matches' : 'differs from'} the truth`);
          env.out(`Below the batch horizon (${result.batchHorizon}, complete hours only): ${verdicts.join('; ')}.`);
        }
        env.out('');
        env.out(`Freshness: ${result.freshness.method}`);
        env.out(
          `Kappa backfill: ${result.backfill.records.toLocaleString('en-US')} records in ${(result.backfill.elapsedMs / 1000).toFixed(2)} s ` +
            `(${result.backfill.eventsPerSecond.toLocaleString('en-US')} events/s, ${(result.backfill.cpuMs / 1000).toFixed(2)} CPU-s); ` +
            `Lambda batch: ${((result.steps.archive?.wallMs ?? 0) / 1000).toFixed(2)} s archive + ${((result.steps.batch?.wallMs ?? 0) / 1000).toFixed(2)} s batch ` +
            `(${(((result.steps.archive?.cpuMs ?? 0) + (result.steps.batch?.cpuMs ?? 0)) / 1000).toFixed(2)} CPU-s). Batch horizon: ${result.batchHorizon ?? 'none'}.`,
        );
        if (result.data.length > 0) env.out(['', ...result.data].join('\n'));
        if (keepServing) env.out(`Views served at ${result.url}  (try: curl '${result.url}/v1/views/revenue?mode=lambda&from=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}&to=now')`);
      }
      if (keepServing) {
        env.err(`serving at ${result.url}; Ctrl-C to stop`);
        await new Promise<void>((resolve) => env.signal.addEventListener('abort', () => resolve(), { once: true }));
      }
      return 0;
    } finally {
      await result.close();
    }
  },
};
