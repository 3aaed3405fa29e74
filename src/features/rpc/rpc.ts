/**
 * `rpc<Api>()`: typed request/response, server-to-client requests and application events over
 * the CONTRACT's JSON shapes (or another codec), as a feature on the core's seam. It owns the
 * pending-request table, the handlers and the event listeners; it reaches the socket only
 * through its FeatureHost.
 */
import { jsonCodec, type Codec, type Incoming, type IncomingData, type SingleIncoming } from '../../codecs/json';
import type { Feature, FeatureHost } from '../../core/feature';
import { createEmitter } from '../../core/events';
import { badOption, duration } from '../../core/options';
import type { DropReason } from '../../core/events';
import type { SendResult } from '../../core/socket';
import { HoldfastError, type ErrorCode, type ErrorContext } from '../../protocol/errors';
import { createPending, errorPayload, requestError } from '../../protocol/pending';
import { isName, type ErrorPayload, type Id, type ProtocolMessage, type RequestMessage, type ResponseMessage } from '../../protocol/wire';
import { isArrayBuffer, type PlatformAbortSignal, type PlatformBlob } from '../../protocol/bytes';
import type {
  DefaultApi,
  EmitArgs,
  EmitName,
  EventListener,
  EventName,
  Handler,
  HandlerContext,
  HandlerName,
  MethodName,
  ParamsArgs,
  ResultOf,
} from './api';

/** Per-call options of `request()`. */
export interface RequestOptions {
  /**
   * Milliseconds from the call until the request rejects with TimeoutError, also while it waits
   * offline. `0` or `Infinity`: none. Default: rpc's `timeout` option (30000).
   */
  timeout?: number;
  /** Aborting rejects the request with AbortError (`cause` is `signal.reason`). */
  signal?: PlatformAbortSignal;
  /**
   * Survive a dropped link: the request is sent again, with the same id, once the socket is open
   * again (its timeout keeps running). Only for methods that are safe to run twice. Default false.
   */
  retry?: boolean;
}

/** Options of `rpc()`. */
export interface RpcOptions {
  /**
   * Default timeout of `request()`, in milliseconds, counted from the call (also while the
   * request waits offline). `0` or `Infinity`: no timeout. Default 30000: no request hangs
   * forever, yet one survives a typical reconnect while it waits offline.
   */
  timeout?: number;
  /**
   * How requests, responses and events are put on the wire and read back. Default `jsonCodec`
   * (the CONTRACT JSON shapes); `envelopeCodec` adds binary attachments; `jsonRpcCodec()` talks
   * JSON-RPC 2.0.
   */
  codec?: Codec;
}

/** What `rpc<Api>()` adds to the socket, typed by `Api` (see `api.ts`). */
export interface Rpc<Api = DefaultApi> {
  /**
   * Calls `method` on the server and resolves with its result. The request is queued like
   * `send()` while the link is not open. It settles exactly once, and rejects with:
   * TimeoutError (its timeout ran out, counted from the call; or it waited in the queue longer
   * than `queue.ttl`), AbortError (its signal fired; an already-aborted signal sends nothing),
   * RemoteError (the server answered with an error: `remoteCode`, `message`, `data`),
   * ClosedError `DISCONNECTED` (the link dropped before the answer, without `retry`),
   * ClosedError `CLOSED` (`close()` was called, or the socket stopped for good),
   * QueueFullError / MessageTooBigError (the frame could not be queued or sent), or the codec's
   * TypeError (params it cannot encode). Every HoldfastError it rejects with carries `method`
   * and `id` (when one was given).
   */
  request<M extends MethodName<Api>>(method: M, ...args: [...ParamsArgs<Api, M>, RequestOptions?]): Promise<ResultOf<Api, M>>;
  /**
   * Answers requests the server sends for `method`. The handler's return value (or what its
   * promise resolves to) becomes the response; a throw or rejection becomes an error response
   * whose code is the thrown value's `code` when that is a string or number, else `'INTERNAL'`.
   * Requests for methods without a handler are answered with `METHOD_NOT_FOUND`. Registering a
   * method again replaces the handler. Returns a function that unregisters it.
   */
  handle<M extends HandlerName<Api>>(method: M, handler: Handler<Api, M>): () => void;
  /** Sends the application event `event` (queued while offline, like `send()`). Throws the codec's TypeError for data it cannot encode. */
  emit<E extends EmitName<Api>>(event: E, ...args: EmitArgs<Api, E>): SendResult;
  /** Listens to the application event `event` from the server. Returns a function that unsubscribes. */
  onEvent<E extends EventName<Api>>(event: E, listener: EventListener<Api, E>): () => void;
}

/** A handler as the feature stores it: the typing lives on `Rpc<Api>`. */
type AnyHandler = (params: unknown, context: HandlerContext) => unknown;
type Outcome = { result: unknown } | { error: ErrorPayload };

const isThenable = (value: unknown): value is PromiseLike<unknown> => typeof (value as PromiseLike<unknown> | null)?.then === 'function';

