import type { Shopper } from './shopper.ts';

interface Entry {
  readonly shopper: Shopper;
  readonly order: number;
}

/**
 * Shoppers ordered by when they next want to act (a binary min-heap), ties broken by insertion
 * order so the generator stays deterministic.
 */
export class WakeQueue {
  readonly #heap: Entry[] = [];
  #inserted = 0;

  get size(): number {
    return this.#heap.length;
  }

  push(shopper: Shopper): void {
    const heap = this.#heap;
    const item = { shopper, order: this.#inserted++ };
    // Sift up by moving parents down into the hole, then drop the item in once.
    let i = heap.length;
    heap.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = item;
  }

  /** Removes and returns the shopper who wants to act first. */
  pop(): Shopper {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop()!;
    const n = heap.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const c = l + 1 < n && before(heap[l + 1], heap[l]) ? l + 1 : l;
        if (!before(heap[c], last)) break;
        heap[i] = heap[c];
        i = c;
      }
      heap[i] = last;
    }
    return top.shopper;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.shopper.nextWake < b.shopper.nextWake || (a.shopper.nextWake === b.shopper.nextWake && a.order < b.order);
}
