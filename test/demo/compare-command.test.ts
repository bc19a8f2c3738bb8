import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCommandArgs, type CommandEnv } from '../../cli/command.ts';
import { compareCommand } from '../../cli/commands/compare-command.ts';
import { BadRequestError, ConfigError } from '../../shared/errors.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lk-compare-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function compare(...args: string[]) {
  const out: string[] = [];
  const env: CommandEnv = { out: (l) => out.push(l), err: () => undefined, signal: new AbortController().signal };
  const code = await compareCommand.run(parseCommandArgs(compareCommand, ['--data-dir', join(dir, 'data'), '--speedup', '0', ...args]), env);
  return { code, out: out.join('\n') };
}

describe('lk compare', () => {
  it('plays a file on the playback clock: an event older than the allowed lateness behind the clock is too late', async () => {
    const input = join(dir, 'events.jsonl');
    const t = Date.UTC(2026, 0, 1, 10);
    const ev = (id: string, at: number) => JSON.stringify({ event_id: id, event_type: 'page_view', user_id: 'u1', product_id: 'p1', event_time: new Date(at).toISOString() });
    // 20 minutes of one event a minute, then one dated 10 minutes back: the clock is at 10:19 when it comes.
    const lines = [...Array.from({ length: 20 }, (_, i) => ev(`e${i}`, t + i * 60_000)), ev('late', t + 9 * 60_000 + 30_000)];
    await writeFile(input, `${lines.join('\n')}\n`);
    const r = await compare('--input', input, '--json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.events.source).toBe('read');
    expect(json.events.tooLate).toBe(1);
    expect(json.ledger.reconciled).toBe(true);
    expect(json.ledger.totals.tooLate + json.ledger.totals.absorbed).toBe(1);
    expect(json.timeline.simStart).toBe(new Date(t).toISOString());
  }, 60_000);

  it('needs exactly one of --input and --topic, and --topic a log that is there', async () => {
    await expect(compare()).rejects.toBeInstanceOf(BadRequestError);
    await expect(compare('--input', 'a', '--topic', 'b')).rejects.toBeInstanceOf(BadRequestError);
    // No embedded log in the data dir: nothing to read the topic from.
    await expect(compare('--topic', 'recorded')).rejects.toBeInstanceOf(ConfigError);
  });
});
