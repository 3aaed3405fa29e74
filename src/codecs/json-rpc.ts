/**
 * JSON-RPC 2.0 (https://www.jsonrpc.org/specification) as a holdfast codec, for talking to
 * existing JSON-RPC servers. Mapping:
 *
 *   request  {type:'request', id, method, params}  <->  {"jsonrpc":"2.0","id","method","params"}
 *   response {type:'response', id, result|error}   <->  {"jsonrpc":"2.0","id","result"|"error"}
 *   event    {type:'event', event, data}           <->  notification {"jsonrpc":"2.0","method":event,"params":data}
 *
 * A batch (a JSON array) decodes to `{ kind: 'batch', items }`. Heartbeats stay the CONTRACT
 * `ping`/`pong` JSON, which most JSON-RPC servers do not answer: set `heartbeat: false` unless
 * yours does. JSON-RPC has no binary: binary frames are application data, and binary values
 * in an outgoing message are refused (base64-encode them instead).
 */
import { classify, safeJsonParse, type ProtocolMessage } from '../protocol/wire.js';
import { isArrayBuffer } from '../binary/bytes.js';
import type { Codec, Incoming, OutgoingMessage, SingleIncoming } from './json.js';

const DATA: SingleIncoming = { kind: 'data' };
const invalid = (reason: string): SingleIncoming => ({ kind: 'invalid', reason });

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isStructured = (value: unknown): boolean => typeof value === 'object' && value !== null;
const isId = (value: unknown): value is string | number =>
  (typeof value === 'string' && value.length > 0) || (typeof value === 'number' && Number.isFinite(value));
const isRpc = (value: unknown): boolean => isObject(value) && 'jsonrpc' in value;

function refuseBinary(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value) || isArrayBuffer(value)) {
    throw new TypeError('JSON-RPC 2.0 cannot carry binary values; base64-encode them');
  }
  return value;
}

function checkParams(params: unknown, what: string): void {
  // JSON-RPC 2.0 §4.2: params, when present, MUST be an Array or an Object.
  if (params !== undefined && !isStructured(params)) {
    throw new TypeError(`JSON-RPC 2.0 ${what} must be an object or an array, got ${typeof params}`);
  }
}

function toRpc(message: OutgoingMessage): Record<string, unknown> {
  switch (message?.type) {
    case 'request':
      checkParams(message.params, 'params');
      return { jsonrpc: '2.0', id: message.id, method: message.method, params: message.params };
    case 'event':
      checkParams(message.data, 'notification params (event data)');
      return { jsonrpc: '2.0', method: message.event, params: message.data };
    case 'response':
      if ('error' in message && message.error) {
        const { code, message: text, data } = message.error;
        // JSON-RPC 2.0 §5.1: the error code MUST be an integer.
        if (typeof code !== 'number' || !Number.isInteger(code)) {
          throw new TypeError(`JSON-RPC 2.0 error codes must be integers, got ${JSON.stringify(code)}`);
        }
        return { jsonrpc: '2.0', id: message.id, error: data === undefined ? { code, message: text } : { code, message: text, data } };
      }
      return { jsonrpc: '2.0', id: message.id, result: 'result' in message && message.result !== undefined ? message.result : null };
    default:
      throw new TypeError('codec can only encode request, response and event messages');
  }
}

function protocol(message: ProtocolMessage): SingleIncoming {
  return { kind: 'protocol', message };
}

function fromRpc(value: Record<string, unknown>): SingleIncoming {
  if (value.jsonrpc !== '2.0') return invalid(`unsupported jsonrpc version ${JSON.stringify(value.jsonrpc)}`);
  if ('method' in value) {
    const { method, params } = value;
    if (typeof method !== 'string' || method === '') return invalid('JSON-RPC request without a method name');
    if (params !== undefined && !isStructured(params)) return invalid('JSON-RPC params must be an object or an array');
    if (!('id' in value)) return protocol({ type: 'event', event: method, data: params });
    if (!isId(value.id)) return invalid('JSON-RPC request with a null or invalid id');
    return protocol({ type: 'request', id: value.id, method, params });
  }
  const hasError = 'error' in value;
  if (hasError === 'result' in value) return invalid('JSON-RPC response needs exactly one of result and error');
  if (hasError) {
    const error = value.error;
    if (!isObject(error) || typeof error.code !== 'number' || typeof error.message !== 'string') {
      return invalid('JSON-RPC error without a numeric code and a message');
    }
    // A server that could not read the request answers with id null (§5): nothing to match.
    if (!isId(value.id)) return invalid(`JSON-RPC error without an id: ${error.code} ${error.message}`);
    const payload = 'data' in error ? { code: error.code, message: error.message, data: error.data } : { code: error.code, message: error.message };
    return protocol({ type: 'response', id: value.id, error: payload });
  }
  if (!isId(value.id)) return invalid('JSON-RPC response without a valid id');
  return protocol({ type: 'response', id: value.id, result: value.result });
}

function decodeValue(value: unknown): Incoming {
  if (Array.isArray(value)) {
    if (!value.some(isRpc)) return DATA;
    return {
      kind: 'batch',
      items: value.map((item) => (isRpc(item) ? fromRpc(item as Record<string, unknown>) : invalid('batch item is not a JSON-RPC 2.0 message'))),
    };
  }
  if (!isObject(value)) return DATA;
  if ('jsonrpc' in value) return fromRpc(value);
  const heartbeat = classify(value);
  return heartbeat.kind === 'protocol' && (heartbeat.message.type === 'ping' || heartbeat.message.type === 'pong') ? heartbeat : DATA;
}

/**
 * A JSON-RPC 2.0 codec. `encode` throws a TypeError for what JSON-RPC cannot express:
 * primitive params or event data, non-integer error codes, binary values.
 */
export function jsonRpcCodec(): Codec {
  return {
    name: 'json-rpc',
    encode: (message) => JSON.stringify(toRpc(message), refuseBinary),
    decode(data) {
      if (typeof data !== 'string') return DATA;
      const first = data.trimStart().charAt(0);
      if (first !== '{' && first !== '[') return DATA;
      const value = safeJsonParse(data);
      return value === undefined ? DATA : decodeValue(value);
    },
  };
}
