/**
 * A small typed emitter for the server side. It is composed rather than inherited, because the
 * public `emit(event, data)` of a connection and of the server sends a wire event, not a local one.
 *
 * A listener that throws never breaks what fired the event (a frame loop, a handshake): the other
 * listeners still run and the throw is handed to `report` as a HoldfastError `LISTENER` (its
 * `cause` is what was thrown), which its owner fires as an `error` event. A throwing `error`
 * listener has nobody left to tell: its throw is re-raised in a microtask, outside the caller,
 * where it surfaces as an uncaught exception as it would with Node's EventEmitter.
 */
import { HoldfastError } from '../protocol/errors.js';

export type Listener<Args extends unknown[]> = (...args: Args) => void;

type Stored = Listener<unknown[]>;

/** Receives a listener's throw, with the event and the arguments it was fired with. */
export type ListenerErrorReport<Events> = <K extends keyof Events>(error: HoldfastError, event: K, args: Events[K]) => void;

export class Emitter<Events extends { [K in keyof Events]: unknown[] }> {
  /** Created with the first listener: most connections never get one. */
  #listeners: Map<keyof Events, Stored[]> | undefined;
  readonly #report: ListenerErrorReport<Events> | undefined;

  /** `report` gets what a listener of any event but `error` throws (without it, such throws are re-raised in a microtask too). */
  constructor(report?: ListenerErrorReport<Events>) {
    this.#report = report;
  }

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
    // Stryker disable next-line ConditionalExpression,OptionalChaining: memory only (an empty list behaves as none; the map exists once a list does)
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
    // Stryker disable next-line ConditionalExpression: always copying is only slower (a lone listener that removes itself ends the loop either way)
    for (const listener of list.length === 1 ? list : list.slice()) {
      try {
        listener(...args);
      } catch (thrown) {
        listenerThrew(this.#report, event, args, thrown);
      }
    }
  }
}

/**
 * Hands a listener's throw to `report` as a `LISTENER` HoldfastError, or re-raises it in a
 * microtask when it came from an `error` listener or there is no `report`.
 */
export function listenerThrew<Events, K extends keyof Events>(report: ListenerErrorReport<Events> | undefined, event: K, args: Events[K], thrown: unknown): void {
  if (event === 'error' || !report) {
    queueMicrotask(() => {
      throw thrown;
    });
    return;
  }
  report(new HoldfastError('LISTENER', `a "${String(event)}" listener threw`, { cause: thrown }), event, args);
}
