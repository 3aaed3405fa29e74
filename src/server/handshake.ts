import { createHash } from 'node:crypto';
import { GUID } from './constants.js';
import { HandshakeError } from './errors.js';

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)) (RFC 6455 §4.2.2). */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** The parts of an HTTP upgrade request the handshake looks at (node:http's IncomingMessage fits). */
export interface UpgradeRequestLike {
  method?: string;
  httpVersion: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface HandshakeOptions {
  /** Allowed Origin values, or a predicate; undefined = allow all. Missing Origin header is allowed (non-browser clients). */
  origins?: readonly string[] | ((origin: string) => boolean);
  /** Picks one of the offered subprotocols; return undefined to select none. Default: none. */
  selectProtocol?: (offered: string[]) => string | undefined;
}

export type UpgradeDecision =
  | { ok: true; accept: string; protocol?: string }
  | { ok: false; error: HandshakeError };

/** 16 random bytes in base64 (RFC 6455 §4.1): 22 characters then "==". */
const KEY_PATTERN = /^[A-Za-z0-9+/]{22}==$/;
/** An HTTP token (RFC 7230 §3.2.6), the form every subprotocol name must take. */
export const TOKEN_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** One header as a single string; repeated headers are joined as an HTTP list. */
function header(req: UpgradeRequestLike, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** The comma-separated elements of a header, trimmed, empty ones dropped. */
function tokens(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(',').map((t) => t.trim()).filter((t) => t !== '');
}

/** True when the comma-separated list `value` holds `wanted` (lower case), in any case. */
function hasToken(value: string | undefined, wanted: string): boolean {
  if (value === undefined) return false;
  for (const part of value.split(',')) if (part.trim().toLowerCase() === wanted) return true;
  return false;
}

function isHttp11OrLater(version: string): boolean {
  const match = /^(\d+)\.(\d+)$/.exec(version);
  if (!match) return false;
  const major = Number(match[1]);
  return major > 1 || (major === 1 && Number(match[2]) >= 1);
}

function reject(status: number, message: string, headers?: Record<string, string>): UpgradeDecision {
  return { ok: false, error: new HandshakeError(status, message, headers) };
}

function originAllowed(origin: string, origins: NonNullable<HandshakeOptions['origins']>): boolean {
  if (typeof origins === 'function') return origins(origin);
  // Scheme and host are case-insensitive, so compare the ASCII serialisations without case.
  const wanted = origin.toLowerCase();
  return origins.some((allowed) => allowed.toLowerCase() === wanted);
}

/**
 * Decides whether to accept a WebSocket upgrade (RFC 6455 §4.2.1). Checks in order, cheapest
 * first: method GET (405 + Allow: GET), HTTP/1.1 or later (400), Host present (400), Upgrade
 * contains token "websocket" any case (400), Connection token list contains "upgrade" any case
 * (400), Sec-WebSocket-Key base64 of exactly 16 bytes (400), version 13 (426 with header
 * Sec-WebSocket-Version: 13), origin (403), then protocol selection (400 for a malformed or
 * repeated protocol list). A throwing `origins` or `selectProtocol` callback, or one that picks
 * a protocol that was not offered, yields 500. Never throws.
 */
export function checkUpgrade(req: UpgradeRequestLike, options: HandshakeOptions = {}): UpgradeDecision {
  if (req.method !== 'GET') return reject(405, 'Method Not Allowed: WebSocket upgrades use GET', { Allow: 'GET' });
  if (!isHttp11OrLater(req.httpVersion)) return reject(400, 'WebSocket upgrades need HTTP/1.1 or later');
  const host = header(req, 'host');
  if (host === undefined || host.trim() === '') return reject(400, 'Missing Host header');
  if (!hasToken(header(req, 'upgrade'), 'websocket')) return reject(400, 'Upgrade header must name "websocket"');
  if (!hasToken(header(req, 'connection'), 'upgrade')) return reject(400, 'Connection header must contain "Upgrade"');
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !KEY_PATTERN.test(key.trim())) {
    return reject(400, 'Sec-WebSocket-Key must be the base64 encoding of 16 bytes');
  }
  if (header(req, 'sec-websocket-version')?.trim() !== '13') {
    return reject(426, 'Unsupported WebSocket version; this server speaks version 13', { 'Sec-WebSocket-Version': '13' });
  }

  const origin = header(req, 'origin');
  if (origin !== undefined && options.origins !== undefined) {
    let allowed: boolean;
    try {
      allowed = originAllowed(origin, options.origins);
    } catch {
      return reject(500, 'Origin check failed');
    }
    if (!allowed) return reject(403, 'Origin not allowed');
  }

  const accept = acceptKey(key.trim());
  const offered = tokens(header(req, 'sec-websocket-protocol'));
  if (offered.length === 0 || options.selectProtocol === undefined) return { ok: true, accept };
  if (!offered.every((p) => TOKEN_PATTERN.test(p)) || new Set(offered).size !== offered.length) {
    return reject(400, 'Sec-WebSocket-Protocol must be a list of distinct tokens');
  }
  let protocol: string | undefined;
  try {
    protocol = options.selectProtocol([...offered]);
  } catch {
    return reject(500, 'Subprotocol selection failed');
  }
  if (protocol === undefined) return { ok: true, accept };
  if (!offered.includes(protocol)) return reject(500, 'Selected subprotocol was not offered by the client');
  return { ok: true, accept, protocol };
}

/** Header values must not be able to end the header line or the head. */
function headerSafe(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}

/**
 * The raw HTTP/1.1 101 response text (with Upgrade, Connection, Sec-WebSocket-Accept, optional
 * Sec-WebSocket-Protocol), ending in CRLF CRLF. Throws RangeError if `protocol` is not an HTTP
 * token, so nothing can be injected into the response head.
 */
export function switchingProtocolsResponse(accept: string, protocol?: string): string {
  let head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${headerSafe(accept)}\r\n`;
  if (protocol !== undefined) {
    if (!TOKEN_PATTERN.test(protocol)) throw new RangeError(`Subprotocol ${JSON.stringify(protocol)} is not an HTTP token`);
    head += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  }
  return `${head}\r\n`;
}

/** The reason phrase of a status this server refuses with ("Error" for others). */
function reasonPhrase(status: number): string {
  switch (status) {
    case 400:
      return 'Bad Request';
    case 403:
      return 'Forbidden';
    case 404:
      return 'Not Found';
    case 405:
      return 'Method Not Allowed';
    case 426:
      return 'Upgrade Required';
    case 429:
      return 'Too Many Requests';
    case 500:
      return 'Internal Server Error';
    case 503:
      return 'Service Unavailable';
    default:
      return 'Error';
  }
}

/**
 * A raw HTTP/1.1 error response for a refused upgrade: the status line, Connection: close,
 * a text/plain body holding the error message, and every header in `error.headers`. CR and LF
 * in header names or values are replaced, so the response head cannot be split.
 */
export function rejectResponse(error: HandshakeError): string {
  const status = Number.isInteger(error.status) && error.status >= 400 && error.status <= 599 ? error.status : 500;
  const body = error.message;
  const lines = [
    `HTTP/1.1 ${status} ${reasonPhrase(status)}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`, // UTF-8 bytes
  ];
  for (const [name, value] of Object.entries(error.headers)) {
    lines.push(`${headerSafe(name).replace(/:/g, '')}: ${headerSafe(String(value))}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
