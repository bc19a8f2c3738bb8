import { BadRequestError } from '../shared/errors.ts';
import type { ViewStore } from '../shared/ports/view-store.ts';
import type { StreamStart } from '../speed/stream-job.ts';
import { timeOption, type ParsedOptions } from './command.ts';

/** What `--from` names: a position in the log, or (lk speed's default) the view store's checkpoints, else the earliest offset. */
export type StartChoice = { readonly kind: 'checkpoint' } | StreamStart;

/** The `--from` values, for --help. */
export const START_VALUES = 'earliest, latest, a time (ISO-8601 with zone, epoch ms, now) or checkpoint';

/** Parses `--from`; `allowCheckpoint` is false for a command that always builds a new namespace (lk replay). */
export function startOption(options: ParsedOptions, fallback: StartChoice, allowCheckpoint: boolean): StartChoice {
  const raw = options.from;
  if (raw === undefined) return fallback;
  const s = String(raw);
  if (s === 'earliest' || s === 'latest') return { kind: s };
  if (s === 'checkpoint') {
    if (!allowCheckpoint) throw new BadRequestError('--from', 'checkpoint resumes a namespace, and this command builds a new one: give a position in the log (earliest or a time)');
    return { kind: 'checkpoint' };
  }
  if (s !== 'now' && /^[a-z]+(:|$)/.test(s)) throw new BadRequestError('--from', `must be ${allowCheckpoint ? START_VALUES : 'earliest, latest or a time (ISO-8601 with zone, epoch ms, now)'}; got ${s}`);
  return { kind: 'timestamp', timestamp: timeOption(options, 'from')! };
}

/**
 * Refuses an explicit start position for a namespace that already has checkpoints: its views hold
 * the records up to them, so starting anywhere else would count records twice or leave a gap.
 */
export async function assertNoCheckpoints(views: ViewStore, namespace: string, start: StartChoice): Promise<void> {
  if (start.kind === 'checkpoint' || !(await views.listNamespaces()).includes(namespace)) return;
  const checkpoints = await views.checkpoints(namespace);
  if (checkpoints.size === 0) return;
  const at = [...checkpoints].sort(([a], [b]) => a - b).map(([p, cp]) => `${p}@${cp.nextOffset}`).join(', ');
  throw new BadRequestError(
    '--from',
    `namespace "${namespace}" already has checkpoints (partition@offset: ${at}), so its views hold the log up to them; ` +
      `leave --from out (or give checkpoint) to resume, or build another namespace from ${start.kind === 'timestamp' ? 'that time' : start.kind} (lk replay --from, or lk speed --namespace NAME --create --from)`,
  );
}
