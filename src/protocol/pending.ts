/**
 * The pending-request table: hands out request ids and settles each request's promise exactly
 * once, by response, timeout, abort or disconnect. It never sends anything itself.
 */
import { AbortError, ClosedError, HoldfastError, RemoteError, TimeoutError } from './errors';
import type { ErrorPayload, Id, ResponseMessage } from './wire';
import { systemClock, type Clock } from './clock';


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

/** One pending request. Plain fields rather than closures: one small object per request. */
interface Entry {
  readonly method: string;
  readonly params: unknown;
  readonly retry: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  /** The timeout in ms (`Infinity`: none) and the time it runs out at. */
  readonly timeout: number;
  readonly deadline: number;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: (() => void) | undefined;
}

/** The longest delay `setTimeout` takes as given (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_DELAY = 2_147_483_647;


/**
 * Request ids are 1, 2, 3… per table (so per socket). Every settled request has its abort
 * listener removed before its promise settles.
 *
 * All timeouts share one timer, set for the earliest deadline that may still be pending: a
 * request costs no timer of its own (this is the hot path of every round trip). When it fires,
 * the requests that are due reject and it is set again for the next deadline (deadlines are
 * `timers.now()` timestamps: a timer that fires late, e.g. in a background tab, rejects all that
 * fell due meanwhile). Once nothing is pending it is cleared, at the latest when the current
 * microtasks have run (at once by `rejectAll`), so an idle table holds no timer.
 */
export class PendingRequests {
  readonly #entries = new Map<number, Entry>();
  #nextId = 1;
  readonly #timers: Clock;
  #timer: unknown;
  /** The deadline the shared timer is set for; `Infinity` when it is not set. */
  #timerDeadline = Infinity;
  #idleCheckQueued = false;

  constructor(timers: Clock = systemClock()) {
    this.#timers = timers;
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
  add<T = unknown>(method: string, options?: AddOptions): PendingRequest<T> {
    const timeout = options?.timeout;
    const signal = options?.signal;
    if (timeout !== undefined && !(timeout >= 0)) throw new RangeError(`timeout must be a non-negative number of milliseconds, got ${timeout}`);
    const id = this.#nextId++;
    let resolve: (value: unknown) => void = noop;
    let reject: (error: Error) => void = noop;
    const promise = new Promise<T>((res, rej) => {
      resolve = res as (value: unknown) => void;
      reject = rej;
    });
    if (signal?.aborted) {
      reject(abortError(method, id, signal));
      return { id, promise };
    }
    const onAbort = signal ? (): void => this.#abort(id, signal) : undefined;
    const limit = timeout === undefined || timeout === 0 ? Infinity : timeout;
    const now = limit === Infinity ? 0 : this.#now();
    const deadline = now + limit;
    const entry: Entry = { method, params: options?.params, retry: options?.retry === true, resolve, reject, timeout: limit, deadline, signal, onAbort };
    this.#entries.set(id, entry);
    if (deadline < this.#timerDeadline) this.#arm(deadline, now);
    if (signal && onAbort) signal.addEventListener('abort', onAbort);
    return { id, promise };
  }

  /**
   * Settles the request `response` answers: resolves with `result`, or rejects with RemoteError.
   * Returns false, and changes nothing, for an id that is not pending (late or unknown): the
   * caller decides how to report it.
   */
  resolve(response: ResponseMessage): boolean {
    const entry = this.#take(response.id);
    if (entry === undefined) return false;
    if ('error' in response && response.error) {
      const { code, message, data } = response.error;
      entry.reject(new RemoteError(entry.method, response.id, code, message, data));
    } else entry.resolve('result' in response ? response.result : undefined);
    this.#disarmWhenIdle();
    return true;
  }

  /**
   * Rejects one pending request (e.g. its frame could not be encoded: then with the codec's
   * TypeError). False if not pending.
   */
  reject(id: Id, error: Error): boolean {
    const entry = this.#take(id);
    if (entry === undefined) return false;
    entry.reject(error);
    this.#disarmWhenIdle();
    return true;
  }

  /** Rejects every pending request with `error`, removes their abort listeners and clears the timer. */
  rejectAll(error: HoldfastError): void {
    for (const id of [...this.#entries.keys()]) this.reject(id, error);
    this.#disarm();
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
        this.reject(id, new ClosedError('DISCONNECTED', `connection lost before request "${entry.method}" (id ${id}) was answered`, closeCode));
      }
    }
    return retries;
  }

  #now(): number {
    return this.#timers.now();
  }

  /** (Re)sets the shared timer for `deadline`; `now` is the current time. */
  #arm(deadline: number, now: number): void {
    this.#disarm();
    this.#timerDeadline = deadline;
    // Longer delays overflow to 1 ms in browsers and Node; a far deadline is reached in steps.
    const delay = Math.min(MAX_TIMER_DELAY, Math.max(0, deadline - now));
    this.#timer = this.#timers.setTimeout(() => this.#expire(), delay);
  }

  #disarm(): void {
    if (this.#timerDeadline === Infinity) return;
    this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDeadline = Infinity;
  }

  /**
   * Once the table is empty, clears the shared timer if it is still empty after the microtasks
   * queued so far. Called after a promise settles, so the reactions to it run first: a caller
   * that answers each response with the next request (a `.then` or `await` loop) keeps one
   * timer instead of clearing and setting one per round trip.
   */
  #disarmWhenIdle(): void {
    if (this.#entries.size > 0 || this.#timerDeadline === Infinity || this.#idleCheckQueued) return;
    this.#idleCheckQueued = true;
    void Promise.resolve().then(() => {
      this.#idleCheckQueued = false;
      if (this.#entries.size === 0) this.#disarm();
    });
  }

  /** The shared timer fired: rejects every request that is due, in id order, then re-arms. */
  #expire(): void {
    this.#timer = undefined;
    this.#timerDeadline = Infinity;
    const now = this.#now();
    const due: number[] = [];
    let next = Infinity;
    for (const [id, entry] of this.#entries) {
      if (entry.deadline <= now) due.push(id);
      else if (entry.deadline < next) next = entry.deadline;
    }
    // Re-armed before rejecting: the requests not yet due keep the table from emptying meanwhile.
    if (next !== Infinity) this.#arm(next, now);
    for (const id of due) {
      const entry = this.#entries.get(id);
      if (entry !== undefined) this.reject(id, new TimeoutError(`request "${entry.method}" (id ${id}) timed out after ${entry.timeout} ms`));
    }
  }

  #abort(id: number, signal: AbortSignal): void {
    const entry = this.#entries.get(id);
    if (entry !== undefined) this.reject(id, abortError(entry.method, id, signal));
  }

  /**
   * Removes a pending request and releases its abort listener, so that it is clean before its
   * promise settles. `undefined` when `id` is not pending.
   */
  #take(id: Id): Entry | undefined {
    if (typeof id !== 'number') return undefined;
    const entries = this.#entries;
    const entry = entries.get(id);
    if (entry === undefined) return undefined;
    entries.delete(id);
    if (entry.onAbort !== undefined) entry.signal?.removeEventListener('abort', entry.onAbort);
    return entry;
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

function abortError(method: string, id: number, signal: AbortSignal): AbortError {
  return new AbortError(`request "${method}" (id ${id}) was aborted`, { cause: signal.reason });
}
