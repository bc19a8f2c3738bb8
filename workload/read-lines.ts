import { createReadStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { BadRequestError } from '../shared/errors.ts';

const LF = 0x0a;
const CR = 0x0d;

/** How `readLines` cuts what it holds. */
export interface ReadLinesOptions {
  /**
   * Bytes of a line kept (default: all). The rest of a longer line is skipped as it streams by,
   * so one endless line cannot fill memory: the line is yielded with its first maxLineBytes.
   */
  readonly maxLineBytes?: number;
}

/**
 * Streams the lines of a file, or of stdin for '-', one at a time: a file of any size is never
 * loaded whole, and the next chunk is read only when the caller asks for the next line (stream
 * backpressure). Only `\n` ends a line (with a `\r` before it dropped: CRLF files); a bare `\r`
 * is part of the line, as JSON lines define it, so the record is judged whole rather than split
 * in two. A leading UTF-8 byte-order mark is removed; a last line without a newline still counts.
 */
export async function* readLines(source: string, stdin: Readable = process.stdin, options: ReadLinesOptions = {}): AsyncGenerator<string> {
  const maxLineBytes = options.maxLineBytes ?? Number.POSITIVE_INFINITY;
  let input: Readable;
  if (source === '-') input = stdin;
  else {
    try {
      await access(source, constants.R_OK);
    } catch (err) {
      throw unreadable(source, err);
    }
    input = createReadStream(source);
  }
  // The start of a line whose end is in a later chunk, at most maxLineBytes of it.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let first = true;
  const text = (parts: readonly Buffer[]): string => {
    let buf = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    if (buf.length > 0 && buf[buf.length - 1] === CR) buf = buf.subarray(0, buf.length - 1);
    let line = buf.toString('utf8');
    if (first) {
      first = false;
      if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    }
    return line;
  };
  const keep = (part: Buffer) => {
    const room = maxLineBytes - pendingBytes;
    if (room <= 0) return;
    // A copy: a slice would pin the whole (64 KiB) chunk for as long as the line is pending.
    const kept = Buffer.from(part.length > room ? part.subarray(0, room) : part);
    pending.push(kept);
    pendingBytes += kept.length;
  };
  try {
    for await (const raw of input) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : (raw as Buffer);
      let start = 0;
      for (let nl = chunk.indexOf(LF, start); nl !== -1; nl = chunk.indexOf(LF, start)) {
        const end = Math.min(nl, start + Math.max(0, maxLineBytes - pendingBytes));
        const part = chunk.subarray(start, end);
        if (pending.length === 0) yield text([part]);
        else {
          pending.push(part);
          yield text(pending);
          pending = [];
          pendingBytes = 0;
        }
        start = nl + 1;
      }
      if (start < chunk.length) keep(chunk.subarray(start));
    }
    if (pending.length > 0) yield text(pending);
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
