/**
 * Type-level description of what a server offers, so `rpc<Api>()` can type `request`, `onEvent`,
 * `emit` and server-to-client handlers on the client, and the server's application half can type
 * its handlers, events and server-to-client requests with the same map. Nothing here exists at
 * runtime; it lives in protocol/ because the client and the server both read it.
 *
 * ```ts
 * interface ChatApi {
 *   methods: { 'room.join': { params: { room: string }; result: { members: string[] } } };
 *   events: { chat: { from: string; text: string } };   // server -> client
 *   emits?: { chat: { text: string } };                 // client -> server (defaults to `events`)
 *   handles?: { 'client.version': { params: undefined; result: string } }; // server -> client requests
 * }
 * ```
 * Each section may be a type literal or a separately declared interface. A section that is left
 * out offers nothing (its names are `never`), except `emits`, which falls back to `events`.
 * Without a type argument, {@link DefaultApi} allows any name, with `unknown` payloads.
 */

/** One callable method: `params` may be left out (no params) or allow `undefined` (optional). */
export interface MethodSpec {
  params?: unknown;
  result: unknown;
}

/** The loose default: every name is a `string`, every payload `unknown` (never `any`). */
export interface DefaultApi {
  methods: Record<string, MethodSpec>;
  events: Record<string, unknown>;
  emits: Record<string, unknown>;
  handles: Record<string, MethodSpec>;
}

type Section<Api, K extends keyof DefaultApi> = K extends keyof Api ? NonNullable<Api[K]> : Record<never, never>;
type Methods<Api> = Section<Api, 'methods'>;
type Events<Api> = Section<Api, 'events'>;
type Emits<Api> = 'emits' extends keyof Api ? Section<Api, 'emits'> : Events<Api>;
type Handles<Api> = Section<Api, 'handles'>;

type ParamsIn<S> = 'params' extends keyof S ? S['params' & keyof S] : undefined;
type ResultIn<S> = S extends { result: infer R } ? R : unknown;
/** `[x?: T]` when `T` admits `undefined`, else `[x: T]`. */
export type OptionalWhenUndefined<T> = undefined extends T ? [T?] : [T];

/** The names `request()` accepts. */
export type MethodName<Api = DefaultApi> = keyof Methods<Api> & string;
/** The params of method `M` (`undefined` when it declares none). */
export type ParamsOf<Api, M extends MethodName<Api>> = ParamsIn<Methods<Api>[M]>;
/** What `request(M)` resolves to. */
export type ResultOf<Api, M extends MethodName<Api>> = ResultIn<Methods<Api>[M]>;
/** The params argument(s) of `request(M, …)`: optional when the params type admits `undefined`. */
export type ParamsArgs<Api, M extends MethodName<Api>> = OptionalWhenUndefined<ParamsOf<Api, M>>;

/** Events the server sends, which `on()` can listen to. */
export type EventName<Api = DefaultApi> = keyof Events<Api> & string;
/** The data a listener for server event `E` receives. */
export type EventData<Api, E extends EventName<Api>> = Events<Api>[E];
/** A listener for server event `E`. */
export type EventListener<Api, E extends EventName<Api>> = (data: EventData<Api, E>) => void;

/** Events the client may send (`emits`, or `events` when `emits` is absent). */
export type EmitName<Api = DefaultApi> = keyof Emits<Api> & string;
/** The data of client event `E`. */
export type EmitData<Api, E extends EmitName<Api>> = Emits<Api>[E];
/** The data argument(s) of `emit(E, …)`: optional when the data type admits `undefined`. */
export type EmitArgs<Api, E extends EmitName<Api>> = OptionalWhenUndefined<EmitData<Api, E>>;

/** Requests the server may send to the client. */
export type HandlerName<Api = DefaultApi> = keyof Handles<Api> & string;
/** The params a handler for server request `M` receives. */
export type HandlerParams<Api, M extends HandlerName<Api>> = ParamsIn<Handles<Api>[M]>;
/** What a handler for server request `M` must return (or resolve to). */
export type HandlerResult<Api, M extends HandlerName<Api>> = ResultIn<Handles<Api>[M]>;
/** The params argument(s) of a server-to-client request `M`: optional when its type admits `undefined`. */
export type HandlerParamsArgs<Api, M extends HandlerName<Api>> = OptionalWhenUndefined<HandlerParams<Api, M>>;
/** The data argument(s) of a server event `E`: optional when its type admits `undefined`. */
export type EventArgs<Api, E extends EventName<Api>> = OptionalWhenUndefined<EventData<Api, E>>;
