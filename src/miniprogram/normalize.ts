/**
 * Pure helpers that turn the platforms' inconsistent payloads into one shape. Nothing here
 * touches a socket; every function takes a value and returns a value.
 */
import { isBinary, isBlob, toArrayBuffer, toUint8Array } from '../binary/bytes';
import { toTag, type PlatformBlob } from '../protocol/bytes';
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

/**
 * The fields of a platform payload. Alipay may wrap a listener payload one level deeper,
 * `{ data: { socketTaskID, data, ... } }`: when `data` is a plain object rather than the frame
 * itself (a string, buffer, view or Blob), its fields are merged over the outer ones. The payload
 * itself is kept, not copied: a browser `MessageEvent` (Taro H5) has its `data` on the prototype.
 */
function fields(raw: unknown): Dict {
  if (!isDict(raw)) return {};
  const inner = raw['data'];
  return toTag(inner) === '[object Object]' ? { ...raw, ...(inner as Dict) } : raw;
}

/** Keeps a returned Promise (Taro's and Alipay's task methods return one) from rejecting unhandled. */
export function absorb(result: unknown): void {
  if (isThenable(result)) result.then(undefined, () => {});
}

/**
 * The human-readable text of a platform error: `errMsg` (wx, uni, tt), `errorMessage` and the
 * numeric `error` (Alipay), or an Error's `message` (read as a field, so an Error from another
 * JS context works too).
 */
export function errorText(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  const { errMsg, errorMessage, error: code, message } = fields(raw);
  const numbered = typeof code === 'number';
  return (
    text(errMsg) ||
    (text(errorMessage) && (numbered ? `${errorMessage} (error ${code})` : text(errorMessage))) ||
    (numbered ? `error ${code}` : text(code)) ||
    text(message) ||
    'unknown error'
  );
}

/** `value` if it is a string, else `''`. */
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * The incoming frame: text, an ArrayBuffer of this realm, or a Blob still to be read (Taro H5
 * never sets `binaryType`); `undefined` when the payload holds nothing we can deliver.
 */
export function messageData(raw: unknown, decodeBase64?: (text: string) => ArrayBuffer): string | ArrayBuffer | PlatformBlob | undefined {
  const payload = fields(raw);
  const data = payload['data'] ?? payload['message'];
  if (typeof data === 'string') {
    if (payload['isBuffer'] !== true) return data;
    try {
      return decodeBase64?.(data);
    } catch {
      return undefined;
    }
  }
  if (data instanceof ArrayBuffer || isBlob(data)) return data;
  // A foreign-realm ArrayBuffer (uni-app before 3.4.2), which `instanceof` rejects, is copied
  // into this realm. A view is copied to exactly its bytes, so a pooled or offset buffer never
  // leaks extra bytes.
  return isBinary(data) ? toArrayBuffer(toUint8Array(data)) : undefined;
}

/**
 * Reads `code` and `reason` from a platform close payload (`undefined` when not reported). tt
 * may send the code as a string; WeChat sends 0 after backgrounding ("interrupted"), which means
 * an abnormal closure: 1006.
 */
export function reportedClose(raw: unknown): { code?: number; reason?: string } {
  const { code: rawCode, reason, errMsg } = fields(raw);
  // Number() reads null and '' as 0: those mean "not reported".
  const code = rawCode === null || rawCode === '' ? NaN : Number(rawCode);
  const text = reason ?? errMsg;
  return { code: code === 0 ? 1006 : Number.isInteger(code) && code > 0 ? code : undefined, reason: typeof text === 'string' ? text : undefined };
}

/** The `Sec-WebSocket-Protocol` value in an open payload's `header`, or `''`. */
export function openedProtocol(raw: unknown): string {
  const { header } = fields(raw);
  if (!isDict(header)) return '';
  for (const key in header) {
    const value = header[key];
    const text = Array.isArray(value) ? value[0] : value;
    if (/^sec-websocket-protocol$/i.test(key) && typeof text === 'string') return text.trim();
  }
  return '';
}
