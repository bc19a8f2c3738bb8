import type { PartitionOffsets } from '../shared/ports/event-log.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import type { StreamProgress } from './stream-job.ts';

/**
 * Where `lk replay` publishes how far the version it builds has got, for `lk serve` (another
 * process) to show in GET /v1/status and on the dashboard. A bulk-loaded version has no
 * checkpoints before it finishes (kappa-replay.ts), so the view store cannot say; the object
 * store, which both processes open, holds this one small object (the latest replay's).
 */
export const REPLAY_PROGRESS_KEY = 'kappa/replay-progress.json';

/**
 * What a replay is doing: reading the log, comparing before the cut-over (`gating`), or done:
 * `served` (cut over), `refused` (the gate refused; built, not served), `built` (no cut-over
 * asked) or `failed` (its version dropped).
 */
export type ReplayState = 'running' | 'gating' | 'served' | 'refused' | 'built' | 'failed';

/** One replay's progress, JSON-ready (times ISO-8601 UTC). */
export interface ReplayProgress {
  /** The version being built (kappa_vN+1). */
  readonly version: string;
  /** The version serving while it builds (null before the first one). */
  readonly serving: string | null;
  readonly state: ReplayState;
  readonly startedAt: string;
  readonly updatedAt: string;
  /** Per partition: the next offset committed into the version, and the end offset the replay reads to. */
  readonly partitions: readonly { readonly partition: number; readonly nextOffset: number; readonly endOffset: number }[];
  /** Sums of the above: offsets read, and offsets from the start of the log to the end read to. */
  readonly offsetsRead: number;
  readonly offsetsToRead: number;
  /** Records still to read before the version is complete (its lag behind the log's end at start). */
  readonly lagRecords: number;
  /** The latest event time the version holds so far. */
  readonly maxEventTime: string | null;
  /** Why it failed. */
  readonly error?: string;
}

/**
 * Folds a replay's commits into its progress and publishes it (REPLAY_PROGRESS_KEY): at the
 * start, then at most every `intervalMs` while it reads (one write at a time, the latest state
 * wins), and at every change of state (awaited, so a reader sees `gating` before the cut-over).
 * A failed write is reported once to `onError` and never stops the replay: progress is for people.
 */
export class ReplayProgressReporter {
  readonly #objects: ObjectStore;
  readonly #intervalMs: number;
  readonly #clock: () => number;
  readonly #onError: (err: unknown) => void;
  readonly #partitions = new Map<number, { nextOffset: number; endOffset: number }>();
  #version = '';
  #serving: string | null = null;
  #state: ReplayState = 'running';
  #startedAt = 0;
  #maxEventTime = Number.NEGATIVE_INFINITY;
  #error: string | undefined;
  #lastWrite = Number.NEGATIVE_INFINITY;
  #writing: Promise<void> = Promise.resolve();
  #pending = false;
  #warned = false;

  constructor(objects: ObjectStore, options: { intervalMs?: number; clock?: () => number; onError?: (err: unknown) => void } = {}) {
    this.#objects = objects;
    this.#intervalMs = options.intervalMs ?? 1_000;
    this.#clock = options.clock ?? Date.now;
    this.#onError = options.onError ?? ((err) => console.error('replay: progress not published:', err));
  }

  /** The replay of `version` starts while `serving` serves, reading up to `endOffsets`. */
  async start(version: string, serving: string | null, endOffsets: PartitionOffsets): Promise<void> {
    this.#version = version;
    this.#serving = serving;
    this.#startedAt = this.#clock();
    for (const [partition, endOffset] of endOffsets) this.#partitions.set(partition, { nextOffset: 0, endOffset });
    await this.#write();
  }

  /** One partition's commit into the version. */
  update(p: StreamProgress): void {
    const known = this.#partitions.get(p.partition);
    this.#partitions.set(p.partition, { nextOffset: p.nextOffset, endOffset: Math.max(known?.endOffset ?? 0, p.highWatermark) });
    if (p.checkpoint.maxEventTime !== null && p.checkpoint.maxEventTime > this.#maxEventTime) this.#maxEventTime = p.checkpoint.maxEventTime;
    if (this.#clock() - this.#lastWrite >= this.#intervalMs) void this.#write();
  }

  /** A new state, published before this resolves. */
  async state(state: ReplayState, error?: string): Promise<void> {
    this.#state = state;
    this.#error = error;
    await this.#write();
  }

  /** The progress as it stands. */
  snapshot(): ReplayProgress {
    const partitions = [...this.#partitions].sort((a, b) => a[0] - b[0]).map(([partition, p]) => ({ partition, ...p }));
    const offsetsRead = partitions.reduce((n, p) => n + p.nextOffset, 0);
    const offsetsToRead = partitions.reduce((n, p) => n + p.endOffset, 0);
    return {
      version: this.#version,
      serving: this.#serving,
      state: this.#state,
      startedAt: new Date(this.#startedAt).toISOString(),
      updatedAt: new Date(this.#clock()).toISOString(),
      partitions,
      offsetsRead,
      offsetsToRead,
      lagRecords: partitions.reduce((n, p) => n + Math.max(0, p.endOffset - p.nextOffset), 0),
      maxEventTime: Number.isFinite(this.#maxEventTime) ? new Date(this.#maxEventTime).toISOString() : null,
      ...(this.#error === undefined ? {} : { error: this.#error }),
    };
  }

  /** Queues one write of the state at the time it runs; writes already queued coalesce into it. */
  #write(): Promise<void> {
    this.#lastWrite = this.#clock();
    if (this.#pending) return this.#writing;
    this.#pending = true;
    this.#writing = this.#writing.then(async () => {
      this.#pending = false;
      try {
        await this.#objects.putText(REPLAY_PROGRESS_KEY, JSON.stringify(this.snapshot()));
      } catch (err) {
        if (!this.#warned) this.#onError(err);
        this.#warned = true;
      }
    });
    return this.#writing;
  }
}

/** The latest replay's progress as published, or undefined when no replay has published any (or it is unreadable). */
export async function readReplayProgress(objects: ObjectStore): Promise<ReplayProgress | undefined> {
  const text = await objects.getText(REPLAY_PROGRESS_KEY);
  if (text === undefined) return undefined;
  try {
    const p = JSON.parse(text) as ReplayProgress;
    return typeof p?.version === 'string' && typeof p.state === 'string' ? p : undefined;
  } catch {
    return undefined;
  }
}
