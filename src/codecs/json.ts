/**
 * The CONTRACT JSON codec, lean: text frames carry the JSON shapes of CONTRACT.md, and every
 * binary frame is application data. For binary values inside messages use `envelopeCodec`.
 */
import { DATA, decodeText } from '../protocol/wire.js';
import { hasBinary } from '../protocol/envelope.js';
import { normalize, type Codec } from './codec.js';

export type { Codec, Incoming, IncomingData, OutgoingMessage, SingleIncoming } from './codec.js';

/**
 * The CONTRACT JSON codec. `encode` throws a TypeError for a message holding binary values
 * (ArrayBuffer or any view): send those with `envelopeCodec`, or base64-encode them.
 */
export const jsonCodec: Codec = {
  name: 'json',
  encode(message) {
    const normalized = normalize(message);
    if (hasBinary(normalized)) throw new TypeError('binary needs envelopeCodec');
    return JSON.stringify(normalized);
  },
  decode: (data) => (typeof data === 'string' ? decodeText(data) : DATA),
};

