import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCommandArgs, type CommandEnv } from '../../cli/command.ts';
import { demoCommand } from '../../cli/commands/demo-command.ts';
import { BadRequestError, ConfigError } from '../../shared/errors.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lk-demo-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `lk demo` on the embedded services in a temporary data dir; returns what it printed. */
async function demo(...args: string[]) {
  const out: string[] = [];
  const env: CommandEnv = { out: (l) => out.push(l), err: () => undefined, signal: new AbortController().signal };
  const code = await demoCommand.run(parseCommandArgs(demoCommand, ['--data-dir', join(dir, 'data'), '--speedup', '0', ...args]), env);
  return { code, out: out.join('\n') };
}

describe('lk demo', () => {
  it('prints no URL or curl hint for the server it has stopped (text and --json)', async () => {
    const text = await demo('--events', '300', '--span-minutes', '30');
    expect(text.code).toBe(0);
    // The timeline adds its probe events (one every 5 simulated minutes): counted apart from the workload's records.
    expect(text.out).toMatch(/Events: 300 generated \+ [1-9] probes = /);
    expect(text.out).not.toContain('curl');
    expect(text.out).not.toContain('http://');
    const json = await demo('--events', '300', '--span-minutes', '30', '--json');
    expect(JSON.parse(json.out)).not.toHaveProperty('url');
  }, 60_000);

  it('--keep-serving suggests a view of the pipeline it runs (a global one: it answers without a key)', async () => {
    const out: string[] = [];
    const abort = new AbortController();
    // Stops the server once the command waits for Ctrl-C (it says so on stderr).
    const env: CommandEnv = { out: (l) => out.push(l), err: (l) => void (l.startsWith('serving at') && setTimeout(() => abort.abort(), 10)), signal: abort.signal };
    const args = ['--data-dir', join(dir, 'data'), '--speedup', '0', '--events', '300', '--span-minutes', '30', '--keep-serving', '--pipeline', 'examples/payments/pipeline.ts'];
    expect(await demoCommand.run(parseCommandArgs(demoCommand, args), env)).toBe(0);
    expect(out.join('\n')).toMatch(/curl 'http:\/\/[^']+\/v1\/views\/top_merchants\?mode=lambda/);
  }, 60_000);

  it('says "read" for --input records', async () => {
    const input = join(dir, 'events.jsonl');
    const t = Date.now() - 600_000;
    const lines = [0, 1, 2].map((i) => JSON.stringify({ event_id: `e${i}`, event_type: 'page_view', user_id: 'u1', product_id: 'p1', event_time: t + i * 1000 }));
    await writeFile(input, `${lines.join('\n')}\n`);
    const r = await demo('--input', input);
    expect(r.out).toContain('3 read = 3 valid');
    expect(r.out).not.toContain(' probes = ');
    expect(r.out).not.toContain('generated');
  }, 60_000);

  it('says the input had no valid record, instead of "no batch view is published yet"', async () => {
    const input = join(dir, 'bad.jsonl');
    await writeFile(input, 'not json\n{"event_id":"e1"}\n');
    const err = await demo('--input', input).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toContain('the input had no valid record (2 read, 2 invalid');
    expect((err as Error).message).not.toContain('batch view');
  }, 60_000);
});

describe('lk demo data dir', () => {
  it('refuses to clear a non-empty directory it did not make, and clears only its own', async () => {
    const data = join(dir, 'data');
    await mkdir(data);
    await writeFile(join(data, 'thesis.txt'), 'unrelated');
    const err = await demo('--events', '100').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('--keep-data');
    expect(await readFile(join(data, 'thesis.txt'), 'utf8')).toBe('unrelated');

    await rm(data, { recursive: true });
    expect((await demo('--events', '100')).code).toBe(0);
    await writeFile(join(data, 'left-by-the-demo-run'), '');
    expect((await demo('--events', '100')).code).toBe(0);
    expect(await readdir(data)).not.toContain('left-by-the-demo-run');
  }, 60_000);
});
