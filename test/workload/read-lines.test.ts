import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadRequestError } from '../../shared/errors.ts';
import { encodeByteText } from '../../shared/model/byte-text.ts';
import { validateRecord } from '../support/ecommerce.ts';
import { readLines } from '../../workload/read-lines.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lk-lines-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of it) out.push(line);
  return out;
}

describe('readLines', () => {
  it('reads a file line by line: CRLF, a byte-order mark, empty lines and a last line without newline', async () => {
    const file = join(dir, 'mixed.jsonl');
    await writeFile(file, '\ufeff{"a":1}\r\n\r\n{"b":2}\n{"c":3}');
    expect(await collect(readLines(file))).toEqual(['{"a":1}', '', '{"b":2}', '{"c":3}']);
  });

  it('ends a line at \\n only: a bare \\r stays inside its record, which is then judged whole', async () => {
    const file = join(dir, 'bare-cr.jsonl');
    const event = (productId: string) => `{"event_id":"e1","event_type":"page_view","user_id":"u1","product_id":"${productId}","event_time":"2026-01-01T10:00:00Z"}`;
    // A \r between JSON tokens is whitespace (valid); a raw \r inside a string is not JSON (dead-lettered).
    const between = event('p1').replace(',"user_id"', ',\r"user_id"');
    const inside = event('p\r1');
    await writeFile(file, `${between}\n${inside}\r\n{"last":1}\r`);
    const lines = await collect(readLines(file));
    expect(lines).toEqual([between, inside, '{"last":1}']);
    expect(validateRecord(lines[0], Date.parse('2026-01-01T10:00:00Z')).ok).toBe(true);
    const verdict = validateRecord(lines[1], Date.parse('2026-01-01T10:00:00Z'));
    expect(verdict.ok ? undefined : verdict.rejection.code).toBe('malformed_json');
  });

  it('keeps only the first maxLineChars of a line, skipping the rest as it streams', async () => {
    const stdin = Readable.from([Buffer.from('ab'), Buffer.from('cdefgh'), Buffer.from('ij\nxyz\n1234'), Buffer.from('56')]);
    expect(await collect(readLines('-', stdin, { maxLineChars: 4 }))).toEqual(['abcd', 'xyz', '1234']);
  });

  it('joins a line split across chunks, multi-byte characters included', async () => {
    const bytes = Buffer.from('{"p":"caf\u00e9 \u{1F600}"}\n{"q":2}', 'utf8');
    const stdin = Readable.from(Array.from(bytes, (b) => Buffer.from([b])));
    expect(await collect(readLines('-', stdin))).toEqual(['{"p":"caf\u00e9 \u{1F600}"}', '{"q":2}']);
  });

  it('reads stdin for -', async () => {
    const stdin = Readable.from(['{"x":1}\n{"y"', ':2}\n']);
    expect(await collect(readLines('-', stdin))).toEqual(['{"x":1}', '{"y":2}']);
  });

  it('streams a large file in order', async () => {
    const file = join(dir, 'large.jsonl');
    const n = 200_000;
    await writeFile(file, Array.from({ length: n }, (_, i) => `{"i":${i}}`).join('\n'));
    let count = 0;
    for await (const line of readLines(file)) {
      expect(line).toBe(`{"i":${count}}`);
      count++;
    }
    expect(count).toBe(n);
  });

  it('keeps bytes that are not UTF-8 (as U+DC80-U+DCFF), never U+FFFD', async () => {
    const file = join(dir, 'invalid.jsonl');
    await writeFile(file, Buffer.concat([Buffer.from('{"product_id":"p-'), Buffer.of(0xff), Buffer.from('"}\n{"product_id":"p-'), Buffer.of(0xfe), Buffer.from('"}\n')]));
    const lines = await collect(readLines(file));
    expect(lines).toEqual(['{"product_id":"p-\udcff"}', '{"product_id":"p-\udcfe"}']);
    expect(encodeByteText(lines[0]).includes(0xff)).toBe(true);
  });

  it('decodes a character split between two chunks of stdin', async () => {
    const euro = Buffer.from('€', 'utf8');
    const stdin = Readable.from([Buffer.concat([Buffer.from('{"p":"'), euro.subarray(0, 2)]), Buffer.concat([euro.subarray(2), Buffer.from('"}\n')])]);
    expect(await collect(readLines('-', stdin))).toEqual(['{"p":"€"}']);
  });

  it.each([
    ['a missing file', () => join(dir, 'nope.jsonl'), 'ENOENT'],
    ['a directory', () => dir, 'EISDIR'],
  ])('says it cannot read %s, and what to give instead', async (_, path, code) => {
    const err = await collect(readLines(path())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toContain(path());
    expect((err as Error).message).toContain(code);
    expect((err as Error).message).toContain('- for stdin');
  });
});
