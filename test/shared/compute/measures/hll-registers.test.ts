import { describe, expect, it } from 'vitest';
import { HllRegisters } from '../../../../shared/compute/measures/hll-registers.ts';
import { Random } from '../../../../workload/random.ts';

const M = 4096;

/** The registers as plain dense bytes: the reference. */
function reference(packed: readonly number[]): number[] {
  const r = new Array<number>(M).fill(0);
  for (const p of packed) r[p >>> 6] = Math.max(r[p >>> 6], p & 63);
  return r;
}

function registersOf(h: HllRegisters): number[] {
  const r = new Array<number>(M).fill(0);
  let last = -1;
  h.forEach((register, rank) => {
    expect(register).toBeGreaterThan(last);
    last = register;
    r[register] = rank;
  });
  return r;
}

function randomPacked(rng: Random, n: number): number[] {
  return Array.from({ length: n }, () => rng.int(0, M - 1) * 64 + rng.int(1, 53));
}

describe('HllRegisters', () => {
  it('hold the register-wise max of what was raised, sparse or dense', () => {
    const rng = new Random(31);
    for (const n of [0, 1, 5, 100, 511, 512, 513, 600, 5_000, 50_000]) {
      const packed = randomPacked(rng, n);
      const h = new HllRegisters(M);
      for (const p of packed) h.raise(p);
      expect(registersOf(h), `n = ${n}`).toEqual(reference(packed));
    }
  });

  it('stay sparse up to m / 8 registers in use and turn dense past that', () => {
    const h = new HllRegisters(M);
    for (let register = 0; register < M / 8; register++) h.raise(register * 64 + 1);
    expect(h.dense).toBeNull();
    h.raise(0 * 64 + 9); // a register already in use: still sparse
    expect(h.dense).toBeNull();
    h.raise((M / 8) * 64 + 1);
    expect(h.dense).not.toBeNull();
  });

  it('merge sparse and dense sketches in every combination to the register-wise max', () => {
    const rng = new Random(32);
    for (const [na, nb] of [
      [10, 20],
      [10, 3_000],
      [3_000, 10],
      [3_000, 4_000],
      [400, 400],
    ]) {
      const pa = randomPacked(rng, na);
      const pb = randomPacked(rng, nb);
      const a = new HllRegisters(M);
      const b = new HllRegisters(M);
      for (const p of pa) a.raise(p);
      for (const p of pb) b.raise(p);
      a.raiseAll(b);
      expect(registersOf(a), `${na} + ${nb}`).toEqual(reference([...pa, ...pb]));
      expect(registersOf(b), `${nb} unchanged`).toEqual(reference(pb));
    }
  });
});
