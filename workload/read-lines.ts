import { createReadStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { BadRequestError } from '../shared/errors.ts';

/**
 * Streams the lines of a file, or of stdin for '-', one at a time: a file of any size is never
 * loaded whole. CRLF line ends and a leading UTF-8 byte-order mark are removed; a last line
 * without a newline still counts.
 */
export async function* readLines(source: string, stdin: Readable = process.stdin): AsyncGenerator<string> {
  let input: Readable;
  if (source === '-') {
    input = stdin;
    input.setEncoding('utf8');
  } else {
    try {
      await access(source, constants.R_OK);
    } catch (err) {
      throw unreadable(source, err);
    }
    input = createReadStream(source, { encoding: 'utf8' });
  }
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
    if (input !== stdin) input.destroy();
  }
}

function unreadable(source: string, err: unknown): BadRequestError {
  const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return new BadRequestError('file', `cannot read ${source} (${reason}); give a JSON-lines file or - for stdin`);
}
