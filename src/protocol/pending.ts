/**
 * The pending-request table: hands out request ids and settles each request's promise exactly
 * once, by response, timeout, abort or disconnect. It never sends anything itself. Shared by the
 * client's rpc() feature and the server's server-to-client requests.
 */
import { AbortError, ClosedError, RemoteError, TimeoutError, type HoldfastError } from './errors';
import type { ErrorPayload, Id, ResponseMessage } from './wire';
import { systemClock, type Clock } from './clock';
import type { PlatformAbortSignal } from './bytes';

/** Per-request options for {@link PendingRequests.add}. */
export interface AddOptions {
  /**
   * Milliseconds from the call until the request fails with TimeoutError, also while it waits
   * offline. `undefined`, `0` or `Infinity`: no timeout.
   */
  timeout?: number;
  /** Aborting rejects the request with AbortError (its `cause` is `signal.reason`). */
  signal?: PlatformAbortSignal;
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
  /** Settles exactly once; rejects with HoldfastError subclasses, or the error given to `reject`. */
  promise: Promise<T>;
}

/**
 * Request ids are 1, 2, 3… per table (so per socket). Every settled request has its abort
 * listener removed before its promise settles. Every error a request rejects with carries its
 * `method` and `id`.
 *
 * All timeouts share one timer, set for the earliest deadline that may still be pending: a
 * request costs no timer of its own (this is the hot path of every round trip). When it fires,
 * the requests that are due reject and it is set again for the next deadline (deadlines are
 * `clock.now()` timestamps: a timer that fires late, e.g. in a background tab, rejects all that
 * fell due meanwhile). Once nothing is pending it is cleared, at the latest when the current
 * microtasks have run (at once by `rejectAll`), so an idle table holds no timer.
 */
export interface PendingRequests {
  /** How many requests are pending. */
  readonly size: number;
  /** True while request `id` is pending. */
  has(id: Id): boolean;
  /**
   * Registers a request and starts its timeout. With an already-aborted signal the promise is
   * rejected at once and nothing stays pending (`has(id)` is false): do not send it.
   * @throws RangeError for a negative or NaN timeout.
   */
  add<T = unknown>(method: string, options?: AddOptions): PendingRequest<T>;
  /**
   * Settles the request `response` answers: resolves with `result`, or rejects with RemoteError.
   * Returns false, and changes nothing, for an id that is not pending (late or unknown).
   */
  resolve(response: ResponseMessage): boolean;
  /** Rejects one pending request with `error`. False if not pending. */
  reject(id: Id, error: Error): boolean;
  /**
   * Rejects every pending request with `error` (or what `error(method, id)` makes for each, so
   * that each carries its own request), removes their abort listeners and clears the timer.
   */
  rejectAll(error: HoldfastError | ((method: string, id: number) => Error)): void;
  /**
   * The link dropped: rejects every request not marked `retry` with ClosedError `DISCONNECTED`,
   * and returns the `retry` ones, in id order, to re-send once open again. Those stay pending and
   * their timeouts keep running.
   */
  onDisconnect(closeCode?: number): RetryRequest[];
}

interface Entry {
  readonly method: string;
  readonly params: unknown;
  readonly retry: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  /** The timeout in ms (`Infinity`: none) and the time it runs out at. */
  readonly timeout: number;
  readonly deadline: number;
  readonly signal: PlatformAbortSignal | undefined;
  readonly onAbort: (() => void) | undefined;
}

