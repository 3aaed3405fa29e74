/**
 * The CONTRACT's wire shapes (text frames, JSON), shared by the client and the reference server.
 * Pure: no I/O, no platform globals. Anything that is not one of these shapes is application
 * data and passes through untouched.
 */

export type Id = string | number;

export interface PingMessage {
  type: 'ping';
  ts: number;
}
export interface PongMessage {
  type: 'pong';
  ts: number;
}
export interface RequestMessage {
  type: 'request';
  id: Id;
  method: string;
  params?: unknown;
}
/** The `error` member of a failed response. */
export interface ErrorPayload {
  code: string | number;
  message: string;
  data?: unknown;
}
export interface ResponseSuccess {
  type: 'response';
  id: Id;
  result: unknown;
}
export interface ResponseFailure {
  type: 'response';
  id: Id;
  error: ErrorPayload;
}
export type ResponseMessage = ResponseSuccess | ResponseFailure;
export interface EventMessage {
  type: 'event';
  event: string;
  data?: unknown;
}
export type ProtocolMessage = PingMessage | PongMessage | RequestMessage | ResponseMessage | EventMessage;

/** What `decodeText` makes of one text frame. */
export type Decoded =
  /** A well-formed protocol message. */
  | { kind: 'protocol'; message: ProtocolMessage }
  /** Not a protocol message: application data, to be passed through unchanged. */
  | { kind: 'data' }
  /** Claims a protocol `type` but breaks its shape (e.g. a response without an id). */
  | { kind: 'invalid'; reason: string };

/** The `{ kind: 'data' }` result, shared. */
export const DATA: Decoded = { kind: 'data' };

/** A non-null object that is not an array (what JSON.parse makes of `{…}`). */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A non-empty string: a method or event name. */
export const isName = (value: unknown): value is string => typeof value === 'string' && value !== '';

/** A valid request/response id: a non-empty string or a finite number. */
export const isId = (value: unknown): value is Id => isName(value) || Number.isFinite(value);

/** Drops keys that could reach a prototype if a consumer merges the parsed value into an object. */
const stripDangerous = (key: string, value: unknown): unknown => (/^(__proto__|constructor|prototype)$/.test(key) ? undefined : value);

/**
 * Text that may spell a dangerous key: one of the names, or a `\u00XX` escape of an ASCII letter
 * or `_` (JSON.parse turns `"\u005f_proto__"` into `__proto__`). Escapes of other characters,
 * e.g. the non-ASCII ones some servers always escape, do not match.
 */
const RISKY = /__proto__|constructor|prototype|\\u00[4-7]/;

/**
 * JSON.parse that never throws and never yields `__proto__`/`constructor`/`prototype` keys, also
 * when they are spelled with escapes. The reviver (slow) only runs when one native regex scan of
 * the text finds something that could spell one of those names.
 * Returns `undefined` for text that is not JSON.
 */
export function safeJsonParse(text: string): unknown {
  try {
    return JSON.parse(text, RISKY.test(text) ? stripDangerous : undefined);
  } catch {
    return undefined;
  }
}

/**
 * Classifies an already-parsed value: a protocol message rebuilt with only its CONTRACT keys,
 * `invalid` (the reason names the type and the first bad member) or application data.
 */
export function classify(value: unknown): Decoded {
  if (!isRecord(value)) return DATA;
  // Each case reads only its own members: looking up absent ones costs on every frame.
  const type = value.type;
  let message: ProtocolMessage;
  let bad: string | false;
  switch (type) {
    case 'ping':
    case 'pong': {
      const ts = value.ts;
      bad = !Number.isFinite(ts) && 'ts';
      message = { type, ts: ts as number };
      break;
    }
    case 'request': {
      const { id, method } = value;
      bad = !isId(id) ? 'id' : !isName(method) && 'method';
      message = { type, id: id as Id, method: method as string, params: value.params };
      break;
    }
    case 'event': {
      const event = value.event;
      bad = !isName(event) && 'event';
      message = { type, event: event as string, data: value.data };
      break;
    }
    case 'response': {
      const { id, error } = value;
      if (error == null) {
        bad = !isId(id) ? 'id' : !('result' in value) && 'result';
        message = { type, id: id as Id, result: value.result };
        break;
      }
      const { code, message: text, data } = isRecord(error) ? error : ({} as Record<string, unknown>);
      bad = !isId(id) ? 'id' : !((typeof code === 'string' || typeof code === 'number') && typeof text === 'string') && 'error';
      message = { type, id: id as Id, error: { code: code as Id, message: text as string, data } };
      break;
    }
    default:
      return DATA;
  }
  return bad ? { kind: 'invalid', reason: `${type}: bad ${bad}` } : { kind: 'protocol', message };
}

/**
 * Text that can hold a protocol message: a JSON object (after JSON whitespace) with a `"type"`
 * member whose value is one of the CONTRACT types, or holds an escape (which may spell one).
 * Application JSON with its own `type` values fails this native scan and is never parsed.
 */
const CANDIDATE = /^[\t\n\r ]*\{[^]*?"type"[\t\n\r ]*:[\t\n\r ]*"(?:p[io]ng"|re(?:quest|sponse)"|event"|[^"]*\\)/;

/**
 * Decodes one text frame. Cheap for application data: text that cannot be a JSON object with a
 * protocol `"type"` is recognised without parsing.
 */
export const decodeText = (text: string): Decoded =>
  // No `startsWith` fast path for the forms holdfast's peers write: measured on Node 20, two
  // startsWith calls (~130 ns each on a 78-byte response) cost more than this anchored regex.
  CANDIDATE.test(text) ? classify(safeJsonParse(text)) : DATA;

export const encodePing = (ts: number): string => `{"type":"ping","ts":${ts}}`;
export const encodePong = (ts: number): string => `{"type":"pong","ts":${ts}}`;
export const encodeError = (id: Id, error: ErrorPayload): string =>
  JSON.stringify({ type: 'response', id, error } satisfies ResponseFailure);
