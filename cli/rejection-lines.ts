import type { QualityFailure } from '../batch/quality-gate.ts';

/** One line per failed check of the quality gate, for the run's log (stderr): `lk batch`, its schedule and `lk run`. */
export function rejectionLines(failures: readonly QualityFailure[]): string[] {
  return failures.map((f) => `quality gate rejected hour ${new Date(f.bucket).toISOString()}${f.view === null ? '' : ` of view ${f.view}`} (${f.check}): ${f.detail}`);
}
