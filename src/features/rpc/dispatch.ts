/**
 * Protocol dispatch for one socket: routes what the codec makes of each incoming frame
 * (responses to the pending table, server requests to `handle()` handlers, events to `onEvent()`
 * listeners, heartbeats and application data back to the socket) and answers server requests.
 * It owns no link, state or timer; it reaches the socket only through a {@link DispatchHost}.
 */
import type { ErrorPayload, Id, PingMessage, PongMessage, ProtocolMessage, RequestMessage, ResponseMessage } from '../../protocol/wire';
import type { HandlerContext } from './api';
import { toArrayBuffer } from '../../binary/bytes';
import type { Codec, Incoming, IncomingData, SingleIncoming } from '../../codecs/json';
import { HoldfastError, ProtocolError } from '../../protocol/errors';
import { Emitter } from '../../core/events';
import { errorPayload, type PendingRequests } from '../../protocol/pending';

/** What the dispatcher needs from the socket that owns it. */
export interface DispatchHost {
  /**
   * Changes whenever the current link goes away or the socket ends. An answer is only sent on
   * the link its request came on, and the rest of a batch is dropped once it changes.
   */
  generation(): number;
  /** Sends (or queues) a frame exactly as `socket.send()` does; may throw as it does. */
  send(frame: string | Uint8Array): void;
  /** Reports a problem as an `error` event; the link stays up. */
  error(error: HoldfastError): void;
  /** A heartbeat `ping` or `pong` arrived. */
  heartbeat(message: PingMessage | PongMessage): void;
  /** Application data arrived, for `message` listeners: text as is, binary as an exact ArrayBuffer. */
  data(data: string | ArrayBuffer): void;
}

/** A handler as the dispatcher stores it: the typing lives on `HoldfastSocket<Api>`. */
export type AnyHandler = (params: unknown, context: HandlerContext) => unknown;

type Outcome = { result: unknown } | { error: ErrorPayload };

/**
 * The JSON-RPC 2.0 codes (§5.1) for our string error codes, tried when a codec refuses a string
 * code: a server request must always get an answer.
 */
const INTEGER_CODE: Readonly<Record<string, number>> = { METHOD_NOT_FOUND: -32601 };
const INTERNAL_INTEGER_CODE = -32603;

/**
 * The response for `outcome`, then what to send if the codec refuses it, in order. Lazy: the
 * fallbacks are only built when the codec refused the previous candidate.
 */
function* responseCandidates(id: Id, outcome: Outcome): Generator<ResponseMessage> {
  yield 'error' in outcome ? { type: 'response', id, error: outcome.error } : { type: 'response', id, result: outcome.result };
  const { code, message } = 'error' in outcome ? outcome.error : { code: 'INTERNAL', message: 'the result could not be encoded' };
  yield { type: 'response', id, error: { code, message } };
  const integer = typeof code === 'number' && Number.isInteger(code) ? code : (INTEGER_CODE[code] ?? INTERNAL_INTEGER_CODE);
  yield { type: 'response', id, error: { code: integer, message } };
}

/** True for a value with a callable `then`: a promise or any other thenable. */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function describeFrame(data: IncomingData): string {
  if (typeof data !== 'string') return 'binary message';
  return data.length <= 80 ? data : 'message';
}

/**
 * Decodes frames with the socket's codec and dispatches them. Handlers and event listeners stay
 * registered across reconnects; a handler's `signal` aborts when its link goes away
 * ({@link Dispatcher.abortHandlers}). Nothing here throws at the socket: every problem goes to
 * `host.error`.
 */
export class Dispatcher {
  readonly #codec: Codec;
  readonly #pending: PendingRequests;
  readonly #host: DispatchHost;
  readonly #handlers = new Map<string, AnyHandler>();
  readonly #events: Emitter<Record<string, unknown>>;
  /** Server requests being handled on the current link; aborted when it goes away. */
  readonly #inbound = new Set<AbortController>();

