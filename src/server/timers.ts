/**
 * Timers: the one place a server-side owner (a connection, the HTTP front) starts timeouts, so
 * that one `clearAll()` on teardown provably leaves nothing running.
 */
export class Timers<K> {
  #named = new Map<K, ReturnType<typeof setTimeout>>();
  #anonymous = new Set<ReturnType<typeof setTimeout>>();

  /** Starts (or restarts) the timer in slot `key`; a previous timer in that slot is cancelled. */
  set(key: K, ms: number, fn: () => void): void {
    this.clear(key);
    this.#named.set(
      key,
      setTimeout(() => {
        this.#named.delete(key);
        fn();
      }, ms),
    );
  }

  /** Cancels the timer in slot `key`, if any. */
  clear(key: K): void {
    const id = this.#named.get(key);
    if (id === undefined) return;
    clearTimeout(id);
    this.#named.delete(key);
  }

  /** Runs `fn` after `ms`; such timers have no slot and are only cancelled by `clearAll()`. */
  defer(ms: number, fn: () => void): void {
    const id = setTimeout(() => {
      this.#anonymous.delete(id);
      fn();
    }, ms);
    this.#anonymous.add(id);
  }

  /** Cancels every pending timer. */
  clearAll(): void {
    for (const id of this.#named.values()) clearTimeout(id);
    for (const id of this.#anonymous) clearTimeout(id);
    this.#named.clear();
    this.#anonymous.clear();
  }
}

/** A queue entry may fire this early: the event loop's timer clock runs slightly behind `performance.now()`. */
const DUE_SLACK_MS = 1;

/**
 * Calls `onDue(item)` once `ms` have passed since `item` was (re)scheduled, for any number of
 * items on a single timer. Every item waits the same `ms`, so items fall due in the order they
 * were scheduled: an insertion-ordered Map of due times is the whole schedule, rescheduling
 * moves an item to its end, and the one timer is set for the first entry. An item costs one Map
 * entry instead of a timer and a closure of its own. Once the queue is empty its timer is
 * cleared and `onEmpty` runs.
 */
export class DueQueue<T> {
  readonly #ms: number;
  readonly #onDue: (item: T) => void;
  readonly #onEmpty: () => void;
  readonly #due = new Map<T, number>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #firing = false;

  constructor(ms: number, onDue: (item: T) => void, onEmpty: () => void = () => undefined) {
    this.#ms = ms;
    this.#onDue = onDue;
    this.#onEmpty = onEmpty;
  }

  /** Items waiting. */
  get size(): number {
    return this.#due.size;
  }

  /** True while `item` waits. */
  has(item: T): boolean {
    return this.#due.has(item);
  }

  /** (Re)starts `item`'s wait: `onDue(item)` runs `ms` from now, unless cancelled or rescheduled first. */
  schedule(item: T): void {
    this.#due.delete(item);
    this.#due.set(item, performance.now() + this.#ms);
    if (this.#timer === undefined && !this.#firing) this.#arm(this.#ms);
  }

  /** Stops `item`'s wait; clears the timer when nothing waits any more. */
  cancel(item: T): void {
    if (!this.#due.delete(item) || this.#due.size > 0 || this.#firing) return;
    this.#disarm();
    this.#onEmpty();
  }

  /** Stops every item's wait and clears the timer. */
  clear(): void {
    if (this.#due.size === 0) return;
    this.#due.clear();
    if (this.#firing) return;
    this.#disarm();
    this.#onEmpty();
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#fire(), ms);
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Runs every item that is due, in order (an item rescheduled meanwhile waits at the end), then re-arms for the next. */
  #fire(): void {
    this.#timer = undefined;
    this.#firing = true;
    try {
      const now = performance.now();
      for (const [item, due] of this.#due) {
        if (due > now + DUE_SLACK_MS) break;
        this.#due.delete(item);
        this.#onDue(item);
      }
    } finally {
      this.#firing = false;
      const next = this.#due.values().next();
      if (next.done) this.#onEmpty();
      else this.#arm(Math.max(0, next.value - performance.now()));
    }
  }
}
