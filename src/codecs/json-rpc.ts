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
import { classify, DATA, decodeText, isId, isRecord, safeJsonParse, type ErrorPayload } from '../protocol/wire.js';
import { hasBinary } from '../protocol/envelope.js';
import { normalize, type Codec, type OutgoingMessage, type SingleIncoming } from './codec.js';

const invalid = (reason: string): SingleIncoming => ({ kind: 'invalid', reason });
const isRpc = (value: unknown): value is Record<string, unknown> => isRecord(value) && 'jsonrpc' in value;
// JSON-RPC 2.0 §4.2: params, when present, MUST be an Array or an Object.
const badParams = (params: unknown): boolean => params !== undefined && (typeof params !== 'object' || params === null);

function toRpc(message: OutgoingMessage): Record<string, unknown> {
  const m = normalize(message);
  if (hasBinary(m)) throw new TypeError('binary in JSON-RPC: base64 it');
  const { type, ...rest } = m as OutgoingMessage & { error?: ErrorPayload };
  const rpc: Record<string, unknown> & { params?: unknown; error?: ErrorPayload } = m.type === 'event' ? { method: m.event, params: m.data } : rest;
  if (badParams(rpc.params)) throw new TypeError('params must be an object or an array');
  // JSON-RPC 2.0 §5.1: the error code MUST be an integer.
  if (rpc.error && !Number.isInteger(rpc.error.code)) throw new TypeError('error code not an integer: ' + rpc.error.code);
  return { jsonrpc: '2.0', ...rpc };
}

/** Maps a JSON-RPC object to the CONTRACT shape, then checks it like a CONTRACT message. */
function fromRpc(value: Record<string, unknown>): SingleIncoming {
  const { id, method, params, error } = value;
  if (value.jsonrpc !== '2.0') return invalid('bad jsonrpc version');
  if ('method' in value) {
    if (badParams(params)) return invalid('bad params');
    return classify('id' in value ? { type: 'request', id, method, params } : { type: 'event', event: method, data: params });
  }
  if ('error' in value === 'result' in value) return invalid('response: one of result, error');
  if (!('error' in value)) return classify({ type: 'response', id, result: value.result });
  // A server that could not read the request answers with id null (§5): nothing to match.
  if (!isId(id)) return invalid('error without id: ' + JSON.stringify(error));
  return isRecord(error) && typeof error.code === 'string' ? invalid('response: bad error') : classify({ type: 'response', id, error });
}

/**
 * A JSON-RPC 2.0 codec. `encode` throws a TypeError for what JSON-RPC cannot express:
 * primitive params or event data, non-integer error codes, binary values.
 */
export const jsonRpcCodec = (): Codec => ({
  name: 'json-rpc',
  encode: (message) => JSON.stringify(toRpc(message)),
  decode(data) {
    if (typeof data !== 'string') return DATA;
    // Only text with a "jsonrpc" key (or an escape, which may spell one) is parsed as JSON-RPC.
    if (/"jsonrpc"|\\u/.test(data)) {
      const value = safeJsonParse(data);
      if (Array.isArray(value)) {
        if (value.some(isRpc)) return { kind: 'batch', items: value.map((item) => (isRpc(item) ? fromRpc(item) : invalid('batch item not JSON-RPC'))) };
      } else if (isRpc(value)) return fromRpc(value);
    }
    // Otherwise only a CONTRACT heartbeat (the only message with a `ts`) is not application data.
    const decoded = decodeText(data);
    return decoded.kind === 'protocol' && 'ts' in decoded.message ? decoded : DATA;
  },
});
