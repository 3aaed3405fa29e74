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

const DATA: Decoded = { kind: 'data' };
const TYPES = new Set(['ping', 'pong', 'request', 'response', 'event']);

function isId(value: unknown): value is Id {
  return (typeof value === 'string' && value.length > 0) || (typeof value === 'number' && Number.isFinite(value));
}

/** Drops keys that could reach a prototype if a consumer merges the parsed value into an object. */
function stripDangerous(key: string, value: unknown): unknown {
  return key === '__proto__' || key === 'constructor' || key === 'prototype' ? undefined : value;
}

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
    return RISKY.test(text) ? JSON.parse(text, stripDangerous) : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Classifies an already-parsed value. */
export function classify(value: unknown): Decoded {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return DATA;
  const record = value as Record<string, unknown>;
  const type = record.type;
  if (typeof type !== 'string' || !TYPES.has(type)) return DATA;
  switch (type) {
    case 'ping':
    case 'pong':
      return typeof record.ts === 'number' && Number.isFinite(record.ts)
        ? { kind: 'protocol', message: { type, ts: record.ts } }
        : { kind: 'invalid', reason: `${type} without a numeric ts` };
    case 'request':
      if (!isId(record.id)) return { kind: 'invalid', reason: 'request without a valid id' };
      if (typeof record.method !== 'string' || record.method === '') return { kind: 'invalid', reason: 'request without a method' };
      return { kind: 'protocol', message: { type, id: record.id, method: record.method, params: record.params } };
    case 'response': {
      if (!isId(record.id)) return { kind: 'invalid', reason: 'response without a valid id' };
      if ('error' in record && record.error !== undefined && record.error !== null) {
        const error = record.error as Record<string, unknown>;
        if (typeof error !== 'object' || (typeof error.code !== 'string' && typeof error.code !== 'number') || typeof error.message !== 'string') {
          return { kind: 'invalid', reason: 'response error without code and message' };
        }
        const payload: ErrorPayload = { code: error.code, message: error.message };
        if ('data' in error) payload.data = error.data;
        return { kind: 'protocol', message: { type, id: record.id, error: payload } };
      }
      if (!('result' in record)) return { kind: 'invalid', reason: 'response without result or error' };
      return { kind: 'protocol', message: { type, id: record.id, result: record.result } };
    }
    default: // 'event'
      if (typeof record.event !== 'string' || record.event === '') return { kind: 'invalid', reason: 'event without a name' };
      return { kind: 'protocol', message: { type: 'event', event: record.event, data: record.data } };
  }
}

/**
 * Decodes one text frame. Cheap for application data: text that cannot be a JSON object with a
 * `"type"` member is recognised without parsing.
 */
export function decodeText(text: string): Decoded {
  if (!looksLikeEnvelope(text)) return DATA;
  const value = safeJsonParse(text);
  return value === undefined ? DATA : classify(value);
}

/** True when `text` could be a JSON object with a `type` member (no parsing). */
export function looksLikeEnvelope(text: string): boolean {
  let i = 0;
  // Skip JSON whitespace: space, tab, LF, CR.
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
    i++;
  }
  return text.charCodeAt(i) === 123 /* { */ && text.includes('"type"');
}

export const encodePing = (ts: number): string => `{"type":"ping","ts":${ts}}`;
export const encodePong = (ts: number): string => `{"type":"pong","ts":${ts}}`;
export const encodeError = (id: Id, error: ErrorPayload): string =>
  JSON.stringify({ type: 'response', id, error } satisfies ResponseFailure);
