import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const dirs: string[] = [];

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** Runs `lk <args>` to its end with `env` added; resolves with its exit code and stderr. */
function lk(args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['cli/main.ts', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

// PostgreSQL chosen as the view store, with a URL that cannot be one: only a command that opens the view store may fail on it.
const BAD_VIEW_STORE = { LK_VIEW_STORE: 'postgres', DATABASE_URL: 'mysql://nobody@localhost/nothing' };

describe('settings of the ports a command opens', () => {
  it('lk ingest never opens the view store, so a bad DATABASE_URL does not stop it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lk-port-config-'));
    dirs.push(dataDir);
    const input = join(dataDir, 'in.jsonl');
    await writeFile(input, '{"user_id":"u1"}\n{"user_id":"u2"}\n');
    const { code, stderr } = await lk(['ingest', '--input', input], { ...BAD_VIEW_STORE, LK_DATA_DIR: dataDir });
    expect(stderr).toContain('2 records appended');
    expect(code).toBe(0);
  });

  it('lk speed opens it, so it fails at start, naming the setting, before touching the log', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lk-port-config-'));
    dirs.push(dataDir);
    const { code, stderr } = await lk(['speed'], { ...BAD_VIEW_STORE, LK_DATA_DIR: dataDir });
    expect(code).toBe(2);
    expect(stderr).toContain('DATABASE_URL must start with postgres://');
    expect(await readdir(dataDir)).toEqual([]);
  });
});
