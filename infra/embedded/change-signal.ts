/**
 * A wake-up flag for a polling loop: `notify` wakes the current waiter, or the next one if nobody
 * is waiting yet, so a notification between "checked, nothing new" and "wait" is never lost.
 * One waiter at a time (the loop that owns it).
 */
export class ChangeSignal {
  #pending = false;
  #wake: (() => void) | undefined;

  /** Wakes the waiter (or lets the next wait return at once). */
  notify(): void {
    this.#pending = true;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Resolves on the next notification, or after timeoutMs, whichever comes first. */
  wait(timeoutMs: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.#wake === done) this.#wake = undefined;
        this.#pending = false;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#wake = done;
    });
  }
}
