import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LockHeldError, ProcessLock } from '../../../infra/embedded/process-lock.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function lockPath(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'lk-process-lock-'));
  dirs.push(d);
  return join(d, 'run.lock');
}

describe('ProcessLock', () => {
  it('refuses a second holder, naming the first and what it described of itself, until released', async () => {
    const path = await lockPath();
    const first = await ProcessLock.acquire(path, { command: 'lk run both' });
    await first.describe({ url: 'http://127.0.0.1:1234' });
    const err = await ProcessLock.acquire(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as LockHeldError).holder).toMatchObject({ pid: process.pid, host: hostname(), info: { command: 'lk run both', url: 'http://127.0.0.1:1234' } });
    await first.release();
    const second = await ProcessLock.acquire(path);
    // The first holder no longer holds it: neither describing nor releasing touches the second's lock.
    await first.describe({ url: 'stale' });
    await first.release();
    expect(JSON.parse(await readFile(path, 'utf8')).info).toEqual({});
    await second.release();
  });

  it('takes over a lock left by a process that is gone', async () => {
    const path = await lockPath();
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    await writeFile(path, JSON.stringify({ pid: gone, host: hostname(), owner: 'crashed', info: { command: 'lk run lambda' } }));
    const lock = await ProcessLock.acquire(path);
    expect(JSON.parse(await readFile(path, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });
});
