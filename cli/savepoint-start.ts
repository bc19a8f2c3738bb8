import { openObjectStore } from '../infra/adapters.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import type { PlatformConfig } from '../shared/config.ts';
import { BadRequestError } from '../shared/errors.ts';
import type { EventLog } from '../shared/ports/event-log.ts';
import type { ViewStore } from '../shared/ports/view-store.ts';
import { restoreSavepoint, type RestoreResult } from '../speed/savepoint-restore.ts';
import type { StreamStart } from '../speed/stream-job.ts';
import type { OptionSpec, ParsedOptions } from './command.ts';
import { logPositionOption } from './start-position.ts';

/** The options of a job started `--from savepoint:<id>` (lk speed, lk replay). */
export const SAVEPOINT_START_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  'new-views-from': {
    type: 'string',
    valueName: 'POS',
    description: "with --from savepoint:<id>: where views the savepoint lacks (and changed ones, with --rebuild-changed) start: earliest, latest or a time; from before the savepoint's offsets they catch up while the others skip what they hold",
    default: 'earliest',
  },
  'rebuild-changed': { type: 'boolean', description: "with --from savepoint:<id>: build views whose definition changed since the savepoint again (from --new-views-from) instead of refusing to start" },
};

export interface SavepointStart {
  readonly id: string;
  readonly newViewsFrom: StreamStart;
  readonly rebuildChanged: boolean;
}

/** Reads the savepoint options; refuses them without `--from savepoint:<id>` (they would do nothing). */
export function savepointStartOf(options: ParsedOptions, savepointId: string | undefined): SavepointStart | undefined {
  if (savepointId === undefined) {
    for (const name of ['new-views-from', 'rebuild-changed']) {
      if (options[name] !== undefined) throw new BadRequestError(`--${name}`, 'applies only to a job started from a savepoint: add --from savepoint:<id> (lk savepoint list shows them)');
    }
    return undefined;
  }
  return { id: savepointId, newViewsFrom: logPositionOption(options, 'new-views-from', { kind: 'earliest' }), rebuildChanged: Boolean(options['rebuild-changed']) };
}

/** Seeds `namespace` from the savepoint (savepoint-restore.ts) and says what became of each view. */
export async function startFromSavepoint(
  deps: { readonly config: PlatformConfig; readonly log: EventLog; readonly views: ViewStore; readonly pipeline: Pipeline },
  start: SavepointStart,
  namespace: string,
  say: (line: string) => void,
): Promise<RestoreResult> {
  const objects = await openObjectStore(deps.config);
  try {
    const r = await restoreSavepoint(
      { views: deps.views, objects, log: deps.log, pipeline: deps.pipeline, topics: deps.config.topics },
      start.id,
      { namespace, newViewsFrom: start.newViewsFrom, rebuildChanged: start.rebuildChanged },
    );
    const list = (names: readonly string[]) => names.join(', ') || 'none';
    const from = start.newViewsFrom.kind === 'timestamp' ? new Date(start.newViewsFrom.timestamp).toISOString() : start.newViewsFrom.kind;
    say(`savepoint ${r.savepoint} -> ${namespace}: ${r.partitions} partitions; resumed ${list(r.resumed)}; new ${list(r.added)}, rebuilt ${list(r.rebuilt)} (from ${from}); left out ${list(r.dropped)}`);
    return r;
  } finally {
    await objects.close();
  }
}
