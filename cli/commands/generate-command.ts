import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { ConfigError } from '../../shared/errors.ts';
import { DEFAULT_WORKLOAD } from '../../workload/workload-options.ts';
import { configFrom, GENERATOR_KNOB_OPTIONS, generatorKnobs, intOption, numberOption, timeOption, type Command } from '../command.ts';
import { formatCount, Progress } from '../progress.ts';

/** `lk generate`: a seeded workload as JSON lines, to a file or stdout. */
export const generateCommand: Command = {
  name: 'generate',
  summary: 'write a seeded workload (with disorder, late events, duplicates, malformed records) as JSON lines',
  details: `
Runs the pipeline's own workload generator (definePipeline({ workload })); --knobs passes its
own knobs (--users and --products are the e-commerce example's). The same seed and options give the same lines. Feed them to \`lk ingest\` or \`lk demo --input\`.
Event times span --span-minutes ending at --end (default: now). Facts (how many records of each
kind) are printed to stderr at the end.

Examples:
  lk generate --events 1000000 --output events.jsonl
  lk generate --pipeline examples/payments/pipeline.ts --knobs cards=500,merchants=80`,
  options: {
    events: { type: 'string', valueName: 'N', description: 'records to generate', default: String(DEFAULT_WORKLOAD.events) },
    seed: { type: 'string', valueName: 'N', description: 'seed', default: String(DEFAULT_WORKLOAD.seed) },
    ...GENERATOR_KNOB_OPTIONS,
    'span-minutes': { type: 'string', valueName: 'N', description: 'event-time span', default: String(DEFAULT_WORKLOAD.spanMs / 60_000) },
    end: { type: 'string', valueName: 'TIME', description: 'end of the span (ISO-8601 with zone, epoch ms or now)', default: 'now' },
    'out-of-order': { type: 'string', valueName: 'F', description: 'fraction out of order (within the allowed lateness)', default: String(DEFAULT_WORKLOAD.outOfOrderFraction) },
    'too-late': { type: 'string', valueName: 'F', description: 'fraction later than the allowed lateness', default: String(DEFAULT_WORKLOAD.tooLateFraction) },
    duplicates: { type: 'string', valueName: 'F', description: 'fraction of redeliveries', default: String(DEFAULT_WORKLOAD.duplicateFraction) },
    malformed: { type: 'string', valueName: 'F', description: 'fraction of malformed records', default: String(DEFAULT_WORKLOAD.malformedFraction) },
    output: { type: 'string', short: 'o', valueName: 'FILE', description: 'write here instead of stdout' },
  },
  async run(options, env) {
    const config = await configFrom(options, []);
    const pipeline = compilePipeline(config.pipeline);
    const streamWorkload = config.pipeline.workload;
    if (!streamWorkload) throw new ConfigError('this pipeline has no workload generator (definePipeline({ workload })); write its records yourself');
    const spanMs = intOption(options, 'span-minutes', 1, 60 * 24 * 365, DEFAULT_WORKLOAD.spanMs / 60_000) * 60_000;
    const end = timeOption(options, 'end') ?? Date.now();
    const it = streamWorkload(
      {
        events: intOption(options, 'events', 1, 100_000_000, DEFAULT_WORKLOAD.events),
        seed: intOption(options, 'seed', 0, 2 ** 31 - 1, DEFAULT_WORKLOAD.seed),
        ...generatorKnobs(options),
        startTime: end - spanMs,
        spanMs,
        outOfOrderFraction: numberOption(options, 'out-of-order', 0, 1, DEFAULT_WORKLOAD.outOfOrderFraction),
        tooLateFraction: numberOption(options, 'too-late', 0, 1, DEFAULT_WORKLOAD.tooLateFraction),
        duplicateFraction: numberOption(options, 'duplicates', 0, 1, DEFAULT_WORKLOAD.duplicateFraction),
        malformedFraction: numberOption(options, 'malformed', 0, 1, DEFAULT_WORKLOAD.malformedFraction),
      },
      pipeline.config,
    );
    const out = options.output ? createWriteStream(options.output as string) : process.stdout;
    const progress = new Progress();
    let n = 0;
    let chunk = '';
    let step = it.next();
    for (; !step.done; step = it.next()) {
      chunk += `${step.value.value}\n`;
      if (++n % 10_000 === 0) {
        if (!out.write(chunk)) await once(out, 'drain');
        chunk = '';
        progress.update(`generate: ${formatCount(n)} records`);
      }
    }
    out.write(chunk);
    if (out !== process.stdout) await new Promise<void>((resolve, reject) => (out as ReturnType<typeof createWriteStream>).end((err?: Error | null) => (err ? reject(err) : resolve())));
    progress.done(`generate: ${formatCount(n)} records`);
    env.err(`facts: ${JSON.stringify(step.value)}`);
    return 0;
  },
};
