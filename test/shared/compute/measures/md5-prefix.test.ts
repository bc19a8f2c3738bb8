import { hash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { md5High, md5Low } from '../../../../shared/compute/measures/md5-prefix.ts';
import { Random } from '../../../../workload/random.ts';

describe('md5High / md5Low, the first 64 bits of MD5', () => {
  it('match the RFC 1321 test suite', () => {
    // Digests from RFC 1321, appendix A.5: the first 16 hex digits.
    const vectors: [string, string][] = [
      ['', 'd41d8cd98f00b204'],
      ['a', '0cc175b9c0f1b6a8'],
      ['abc', '900150983cd24fb0'],
      ['message digest', 'f96b697d7cb7938d'],
      ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e400'],
      ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', '57edf4a22be3c955'],
    ];
    for (const [s, hex] of vectors) {
      const hi = md5High(s);
      expect(hi.toString(16).padStart(8, '0') + md5Low().toString(16).padStart(8, '0'), JSON.stringify(s)).toBe(hex);
    }
  });

  it("equal node:crypto's MD5 of the UTF-8 bytes for random strings of every length and script", () => {
    const rng = new Random(21);
    const odd = ['é', '✓', '中', '😀', '\ud800', '\udc00', '\u0000', '\u07ff', '\u0800', '\uffff'];
    for (let i = 0; i < 20_000; i++) {
      // Lengths around the block boundaries (55/56/64 bytes) are covered by the spread.
      const len = rng.int(0, i % 10 === 0 ? 300 : 70);
      let s = '';
      for (let j = 0; j < len; j++) s += rng.chance(0.8) ? String.fromCharCode(rng.int(32, 126)) : rng.pick(odd);
      const d = hash('md5', s, 'buffer');
      expect(md5High(s), JSON.stringify(s)).toBe(d.readUInt32BE(0));
      expect(md5Low(), JSON.stringify(s)).toBe(d.readUInt32BE(4));
    }
  });
});
