import { BadRequestError } from '../../shared/errors.ts';
import type { Command } from '../command.ts';
import { runTimelineCommand, TIMELINE_OPTIONS } from './demo-command.ts';

/** `lk compare`: the demo's timeline on your records, from a JSON lines file or a topic. */
export const compareCommand: Command = {
  name: 'compare',
  summary: 'play your records (a JSON lines file or a topic) on a simulated clock through Lambda and Kappa and compare both with the ground truth over time',
  details: `
The same engine as lk demo, on records you bring. From a file (--input, or - for stdin) the
records play in file order and the simulated clock is the latest event time so far: a record
older than that is appended late, as it would arrive in a live log (an event more than a day
ahead of the clock is an outlier and does not move it). From a topic (--topic) the records play
on their own append times, merged across partitions (spooled to a temporary file per partition,
not held in memory). They are appended to the run's own topic, so the source is not changed. On
the embedded log the topic is read from the data dir (--data-dir, LK_DATA_DIR) as it is, and
the comparison runs in a scratch data dir removed at the end.

Examples:
  lk compare --input events.jsonl --report report.html
  lk compare --topic recorded-events --speedup 0 --json > comparison.json`,
  options: {
    input: { type: 'string', valueName: 'FILE', description: 'JSON lines to play (or - for stdin)' },
    topic: { type: 'string', valueName: 'NAME', description: 'a topic whose records to play on their append times' },
    ...TIMELINE_OPTIONS,
  },
  run(options, env) {
    const input = options.input as string | undefined;
    const topic = options.topic as string | undefined;
    if ((input === undefined) === (topic === undefined)) throw new BadRequestError(input === undefined ? '--input' : '--topic', 'give exactly one of --input FILE or --topic NAME');
    return runTimelineCommand(options, env, { workload: {}, input, inputTopic: topic });
  },
};