/** The longest delay `setTimeout` takes as given (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_DELAY = 2_147_483_647;

const described = (method: string, id: number): string => `request "${method}" (id ${id})`;

/** A new, empty table whose timeouts run on `clock`. */
export function createPending(clock: Clock = systemClock()): PendingRequests {
  const entries = new Map<number, Entry>();
  let nextId = 1;
  let timer: unknown;
  /** The deadline the shared timer is set for; `Infinity` when it is not set. */
  let armedFor = Infinity;
  let idleCheck = false;

  const disarm = (): void => {
    if (armedFor !== Infinity) clock.clearTimeout(timer);
    armedFor = Infinity;
  };
  const arm = (deadline: number, now: number): void => {
    disarm();
    armedFor = deadline;
    // Longer delays overflow to 1 ms in browsers and Node; a far deadline is reached in steps.
    timer = clock.setTimeout(expire, Math.min(MAX_TIMER_DELAY, Math.max(0, deadline - now)));
  };
  /** The shared timer fired: rejects every request that is due, in id order, then re-arms. */
  const expire = (): void => {
    armedFor = Infinity;
    const now = clock.now();
    const due: number[] = [];
    let next = Infinity;
    entries.forEach((entry, id) => {
      if (entry.deadline <= now) due.push(id);
      else if (entry.deadline < next) next = entry.deadline;
    });
    // Re-armed before rejecting: the requests not yet due keep the table from emptying meanwhile.
    if (next !== Infinity) arm(next, now);
    for (const id of due) {
      const entry = entries.get(id);
      if (entry) reject(id, new TimeoutError(`${described(entry.method, id)} timed out after ${entry.timeout} ms`, { method: entry.method, id }));
    }
  };
  /** Removes a pending request and its abort listener, so that it is clean before it settles. */
  const take = (id: Id): Entry | undefined => {
    const entry = typeof id === 'number' ? entries.get(id) : undefined;
    if (entry) {
      entries.delete(id as number);
      if (entry.onAbort) entry.signal?.removeEventListener('abort', entry.onAbort);
    }
    return entry;
  };
  /**
   * Once the table is empty, clears the shared timer if it is still empty after the microtasks
   * queued so far, so that a caller answering each response with the next request (a `.then`
   * or `await` loop) keeps one timer instead of clearing and setting one per round trip.
   */
  const settled = (): void => {
    if (entries.size > 0 || armedFor === Infinity || idleCheck) return;
    idleCheck = true;
    void Promise.resolve().then(() => {
      idleCheck = false;
      if (entries.size === 0) disarm();
    });
  };
  const reject = (id: Id, error: Error): boolean => {
    const entry = take(id);
    entry?.reject(error);
    settled();
    return entry !== undefined;
  };
  const abortError = (method: string, id: number, signal: PlatformAbortSignal): AbortError =>
    new AbortError(`${described(method, id)} was aborted`, { cause: signal.reason, method, id });

  return {
    get size() {
      return entries.size;
    },
    has: (id) => typeof id === 'number' && entries.has(id),
    add<T>(method: string, options?: AddOptions): PendingRequest<T> {
      const timeout = options?.timeout;
      const signal = options?.signal;
      if (timeout !== undefined && !(timeout >= 0)) throw new RangeError(`bad timeout: ${timeout}`);
      const id = nextId++;
      let resolve!: (value: unknown) => void;
      let rejectPromise!: (error: Error) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res as (value: unknown) => void;
        rejectPromise = rej;
      });
      if (signal?.aborted) {
        rejectPromise(abortError(method, id, signal));
        return { id, promise };
      }
      const limit = timeout === undefined || timeout === 0 ? Infinity : timeout;
      const now = limit === Infinity ? 0 : clock.now();
      const deadline = now + limit;
      const onAbort = signal && ((): void => void (entries.has(id) && reject(id, abortError(method, id, signal))));
      entries.set(id, { method, params: options?.params, retry: options?.retry === true, resolve, reject: rejectPromise, timeout: limit, deadline, signal, onAbort });
      if (deadline < armedFor) arm(deadline, now);
      if (onAbort) signal.addEventListener('abort', onAbort);
      return { id, promise };
    },
    resolve(response) {
      const entry = take(response.id);
      if (!entry) return false;
      if ('error' in response && response.error) {
        const { code, message, data } = response.error;
        entry.reject(new RemoteError(entry.method, response.id, code, message, data));
      } else entry.resolve('result' in response ? response.result : undefined);
      settled();
      return true;
    },
    reject,
    rejectAll(error) {
      entries.forEach((entry, id) => reject(id, typeof error === 'function' ? error(entry.method, id) : error));
      disarm();
    },
    onDisconnect(closeCode) {
      const retries: RetryRequest[] = [];
      for (const [id, entry] of [...entries]) {
        if (entry.retry) retries.push({ id, method: entry.method, params: entry.params });
        else reject(id, new ClosedError('DISCONNECTED', `connection lost before ${described(entry.method, id)} was answered`, closeCode, { method: entry.method, id }));
      }
      return retries;
    },
  };
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