/** What a request rejects with when the core dropped its frame, by the reason. */
const LOST: Record<DropReason, [ErrorCode, string, string]> = {
  overflow: ['QUEUE_FULL', 'QueueFullError', 'queue full'],
  expired: ['TIMEOUT', 'TimeoutError', 'it waited longer than queue.ttl'],
  closed: ['CLOSED', 'ClosedError', 'the socket closed'],
};

/** An error made as a plain HoldfastError named after its subclass (errors.ts: one class ships). */
const named = (code: ErrorCode, name: string, message: string, context?: ErrorContext): HoldfastError =>
  new HoldfastError(code, message, { name, ...context });

/** Throws `holdfast: <what>` as a TypeError unless `ok`. */
const need = (ok: unknown, what: string): void => {
  if (!ok) throw new TypeError('holdfast: ' + what);
};

/**
 * The request/response feature. `Api` describes what the server offers (methods, events, emits,
 * handles: see `api.ts`) and exists only at compile time.
 *
 * Handlers and event listeners stay registered across reconnects. A server request is answered
 * only on the link it came on; a handler's `signal` aborts when that link goes away. Nothing here
 * throws at the socket: every problem with an inbound frame becomes an `error` event.
 *
 * @throws HoldfastError `OPTIONS` for a bad `timeout` or `codec`.
 */
