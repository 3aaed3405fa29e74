/**
 * The pending-request table: hands out request ids and settles each request's promise exactly
 * once, by response, timeout, abort or disconnect. It never sends anything itself.
 */
import { AbortError, ClosedError, HoldfastError, RemoteError, TimeoutError } from './errors.js';
import type { ErrorPayload, Id, ResponseMessage } from '../protocol/wire.js';

/** The timer functions the table uses; inject the socket's own (or fake ones in tests). */
export interface TimerFunctions {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Per-request options for {@link PendingRequests.add}. */
export interface AddOptions {
  /**
   * Milliseconds from the call until the request fails with TimeoutError, also while it waits
   * offline. `undefined`, `0` or `Infinity`: no timeout.
   */
  timeout?: number;
  /** Aborting rejects the request with AbortError (its `cause` is `signal.reason`). */
  signal?: AbortSignal;
  /** Keep the request pending across a disconnect, to be re-sent (safe for idempotent methods). */
  retry?: boolean;
  /** Kept only so that {@link PendingRequests.onDisconnect} can hand it back for re-sending. */
  params?: unknown;
}

/** A request that survived a disconnect and should be sent again, with the same id. */
export interface RetryRequest {
  id: number;
  method: string;
  params: unknown;
}

/** The handle {@link PendingRequests.add} returns. */
export interface PendingRequest<T> {
  /** The id to put on the wire. */
  id: number;
  /**
   * Settles exactly once; rejects with HoldfastError subclasses, or with the error given to
   * {@link PendingRequests.reject}.
   */
  promise: Promise<T>;
}

interface Entry {
  method: string;
  params: unknown;
  retry: boolean;
  resolve(value: unknown): void;
  reject(error: Error): void;
  cleanup(): void;
}

const globalTimers = (): TimerFunctions => ({
  // Wrapped: browsers throw "Illegal invocation" when setTimeout is called with another `this`.
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
});

/**
 * Request ids are 1, 2, 3… per table (so per socket). Every settled request has its timer
 * cleared and its abort listener removed before its promise settles.
 */
export class PendingRequests {
  #entries = new Map<number, Entry>();
  #nextId = 1;
  #timers: TimerFunctions;

  constructor(timers?: TimerFunctions) {
    this.#timers = timers ?? globalTimers();
  }

  /** How many requests are pending. */
  get size(): number {
    return this.#entries.size;
  }

  /** True while request `id` is pending. */
  has(id: Id): boolean {
    return typeof id === 'number' && this.#entries.has(id);
  }

  /**
   * Registers a request and starts its timeout. With an already-aborted signal the promise is
   * rejected at once and nothing stays pending (`has(id)` is false): do not send it.
   * @throws RangeError for a negative or NaN timeout.
   */
  add<T = unknown>(method: string, options: AddOptions = {}): PendingRequest<T> {
    const { timeout, signal, retry = false, params } = options;
    if (timeout !== undefined && !(timeout >= 0)) throw new RangeError(`timeout must be a non-negative number of milliseconds, got ${timeout}`);
    const id = this.#nextId++;
    const { promise, resolve, reject } = deferred<T>();
    const entry: Entry = { method, params, retry, resolve: resolve as (value: unknown) => void, reject, cleanup: noop };
    if (signal?.aborted) {
      entry.reject(abortError(method, id, signal));
      return { id, promise };
    }
    let timer: unknown;
    const onAbort = (): void => {
      if (signal) this.#settle(id, (e) => e.reject(abortError(method, id, signal)));
    };
    entry.cleanup = () => {
      if (timer !== undefined) this.#timers.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    this.#entries.set(id, entry);
    if (timeout !== undefined && timeout > 0 && timeout !== Infinity) {
      timer = this.#timers.setTimeout(() => {
        timer = undefined;
        this.#settle(id, (e) => e.reject(new TimeoutError(`request "${method}" (id ${id}) timed out after ${timeout} ms`)));
      }, timeout);
    }
    signal?.addEventListener('abort', onAbort);
    return { id, promise };
  }

  /**
   * Settles the request `response` answers: resolves with `result`, or rejects with RemoteError.
   * Returns false, and changes nothing, for an id that is not pending (late or unknown): the
   * caller decides how to report it.
   */
  resolve(response: ResponseMessage): boolean {
    return this.#settle(response.id, (entry) => {
      if ('error' in response && response.error) {
        const { code, message, data } = response.error;
        entry.reject(new RemoteError(entry.method, response.id, code, message, data));
      } else entry.resolve('result' in response ? response.result : undefined);
    });
  }

  /**
   * Rejects one pending request (e.g. its frame could not be encoded: then with the codec's
   * TypeError). False if not pending.
   */
  reject(id: Id, error: Error): boolean {
    return this.#settle(id, (entry) => entry.reject(error));
  }

  /** Rejects every pending request with `error` and clears all their timers and listeners. */
  rejectAll(error: HoldfastError): void {
    for (const id of [...this.#entries.keys()]) this.#settle(id, (entry) => entry.reject(error));
  }

  /**
   * The link dropped: rejects every request not marked `retry` with ClosedError code
   * `'DISCONNECTED'`, and returns the `retry` ones, in id order, to re-send once open again.
   * Those stay pending and their timeouts keep running.
   */
  onDisconnect(closeCode?: number): RetryRequest[] {
    const retries: RetryRequest[] = [];
    for (const [id, entry] of [...this.#entries]) {
      if (entry.retry) retries.push({ id, method: entry.method, params: entry.params });
      else {
        const error = new ClosedError('DISCONNECTED', `connection lost before request "${entry.method}" (id ${id}) was answered`, closeCode);
        this.#settle(id, (e) => e.reject(error));
      }
    }
    return retries;
  }

  #settle(id: Id, settle: (entry: Entry) => void): boolean {
    const entry = typeof id === 'number' ? this.#entries.get(id) : undefined;
    if (!entry) return false;
    this.#entries.delete(id as number);
    entry.cleanup();
    settle(entry);
    return true;
  }
}

/**
 * The wire `error` member for what a request handler threw: its `code` when that is a string or
 * number (else `'INTERNAL'`), its `message` when a string, and its `data` when defined.
 */
export function errorPayload(thrown: unknown): ErrorPayload {
  const record = typeof thrown === 'object' && thrown !== null ? (thrown as { code?: unknown; message?: unknown; data?: unknown }) : undefined;
  const code = typeof record?.code === 'string' || typeof record?.code === 'number' ? record.code : 'INTERNAL';
  const message = typeof record?.message === 'string' ? record.message : typeof thrown === 'string' ? thrown : 'request handler failed';
  return record?.data === undefined ? { code, message } : { code, message, data: record.data };
}

function noop(): void {}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve: (value: T) => void = noop;
  let reject: (error: Error) => void = noop;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function abortError(method: string, id: number, signal: AbortSignal): AbortError {
  return new AbortError(`request "${method}" (id ${id}) was aborted`, { cause: signal.reason });
}
