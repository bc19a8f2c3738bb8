/**
 * Progress on long work: one line rewritten in place on a terminal, throttled lines otherwise
 * (CI logs), always on stderr so --json output on stdout stays clean.
 */
export class Progress {
  readonly #tty = Boolean(process.stderr.isTTY);
  readonly #minIntervalMs: number;
  #last = 0;
  #pending = false;

  constructor(options: { minIntervalMs?: number } = {}) {
    this.#minIntervalMs = options.minIntervalMs ?? (this.#tty ? 100 : 2_000);
  }

  /** Shows a progress line (throttled). */
  update(line: string): void {
    const now = Date.now();
    if (now - this.#last < this.#minIntervalMs) return;
    this.#last = now;
    if (this.#tty) {
      process.stderr.write(`\r\x1b[2K${line}`);
      this.#pending = true;
    } else process.stderr.write(`${line}\n`);
  }

  /** Prints a step's final line (never throttled). */
  done(line: string): void {
    if (this.#tty && this.#pending) process.stderr.write('\r\x1b[2K');
    this.#pending = false;
    this.#last = 0;
    process.stderr.write(`${line}\n`);
  }
}

/** 1234567 -> "1,234,567". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
