/**
 * The registers of one HyperLogLog sketch, sparse while few are set (HLL++'s idea, Heule et al.
 * 2013, without its extra precision): a window of one key usually sees a few values, and 2^p
 * dense bytes per key and pane (4 KB at p = 12; 80 MB for 20k keys) would cost memory and a
 * cache miss per event. Sparse: the packed registers in use (`register * 64 + rank`, see
 * `hllPacked`), sorted, in a Uint32Array; past m / 8 of them (half the dense size in bytes) the
 * sketch turns dense for good. Either form holds the same registers, so which one a sketch is in
 * never changes a result: encodings, merges and estimates depend on the registers alone.
 */
export class HllRegisters {
  readonly m: number;
  /** The dense registers, once there are more than m / 8 in use; null while sparse. */
  dense: Uint8Array | null = null;
  /** Sorted packed registers in use, [0, size); unused once dense. */
  sparse: Uint32Array;
  size = 0;

  constructor(m: number) {
    this.m = m;
    this.sparse = new Uint32Array(8);
  }

  /** Raises a register to `rank` (from a packed value `register * 64 + rank`) if it is lower. */
  raise(packed: number): void {
    const dense = this.dense;
    if (dense !== null) {
      const register = packed >>> 6;
      const rank = packed & 63;
      if (dense[register] < rank) dense[register] = rank;
      return;
    }
    const register = packed >>> 6;
    const s = this.sparse;
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid] >>> 6 < register) lo = mid + 1;
      else hi = mid;
    }
    if (lo < this.size && s[lo] >>> 6 === register) {
      if (s[lo] < packed) s[lo] = packed;
      return;
    }
    if (this.size + 1 > this.m >>> 3) {
      this.#densify();
      this.raise(packed);
      return;
    }
    let into = s;
    if (this.size === s.length) {
      into = new Uint32Array(Math.min(s.length * 2, this.m >>> 3));
      for (let i = 0; i < lo; i++) into[i] = s[i];
      this.sparse = into;
    }
    // A plain loop: copyWithin's call costs more than shifting the few entries of a small sketch.
    for (let i = this.size; i > lo; i--) into[i] = s[i - 1];
    into[lo] = packed;
    this.size++;
  }

  /** Raises every register to at least the other sketch's (register-wise max). */
  raiseAll(other: HllRegisters): void {
    if (other.dense !== null) {
      if (this.dense === null) this.#densify();
      const d = this.dense!;
      const o = other.dense;
      for (let i = 0; i < this.m; i++) if (d[i] < o[i]) d[i] = o[i];
      return;
    }
    for (let i = 0; i < other.size; i++) this.raise(other.sparse[i]);
  }

  /** Calls fn(register, rank) for each register in use, in register order. */
  forEach(fn: (register: number, rank: number) => void): void {
    if (this.dense !== null) {
      for (let i = 0; i < this.m; i++) if (this.dense[i] !== 0) fn(i, this.dense[i]);
    } else for (let i = 0; i < this.size; i++) fn(this.sparse[i] >>> 6, this.sparse[i] & 63);
  }

  #densify(): void {
    const d = new Uint8Array(this.m);
    for (let i = 0; i < this.size; i++) d[this.sparse[i] >>> 6] = this.sparse[i] & 63;
    this.dense = d;
    this.sparse = new Uint32Array(0);
    this.size = 0;
  }
}