export function rpc<Api = DefaultApi>(options: RpcOptions = {}): Feature<Rpc<Api>> {
  const timeout = duration('rpc.timeout', options.timeout, 30_000);
  const codec = options.codec ?? jsonCodec;
  if (typeof codec?.encode !== 'function' || typeof codec.decode !== 'function') throw badOption('rpc.codec');

  return (host: FeatureHost) => {
    const pending = createPending(host.clock, timeout);
    const handlers = new Map<string, AnyHandler>();
    const events = createEmitter<Record<string, unknown>>((cause, event) =>
      host.error(new HoldfastError('LISTENER', `an onEvent("${String(event)}") listener threw`, { cause })),
    );
    const protocolError = (message: string, cause?: unknown): void => host.error(named('PROTOCOL', 'ProtocolError', message, { cause }));
    /** Server requests being handled on the current link; aborted when it goes away. */
    const inbound = new Set<AbortController>();
    /** Bumped whenever the link goes away: answers only go out on the link they were asked on. */
    let link = 0;
    /** Whether a protocol message in a Blob frame was reported (once per socket). */
    let blobs = false;

    const abortHandlers = (code: ErrorCode, message: string, closeCode: number): void => {
      link++;
      const running = [...inbound];
      inbound.clear();
      const reason = named(code, 'ClosedError', message, { closeCode });
      for (const controller of running) controller.abort(reason);
    };

    /** Encodes and sends (or queues) a pending request; every way its frame can be lost rejects it. */
    const sendRequest = (id: number, method: string, params: unknown): void => {
      if (!pending.has(id)) return; // already settled (an aborted signal): never sent
      try {
        // A request that settled while its frame waited (timeout, abort) is withdrawn, not sent.
        host.send(codec.encode({ type: 'request', id, method, params }), (fate) => {
          if (fate === 'sent') return pending.has(id);
          const [code, name, why] = LOST[fate];
          pending.reject(id, requestError(code, name, 'was dropped: ' + why, method, id));
        });
      } catch (e) {
        // The codec's TypeError, MessageTooBigError, or QueueFullError under policy 'throw': the
        // core made the latter two without knowing the request, which they now name.
        pending.reject(id, e instanceof HoldfastError && e.method === undefined ? Object.assign(e, { method, id }) : e instanceof Error ? e : new TypeError(String(e)));
      }
    };

    /**
     * Sends a response. When the codec refuses it (a result it cannot encode, error data it
     * cannot encode, a string error code under JSON-RPC), a plain error response goes out
     * instead, with an integer code if need be (JSON-RPC §5.1: -32601 method not found, -32603
     * internal), so the server is never left waiting for nothing.
     */
    const respond = (id: Id, outcome: Outcome): void => {
      const { code, message } = 'error' in outcome ? outcome.error : { code: 'INTERNAL', message: 'the result could not be encoded' };
      let refused: unknown;
      for (const reply of [outcome, { error: { code, message } }, { error: { code: Number.isInteger(code) ? code : code === 'METHOD_NOT_FOUND' ? -32601 : -32603, message } }]) {
        let frame: string | Uint8Array;
        try {
          frame = codec.encode({ type: 'response', id, ...reply } as ResponseMessage);
        } catch (e) {
          refused ??= e;
          continue;
        }
        try {
          host.send(frame);
        } catch (cause) {
          host.error(new HoldfastError('SEND', 'answer not sent', { cause, id }));
        }
        return;
      }
      host.error(new HoldfastError('ENCODE', codec.name + ' codec refused the answer', { cause: refused, id }));
    };

    /** Runs the handler for a server request and answers on the same link, if it is still up. */
    const answer = ({ id, method, params }: RequestMessage): void => {
      const handler = handlers.get(method);
      if (!handler) return respond(id, { error: { code: 'METHOD_NOT_FOUND', message: `no handler for "${method}"` } });
      const asked = link;
      // Mini-program engines may lack AbortController: the signal is optional there.
      const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
      if (controller) inbound.add(controller);
      const settle = (outcome: Outcome): void => {
        inbound.delete(controller as AbortController);
        if (asked === link) respond(id, outcome);
      };
      const failed = (e: unknown): void => settle({ error: errorPayload(e) });
      try {
        const result = handler(params, { id, method, signal: controller?.signal });
        if (isThenable(result)) result.then((value) => settle({ result: value }), failed);
        else settle({ result });
      } catch (e) {
        failed(e);
      }
    };

    /** Dispatches one protocol message; false for a heartbeat (the core's business), which stays application data here. */
    const dispatch = (message: ProtocolMessage): boolean => {
      const type = message.type;
      // Late (timed out, aborted) or never sent by us: reported, never thrown.
      if (type === 'response') pending.resolve(message) || protocolError(`response for unknown or settled request id ${JSON.stringify(message.id)}`);
      else if (type === 'request') answer(message);
      else if (type === 'event') events.emit(message.event, message.data);
      return type !== 'ping' && type !== 'pong';
    };

    host.hook({
      receive(data) {
        // The core hands binary over as an exact ArrayBuffer, or as a Blob (binaryType 'blob').
        if (typeof data !== 'string' && !isArrayBuffer(data)) {
          // No codec reads a Blob (binaryType 'blob'): it cannot be decoded now, and decoding it
          // later would reorder frames, so it stays application data. A codec that reads binary
          // is told once per socket, as soon as the bytes show it held a protocol message.
          // Older WebViews' Blobs lack arrayBuffer(): no report there, and no throw.
          if (codec !== jsonCodec && !blobs)
            (data as Partial<PlatformBlob>)
              .arrayBuffer?.()
              .then((bytes) => {
                if (blobs || /^clos/.test(host.socket.state) || codec.decode(bytes).kind === 'data') return;
                blobs = true;
                host.error(new HoldfastError('OPTIONS', codec.name + " message in a Blob: use binaryType: 'arraybuffer'"));
              })
              .catch(() => {});
          return;
        }
        let decoded: Incoming;
        try {
          decoded = codec.decode(data as IncomingData);
        } catch (cause) {
          protocolError(`the ${codec.name} codec failed to decode a message`, cause);
          return true;
        }
        const kind = decoded.kind;
        if (kind === 'protocol') return dispatch(decoded.message);
        // Application data, and text frames whose protocol shape does not fit (CONTRACT); a binary
        // frame in the codec's own format (the HFB1 envelope) that is broken is reported.
        if (kind === 'invalid' && typeof data !== 'string') protocolError('invalid binary message: ' + decoded.reason);
        else if (kind !== 'batch') return false;
        else {
          // Each item of a batch is handled as if it had come in its own frame, until the link changes.
          const asked = link;
          for (const item of decoded.items as SingleIncoming[]) {
            if (asked !== link) break;
            if (item.kind !== 'protocol' || !dispatch(item.message)) protocolError('invalid batch item' + (item.kind === 'invalid' ? ': ' + item.reason : ''));
          }
        }
        return true;
      },
      down(info) {
        // A durable session (session()) carries what was in flight over to the next link: requests
        // stay pending (their frames wait in its outbox, their timeouts run), answers go out there.
        if ((host.socket as { session?: { durable?: boolean } }).session?.durable) return;
        const retries = pending.onDisconnect(info.code);
        abortHandlers('DISCONNECTED', 'link lost', info.code);
        for (const r of retries) sendRequest(r.id, r.method, r.params);
      },
      end(code) {
        abortHandlers('CLOSED', 'closed', code);
        pending.rejectAll((method, id) => requestError('CLOSED', 'ClosedError', 'lost: the socket closed', method, id, { closeCode: code }));
      },
    });

    const methods: Rpc = {
      request(method: string, params?: unknown, options?: RequestOptions) {
        const state = host.socket.state;
        let request: { id: number; promise: Promise<unknown> };
        try {
          need(isName(method), 'request() needs a method name');
          if (/^clos/.test(state)) throw named('CLOSED', 'ClosedError', `request "${method}" not sent: the socket is ${state}`, { method });
          // Throws a RangeError for a bad timeout.
          request = pending.add(method, options, params);
        } catch (e) {
          return Promise.reject(e as Error);
        }
        sendRequest(request.id, method, params);
        return request.promise;
      },
      handle(method: string, handler: AnyHandler) {
        need(isName(method), 'handle() needs a method name');
        need(typeof handler === 'function', `handle("${method}") needs a function`);
        handlers.set(method, handler);
        return () => void (handlers.get(method) === handler && handlers.delete(method));
      },
      emit(event: string, data?: unknown) {
        need(isName(event), 'emit() needs an event name');
        return host.send(codec.encode({ type: 'event', event, data }));
      },
      onEvent: (event: string, listener: (data: unknown) => void) => events.on(event, listener),
    };
    // The runtime is untyped (any name, `unknown` payloads); `Api` only narrows what callers may pass.
    return methods as Rpc as Rpc<Api>;
  };
}
