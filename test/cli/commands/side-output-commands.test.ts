import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../../infra/embedded/embedded-log.ts';
import type { SideOutputEntry } from '../../../cli/side-output-list.ts';
import { waitFor } from '../../support/wait-for.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** Runs `lk <args>` over the embedded services in `dataDir` to its end. */
async function lk(dataDir: string, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['cli/main.ts', ...args], { env: { ...process.env, LK_DATA_DIR: dataDir, LK_PARTITIONS: '2' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}

describe('lk dead-letters and lk late', () => {
  it('list each side record with its reason, source offset and the input file and line it came from', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lk-side-cli-'));
    dirs.push(dataDir);
    const input = join(dataDir, 'events.jsonl');
    expect((await lk(dataDir, ['generate', '--events', '4000', '--seed', '5', '--output', input])).code).toBe(0);
    expect((await lk(dataDir, ['ingest', '--input', input])).code).toBe(0);
    const lines = (await readFile(input, 'utf8')).split('\n');
    const none = await lk(dataDir, ['dead-letters']);
    expect(none.stderr).toContain('events.dead-letter does not exist yet');

    const speed = spawn(process.execPath, ['cli/main.ts', 'speed'], { env: { ...process.env, LK_DATA_DIR: dataDir }, stdio: 'ignore' });
    const log = await EmbeddedLog.open(join(dataDir, 'log'));
    const end = [...(await log.endOffsets('events')).values()].reduce((a, b) => a + b, 0);
    await waitFor(async () => [...(await log.committedOffsets('events', 'lk-speed')).values()].reduce((a, b) => a + b, 0) === end, { timeoutMs: 60_000 });
    await log.close();
    speed.kill('SIGINT');
    await new Promise((resolve) => speed.on('exit', resolve));

    for (const [command, many] of [['dead-letters', 10], ['late', 3]] as const) {
      const r = await lk(dataDir, [command, '--json', '--limit', '100000']);
      expect(r.code, r.stderr).toBe(0);
      const entries = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as SideOutputEntry);
      expect(entries.length).toBeGreaterThanOrEqual(many);
      for (const e of entries) {
        expect(e.ingest?.source).toBe(input);
        // The record is the input line it names (cut to the dead-letter limit).
        expect(lines[e.ingest!.line - 1].startsWith(e.value)).toBe(true);
        expect(e.sourceOffset).not.toBeNull();
        if (command === 'late') expect(e).toMatchObject({ reason: 'too_late', detail: expect.stringMatching(/^event time .*, too late before /) });
      }
      expect(r.stderr).toMatch(new RegExp(`events\\.${command === 'late' ? 'late' : 'dead-letter'}: ${entries.length.toLocaleString('en-US')} records \\(`));
    }
    // --reason keeps one reason, --limit the last N of it.
    const all = await lk(dataDir, ['dead-letters', '--limit', '1']);
    const [, reason, count] = /\(([a-z_]+) (\d+)/.exec(all.stderr)!;
    expect(Number(count)).toBeGreaterThanOrEqual(2);
    const filtered = await lk(dataDir, ['dead-letters', '--reason', reason, '--limit', '2']);
    const shown = filtered.stdout.trim().split('\n').filter((l) => /^\d+@\d+ /.test(l));
    expect(shown.length).toBe(2);
    for (const l of shown) expect(l.startsWith(`${/^\d+@\d+/.exec(l)![0]} ${reason} ${input}:`)).toBe(true);
    expect(filtered.stderr).toContain(`showing 2 with reason ${reason}`);
  });
});
