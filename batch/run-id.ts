import { randomBytes } from 'node:crypto';
import { BadRequestError } from '../shared/errors.ts';

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** A new run id: its start time (so ids sort by age) and a random suffix, e.g. `20260101T100500123Z-9f3a`. */
export function newRunId(now: number): string {
  return `${new Date(now).toISOString().replace(/[-:.]/g, '')}-${randomBytes(2).toString('hex')}`;
}

/** Throws unless `id` can name a run (it becomes an object key segment). */
export function assertRunId(id: string): void {
  if (!RUN_ID.test(id)) throw new BadRequestError('runId', `"${id}" must be 1-64 letters, digits, '-' or '_', starting with a letter or digit`);
}
