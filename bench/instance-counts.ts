import { BadRequestError } from '../shared/errors.ts';

/** `--instances 1,2,3`: how many `lk speed` processes each scale-out run starts, in order, each 1..`max`. */
export function instanceCounts(raw: string, max: number): number[] {
  // Number() ignores surrounding blanks and reads '' as 0, so an empty item is refused with the rest.
  const counts = raw.split(',').map(Number);
  if (counts.some((n) => !Number.isInteger(n) || n < 1 || n > max)) {
    throw new BadRequestError('--instances', `give whole numbers from 1 to ${max} separated by commas (e.g. 1,2,3), got "${raw}"`);
  }
  return counts;
}
