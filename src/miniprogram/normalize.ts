/**
 * Pure helpers that turn the platforms' inconsistent payloads into one shape. Nothing here
 * touches a socket; every function takes a value and returns a value.
 */
import { isArrayBuffer, toArrayBuffer } from '../binary/bytes';
import type { SocketTaskLike } from './types';

type Dict = Record<string, unknown>;

function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null;
}

/** True for a Promise (or any thenable): what uni-app returns when no callback is passed. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return isDict(value) && typeof value['then'] === 'function';
}

/** The four SocketTask event names, as in `onOpen`/`offOpen` (and Alipay's `onSocketOpen`). */
export const EVENTS = ['Open', 'Close', 'Error', 'Message'] as const;

/** True when `value` has every SocketTask method the adapter needs. */
export function isSocketTask(value: unknown): value is SocketTaskLike {
  return isDict(value) && ['send', 'close', ...EVENTS.map((name) => 'on' + name)].every((key) => typeof value[key] === 'function');
}

/** A short description of an unexpected return value, for error messages. */
export function describe(value: unknown): string {
  return value == null ? String(value) : isThenable(value) ? 'a Promise' : typeof value;
}

/**
 * The fields of a platform payload. Alipay may wrap a listener payload one level deeper,
 * `{ data: { socketTaskID, data, ... } }`: when `data` is a plain object rather than the frame
 * itself, its fields are merged over the outer ones.
 */
function fields(raw: unknown): Dict {
  if (!isDict(raw)) return {};
  const inner = raw['data'];
  return isDict(inner) && !isArrayBuffer(inner) && !ArrayBuffer.isView(inner) ? { ...raw, ...inner } : raw;
}

/**
 * The human-readable text of a platform error: `errMsg` (wx, uni, tt), `errorMessage` and the
 * numeric `error` (Alipay), or an Error's `message` (read as a field, so an Error from another
 * JS context works too).
 */
export function errorText(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  const { errMsg, errorMessage, error: code, message } = fields(raw);
  if (typeof errMsg === 'string' && errMsg) return errMsg;
  if (typeof errorMessage === 'string' && errorMessage) return typeof code === 'number' ? `${errorMessage} (error ${code})` : errorMessage;
  if (typeof code === 'number') return `error ${code}`;
  if (typeof code === 'string' && code) return code;
  return typeof message === 'string' && message ? message : 'unknown error';
}

/** The incoming frame, or `undefined` when the payload holds nothing we can deliver. */
export function messageData(raw: unknown, decodeBase64?: (text: string) => ArrayBuffer): string | ArrayBuffer | undefined {
  const payload = fields(raw);
  const data = payload['data'] !== undefined ? payload['data'] : payload['message'];
  if (typeof data === 'string') {
    if (payload['isBuffer'] !== true) return data;
    try {
      return decodeBase64?.(data);
    } catch {
      return undefined;
    }
  }
  // A foreign-realm ArrayBuffer (uni-app before 3.4.2), which `instanceof` rejects, is copied
  // into this realm. A view is copied to exactly its bytes, so a pooled or offset buffer never
  // leaks extra bytes.
  if (isArrayBuffer(data)) return data instanceof ArrayBuffer ? data : toArrayBuffer(new Uint8Array(data));
  return ArrayBuffer.isView(data) ? toArrayBuffer(data) : undefined;
}

/**
 * Reads `code` and `reason` from a platform close payload (`undefined` when not reported). tt
 * may send the code as a string; WeChat sends 0 after backgrounding ("interrupted"), which means
 * an abnormal closure: 1006.
 */
export function reportedClose(raw: unknown): { code?: number; reason?: string } {
  const { code: rawCode, reason, errMsg } = fields(raw);
  let code = rawCode == null || rawCode === '' ? undefined : Number(rawCode);
  if (code !== undefined && !(Number.isInteger(code) && code >= 0)) code = undefined;
  const text = reason ?? errMsg;
  return { code: code === 0 ? 1006 : code, reason: typeof text === 'string' ? text : undefined };
}

/** The `Sec-WebSocket-Protocol` value in an open payload's `header`, or `''`. */
export function openedProtocol(raw: unknown): string {
  const { header } = fields(raw);
  if (!isDict(header)) return '';
  for (const key in header) {
    const value = header[key];
    const text = Array.isArray(value) ? value[0] : value;
    if (key.toLowerCase() === 'sec-websocket-protocol' && typeof text === 'string') return text.trim();
  }
  return '';
}
