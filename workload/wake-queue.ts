/** Something simulated that wants to act at `nextWake` (a shopper, a card, a driver). */
export interface Waker {
  readonly nextWake: number;
}

interface Entry<T extends Waker> {
  readonly item: T;
  readonly order: number;
}

/**
 * Simulated actors ordered by when they next want to act (a binary min-heap), ties broken by
 * insertion order so a generator stays deterministic.
 */
export class WakeQueue<T extends Waker> {
  readonly #heap: Entry<T>[] = [];
  #inserted = 0;

  get size(): number {
    return this.#heap.length;
  }

  push(waker: T): void {
    const heap = this.#heap;
    const item = { item: waker, order: this.#inserted++ };
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

  /** Removes and returns the one who wants to act first. */
  pop(): T {
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
    return top.item;
  }
}

function before<T extends Waker>(a: Entry<T>, b: Entry<T>): boolean {
  return a.item.nextWake < b.item.nextWake || (a.item.nextWake === b.item.nextWake && a.order < b.order);
}
