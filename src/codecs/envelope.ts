/**
 * The CONTRACT JSON codec plus the binary envelope (docs/protocol.md §2): a message holding
 * binary values (ArrayBuffer or any view) is sent as one binary envelope frame, and comes out on
 * the other side with each binary value back in its place as a `Uint8Array`. Binary frames that
 * start with "HFB1" are read as envelopes; other binary frames are application data.
 */
import { DATA, decodeText } from '../protocol/wire.js';
import { decodeEnvelope, encodeEnvelope, extractBinary, hasBinary, restoreBinary } from '../protocol/envelope.js';
import { isBinary, toUint8Array } from '../protocol/bytes.js';
import { normalize, type Codec } from './codec.js';

export type { Codec } from './codec.js';

/** The JSON codec with binary attachments. */
export const envelopeCodec: Codec = {
  name: 'envelope',
  encode(message) {
    const normalized = normalize(message);
    if (!hasBinary(normalized)) return JSON.stringify(normalized);
    const { value, attachments } = extractBinary(normalized);
    return encodeEnvelope(value, attachments);
  },
  decode(data) {
    if (typeof data === 'string') return decodeText(data);
    if (!isBinary(data)) return DATA;
    try {
      const envelope = decodeEnvelope(toUint8Array(data));
      if (!envelope) return DATA;
      const { message, attachments } = envelope;
      return { kind: 'protocol', message: restoreBinary(message, attachments), attachments };
    } catch (error) {
      // An EnvelopeError: reported, never thrown.
      return { kind: 'invalid', reason: (error as Error).message };
    }
  },
};
