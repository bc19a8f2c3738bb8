import { createReadStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { BadRequestError } from '../shared/errors.ts';
import { ByteTextDecoder } from '../shared/model/byte-text.ts';

/**
 * Streams the lines of a file, or of stdin for '-', one at a time: a file of any size is never
 * loaded whole. CRLF line ends and a leading UTF-8 byte-order mark are removed; a last line
 * without a newline still counts. Bytes decode losslessly (byte-text.ts): a line that is not UTF-8
 * keeps its bytes, and the layers dead-letter it as invalid_utf8 instead of accepting U+FFFD.
 */
export async function* readLines(source: string, stdin: Readable = process.stdin): AsyncGenerator<string> {
  let bytes: Readable;
  if (source === '-') {
    bytes = stdin;
  } else {
    try {
      await access(source, constants.R_OK);
    } catch (err) {
      throw unreadable(source, err);
    }
    bytes = createReadStream(source);
  }
  const input = Readable.from(decodeChunks(bytes));
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let first = true;
  try {
    for await (const line of lines) {
      if (first) {
        first = false;
        yield line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
      } else yield line;
    }
  } catch (err) {
    // Read errors (a directory, an I/O error) surface here, after the file opened.
    throw (err as NodeJS.ErrnoException).code ? unreadable(source, err) : err;
  } finally {
    lines.close();
    input.destroy();
    if (bytes !== stdin) bytes.destroy();
  }
}

/** The text of a byte stream, decoded losslessly across chunk boundaries. */
async function* decodeChunks(bytes: Readable): AsyncGenerator<string> {
  const decoder = new ByteTextDecoder();
  for await (const chunk of bytes) {
    const text = decoder.write(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer));
    if (text !== '') yield text;
  }
  const rest = decoder.end();
  if (rest !== '') yield rest;
}

function unreadable(source: string, err: unknown): BadRequestError {
  const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return new BadRequestError('file', `cannot read ${source} (${reason}); give a JSON-lines file or - for stdin`);
}
