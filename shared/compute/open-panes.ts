import type { MeasureStates } from './aggregate.ts';
import { KeyIds } from './key-ids.ts';
import type { Pane } from './pane.ts';

/** How a view's object states are made and stored (Aggregate's part of it), for views that have some. */
export interface StateCodec {
  emptyStates(): MeasureStates | undefined;
  encodeStates(states: MeasureStates): string;
  decodeStates(stored: string | undefined): MeasureStates | undefined;
}

/** Changed since the last drain (and listed in the dirty list). */
const DIRTY = 1;
/** Merged into another session: not reported by the drain. */
const RETIRED = 2;
/** Out of its key's chain (retired or evicted) while still dirty: the drain frees it. */
const DETACHED = 4;
/** In its key's chain. */
const LINKED = 8;
/** In a bucket being dropped (only during dropBuckets). */
const CLOSING = 16;
/** The store holds a row with this pane's id: it was restored, or reported by a drain. */
const STORED = 32;

/** start, end, bucket, then the accumulator. */
const HEADER = 3;
const MIN_SLOTS = 1 << 10;
const NONE = -1;

/**
 * The open panes of one view, stored flat: pane i is slot i of a few typed arrays (start, end,
 * bucket and accumulator side by side in one Float64Array, so a pane is one or two cache lines),
 * and each key (a dense id from KeyIds) has a chain of its panes, newest first: ordered by bucket,
 * then start, both descending. ViewState walks a chain from its head; events arrive roughly in
 * time order, so the pane an event belongs to is almost always the head or next to it.
 *
 * Why not objects in nested Maps (bucket -> key -> window -> pane, the previous layout): every
 * event paid a Map probe per level and then pointer chases (map entry -> list -> pane object ->
 * accumulator array -> its elements), each a likely cache miss with 20k keys, and every pane was
 * a few heap objects the GC had to trace and promote. Here an event costs one Map probe (the key's
 * id) and loads from typed arrays.
 *
 * Slots freed by session merges and evictions are reused; `dropBuckets` rebuilds the table (live
 * panes only, each key's chain contiguous, keys renumbered) once many keys or slots are unused, so
 * memory follows the open panes and keys on a long-running stream.
 */
export class OpenPanes {
  readonly #keys = new KeyIds();
  readonly #measures: number;
  readonly #stride: number;
  readonly #identity: number[];
  /** The object states codec; null when the view has no object measures (then `#states` stays empty). */
  readonly #codec: StateCodec | null;
  /** slot -> its object states (objects beside the flat table: sets, registers, counts). */
  #states: (MeasureStates | undefined)[] = [];
  /** key id -> its newest pane (NONE: no open pane). */
  #heads = new Int32Array(MIN_SLOTS).fill(NONE);
  /** slot * stride: start, end, bucket, accumulator. */
  #data: Float64Array;
  /** slot -> the next older pane of its key (NONE: last). */
  #next: Int32Array;
  /** slot -> key id. */
  #key: Int32Array;
  #flags: Uint8Array;
  /** Slots below this have been handed out at least once. */
  #top = 0;
  #free: number[] = [];
  #live = 0;
  #dirty: number[] = [];
  /** Buckets of the panes allocated since the last drop (a handful: the open ones). */
  #buckets: number[] = [];
  #lastBucket = Number.NaN;

  /** `identity`: the empty accumulator (the aggregate's identities); `codec` when the view has object measures. */
  constructor(identity: readonly number[], codec?: StateCodec) {
    this.#identity = identity.slice();
    this.#codec = codec?.emptyStates() === undefined ? null : codec;
    this.#measures = identity.length;
    this.#stride = HEADER + identity.length;
    this.#data = new Float64Array(MIN_SLOTS * this.#stride);
    this.#next = new Int32Array(MIN_SLOTS);
    this.#key = new Int32Array(MIN_SLOTS);
    this.#flags = new Uint8Array(MIN_SLOTS);
  }

  /** Number of open panes (evicted and merged-away ones excluded). */
  get size(): number {
    return this.#live;
  }

  /** Key ids handed out (keys with open panes, plus keys emptied since the last rebuild): for tests and metrics. */
  get keyCount(): number {
    return this.#keys.size;
  }

