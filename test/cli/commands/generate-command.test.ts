import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCommandArgs, type CommandEnv } from '../../../cli/command.ts';
import { generateCommand } from '../../../cli/commands/generate-command.ts';
import { BadRequestError } from '../../../shared/errors.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lk-generate-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `lk generate` into a file; returns its lines. */
async function generate(...args: string[]): Promise<string[]> {
  const env: CommandEnv = { out: () => undefined, err: () => undefined, signal: new AbortController().signal };
  const output = join(dir, 'out.jsonl');
  expect(await generateCommand.run(parseCommandArgs(generateCommand, ['--events', '2000', '--end', '2026-01-01T12:00:00Z', '--output', output, ...args]), env)).toBe(0);
  return (await readFile(output, 'utf8')).trimEnd().split('\n');
}

const cardsOf = (lines: readonly string[]) => new Set(lines.flatMap((l) => /"card_id":"(card-\d+)"/.exec(l)?.slice(1) ?? []));

describe('lk generate', () => {
  it("passes --knobs to the pipeline's own generator: cards=7 gives seven cards; the same seed, the same lines", async () => {
    const pipeline = ['--pipeline', 'examples/payments/pipeline.ts'];
    expect(cardsOf(await generate(...pipeline)).size).toBeGreaterThan(500);
    const seven = await generate(...pipeline, '--knobs', 'cards=7, merchants=5');
    expect(cardsOf(seven).size).toBe(7);
    expect(await generate(...pipeline, '--knobs', 'cards=7,merchants=5')).toEqual(seven);
  });

  it('refuses a malformed --knobs, and a shared knob that has an option of its own', async () => {
    await expect(generate('--knobs', 'cards')).rejects.toBeInstanceOf(BadRequestError);
    await expect(generate('--knobs', 'events=5')).rejects.toThrow(/option of its own/);
  });
});
