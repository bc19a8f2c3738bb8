import { resolve } from 'node:path';
import { openEventLog } from '../../infra/adapters.ts';
import { DEFAULT_INGEST_RETRY_MS, DEFAULT_MAX_LINE_CHARS, ingest, type IngestCounts } from '../../workload/ingest.ts';
import { readLines } from '../../workload/read-lines.ts';
import { BadRequestError, IngestIncompleteError } from '../../shared/errors.ts';
import { configFrom, intOption, type Command } from '../command.ts';
import { ingestSummary } from '../ingest-summary.ts';
import { formatCount, Progress } from '../progress.ts';
import { ensureEventsTopic } from '../events-topic.ts';

/** Characters of a line read: one more than ingest's cut, so a longer line is still counted as cut, and an endless one cannot fill memory. */
const MAX_LINE_CHARS = DEFAULT_MAX_LINE_CHARS + 1;

/** `lk ingest`: bring your own data: JSON lines into the raw-events topic. */
export const ingestCommand: Command = {
  name: 'ingest',
  summary: "append JSON lines (a file, or - for stdin) to the raw-events topic, keyed by the schema's log key",
  details: `
Every non-empty line is appended as it is, valid or not: the layers validate, and bad lines end in
the dead-letter topic with a reason. Lines are keyed by the pipeline schema's log key field when
they have one (user_id for the e-commerce example), so one key's events keep their order in one
partition and copies of an event meet in one partition. Each record carries a header naming
its input line, lk-ingest: "<run id> <line number> <file, or ->".

When the log becomes unavailable, an append is retried (--retry-ms); the lines of a failed send
that reached the log anyway are read back first, so each line is appended once. The last lines
are a summary: records appended, then a count per reason a line was skipped, cut or not sent.

Examples:
  lk ingest --input events.jsonl
  lk generate --events 10000 | lk ingest --input -`,
  options: {
    input: { type: 'string', short: 'i', valueName: 'FILE', description: 'JSON lines file, or - for stdin (required)' },
    'batch-size': { type: 'string', valueName: 'N', description: 'lines per append', default: '1000' },
    'retry-ms': {
      type: 'string',
      valueName: 'MS',
      description: 'how long to retry an append while the log is unavailable (e.g. the broker restarts) before stopping with what was appended (0 = stop at once)',
      default: String(DEFAULT_INGEST_RETRY_MS),
    },
  },
  async run(options, env) {
    const input = options.input as string | undefined;
    if (!input) throw new BadRequestError('--input', 'is required: a JSON lines file, or - for stdin');
    const config = await configFrom(options, ['log']);
    const batchSize = intOption(options, 'batch-size', 1, 100_000, 1000);
    const retryMs = intOption(options, 'retry-ms', 0, 86_400_000, DEFAULT_INGEST_RETRY_MS);
    const log = await openEventLog(config);
    try {
      await ensureEventsTopic(log, config, (line) => env.err(`ingest: ${line}`));
      const progress = new Progress();
      const topic = config.topics.events;
      let counts: Readonly<IngestCounts> | undefined;
      try {
        counts = await ingest(log, topic, readLines(input, process.stdin, { maxLineChars: MAX_LINE_CHARS }), {
          keyField: config.pipeline.schema.logKey,
          batchSize,
          retryMs,
          signal: env.signal,
          source: input === '-' ? '-' : resolve(input),
          onProgress: (c) => {
            counts = { ...c };
            progress.update(`ingest: ${formatCount(c.appended)} records appended`);
          },
          onRetry: (err, waitMs) => env.err(`ingest: the log is unavailable (${err.message}); retrying the append in ${waitMs} ms`),
        });
      } catch (err) {
        if (!(err instanceof IngestIncompleteError) || counts === undefined) throw err;
        progress.done(`ingest: stopped: ${err.message}`);
        const resume = input === '-' ? `feed the input again from line ${err.resumeLine}` : `tail -n +${err.resumeLine} ${input} | lk ingest --input -`;
        env.err(`ingest: ${formatCount(err.appended)} records are in ${topic}; to resume once the log is back: ${resume}${retryMs > 0 ? ` (or raise --retry-ms, now ${retryMs})` : ''}`);
        const reason = err.cause instanceof Error ? err.cause.message : String(err.cause);
        for (const line of ingestSummary({ topic, counts, maxLineChars: DEFAULT_MAX_LINE_CHARS, keyField: config.pipeline.schema.logKey, stopped: { notAppended: err.notAppended, reason } })) env.err(line);
        return 1;
      }
      const [first, ...reasons] = ingestSummary({ topic, counts, maxLineChars: DEFAULT_MAX_LINE_CHARS, keyField: config.pipeline.schema.logKey });
      progress.done(first);
      for (const line of reasons) env.err(line);
      return 0;
    } finally {
      await log.close();
    }
  },
};
