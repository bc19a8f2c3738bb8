import { isUtf8 } from 'node:buffer';

/**
 * Byte text: lossless text from bytes that should be UTF-8, as Python's 'surrogateescape'.
 *
 * Valid UTF-8 decodes as usual; each byte that is not part of a valid sequence (0x80-0xFF)
 * becomes the lone surrogate U+DC80-U+DCFF, which no valid UTF-8 can produce. So a record with
 * invalid bytes is detectable after decoding (its text is not well-formed, see `isWellFormed`),
 * two byte strings never decode to the same text, and `encodeByteText` gives the original bytes
 * back (a dead-letter record keeps them). Decoding with replacement (U+FFFD) would do none of it.
 *
 * Every adapter that turns bytes into log record keys or values, or writes them as bytes, uses
 * this file, and nothing else decodes them.
 */

/** First code unit of the escapes: byte b (0x80-0xFF) decodes to ESCAPE_BASE + b. */
const ESCAPE_BASE = 0xdc00;

/** Decodes bytes[start, end) losslessly (invalid bytes become U+DC80-U+DCFF). */
export function decodeByteText(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Fast path (native, SIMD): nearly all input is valid.
  if (isUtf8(buf.subarray(start, end))) return buf.toString('utf8', start, end);
  let out = '';
  let run = start;
  let i = start;
  while (i < end) {
    const n = validSequenceLength(buf, i, end);
    if (n > 0) {
      i += n;
      continue;
    }
    if (run < i) out += buf.toString('utf8', run, i);
    out += String.fromCharCode(ESCAPE_BASE + buf[i]);
    i += 1;
    run = i;
  }
  if (run < end) out += buf.toString('utf8', run, end);
  return out;
}

/**
 * Encodes text to bytes, the inverse of `decodeByteText`: U+DC80-U+DCFF alone become the bytes
 * they stand for. Any other lone surrogate (text no decoding produced, e.g. a string cut inside a
 * pair) is written in the generalised UTF-8 form (ED xx xx): invalid UTF-8, so it stays detectable
 * when read back. Well-formed text encodes exactly as UTF-8.
 */
export function encodeByteText(text: string): Buffer {
  if (text.isWellFormed()) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i += 1; // a pair: ordinary UTF-8
        continue;
      }
    }
    if (run < i) parts.push(Buffer.from(text.slice(run, i), 'utf8'));
    parts.push(c >= 0xdc80 && c <= 0xdcff ? Buffer.of(c - ESCAPE_BASE) : Buffer.of(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)));
    run = i + 1;
  }
  if (run < text.length) parts.push(Buffer.from(text.slice(run), 'utf8'));
  return Buffer.concat(parts);
}

/** Byte length of `encodeByteText(text)` without building it. */
export function byteTextLength(text: string): number {
  if (text.isWellFormed()) return Buffer.byteLength(text, 'utf8');
  return encodeByteText(text).length;
}

/**
 * A streaming `decodeByteText`: chunks may split a UTF-8 sequence anywhere, and the text of all
 * `write`s plus `end` equals decoding the concatenated bytes at once.
 */
export class ByteTextDecoder {
  /** Up to 3 bytes at the end of the last chunk that begin a valid sequence still missing bytes. */
  #pending: Buffer = Buffer.alloc(0);

  /** Decodes a chunk, holding back an incomplete sequence at its end for the next one. */
  write(chunk: Uint8Array): string {
    const buf = this.#pending.length === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([this.#pending, chunk]);
    const cut = incompleteTailStart(buf);
    this.#pending = Buffer.from(buf.subarray(cut));
    return decodeByteText(buf, 0, cut);
  }

  /** The text of bytes still held back (each an escape, since no more bytes will complete them). */
  end(): string {
    const rest = this.#pending;
    this.#pending = Buffer.alloc(0);
    return decodeByteText(rest);
  }
}

/** Where a valid but truncated sequence starts at the end of `buf`, or buf.length when there is none. */
function incompleteTailStart(buf: Buffer): number {
  const end = buf.length;
  for (let k = 1; k <= 3 && k <= end; k++) {
    const b = buf[end - k];
    if (b >= 0x80 && b <= 0xbf) continue; // a continuation byte: look further back for its lead
    const need = sequenceLength(b);
    // Only a prefix the next bytes could complete is held; anything else is decided now.
    return need > k && validPrefix(buf, end - k, end) ? end - k : end;
  }
  return end;
}

/** Length of the sequence a lead byte starts (0 when it cannot start one). */
function sequenceLength(b: number): number {
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

/** The allowed range of the second byte after a lead byte (Unicode Table 3-7, well-formed sequences). */
function secondByteOk(lead: number, b: number): boolean {
  if (lead === 0xe0) return b >= 0xa0 && b <= 0xbf;
  if (lead === 0xed) return b >= 0x80 && b <= 0x9f; // no encoded surrogates
  if (lead === 0xf0) return b >= 0x90 && b <= 0xbf;
  if (lead === 0xf4) return b >= 0x80 && b <= 0x8f;
  return b >= 0x80 && b <= 0xbf;
}

/** Whether buf[start, end) is the beginning of a well-formed sequence. */
function validPrefix(buf: Buffer, start: number, end: number): boolean {
  const lead = buf[start];
  for (let j = start + 1; j < end; j++) {
    const b = buf[j];
    if (j === start + 1 ? !secondByteOk(lead, b) : b < 0x80 || b > 0xbf) return false;
  }
  return true;
}

/** Length of the well-formed UTF-8 sequence at buf[i], or 0 when none starts there before `end`. */
function validSequenceLength(buf: Buffer, i: number, end: number): number {
  const n = sequenceLength(buf[i]);
  if (n === 0 || i + n > end) return 0;
  return validPrefix(buf, i, i + n) ? n : 0;
}