  constructor(codec: Codec, pending: PendingRequests, host: DispatchHost) {
    this.#codec = codec;
    this.#pending = pending;
    this.#host = host;
    this.#events = new Emitter<Record<string, unknown>>((error, event) =>
      host.error(new HoldfastError('LISTENER', `an onEvent("${event}") listener threw`, { cause: error })),
    );
  }

  /**
   * Registers the handler for server requests to `method`, replacing any earlier one. The
   * returned function unregisters it (and nothing else: not a later replacement).
   * @throws TypeError for an empty method name or a handler that is not a function.
   */
  handle(method: string, handler: AnyHandler): () => void {
    if (typeof method !== 'string' || method === '') throw new TypeError('holdfast: handle() needs a method name');
    if (typeof handler !== 'function') throw new TypeError(`holdfast: handle("${method}") needs a function`);
    this.#handlers.set(method, handler);
    return () => {
      if (this.#handlers.get(method) === handler) this.#handlers.delete(method);
    };
  }

  /** Subscribes to the application event `event`; the returned function unsubscribes. */
  onEvent(event: string, listener: (data: unknown) => void): () => void {
    return this.#events.on(event, listener);
  }

  /**
   * Offers one frame to the codec: protocol messages are dispatched, the rest is application
   * data. Each item of a batch is handled as if it had come in its own frame, in order, until
   * the link changes.
   */
  receive(data: IncomingData): void {
    let decoded: Incoming;
    try {
      decoded = this.#codec.decode(data);
    } catch (error) {
      this.#host.error(new ProtocolError(`the ${this.#codec.name} codec failed to decode a message`, { cause: error }));
      return;
    }
    if (decoded.kind === 'protocol') this.#onMessage(decoded.message);
    else if (decoded.kind !== 'batch') this.#dispatch(decoded, data);
    else {
      const host = this.#host;
      const generation = host.generation();
      for (const item of decoded.items) {
        if (generation !== host.generation()) return;
        this.#dispatch(item, data);
      }
    }
  }

  /** The link went away or the socket is closing: every running handler's signal aborts with `reason`. */
  abortHandlers(reason: HoldfastError): void {
    if (this.#inbound.size === 0) return;
    const controllers = [...this.#inbound];
    this.#inbound.clear();
    for (const controller of controllers) controller.abort(reason);
  }

  #dispatch(decoded: SingleIncoming, data: IncomingData): void {
    if (decoded.kind === 'protocol') this.#onMessage(decoded.message);
    // Views (e.g. a Node Buffer from an adapter) become an exact ArrayBuffer copy.
    else if (decoded.kind === 'data') this.#host.data(typeof data === 'string' ? data : toArrayBuffer(data));
    else this.#host.error(new ProtocolError(`invalid ${describeFrame(data)}: ${decoded.reason}`));
  }

  #onMessage(message: ProtocolMessage): void {
    switch (message.type) {
      case 'response':
        // Late (timed out, aborted) or never sent by us: reported, never thrown.
        if (!this.#pending.resolve(message)) {
          this.#host.error(new ProtocolError(`response for unknown or settled request id ${JSON.stringify(message.id)}`));
        }
        return;
      case 'request':
        this.#answer(message);
        return;
      case 'event':
        this.#events.emit(message.event, message.data);
        return;
      default:
        this.#host.heartbeat(message);
    }
  }

  /** Runs the handler for a server request and answers on the same link, if it is still up. */
  #answer({ id, method, params }: RequestMessage): void {
    const generation = this.#host.generation();
    const handler = this.#handlers.get(method);
    if (!handler) {
      this.#respond(id, { error: { code: 'METHOD_NOT_FOUND', message: `no handler for method "${method}"` } });
      return;
    }
    // Mini-program engines may lack AbortController: the signal is optional there.
    const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
    if (controller) this.#inbound.add(controller);
    const settle = (outcome: Outcome): void => {
      if (controller) this.#inbound.delete(controller);
      // The link that asked is gone: nobody on a new link is waiting for this id.
      if (generation === this.#host.generation()) this.#respond(id, outcome);
    };
    let result: unknown;
    try {
      result = handler(params, controller ? { id, method, signal: controller.signal } : { id, method });
    } catch (error) {
      settle({ error: errorPayload(error) });
      return;
    }
    if (isThenable(result)) {
      result.then(
        (value) => settle({ result: value }),
        (error: unknown) => settle({ error: errorPayload(error) }),
      );
    } else settle({ result });
  }

  /**
   * Sends a response. When the codec refuses it (a result it cannot encode, error data it cannot
   * encode, a string error code under JSON-RPC), a plain error response goes out instead, with an
   * integer code if need be, so the server is never left waiting for nothing.
   */
  #respond(id: Id, outcome: Outcome): void {
    let refused: unknown;
    for (const message of responseCandidates(id, outcome)) {
      let frame: string | Uint8Array;
      try {
        frame = this.#codec.encode(message);
      } catch (error) {
        refused ??= error;
        continue;
      }
      try {
        this.#host.send(frame);
      } catch (error) {
        this.#host.error(new HoldfastError('LISTENER', `the answer to request ${JSON.stringify(id)} could not be sent`, { cause: error }));
      }
      return;
    }
    this.#host.error(new HoldfastError('LISTENER', `the ${this.#codec.name} codec refused the answer to request ${JSON.stringify(id)}`, { cause: refused }));
  }
}
