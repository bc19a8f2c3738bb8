import { openEventLog } from '../infra/adapters.ts';
import { readTopicToEnd, type LogRecord } from '../shared/ports/event-log.ts';
import { provenanceOf } from '../workload/ingest-provenance.ts';
import { configFrom, intOption, type Command, type CommandEnv, type OptionSpec, type ParsedOptions } from './command.ts';

/** One side-output record as a person reads it. */
export interface SideOutputEntry {
  readonly reason: string;
  readonly sourcePartition: number | null;
  readonly sourceOffset: number | null;
  /** For records that came through lk ingest: the input file (or -) and line. */
  readonly ingest: { readonly source: string; readonly line: number } | null;
  /** Why (dead letters), or the event time and the bound it missed (late). */
  readonly detail: string;
  readonly value: string;
}

/** What a side record's headers say (side-outputs.ts writes them). */
export function sideOutputEntry(r: LogRecord): SideOutputEntry {
  const h = r.headers;
  const int = (v: string | undefined) => (v === undefined || !/^\d+$/.test(v) ? null : Number(v));
  const p = provenanceOf(r);
  const detail = h['lk-reason'] === 'too_late' ? `event time ${h['lk-event-time'] ?? '?'}, too late before ${h['lk-late-before'] ?? '?'}` : (h['lk-message'] ?? '');
  return { reason: h['lk-reason'] ?? 'unknown', sourcePartition: int(h['lk-source-partition']), sourceOffset: int(h['lk-source-offset']), ingest: p ? { source: p.source, line: p.line } : null, detail, value: r.value };
}

const OPTIONS: Readonly<Record<string, OptionSpec>> = {
  reason: { type: 'string', valueName: 'CODE', description: 'only records with this reason (e.g. malformed_json, missing_field, too_late)' },
  limit: { type: 'string', valueName: 'N', description: 'show the last N records (the counts per reason cover all of them)', default: '50' },
  json: { type: 'boolean', description: 'one JSON object per record on stdout' },
};

/** `lk dead-letters` and `lk late`: read a side-output topic to its end and list its records. */
export function sideOutputCommand(name: string, topicOf: 'deadLetter' | 'late', summary: string): Command {
  return {
    name,
    summary,
    details: `
Reads the topic from its start to its current end (no consumer group: nothing is committed) and
prints the last --limit records: the reason, the source partition and offset in the events topic,
for records that came through lk ingest the input file and line, the detail and the record as the
log held it (cut to 120 characters). Ends with a count per reason over the whole topic.`,
    options: OPTIONS,
    async run(options, env) {
      return listSideOutputs(options, env, topicOf);
    },
  };
}

async function listSideOutputs(options: ParsedOptions, env: CommandEnv, topicOf: 'deadLetter' | 'late'): Promise<number> {
  const limit = intOption(options, 'limit', 1, 1_000_000, 50);
  const reason = options.reason as string | undefined;
  const config = await configFrom(options, ['log']);
  const topic = config.topics[topicOf];
  const log = await openEventLog(config);
  try {
    const counts = new Map<string, number>();
    const last: SideOutputEntry[] = [];
    const exists = await readTopicToEnd(log, topic, (r) => {
      const e = sideOutputEntry(r);
      counts.set(e.reason, (counts.get(e.reason) ?? 0) + 1);
      if (reason !== undefined && e.reason !== reason) return;
      last.push(e);
      // Trimmed in steps, not per record: shifting one off each time costs the whole array.
      if (last.length >= 2 * limit) last.splice(0, last.length - limit);
    });
    if (last.length > limit) last.splice(0, last.length - limit);
    // Oldest first by source position, as the events topic holds them.
    last.sort((a, b) => (a.sourcePartition ?? -1) - (b.sourcePartition ?? -1) || (a.sourceOffset ?? -1) - (b.sourceOffset ?? -1));
    for (const e of last) {
      if (options.json) env.out(JSON.stringify(e));
      else {
        const at = e.sourcePartition === null ? '?' : `${e.sourcePartition}@${e.sourceOffset}`;
        const from = e.ingest ? ` ${e.ingest.source}:${e.ingest.line}` : '';
        const value = e.value.length > 120 ? `${e.value.slice(0, 120)}…` : e.value;
        env.out(`${at} ${e.reason}${from}: ${e.detail}\n    ${JSON.stringify(value)}`);
      }
    }
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const per = [...counts].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n.toLocaleString('en-US')}`).join(', ');
    env.err(exists ? `${topic}: ${total.toLocaleString('en-US')} records${per ? ` (${per})` : ''}; showing ${last.length}${reason ? ` with reason ${reason}` : ''}` : `${topic} does not exist yet: no job has written side outputs over ${config.topics.events}`);
    return 0;
  } finally {
    await log.close();
  }
}
