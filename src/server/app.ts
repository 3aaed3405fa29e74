import { decodeEnvelope, restoreBinary } from '../protocol/envelope.js';
import { decodeText, encodeError, encodePong, type ErrorPayload, type Id, type ProtocolMessage, type RequestMessage } from '../protocol/wire.js';
import { encodeOutgoing, type Connection } from './connection.js';

/** What a request handler gets besides the params. */
export interface HandlerContext {
  /** The connection the request came from (it can `emit`, `request`, `send`, `close`). */
  connection: Connection;
  /** The method name that was called. */
  method: string;
  /** The request id the client chose. */
  id: Id;
}

/**
 * Answers one request method. Return the result, or a promise of it; throw (or reject) to answer
 * with an error whose code is the thrown value's `code` when that is a string or number, else
 * "INTERNAL".
 */
export type Handler = (params: unknown, context: HandlerContext) => unknown;

/** How the default app reaches the rest of the server. */
export interface AppHooks {
  /** Echo application data back (text as text, binary as binary). */
  echo: boolean;
  /** Sends a message (text, or a binary envelope) to every open connection. */
  broadcast(data: string | Uint8Array): void;
  /** A client sent a wire event. */
  onEvent(connection: Connection, event: string, data: unknown): void;
}

const BUILT_IN: ReadonlyMap<string, Handler> = new Map<string, Handler>([['echo', (params) => params]]);

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** Turns whatever a handler threw into the wire `error` member; never loses the failure. */
export function toErrorPayload(thrown: unknown): ErrorPayload {
  const record = typeof thrown === 'object' && thrown !== null ? (thrown as { code?: unknown; message?: unknown }) : undefined;
  const code = typeof record?.code === 'string' || typeof record?.code === 'number' ? record.code : 'INTERNAL';
  const message =
    typeof record?.message === 'string' ? record.message : typeof thrown === 'string' ? thrown : 'request handler failed';
  return { code, message };
}

/** True when the first non-whitespace byte is `{`: only such text can be a wire message. */
function mayBeJsonObject(payload: Buffer): boolean {
  for (let i = 0; i < payload.length; i++) {
    const byte = payload[i];
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return byte === 0x7b;
  }
  return false;
}

/**
 * The default behaviour (CONTRACT "Reference server"): answers JSON heartbeats, dispatches
 * requests to registered handlers (`echo` built in), hands events to the server and broadcasts
 * `chat` events, settles responses to server-to-client requests, and echoes everything else.
 */
export class App {
  readonly #hooks: AppHooks;
  readonly #handlers = new Map<string, Handler>(BUILT_IN);

  constructor(hooks: AppHooks) {
    this.#hooks = hooks;
  }

  /**
   * Registers `fn` for `method`, replacing any earlier handler (including the built-in `echo`).
   * Returns a function that removes it, if it is still the registered one.
   */
  handle(method: string, fn: Handler): () => void {
    if (typeof method !== 'string' || method === '') throw new TypeError('handle() needs a non-empty method name');
    if (typeof fn !== 'function') throw new TypeError(`handle("${method}") needs a function`);
    this.#handlers.set(method, fn);
    return () => {
      if (this.#handlers.get(method) === fn) this.#handlers.delete(method);
    };
  }

  /** Handles one complete message from `connection`. */
  receive(connection: Connection, payload: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.#receiveBinary(connection, payload);
      return;
    }
    if (!mayBeJsonObject(payload)) {
      this.#echo(connection, payload, false);
      return;
    }
    const decoded = decodeText(payload.toString('utf8'));
    if (decoded.kind === 'data') this.#echo(connection, payload, false);
    else if (decoded.kind === 'invalid') this.#reportMalformed(connection, `malformed protocol message: ${decoded.reason}`);
    else this.#onProtocol(connection, decoded.message);
  }

  /** Binary is application data unless it is a binary envelope (docs/protocol.md §2). */
  #receiveBinary(connection: Connection, payload: Buffer): void {
    let message: ProtocolMessage | undefined;
    try {
      const envelope = decodeEnvelope(payload);
      if (envelope) message = restoreBinary(envelope.message, envelope.attachments);
    } catch (error) {
      this.#reportMalformed(connection, `malformed binary envelope: ${toErrorPayload(error).message}`);
      return;
    }
    if (message) this.#onProtocol(connection, message);
    else this.#echo(connection, payload, true);
  }

  #reportMalformed(connection: Connection, message: string): void {
    connection.emit('error', { message });
  }

  #echo(connection: Connection, payload: Buffer, isBinary: boolean): void {
    if (this.#hooks.echo) connection.send(payload, { binary: isBinary });
  }

  #onProtocol(connection: Connection, message: ProtocolMessage): void {
    switch (message.type) {
      case 'ping':
        connection.send(encodePong(message.ts));
        return;
      case 'request':
        this.#answer(connection, message);
        return;
      case 'response':
        connection.settle(message);
        return;
      case 'event':
        this.#hooks.onEvent(connection, message.event, message.data);
        if (message.event === 'chat') this.#hooks.broadcast(encodeOutgoing(message));
        return;
      case 'pong':
        return;
    }
  }

  #answer(connection: Connection, { id, method, params }: RequestMessage): void {
    const handler = this.#handlers.get(method);
    if (!handler) {
      connection.send(encodeError(id, { code: 'METHOD_NOT_FOUND', message: `no handler for method "${method}"` }));
      return;
    }
    const reply = (result: unknown): void => {
      let data: string | Uint8Array;
      try {
        data = encodeOutgoing({ type: 'response', id, result: result === undefined ? null : result });
      } catch (error) {
        data = encodeError(id, { code: 'INTERNAL', message: `result of "${method}" cannot be encoded: ${toErrorPayload(error).message}` });
      }
      connection.send(data);
    };
    const fail = (error: unknown): void => {
      connection.send(encodeError(id, toErrorPayload(error)));
    };
    let result: unknown;
    try {
      result = handler(params, { connection, method, id });
    } catch (error) {
      fail(error);
      return;
    }
    if (isThenable(result)) result.then(reply, fail);
    else reply(result);
  }
}
