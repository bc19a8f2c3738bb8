import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { LkError } from '../../../shared/errors.ts';

/**
 * A server process that outlives the command that started it: its own session (no terminal, no
 * signals from the parent's), output to a log file, its pid in a pid file. Later commands find it
 * by the pid file (livePid); the pid is trusted only while that process's command line still
 * names a path of the service's own, so a pid the OS gave to another process meanwhile is never
 * signalled.
 */
export interface DetachedSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly logFile: string;
  readonly pidFile: string;
}

/** What spawning came to: the pid, or the spawn error (e.g. ENOENT for a missing java). */
export interface Detached {
  readonly pid: number;
  /** Resolves when the process exits while this command still runs (start-up failures). */
  readonly exited: Promise<string>;
}

/** Starts the process detached and writes its pid file; rejects with the spawn error (ENOENT when the command is missing). */
export async function spawnDetached(spec: DetachedSpec): Promise<Detached> {
  const fd = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, [...spec.args], { detached: true, stdio: ['ignore', fd, fd], env: spec.env ?? process.env });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid!));
      child.once('error', reject);
    });
    // Later errors (a failed kill) are seen through the pid file; they must not end this process.
    child.on('error', () => undefined);
    const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(`exited with ${code ?? signal}`)));
    // The command may end while the server runs on.
    child.unref();
    await writeFile(spec.pidFile, `${pid}\n`);
    return { pid, exited };
  } finally {
    closeSync(fd);
  }
}

/** The pid in `pidFile` when that process is alive and its command line names `marker`; else undefined. */
export async function livePid(pidFile: string, marker: string): Promise<number | undefined> {
  const text = await readFile(pidFile, 'utf8').catch(() => '');
  const pid = Number(text.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return (await isOurs(pid, marker)) ? pid : undefined;
}

/**
 * Stops the process: SIGTERM (a JVM shuts down cleanly on it), then SIGKILL if it is still there
 * after `graceMs`; resolves once it is gone, and removes the pid file. 'killed' means it had to be.
 */
export async function stopDetached(pid: number, pidFile: string, graceMs: number): Promise<'stopped' | 'killed'> {
  signal(pid, 'SIGTERM');
  let outcome: 'stopped' | 'killed' = 'stopped';
  const deadline = Date.now() + graceMs;
  while (alive(pid)) {
    if (Date.now() > deadline && outcome === 'stopped') {
      signal(pid, 'SIGKILL');
      outcome = 'killed';
    }
    if (Date.now() > deadline + 10_000) throw new LkError(`process ${pid} did not exit even after SIGKILL`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await rm(pidFile, { force: true });
  return outcome;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Alive and not a zombie (a dead child its parent has not reaped yet is still signalable). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const state = procState(pid);
  return state !== 'Z' && state !== 'X';
}

function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the command name, which is in parentheses and may contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) || undefined;
  } catch {
    return undefined;
  }
}

async function isOurs(pid: number, marker: string): Promise<boolean> {
  if (!alive(pid)) return false;
  // Without /proc (macOS) the pid file alone has to do.
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return cmdline === undefined ? true : cmdline.includes(marker);
}
