import type { ServedWindow } from '../serving/query-result.ts';
import type { ServingMode } from '../serving/serving-mode.ts';
import { LkError } from '../shared/errors.ts';
import type { ComparedWindow } from './compare-views.ts';

/** A view's windows in one mode as the HTTP API served them, with the state they were read at. */
export interface ServedView {
  readonly windows: readonly ComparedWindow[];
  /** Windows whose panes came from each Lambda layer (a window straddling the horizon counts in both). */
  readonly layers: { readonly batch: number; readonly speed: number };
  readonly batchHorizon: number | null;
  readonly kappaVersion: string | null;
  /** HTTP requests it took (ranges are halved while an answer would exceed the window limit). */
  readonly requests: number;
}

interface QueryBody {
  readonly batchHorizon: string | null;
  readonly kappaVersion: string | null;
  readonly windows: readonly ServedWindow[];
  readonly next: string | null;
}

/** Narrowest range split further; below it a refusal is an error (a single key's minute holding 10,000 windows is not a workload). */
const MIN_SPLIT_MS = 1_000;

/**
 * Reads every window of `view` overlapping [from, to) in `mode` through `GET /v1/views/:view`,
 * as a client would: page after page (`next`) to the last; a range the service refuses for
 * holding too many panes is halved and both halves read; windows overlapping both halves come
 * once (by key and start). Null when the mode
 * has nothing to serve yet (404: no batch published, no Kappa version).
 */
export async function fetchServedView(baseUrl: string, view: string, mode: ServingMode, from: number, to: number, key?: string): Promise<ServedView | null> {
  // A publish or a cut-over between two pages answers 409 data_changed (pages are pinned to one
  // state): the windows read so far are of the old state, so the whole view is read again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await readServedView(baseUrl, view, mode, from, to, key);
    } catch (err) {
      if (!(err instanceof DataChangedError) || attempt >= MAX_RESTARTS) throw err;
    }
  }
}

/** Reads of a whole view restarted after the data changed between pages, before giving up. */
const MAX_RESTARTS = 5;

/** The data changed between two pages of one read (HTTP 409 data_changed). */
class DataChangedError extends LkError {}

async function readServedView(baseUrl: string, view: string, mode: ServingMode, from: number, to: number, key?: string): Promise<ServedView | null> {
  const byId = new Map<string, ComparedWindow>();
  const layers = { batch: 0, speed: 0 };
  let requests = 0;
  let state: { batchHorizon: number | null; kappaVersion: string | null } | undefined;
  const take = (windows: readonly ServedWindow[]) => {
    for (const w of windows) {
      const start = Date.parse(w.start);
      const id = `${w.key}\u0000${start}`;
      if (byId.has(id)) continue;
      byId.set(id, { key: w.key, start, end: Date.parse(w.end), values: w.measures });
      if (w.layers.includes('batch')) layers.batch++;
      if (w.layers.includes('speed')) layers.speed++;
    }
  };
  const read = async (a: number, b: number): Promise<boolean> => {
    const params = new URLSearchParams({ mode, from: String(a), to: String(b) });
    if (key !== undefined) params.set('key', key);
    requests++;
    const res = await fetch(`${baseUrl}/v1/views/${encodeURIComponent(view)}?${params}`);
    if (res.status === 404) return false;
    if (res.status === 400 && b - a > MIN_SPLIT_MS) {
      const body = (await res.json()) as { error?: { parameter?: string } };
      if (body.error?.parameter === 'limit') {
        const mid = a + Math.floor((b - a) / 2);
        return (await read(a, mid)) && (await read(mid, b));
      }
      throw new LkError(`GET ${view} ${mode} [${a}, ${b}) was refused: ${JSON.stringify(body)}`);
    }
    if (!res.ok) throw new LkError(`GET ${view} ${mode} [${a}, ${b}) answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    let body = (await res.json()) as QueryBody;
    state ??= { batchHorizon: body.batchHorizon === null ? null : Date.parse(body.batchHorizon), kappaVersion: body.kappaVersion };
    take(body.windows);
    // A range holding more windows than one page comes in pages: follow `next` to the last one.
    while (body.next !== null) {
      requests++;
      const more = await fetch(`${baseUrl}/v1/views/${encodeURIComponent(view)}?${new URLSearchParams({ cursor: body.next })}`);
      if (more.status === 409) throw new DataChangedError(`GET ${view} ${mode} [${a}, ${b}): the data changed between pages ${MAX_RESTARTS} times in a row: ${(await more.text()).slice(0, 300)}`);
      if (!more.ok) throw new LkError(`GET ${view} ${mode} [${a}, ${b}) next page answered ${more.status}: ${(await more.text()).slice(0, 300)}`);
      body = (await more.json()) as QueryBody;
      take(body.windows);
    }
    return true;
  };
  if (!(await read(from, to))) return null;
  return { windows: [...byId.values()], layers, batchHorizon: state?.batchHorizon ?? null, kappaVersion: state?.kappaVersion ?? null, requests };
}
