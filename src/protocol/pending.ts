/**
 * The pending-request table: hands out request ids and settles each request's promise exactly
 * once, by response, timeout, abort or disconnect. It never sends anything itself. Shared by the
 * client's rpc() feature and the server's server-to-client requests.
 */
import { HoldfastError, type ErrorCode, type ErrorContext } from './errors';
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
   * Registers a request and starts its timeout (`options.timeout`, else the table's default).
   * With an already-aborted signal the promise is rejected at once and nothing stays pending
   * (`has(id)` is false): do not send it. `params` are kept only so that
   * {@link PendingRequests.onDisconnect} can hand them back for re-sending.
   * @throws RangeError for a negative or NaN timeout.
   */
  add<T = unknown>(method: string, options?: AddOptions, params?: unknown): PendingRequest<T>;
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
  readonly retry: boolean | undefined;
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

/**
 * The error of request `method` (`id`): a plain HoldfastError named after the subclass that
 * `instanceof` finds for `code` (one class ships to the client, see errors.ts), whose message
 * says what became of it.
 */
export const requestError = (code: ErrorCode, name: string, what: string, method: string, id: number, context?: ErrorContext): HoldfastError =>
  new HoldfastError(code, `request "${method}" (id ${id}) ${what}`, { name, method, id, ...context });

/**
 * A new, empty table whose timeouts run on `clock`; `timeout` is the default of `add()` (ms;
 * `0`, the default, or `Infinity`: none).
 */
export function createPending(clock: Clock = systemClock(), timeout = 0): PendingRequests {
  const entries = new Map<number, Entry>();
  let nextId = 1;
  let timer: unknown;
  /** The deadline the shared timer is set for; `Infinity` when it is not set. */
  let armedFor = Infinity;
  let idleCheck = false;

  /** Sets the shared timer for `deadline` (at or after `now`); `Infinity` clears it. */
  const arm = (deadline: number, now = 0): void => {
    if (armedFor < Infinity) clock.clearTimeout(timer);
    armedFor = deadline;
    // Longer delays overflow to 1 ms in browsers and Node; a far deadline is reached in steps.
    if (deadline < Infinity) timer = clock.setTimeout(expire, Math.min(MAX_TIMER_DELAY, deadline - now));
  };
  /** The shared timer fired: rejects every request that is due, in id order, then re-arms. */
  const expire = (): void => {
    armedFor = Infinity;
    const now = clock.now();
    const due: number[] = [];
    let next = Infinity;
    entries.forEach((entry, id) => (entry.deadline > now ? (next = Math.min(next, entry.deadline)) : due.push(id)));
    // Re-armed before rejecting: the requests not yet due keep the table from emptying meanwhile.
    arm(next, now);
    for (const id of due) settle(id, (entry) => requestError('TIMEOUT', 'TimeoutError', `timed out after ${entry.timeout} ms`, entry.method, id));
  };
  /**
   * Settles request `id` if it is pending: removes it and its abort listener first, then rejects
   * it with what `error` makes of it, or resolves it with `value` when there is no `error`.
   * Once the table is empty, the shared timer is cleared if it is still empty after the
   * microtasks queued so far (the promise's reactions among them), so that a caller answering
   * each response with the next request (a `.then` or `await` loop) keeps one timer instead of
   * clearing and setting one per round trip.
   */
  const settle = (id: Id, error?: (entry: Entry) => Error, value?: unknown): boolean => {
    const entry = entries.get(id as number);
    if (!entry) return false;
    entries.delete(id as number);
    if (entry.onAbort) entry.signal?.removeEventListener('abort', entry.onAbort);
    if (error) entry.reject(error(entry));
    else entry.resolve(value);
    if (entries.size === 0 && armedFor < Infinity && !idleCheck) {
      idleCheck = true;
      void Promise.resolve().then(() => {
        idleCheck = false;
        if (entries.size === 0) arm(Infinity);
      });
    }
    return true;
  };
  const aborted = (method: string, id: number, signal: PlatformAbortSignal): HoldfastError =>
    requestError('ABORTED', 'AbortError', 'was aborted', method, id, { cause: signal.reason });

  return {
    get size() {
      return entries.size;
    },
    has: (id) => entries.has(id as number),
    add<T>(method: string, options?: AddOptions, params?: unknown): PendingRequest<T> {
      const ms = options?.timeout ?? timeout;
      const signal = options?.signal;
      if (!(ms >= 0)) throw new RangeError('bad timeout: ' + ms);
      const id = nextId++;
      const limit = ms || Infinity;
      const now = limit < Infinity ? clock.now() : 0;
      const onAbort = signal && ((): void => void settle(id, () => aborted(method, id, signal)));
      let entry!: Entry;
      const promise = new Promise<T>((resolve, reject) => {
        entry = { method, params, retry: options?.retry, resolve: resolve as (value: unknown) => void, reject, timeout: limit, deadline: now + limit, signal, onAbort };
      });
      if (signal?.aborted) entry.reject(aborted(method, id, signal));
      else {
        entries.set(id, entry);
        if (entry.deadline < armedFor) arm(entry.deadline, now);
        if (onAbort) signal.addEventListener('abort', onAbort);
      }
      return { id, promise };
    },
    resolve(response) {
      const error = (response as { error?: ErrorPayload }).error;
      return settle(
        response.id,
        // The remote side's message, as it sent it.
        error && ((entry) => new HoldfastError('REMOTE', error.message, { name: 'RemoteError', method: entry.method, id: response.id, remoteCode: error.code, data: error.data })),
        (response as { result?: unknown }).result,
      );
    },
    reject: (id, error) => settle(id, () => error),
    rejectAll(error) {
      entries.forEach((entry, id) => settle(id, () => (typeof error === 'function' ? error(entry.method, id) : error)));
      arm(Infinity);
    },
    onDisconnect(closeCode) {
      const retries: RetryRequest[] = [];
      entries.forEach((entry, id) => {
        if (entry.retry) retries.push({ id, method: entry.method, params: entry.params });
        else settle(id, () => requestError('DISCONNECTED', 'ClosedError', 'lost: the link dropped', entry.method, id, { closeCode }));
      });
      return retries;
    },
  };
}

/**
 * The wire `error` member for what a request handler threw: its `code` when that is a string or
 * number (else `'INTERNAL'`), its `message` when a string, and its `data` when defined.
 */
export function errorPayload(thrown: unknown): ErrorPayload {
  const { code, message, data } = (typeof thrown === 'object' && thrown !== null ? thrown : {}) as Record<string, unknown>;
  // `data` stays undefined when the thrown value has none: JSON leaves it out.
  return {
    code: typeof code === 'string' || typeof code === 'number' ? code : 'INTERNAL',
    message: typeof message === 'string' ? message : typeof thrown === 'string' ? thrown : 'request handler failed',
    data,
  };
}
