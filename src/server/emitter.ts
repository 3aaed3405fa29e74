/**
 * A small typed emitter for the server side. It is composed rather than inherited, because the
 * public `emit(event, data)` of a connection and of the server sends a wire event, not a local one.
 */
export type Listener<Args extends unknown[]> = (...args: Args) => void;

type Stored = Listener<unknown[]>;

export class Emitter<Events extends { [K in keyof Events]: unknown[] }> {
  /** Created with the first listener: most connections never get one. */
  #listeners: Map<keyof Events, Stored[]> | undefined;

  /** Adds a listener; returns a function that removes it (safe to call more than once). */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    const listeners = (this.#listeners ??= new Map());
    const list = listeners.get(event) ?? [];
    list.push(listener as unknown as Stored);
    listeners.set(event, list);
    return () => this.off(event, listener);
  }

  /** Removes one registration of `listener`. */
  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    const list = this.#listeners?.get(event);
    if (!list) return;
    const index = list.indexOf(listener as unknown as Stored);
    if (index !== -1) list.splice(index, 1);
    if (list.length === 0) this.#listeners?.delete(event);
  }

  /** Number of listeners for `event`; lets callers skip work nobody listens for. */
  count(event: keyof Events): number {
    return this.#listeners?.get(event)?.length ?? 0;
  }

  /** Calls the listeners of `event` in registration order, over a copy so they may unsubscribe. */
  fire<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const list = this.#listeners?.get(event);
    if (!list) return;
    for (const listener of list.length === 1 ? list : list.slice()) listener(...args);
  }
}
