import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { relaunchArgs } from '../../cli/launch-flags.ts';

/** Prints, as the process exits, the Node flags and pid it runs with. */
const REPORT_FLAGS = 'data:text/javascript,process.on("exit",()=>process.stderr.write("flags "+JSON.stringify({execArgv:process.execArgv,pid:process.pid})+"\\n"))';

describe('launch flags', () => {
  it('relaunches lk ingest with a capped young generation, keeping the node options it was given', () => {
    expect(relaunchArgs(['ingest', '--input', 'f'], ['--import', 'x.js'], '', '/lk/main.ts')).toEqual(['--import', 'x.js', '--max-semi-space-size=16', '/lk/main.ts', 'ingest', '--input', 'f']);
  });

  it('leaves alone a command without launch flags, a process that has them, and a size the user chose', () => {
    expect(relaunchArgs(['speed'], [], '', 'm.ts')).toBeUndefined();
    expect(relaunchArgs([], [], '', 'm.ts')).toBeUndefined();
    expect(relaunchArgs(['ingest'], ['--max-semi-space-size=16'], '', 'm.ts')).toBeUndefined();
    expect(relaunchArgs(['ingest'], ['--max-semi-space-size=32'], '', 'm.ts')).toBeUndefined();
    expect(relaunchArgs(['ingest'], [], '--max-semi-space-size=2 --enable-source-maps', 'm.ts')).toBeUndefined();
  });

  it('lk ingest runs in the same process, relaunched with the flag', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lk-launch-flags-'));
    try {
      const input = join(dir, 'in.jsonl');
      await writeFile(input, '{"user_id":"u1"}\n');
      const child = spawn(process.execPath, ['--import', REPORT_FLAGS, 'cli/main.ts', 'ingest', '--input', input], { env: { ...process.env, LK_SERVICES: 'embedded', LK_DATA_DIR: dir }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code, stderr).toBe(0);
      const reports = [...stderr.matchAll(/^flags (.*)$/gm)].map((m) => JSON.parse(m[1]) as { execArgv: string[]; pid: number });
      expect(reports).toHaveLength(1);
      expect(reports[0].execArgv).toContain('--max-semi-space-size=16');
      expect(reports[0].pid).toBe(child.pid);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
