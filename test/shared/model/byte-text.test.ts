import { describe, expect, it } from 'vitest';
import { ByteTextDecoder, byteTextLength, decodeByteText, encodeByteText } from '../../../shared/model/byte-text.ts';
import { Random } from '../../../workload/random.ts';

/** Random bytes biased towards UTF-8's interesting values (leads, continuations, edges). */
function randomBytes(rng: Random, n: number): Buffer {
  const special = [0x00, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x8f, 0x90];
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = rng.chance(0.5) ? rng.pick(special) : rng.int(0, 255);
  return out;
}

const bytes = (...b: number[]) => Buffer.from(b);

describe('decodeByteText / encodeByteText', () => {
  it('decodes valid UTF-8 as usual, including astral characters', () => {
    const text = 'p-1 é € 😀 日本';
    expect(decodeByteText(Buffer.from(text, 'utf8'))).toBe(text);
    expect(encodeByteText(text)).toEqual(Buffer.from(text, 'utf8'));
  });

  it('turns each invalid byte into U+DC80-U+DCFF, not U+FFFD', () => {
    expect(decodeByteText(bytes(0x70, 0xff))).toBe('p\udcff');
    expect(decodeByteText(bytes(0x70, 0x80))).toBe('p\udc80');
    // A truncated sequence: each of its bytes is escaped.
    expect(decodeByteText(bytes(0xe2, 0x82, 0x41))).toBe('\udce2\udc82A');
    // Encoded surrogates and overlong forms are not valid UTF-8.
    expect(decodeByteText(bytes(0xed, 0xa0, 0x80))).toBe('\udced\udca0\udc80');
    expect(decodeByteText(bytes(0xc0, 0xaf))).toBe('\udcc0\udcaf');
    expect(decodeByteText(bytes(0xf4, 0x90, 0x80, 0x80))).toBe('\udcf4\udc90\udc80\udc80');
  });

  it('keeps two byte strings that differ only in an invalid byte distinct', () => {
    const a = decodeByteText(bytes(0x70, 0x2d, 0xff));
    const b = decodeByteText(bytes(0x70, 0x2d, 0xfe));
    expect(a).not.toBe(b);
    expect(a.isWellFormed()).toBe(false);
  });

  it('round-trips arbitrary bytes', () => {
    const rng = new Random(11);
    for (let t = 0; t < 2_000; t++) {
      const b = randomBytes(rng, rng.int(0, 40));
      const text = decodeByteText(b);
      expect(encodeByteText(text), `bytes ${b.toString('hex')}`).toEqual(b);
      expect(byteTextLength(text)).toBe(b.length);
      // Text is well-formed exactly when the bytes are valid UTF-8.
      expect(text.isWellFormed()).toBe(Buffer.from(text, 'utf8').equals(b));
    }
  });

  it('decodes a sub-range of a buffer', () => {
    const b = bytes(0xff, 0x61, 0xc3, 0xa9, 0xfe);
    expect(decodeByteText(b, 1, 4)).toBe('aé');
    expect(decodeByteText(b, 1, 3)).toBe('a\udcc3');
  });

  it('writes lone surrogates no decoding produces as invalid UTF-8, which reads back as invalid', () => {
    const b = encodeByteText('p-\ud800');
    expect(b).toEqual(bytes(0x70, 0x2d, 0xed, 0xa0, 0x80));
    expect(decodeByteText(b).isWellFormed()).toBe(false);
    expect(encodeByteText('p-\udc00')).not.toEqual(b);
  });
});

describe('ByteTextDecoder', () => {
  it('decodes chunks split anywhere as the whole buffer at once', () => {
    const rng = new Random(12);
    for (let t = 0; t < 1_000; t++) {
      const all = Buffer.concat([randomBytes(rng, rng.int(0, 30)), Buffer.from('é€😀', 'utf8'), randomBytes(rng, rng.int(0, 30))]);
      const decoder = new ByteTextDecoder();
      let text = '';
      let at = 0;
      while (at < all.length) {
        const n = rng.int(1, 5);
        text += decoder.write(all.subarray(at, at + n));
        at += n;
      }
      text += decoder.end();
      expect(text, `bytes ${all.toString('hex')}`).toBe(decodeByteText(all));
    }
  });

  it('holds back a sequence split between chunks', () => {
    const euro = Buffer.from('€', 'utf8');
    const decoder = new ByteTextDecoder();
    expect(decoder.write(euro.subarray(0, 1))).toBe('');
    expect(decoder.write(euro.subarray(1))).toBe('€');
    expect(decoder.write(bytes(0xe2))).toBe('');
    expect(decoder.end()).toBe('\udce2');
  });
});
