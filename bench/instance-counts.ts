import { BadRequestError } from '../shared/errors.ts';

/** `--instances 1,2,3`: how many `lk speed` processes each scale-out run starts, in order, each 1..`max`. */
export function instanceCounts(raw: string, max: number): number[] {
  const parts = raw.split(',').map((p) => p.trim());
  const counts = parts.map(Number);
  if (parts.some((p) => p === '') || counts.some((n) => !Number.isInteger(n) || n < 1 || n > max)) {
    throw new BadRequestError('--instances', `give whole numbers from 1 to ${max} separated by commas (e.g. 1,2,3), got "${raw}"`);
  }
  return counts;
}