  /** Slots allocated (open panes, free slots and panes waiting for the drain): for tests and metrics. */
  get capacity(): number {
    return this.#next.length;
  }

  /** The dense id of a key (new keys get one). */
  keyId(key: string): number {
    const id = this.#keys.idOf(key);
    if (id >= this.#heads.length) this.#growHeads();
    return id;
  }

  /** The newest pane of a key, or -1. */
  head(keyId: number): number {
    return this.#heads[keyId];
  }

  /** The next older pane of the same key, or -1. */
  next(slot: number): number {
    return this.#next[slot];
  }

  startOf(slot: number): number {
    return this.#data[slot * this.#stride];
  }

  endOf(slot: number): number {
    return this.#data[slot * this.#stride + 1];
  }

  setEnd(slot: number, end: number): void {
    this.#data[slot * this.#stride + 1] = end;
  }

  bucketOf(slot: number): number {
    return this.#data[slot * this.#stride + 2];
  }

  /** Whether pane `slot` comes before a pane of (bucket, start) in its key's chain: the chain order, newer bucket first, then later start. */
  sortsBefore(slot: number, bucket: number, start: number): boolean {
    const b = this.bucketOf(slot);
    return b > bucket || (b === bucket && this.startOf(slot) > start);
  }

  /** The array holding accumulators (for Aggregate.addAt; replaced when the table grows). */
  get accs(): Float64Array {
    return this.#data;
  }

  /** Where the accumulator of `slot` starts in `accs`. */
  accAt(slot: number): number {
    return slot * this.#stride + HEADER;
  }

  /** A copy of the accumulator of `slot`. */
  accOf(slot: number): number[] {
    // A copy of the identity is an array of exactly the right length (push would over-allocate).
    const acc = this.#identity.slice();
    const at = this.accAt(slot);
    for (let i = 0; i < this.#measures; i++) acc[i] = this.#data[at + i];
    return acc;
  }

  setAcc(slot: number, acc: readonly number[]): void {
    const at = this.accAt(slot);
    for (let i = 0; i < this.#measures; i++) this.#data[at + i] = acc[i];
  }

  /** The object states of `slot` (the live objects: folds and merges change them in place); undefined when the view has none. */
  statesOf(slot: number): MeasureStates | undefined {
    // No read of the (empty) states array for a view without object measures: an out-of-bounds read is slow in V8, and this is the per-event path.
    return this.#codec === null ? undefined : this.#states[slot];
  }

  /** Replaces the object states of `slot` (taking ownership of `states`). */
  setStates(slot: number, states: MeasureStates | undefined): void {
    if (this.#codec !== null) this.#states[slot] = states;
  }

  /** Replaces the object states of `slot` by those of a stored form. */
  setStoredStates(slot: number, stored: string | undefined): void {
    if (this.#codec !== null) this.#states[slot] = this.#codec.decodeStates(stored);
  }

  /**
   * A new pane with an empty accumulator, linked into its key's chain right after `after` (as the
   * head when `after` is -1). The caller picks `after` so the chain stays ordered.
   */
  open(keyId: number, after: number, start: number, end: number, bucket: number): number {
    const slot = this.#alloc();
    const d = this.#data;
    const at = slot * this.#stride;
    d[at] = start;
    d[at + 1] = end;
    d[at + 2] = bucket;
    for (let i = 0; i < this.#measures; i++) d[at + HEADER + i] = this.#identity[i];
    if (this.#codec !== null) this.#states[slot] = this.#codec.emptyStates();
    this.#key[slot] = keyId;
    this.#flags[slot] = LINKED;
    if (after === NONE) {
      this.#next[slot] = this.#heads[keyId];
      this.#heads[keyId] = slot;
    } else {
      this.#next[slot] = this.#next[after];
      this.#next[after] = slot;
    }
    this.#live++;
    if (bucket !== this.#lastBucket) this.#noteBucket(bucket);
    return slot;
  }

  /** Marks a pane changed since the last drain. */
  touch(slot: number): void {
    const f = this.#flags[slot];
    if ((f & DIRTY) !== 0) return;
    this.#flags[slot] = f | DIRTY;
    this.#dirty.push(slot);
  }

  /** Unlinks `slot`, the pane after `after` (-1: the head) in its key's chain, as merged away: the drain will not report it. */
  retire(keyId: number, after: number, slot: number): void {
    if (after === NONE) this.#heads[keyId] = this.#next[slot];
    else this.#next[after] = this.#next[slot];
    this.#live--;
    this.#detach(slot, RETIRED);
  }

  /** The key of a pane. */
  keyOf(slot: number): string {
    return this.#keys.keyOf(this.#key[slot]);
  }

  /**
   * Appends the panes changed since the last drain, in the order they first changed, to `out` as
   * copies, and forgets that they changed; with `created` given, the ones never reported or
   * restored before go there instead (a store can insert them without looking for a row).
   */
  drain(view: string, out: Pane[], created?: Pane[]): void {
    this.#forgetChanges(view, out, created);
  }

  /** Marks a pane as one the store holds (restored from it). */
  markStored(slot: number): void {
    this.#flags[slot] |= STORED;
  }

  /** Whether the store holds a row with this pane's id. */
  isStored(slot: number): boolean {
    return (this.#flags[slot] & STORED) !== 0;
  }

  /** Forgets which panes changed since the last drain without reporting them (a view emitting on window close reports panes as their bucket closes). */
  discardChanges(): void {
    this.#forgetChanges('', undefined, undefined);
  }

  /** A copy of the pane in `slot`, safe to hand to I/O. */
  paneAt(view: string, slot: number): Pane {
    const pane: Pane = { view, key: this.keyOf(slot), start: this.startOf(slot), end: this.endOf(slot), bucket: this.bucketOf(slot), acc: this.accOf(slot) };
    return this.#codec === null ? pane : { ...pane, states: this.#codec.encodeStates(this.#states[slot]!) };
  }

  #forgetChanges(view: string, out: Pane[] | undefined, created: Pane[] | undefined): void {
    const dirty = this.#dirty;
    for (let i = 0; i < dirty.length; i++) {
      const s = dirty[i];
      const f = this.#flags[s];
      this.#flags[s] = (f & ~DIRTY) | (out !== undefined ? STORED : 0);
      if (out !== undefined && (f & RETIRED) === 0) ((f & STORED) === 0 && created !== undefined ? created : out).push(this.paneAt(view, s));
      if ((f & DETACHED) !== 0) this.#release(s);
    }
    this.#dirty = [];
  }

  /**
   * Drops the panes whose bucket is `closed` (still reported by the next drain when changed since
   * the last one), appending copies of them to `dropped.out` when given. `closed` must hold for
   * every bucket older than one it holds for, as isBucketOpen's negation does: then a key's
   * closed panes are the tail of its chain (chains are newest first), and the table is cut in
   * three passes over the slots in memory order rather than by walking every chain (a cache miss
   * per pane, measured). Then, when at least half the
   * keys have no pane left or at most a quarter of the slots are in use, and nothing is waiting
   * for a drain, rebuilds the table from the live panes: those keys lose their id and the arrays
   * shrink. (Not on every drop: allocating large typed arrays each time made V8 run extra full
   * GCs, measured.)
   */
  dropBuckets(closed: (bucket: number) => boolean, dropped?: { readonly view: string; readonly out: Pane[] }): void {
    let newestClosed = Number.NEGATIVE_INFINITY;
    for (const b of this.#buckets) if (closed(b) && b > newestClosed) newestClosed = b;
    if (newestClosed === Number.NEGATIVE_INFINITY) return;
    this.#buckets = this.#buckets.filter((b) => b > newestClosed);
    this.#lastBucket = Number.NaN;
    const flags = this.#flags;
    const next = this.#next;
    const top = this.#top;
    for (let s = 0; s < top; s++) if ((flags[s] & LINKED) !== 0 && this.bucketOf(s) <= newestClosed) flags[s] |= CLOSING;
    // Cut each chain before its first closing pane.
    for (let s = 0; s < top; s++) if ((flags[s] & (LINKED | CLOSING)) === LINKED && next[s] !== NONE && (flags[next[s]] & CLOSING) !== 0) next[s] = NONE;
    const heads = this.#heads;
    let emptyKeys = 0;
    for (let k = 0; k < this.#keys.size; k++) {
      if (heads[k] !== NONE && (flags[heads[k]] & CLOSING) !== 0) heads[k] = NONE;
      if (heads[k] === NONE) emptyKeys++;
    }
    for (let s = 0; s < top; s++) {
      if ((flags[s] & CLOSING) === 0) continue;
      flags[s] &= ~CLOSING;
      if (dropped !== undefined) dropped.out.push(this.paneAt(dropped.view, s));
      this.#live--;
      this.#detach(s, 0);
    }
    const sparse = emptyKeys * 2 >= this.#keys.size || (this.#live * 4 <= next.length && next.length > MIN_SLOTS);
    if (sparse && this.#dirty.length === 0) this.#rebuild();
  }

  /** Calls fn for every open pane, key by key, newest first (tests, restores). */
  forEach(fn: (keyId: number, slot: number) => void): void {
    for (let k = 0; k < this.#keys.size; k++) for (let s = this.#heads[k]; s !== NONE; s = this.#next[s]) fn(k, s);
  }

  /** A pane just unlinked from its chain: freed now, or by the drain when it is waiting to be reported. */
  #detach(slot: number, flag: number): void {
    const f = this.#flags[slot] & ~LINKED;
    if ((f & DIRTY) !== 0) this.#flags[slot] = f | flag | DETACHED;
    else this.#release(slot);
  }

  #release(slot: number): void {
    this.#flags[slot] = 0;
    if (this.#codec !== null) this.#states[slot] = undefined;
    this.#free.push(slot);
  }

  #alloc(): number {
    if (this.#free.length > 0) return this.#free.pop()!;
    if (this.#top === this.#next.length) this.#resize(this.#next.length * 2);
    return this.#top++;
  }

  #noteBucket(bucket: number): void {
    if (!this.#buckets.includes(bucket)) this.#buckets.push(bucket);
    this.#lastBucket = bucket;
  }

  #growHeads(): void {
    const heads = new Int32Array(this.#heads.length * 2).fill(NONE);
    heads.set(this.#heads);
    this.#heads = heads;
  }

  #resize(slots: number): void {
    const data = new Float64Array(slots * this.#stride);
    data.set(this.#data.subarray(0, this.#top * this.#stride));
    const next = new Int32Array(slots);
    next.set(this.#next.subarray(0, this.#top));
    const key = new Int32Array(slots);
    key.set(this.#key.subarray(0, this.#top));
    const flags = new Uint8Array(slots);
    flags.set(this.#flags.subarray(0, this.#top));
    this.#data = data;
    this.#next = next;
    this.#key = key;
    this.#flags = flags;
  }

  /** Copies the live panes into fresh arrays, each key's chain contiguous (nothing may be dirty). */
  #rebuild(): void {
    const oldHeads = this.#heads;
    const remap = this.#keys.compact((k) => oldHeads[k] !== NONE);
    let slots = MIN_SLOTS;
    while (slots < this.#live * 2) slots *= 2;
    let keySlots = MIN_SLOTS;
    while (keySlots < this.#keys.size) keySlots *= 2;
    const stride = this.#stride;
    const data = new Float64Array(slots * stride);
    const next = new Int32Array(slots);
    const key = new Int32Array(slots);
    const heads = new Int32Array(keySlots).fill(NONE);
    const flags = new Uint8Array(slots);
    const states: (MeasureStates | undefined)[] = [];
    let n = 0;
    for (let k = 0; k < remap.length; k++) {
      const id = remap[k];
      if (id === NONE) continue;
      heads[id] = n;
      for (let s = oldHeads[k]; s !== NONE; s = this.#next[s]) {
        data.set(this.#data.subarray(s * stride, (s + 1) * stride), n * stride);
        flags[n] = LINKED | (this.#flags[s] & STORED);
        key[n] = id;
        next[n] = this.#next[s] === NONE ? NONE : n + 1;
        if (this.#codec !== null) states[n] = this.#states[s];
        n++;
      }
    }
    this.#data = data;
    this.#next = next;
    this.#key = key;
    this.#flags = flags;
    this.#heads = heads;
    this.#states = states;
    this.#top = n;
    this.#free = [];
  }
}
