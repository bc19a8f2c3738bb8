import { BadRequestError } from '../shared/errors.ts';
import { SAVEPOINT_ID_PATTERN } from '../shared/compute/savepoint-format.ts';
import type { ViewStore } from '../shared/ports/view-store.ts';
import type { StreamStart } from '../speed/stream-job.ts';
import { timeOption, type ParsedOptions } from './command.ts';

/** What `--from` names: a position in the log, a savepoint to start a fresh namespace from, or (lk speed's default) the view store's checkpoints, else the earliest offset. */
export type StartChoice = { readonly kind: 'checkpoint' } | { readonly kind: 'savepoint'; readonly id: string } | StreamStart;

const LOG_POSITIONS = 'earliest, latest or a time (ISO-8601 with zone, epoch ms, now)';

/** The `--from` values, for --help. */
export const START_VALUES = 'earliest, latest, a time (ISO-8601 with zone, epoch ms, now), checkpoint or savepoint:<id>';

/** Parses `--from`; `allowCheckpoint` is false for a command that always builds a new namespace (lk replay). */
export function startOption(options: ParsedOptions, fallback: StartChoice, allowCheckpoint: boolean): StartChoice {
  const raw = options.from;
  if (raw === undefined) return fallback;
  const s = String(raw);
  if (s === 'checkpoint') {
    if (!allowCheckpoint) throw new BadRequestError('--from', 'checkpoint resumes a namespace, and this command builds a new one: give a position in the log (earliest or a time)');
    return { kind: 'checkpoint' };
  }
  if (s.startsWith('savepoint:')) {
    const id = s.slice('savepoint:'.length);
    if (!SAVEPOINT_ID_PATTERN.test(id)) throw new BadRequestError('--from', `savepoint:<id> needs a savepoint's id (sp_<yyyymmddhhmmss>_<4 characters>, see lk savepoint list); got ${s}`);
    return { kind: 'savepoint', id };
  }
  return logPosition(options, 'from', allowCheckpoint ? START_VALUES : `${LOG_POSITIONS} or savepoint:<id>`);
}

/** Parses a position in the log (`--new-views-from`: where views a savepoint lacks start); `fallback` when absent. */
export function logPositionOption(options: ParsedOptions, name: string, fallback: StreamStart): StreamStart {
  return options[name] === undefined ? fallback : logPosition(options, name, LOG_POSITIONS);
}

function logPosition(options: ParsedOptions, name: string, expected: string): StreamStart {
  const s = String(options[name]);
  if (s === 'earliest' || s === 'latest') return { kind: s };
  if (s !== 'now' && /^[a-z]+(:|$)/.test(s)) throw new BadRequestError(`--${name}`, `must be ${expected}; got ${s}`);
  return { kind: 'timestamp', timestamp: timeOption(options, name)! };
}

/**
 * Refuses an explicit start position for a namespace that already has checkpoints: its views hold
 * the records up to them, so starting anywhere else would count records twice or leave a gap.
 */
export async function assertNoCheckpoints(views: ViewStore, namespace: string, start: StartChoice): Promise<void> {
  if (start.kind === 'checkpoint' || start.kind === 'savepoint' || !(await views.listNamespaces()).includes(namespace)) return;
  const checkpoints = await views.checkpoints(namespace);
  if (checkpoints.size === 0) return;
  const at = [...checkpoints].sort(([a], [b]) => a - b).map(([p, cp]) => `${p}@${cp.nextOffset}`).join(', ');
  throw new BadRequestError(
    '--from',
    `namespace "${namespace}" already has checkpoints (partition@offset: ${at}), so its views hold the log up to them; ` +
      `leave --from out (or give checkpoint) to resume, or build another namespace from ${start.kind === 'timestamp' ? 'that time' : start.kind} (lk replay --from, or lk speed --namespace NAME --create --from)`,
  );
}
