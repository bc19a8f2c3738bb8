import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { livePid, spawnDetached, stopDetached } from '../../../../infra/local/services/detached-process.ts';
import { waitFor } from '../../../support/wait-for.ts';

/** A node process that stays up until signalled; `ignoreTerm` makes it shrug off SIGTERM as a hung server would. */
function server(marker: string, ignoreTerm: boolean): { command: string; args: string[] } {
  // 'ready' once the handler is in place: a SIGTERM before that would end it anyway.
  const script = `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} console.log('ready'); setInterval(() => {}, 1000);`;
  return { command: process.execPath, args: ['-e', script, marker] };
}

describe('detached processes', () => {
  const dirs: string[] = [];
  const pids: number[] = [];
  afterEach(async () => {
    for (const pid of pids.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  async function start(ignoreTerm: boolean) {
    const dir = await mkdtemp(join(tmpdir(), 'lk-detached-'));
    dirs.push(dir);
    const marker = `lk-test-${randomBytes(6).toString('hex')}`;
    const pidFile = join(dir, 'server.pid');
    const logFile = join(dir, 'server.log');
    const child = await spawnDetached({ ...server(marker, ignoreTerm), logFile, pidFile });
    pids.push(child.pid);
    await waitFor(async () => (await readFile(logFile, 'utf8')).includes('ready'), { timeoutMs: 30_000, message: 'the test server never said ready' });
    return { ...child, marker, pidFile };
  }

  it('finds the process by its pid file only while its command line names the marker', async () => {
    const s = await start(false);
    expect(Number((await readFile(s.pidFile, 'utf8')).trim())).toBe(s.pid);
    expect(await livePid(s.pidFile, s.marker)).toBe(s.pid);
    // The same pid under another marker is someone else's process: never to be signalled.
    expect(await livePid(s.pidFile, 'lk-test-another-service')).toBeUndefined();
  });

  it('stops with SIGTERM, and removes the pid file', async () => {
    const s = await start(false);
    expect(await stopDetached(s.pid, s.pidFile, 10_000)).toBe('stopped');
    expect(await livePid(s.pidFile, s.marker)).toBeUndefined();
    await expect(readFile(s.pidFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('kills what ignores SIGTERM once the grace period is over', async () => {
    const s = await start(true);
    expect(await stopDetached(s.pid, s.pidFile, 300)).toBe('killed');
    expect(await s.exited).toMatch(/SIGKILL/);
  });
});
