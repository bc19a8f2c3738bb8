import { formatComparisonReport } from '../../compare/comparison-report.ts';
import { formatTimelineSummary } from '../../demo/timeline-summary.ts';
import { runDemo, type DemoOptions, type DemoResult } from '../../demo/run-demo.ts';
import { writeHtmlReport } from '../../demo/write-report.ts';
import { DEFAULT_WORKLOAD } from '../../workload/workload-options.ts';
import { ALL_PORTS } from '../../shared/config.ts';
import { newRunId } from '../../shared/run-id.ts';
import { configFrom, GENERATOR_KNOB_OPTIONS, generatorKnobs, intOption, numberOption, type Command, type CommandEnv, type OptionSpec, type ParsedOptions } from '../command.ts';
import { Progress } from '../progress.ts';

/** The options of the timeline, shared by `lk demo` and `lk compare`. */
export const TIMELINE_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  speedup: { type: 'string', valueName: 'F', description: 'simulated time runs F times faster than the wall clock (0 = as fast as the work allows)', default: '480' },
  'query-every-minutes': { type: 'string', valueName: 'N', description: 'simulated minutes between the instants every mode is queried and scored', default: '15' },
  'backfill-at-minutes': { type: 'string', valueName: 'N', description: 'simulated minutes after the first record when the Kappa backfill starts (default: half way; -1: none)' },
  port: { type: 'string', valueName: 'N', description: 'HTTP port for the views (0 = any free port)', default: '0' },
  json: { type: 'boolean', description: 'print one JSON document instead of tables' },
  report: { type: 'string', valueName: 'FILE', description: 'also write a self-contained HTML report with charts (opens offline)' },
  'keep-serving': { type: 'boolean', description: 'leave the HTTP server up after the run (Ctrl-C to stop)' },
  'keep-data': {
    type: 'boolean',
    description:
      'run on the data already there: do not clear the data dir (embedded services), use LK_TOPIC, PG_SCHEMA and S3_PREFIX (or their defaults) as they are instead of names of its own (real services)',
  },
};

