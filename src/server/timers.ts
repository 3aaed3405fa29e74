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
