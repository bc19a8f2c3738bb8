import { BadRequestError } from '../shared/errors.ts';
import type { PanePosition } from '../shared/ports/view-store.ts';
import type { ServingMode } from './serving-mode.ts';


/** What a cursor carries: the query it pages (so `to=now` cannot move between pages) and where the last page ended. */
export interface PageCursor {
  readonly view: string;
  readonly key: string | null;
  readonly from: number;
  readonly to: number;
  readonly mode: ServingMode;
  /** The last window of the page (pages follow the answer's key, start order). */
  readonly after: PanePosition;
  /**
   * What the first page read and every later one must read too: the batch run (lambda, batch)
   * and the Kappa version (kappa); null for none. A page finding another one answers 409.
   */
  readonly batchRun: string | null;
  readonly kappaVersion: string | null;
}

const VERSION = 2;

/** The opaque `next` token of a page: base64url JSON, readable by nobody but parseCursor. */
export function encodeCursor(c: PageCursor): string {
  return Buffer.from(JSON.stringify([VERSION, c.view, c.key, c.from, c.to, c.mode, c.after.key, c.after.start, c.batchRun, c.kappaVersion])).toString('base64url');
}

/** Decodes a `cursor` parameter; throws BadRequestError (parameter `cursor`) for anything encodeCursor did not make. */
export function parseCursor(text: string): PageCursor {
  const bad = () => new BadRequestError('cursor', 'is not a cursor this API returned; pass the `next` value of the previous page as it is');
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(v) || v.length !== 10 || v[0] !== VERSION) throw bad();
  const [, view, key, from, to, mode, afterKey, afterStart, batchRun, kappaVersion] = v as unknown[];
  const ok =
    typeof view === 'string' &&
    (key === null || typeof key === 'string') &&
    Number.isSafeInteger(from) &&
    Number.isSafeInteger(to) &&
    typeof mode === 'string' &&
    ['lambda', 'kappa', 'batch', 'speed'].includes(mode) &&
    typeof afterKey === 'string' &&
    Number.isSafeInteger(afterStart) &&
    (batchRun === null || typeof batchRun === 'string') &&
    (kappaVersion === null || typeof kappaVersion === 'string');
  if (!ok) throw bad();
  return { view: view as string, key: key as string | null, from: from as number, to: to as number, mode: mode as ServingMode, after: { key: afterKey as string, start: afterStart as number }, batchRun: batchRun as string | null, kappaVersion: kappaVersion as string | null };
}
