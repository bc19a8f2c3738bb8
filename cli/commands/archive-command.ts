import { join } from 'node:path';
import { archive } from '../../batch/archiver.ts';
import { openEventLog, openObjectStore } from '../../infra/adapters.ts';
import { DuckDb } from '../../infra/duckdb/duckdb-database.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { configFrom, type Command } from '../command.ts';
import { formatCount, Progress } from '../progress.ts';
import { ensureEventsTopic } from '../events-topic.ts';

/** `lk archive`: the raw-events topic into the master dataset. */
export const archiveCommand: Command = {
  name: 'archive',
  summary: 'copy raw events from the log into the master dataset (Parquet partitioned by event dt/hour)',
  details: `
Reads the raw-events topic with the consumer group "archiver", validates each record with the
shared validator and writes valid events (duplicates included: the master dataset is the raw,
immutable record) to master/dt=YYYY-MM-DD/hour=HH/ in the object store. Offsets are committed only
after the files are stored, and file names come from offsets, so a retried run is idempotent.
Without --follow it stops at the end of the log as it is now.`,
  options: {
    follow: { type: 'boolean', description: 'keep archiving new records until Ctrl-C' },
  },
  async run(options, env) {
    const config = await configFrom(options, ['log', 'objectStore']);
    const pipeline = compilePipeline(config.pipeline);
    const log = await openEventLog(config);
    const objects = await openObjectStore(config);
    const db = await DuckDb.open();
    try {
      await ensureEventsTopic(log, config, (line) => env.err(`archive: ${line}`));
      const progress = new Progress();
      const r = await archive(
        {
          log,
          objects,
          db,
          pipeline,
          topic: config.topics.events,
          workDir: join(config.dataDir, 'work', 'archive'),
          onProgress: (p) => progress.update(`archive: ${formatCount(p.records)} records, ${formatCount(p.valid)} valid, ${formatCount(p.files)} files`),
        },
        { untilEnd: !options.follow, signal: env.signal },
      );
      progress.done(`archive: ${formatCount(r.records)} records read, ${formatCount(r.valid)} valid archived in ${formatCount(r.files)} files, ${formatCount(r.invalid)} invalid skipped (the speed layer dead-letters them)`);
      return 0;
    } finally {
      await db.close();
      await objects.close();
      await log.close();
    }
  },
};
