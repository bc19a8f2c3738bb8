import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import type { Writable } from 'node:stream';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stopProcess } from '../infra/local/local-process.ts';
import { LkError } from '../shared/errors.ts';

const CLI = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
const TAIL_LINES = 40;

/** An `lk <command>` child process (as an operator would run `lk speed` or `lk serve`), with its output kept for errors. */
export class LkProcess {
  readonly #child: ChildProcess;
  readonly #name: string;
  readonly #tail: string[] = [];
  readonly #waiters = new Set<{ re: RegExp; resolve: (m: RegExpExecArray) => void }>();
  readonly #exited: Promise<number | null>;

  /**
   * Starts `lk <args>` on this Node (which runs TypeScript natively) with `env`; `stdin: 'pipe'`
   * lets the caller feed it (see `stdin`); `cli`: another build's cli/main.ts; `nice`: its CPU
   * priority (0 normal, 19 lowest).
   */
  constructor(args: readonly string[], env: Readonly<Record<string, string | undefined>>, options: { readonly stdin?: 'ignore' | 'pipe'; readonly cli?: string; readonly nice?: number } = {}) {
    this.#name = `lk ${args.join(' ')}`;
    this.#child = spawn(process.execPath, [options.cli ?? CLI, ...args], { env: { ...env } as NodeJS.ProcessEnv, stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'] });
    if (options.nice !== undefined && this.#child.pid !== undefined) setPriority(this.#child.pid, options.nice);
    this.#exited = new Promise((resolve) => this.#child.once('exit', (code) => resolve(code)));
    // Writing to a process that exited fails with EPIPE; its exit code and output tell why.
    this.#child.stdin?.on('error', () => undefined);
    for (const stream of [this.#child.stdout!, this.#child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => this.#line(line));
    }
  }

  /** Resolves with the first output line matching `re` (from now on); rejects if the process exits or `timeoutMs` passes first. */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const waiter = { re, resolve: (m: RegExpExecArray) => settle(() => resolve(m)) };
      const timer = setTimeout(() => settle(() => reject(new LkError(`${this.#name} printed no line matching ${re} within ${timeoutMs} ms; its output ends with:\n${this.tail()}`))), timeoutMs);
      const settle = (fn: () => void) => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        fn();
      };
      this.#waiters.add(waiter);
      void this.#exited.then((code) => settle(() => reject(new LkError(`${this.#name} exited (code ${code}) before printing a line matching ${re}; its output ends with:\n${this.tail()}`))));
    });
  }

  /** Stops it as Ctrl-C would (lk stops cleanly on SIGTERM too); resolves with its exit code. */
  async stop(): Promise<number | null> {
    await stopProcess(this.#child);
    return this.#exited;
  }

  /** Sends `signal` (SIGKILL: a crash) and resolves with the exit code (null when a signal ended it). */
  async kill(signal: NodeJS.Signals): Promise<number | null> {
    if (this.running) this.#child.kill(signal);
    return this.#exited;
  }

  /** Resolves with the exit code once it exited (null when a signal ended it). */
  get exited(): Promise<number | null> {
    return this.#exited;
  }

  /** Its standard input, when started with `stdin: 'pipe'`. */
  get stdin(): Writable {
    if (!this.#child.stdin) throw new LkError(`${this.#name} was started without stdin: 'pipe'`);
    return this.#child.stdin;
  }

  /** Whether it is still running. */
  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /**
   * CPU seconds (user + system) it has used so far, from /proc (Linux; undefined elsewhere or once
   * it exited). Clock ticks are 100 per second on every Linux this runs on (USER_HZ).
   */
  async cpuSeconds(): Promise<number | undefined> {
    try {
      const stat = await readFile(`/proc/${this.#child.pid}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return undefined;
    }
  }

  /**
   * Its resident set size now and at its peak (VmRSS, VmHWM), in KiB, from /proc (Linux; undefined
   * elsewhere or once it exited).
   */
  async memoryKb(): Promise<{ readonly rss: number; readonly peak: number } | undefined> {
    try {
      const status = await readFile(`/proc/${this.#child.pid}/status`, 'utf8');
      const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
      return { rss: field('VmRSS'), peak: field('VmHWM') };
    } catch {
      return undefined;
    }
  }

  /** Its last output lines. */
  tail(): string {
    return this.#tail.join('\n') || '(no output)';
  }

  #line(line: string): void {
    this.#tail.push(line);
    if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    for (const w of this.#waiters) {
      const m = w.re.exec(line);
      if (m) w.resolve(m);
    }
  }
}
