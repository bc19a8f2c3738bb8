import { BadRequestError } from '../../shared/errors.ts';

/** Top-level directory of in-progress writes; no key may live under it. */
export const TEMP_DIR = '.lk-tmp';

/**
 * Checks an object key: '/'-separated, relative, no empty, '.' or '..' segments, so it can never
 * name a file outside the store's directory (or a directory of it). Throws BadRequestError.
 */
export function assertObjectKey(key: string): void {
  const problem = keyProblem(key, false);
  if (problem) throw new BadRequestError('key', `"${key}" ${problem}`);
}

/** Like assertObjectKey for a list prefix, which may be empty or end with '/'. */
export function assertKeyPrefix(prefix: string): void {
  const problem = keyProblem(prefix, true);
  if (problem) throw new BadRequestError('prefix', `"${prefix}" ${problem}`);
}

function keyProblem(key: string, isPrefix: boolean): string | undefined {
  if (typeof key !== 'string') return 'is not a string';
  if (key === '') return isPrefix ? undefined : 'is empty: give a path such as master/dt=2026-01-01/hour=10/p0.parquet';
  if (key.startsWith('/')) return 'is absolute: object keys are relative paths such as master/dt=2026-01-01/...';
  if (key.includes('\\') || key.includes('\u0000')) return 'contains a backslash or NUL: use "/" between segments';
  const segments = key.split('/');
  // A prefix may end in '/' (all keys under a folder) or in a partial segment.
  const checked = isPrefix ? segments.slice(0, -1) : segments;
  for (const s of checked) {
    if (s === '') return 'has an empty segment ("//" or a trailing "/")';
    if (s === '.' || s === '..') return 'has a "." or ".." segment: keys may not leave the store';
  }
  const last = segments[segments.length - 1];
  if (isPrefix && (last === '.' || last === '..')) return 'ends in "." or "..": keys may not leave the store';
  if (segments[0] === TEMP_DIR && (segments.length > 1 || !isPrefix)) return `is under ${TEMP_DIR}/, which the store reserves for writes in progress`;
  return undefined;
}
