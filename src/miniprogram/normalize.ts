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

/**
 * Copies a foreign-realm ArrayBuffer into this realm; a local one is returned as is. uni-app
 * before 3.4.2 hands out ArrayBuffers from another JS context, which `instanceof` rejects.
 */
export function toLocalArrayBuffer(buffer: ArrayBuffer): ArrayBuffer {
  return buffer instanceof ArrayBuffer ? buffer : new Uint8Array(buffer).slice().buffer;
}

/** True when `value` has every SocketTask method the adapter needs. */
export function isSocketTask(value: unknown): value is SocketTaskLike {
  if (!isDict(value)) return false;
  return ['send', 'close', 'onOpen', 'onClose', 'onError', 'onMessage'].every((key) => typeof value[key] === 'function');
}

/** A short description of an unexpected return value, for error messages. */
export function describe(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (isDict(value) && typeof value['then'] === 'function') return 'a Promise';
  return typeof value;
}

/**
 * Alipay may wrap a listener payload one level deeper: `{ data: { socketTaskID, data, ... } }`.
 * Unwrap when `data` is a plain object rather than the frame itself.
 */
function unwrap(payload: unknown): Dict {
  if (!isDict(payload)) return {};
  const inner = payload['data'];
  if (isDict(inner) && !isArrayBuffer(inner) && !ArrayBuffer.isView(inner)) return inner;
  return payload;
}

/**
 * The human-readable text of a platform error: `errMsg` (wx, uni, tt), `errorMessage` and the
 * numeric `error` (Alipay), possibly nested under `data`, or an Error's message.
 */
export function errorText(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  if (raw instanceof Error) return raw.message;
  if (!isDict(raw)) return 'unknown error';
  for (const source of [raw, unwrap(raw)]) {
    if (typeof source['errMsg'] === 'string' && source['errMsg'] !== '') return source['errMsg'];
    const code = source['error'];
    if (typeof source['errorMessage'] === 'string' && source['errorMessage'] !== '') {
      return typeof code === 'number' ? `${source['errorMessage']} (error ${code})` : source['errorMessage'];
    }
    if (typeof code === 'number') return `error ${code}`;
    if (typeof code === 'string' && code !== '') return code;
  }
  return 'unknown error';
}

/** The incoming frame, or `undefined` when the payload holds nothing we can deliver. */
export function messageData(raw: unknown, decodeBase64?: (text: string) => ArrayBuffer): string | ArrayBuffer | undefined {
  const payload = unwrap(raw);
  const data = payload['data'] !== undefined ? payload['data'] : payload['message'];
  if (typeof data === 'string') {
    if (payload['isBuffer'] !== true) return data;
    if (!decodeBase64) return undefined;
    try {
      return decodeBase64(data);
    } catch {
      return undefined;
    }
  }
  if (isArrayBuffer(data)) return toLocalArrayBuffer(data);
  // A copy of exactly the view's bytes, so a pooled or offset buffer never leaks extra bytes.
  if (ArrayBuffer.isView(data)) return toArrayBuffer(data);
  return undefined;
}

/** What a close event needs from the platform payload; `code`/`reason` absent when not reported. */
export interface ReportedClose {
  code: number | undefined;
  reason: string | undefined;
}

/**
 * Reads `code` and `reason` from a platform close payload. tt may send the code as a string;
 * WeChat sends 0 after backgrounding ("interrupted"), which means an abnormal closure: 1006.
 */
export function reportedClose(raw: unknown): ReportedClose {
  const outer = isDict(raw) ? raw : {};
  const payload = outer['code'] === undefined ? unwrap(raw) : outer;
  const rawCode = payload['code'];
  let code = rawCode === undefined || rawCode === null || rawCode === '' ? undefined : Number(rawCode);
  if (code !== undefined && (!Number.isInteger(code) || code < 0)) code = undefined;
  if (code === 0) code = 1006;
  const reasonValue = payload['reason'] ?? outer['reason'] ?? payload['errMsg'];
  const reason = typeof reasonValue === 'string' ? reasonValue : undefined;
  return { code, reason };
}

/** The `Sec-WebSocket-Protocol` value in an open payload's `header`, or `''`. */
export function openedProtocol(raw: unknown): string {
  const payload = isDict(raw) ? raw : {};
  const header = isDict(payload['header']) ? payload['header'] : unwrap(raw)['header'];
  if (!isDict(header)) return '';
  for (const key of Object.keys(header)) {
    if (key.toLowerCase() !== 'sec-websocket-protocol') continue;
    const value = header[key];
    if (typeof value === 'string') return value.trim();
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0].trim();
  }
  return '';
}