/** Runs the timeline for `lk demo` or `lk compare` and prints the result. */
export async function runTimelineCommand(options: ParsedOptions, env: CommandEnv, input: Pick<DemoOptions, 'workload' | 'input' | 'inputTopic'>): Promise<number> {
  // A fresh run names its topic, schema and prefix on real services after its own id (unless set).
  const config = await configFrom({ ...options, port: undefined }, ALL_PORTS, options['keep-data'] ? undefined : newRunId(new Date()));
  const progress = new Progress();
  const speedup = numberOption(options, 'speedup', 0, 1e9, 480);
  const backfillAt = options['backfill-at-minutes'] === undefined ? undefined : intOption(options, 'backfill-at-minutes', -1, 60 * 24 * 365, 0);
  const result: DemoResult = await runDemo(config, {
    ...input,
    speedup: speedup === 0 ? Number.POSITIVE_INFINITY : speedup,
    queryEveryMs: intOption(options, 'query-every-minutes', 1, 60 * 24, 15) * 60_000,
    backfillAfterMs: backfillAt === undefined ? undefined : backfillAt < 0 ? null : backfillAt * 60_000,
    keepData: Boolean(options['keep-data']),
    port: intOption(options, 'port', 0, 65535, 0),
    progress: (line, final) => (final ? progress.done(line) : progress.update(line)),
  });
  const keepServing = Boolean(options['keep-serving']);
  try {
    if (typeof options.report === 'string') {
      const written = await writeHtmlReport(options.report, result);
      progress.done(`report: ${options.report} (${Math.round(written.bytes / 1024)} KiB) written in ${written.ms} ms`);
    }
    if (options.json) {
      // Per mode, its alerts against the truth's (present when the pipeline declares rules).
      const alerts = Object.fromEntries(Object.entries(result.report.modes).flatMap(([mode, m]) => (m?.alerts ? [[mode, m.alerts]] : [])));
      env.out(
        JSON.stringify(
          // The url only while the server stays up: after the run it is closed.
          {
            ...result.report,
            freshness: result.freshness,
            backfill: result.backfill,
            steps: result.steps,
            batchHorizon: result.batchHorizon,
            timeline: result.timeline,
            ledger: result.ledger,
            errorByWindow: result.errorByWindow,
            cost: result.cost,
            layers: result.layers,
            ...(Object.keys(alerts).length > 0 ? { alerts } : {}),
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
      env.out(formatTimelineSummary(result));
      if (result.data.length > 0) env.out(['', ...result.data].join('\n'));
      if (keepServing) {
        // A global view answers without a key; else the first view (all its keys).
        const views = config.pipeline.views;
        const view = (views.find((v) => v.key === undefined) ?? views[0]).name;
        env.out(`Views served at ${result.url}  (try: curl '${result.url}/v1/views/${encodeURIComponent(view)}?mode=lambda&from=${encodeURIComponent(result.timeline.simStart)}&to=${encodeURIComponent(result.timeline.simEnd)}')`);
      }
    }
    if (keepServing) {
      env.err(`serving at ${result.url}; Ctrl-C to stop`);
      await new Promise<void>((resolve) => env.signal.addEventListener('abort', () => resolve(), { once: true }));
    }
    return 0;
  } finally {
    await result.close();
  }
}

/** `lk demo` (what `npm start` runs): one workload through Lambda and Kappa on a simulated clock, compared with the truth. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'generate a messy workload, play it on a simulated clock through Lambda and Kappa, compare both with the ground truth over time, serve the views',
  details: `
The workload plays on a simulated clock (event time is the clock; --speedup 480 plays three
simulated hours in about 23 s). On that clock the speed layer and the live Kappa job consume all
along; the batch layer archives and publishes complete hours on its schedule (hourly once the
hour just ended can be complete, daily at 00:30); a Kappa backfill replays the log into a new
version half way and cuts over once caught up. Every --query-every-minutes every mode (lambda,
kappa, batch, speed) is read through the HTTP API and each window scored against the final
ground truth (plain DuckDB SQL over all valid, deduplicated events, no lateness limit). Then: the
final table, the late-event ledger, a Kappa replay against a Lambda recompute of the whole
history, and the storage each mode keeps. --report writes the charts to one HTML file.

Examples:
  npm start
  npm start -- --events 500000 --too-late 0.01 --report report.html
  npm start -- --input my-events.jsonl --keep-serving
  npm start -- --json > report.json
  npm start -- --services real

On real services (Kafka, PostgreSQL, S3) each run uses a topic, schema and prefix named after its
run id (demo_<yyyymmddhhmmss>_<rand>) for each of LK_TOPIC, PG_SCHEMA, S3_PREFIX you did not set,
and refuses one you set that already holds data; it prints the names first, and at the end how to
serve its data again and how to remove it (the data stays).`,
  options: {
    events: { type: 'string', valueName: 'N', description: 'records to generate', default: String(DEFAULT_WORKLOAD.events) },
    seed: { type: 'string', valueName: 'N', description: 'workload seed (same seed, same records)', default: String(DEFAULT_WORKLOAD.seed) },
    ...GENERATOR_KNOB_OPTIONS,
    'span-minutes': { type: 'string', valueName: 'N', description: 'simulated span of the workload (from 22:30 UTC two days ago)', default: '180' },
    'out-of-order': { type: 'string', valueName: 'F', description: 'fraction of events out of order within the allowed lateness', default: String(DEFAULT_WORKLOAD.outOfOrderFraction) },
    'out-of-order-max-ms': { type: 'string', valueName: 'MS', description: 'how far out of order', default: String(DEFAULT_WORKLOAD.outOfOrderMaxMs) },
    'too-late': { type: 'string', valueName: 'F', description: 'fraction of events later than the allowed lateness', default: String(DEFAULT_WORKLOAD.tooLateFraction) },
    duplicates: { type: 'string', valueName: 'F', description: 'fraction of records that are redeliveries', default: String(DEFAULT_WORKLOAD.duplicateFraction) },
    malformed: { type: 'string', valueName: 'F', description: 'fraction of malformed records', default: String(DEFAULT_WORKLOAD.malformedFraction) },
    input: { type: 'string', valueName: 'FILE', description: 'use these JSON lines (or - for stdin) instead of generating (see lk compare)' },
    ...TIMELINE_OPTIONS,
  },
  run(options, env) {
    return runTimelineCommand(options, env, {
      workload: {
        events: intOption(options, 'events', 1, 50_000_000, DEFAULT_WORKLOAD.events),
        seed: intOption(options, 'seed', 0, 2 ** 31 - 1, DEFAULT_WORKLOAD.seed),
        ...generatorKnobs(options),
        spanMs: intOption(options, 'span-minutes', 1, 60 * 24 * 7, 180) * 60_000,
        outOfOrderFraction: numberOption(options, 'out-of-order', 0, 1, DEFAULT_WORKLOAD.outOfOrderFraction),
        outOfOrderMaxMs: intOption(options, 'out-of-order-max-ms', 0, 86_400_000, DEFAULT_WORKLOAD.outOfOrderMaxMs),
        tooLateFraction: numberOption(options, 'too-late', 0, 1, DEFAULT_WORKLOAD.tooLateFraction),
        duplicateFraction: numberOption(options, 'duplicates', 0, 1, DEFAULT_WORKLOAD.duplicateFraction),
        malformedFraction: numberOption(options, 'malformed', 0, 1, DEFAULT_WORKLOAD.malformedFraction),
      },
      input: options.input as string | undefined,
    });
  },
};
