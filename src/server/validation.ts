import * as nodeBuffer from 'node:buffer';
import { CloseCode } from './constants.js';
import { ProtocolError } from './errors.js';

/**
 * True for the close codes a peer may put on the wire (RFC 6455 §7.4 and the IANA registry):
 * 1000–1003, 1007–1014 and the application range 3000–4999. 1004–1006 and 1015 are reserved
 * or must never be sent; 0–999, 1016–2999 and 5000+ are unassigned or out of range.
 */
export function isValidCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  return (
    (code >= 1000 && code <= 1003) ||
    (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999)
  );
}

/**
 * Incremental UTF-8 validator (Unicode Table 3-7 well-formed sequences: no overlongs, no
 * surrogates, nothing above U+10FFFF). Feed fragments in order; a code point may be split
 * across any number of pushes. Once a push has returned false the validator stays failed
 * until `reset()`.
 */
export class Utf8Validator {
  /** Continuation bytes still expected for the current code point. */
  #need = 0;
  /** Allowed range for the next continuation byte (narrower right after E0, ED, F0 and F4). */
  #lo = 0x80;
  #hi = 0xbf;
  #failed = false;

  /** Validates the next fragment; false as soon as an ill-formed sequence is seen in it. */
  push(bytes: Uint8Array): boolean {
    if (this.#failed) return false;
    let need = this.#need;
    let lo = this.#lo;
    let hi = this.#hi;
    const len = bytes.length;
    let i = 0;
    while (i < len) {
      const b = bytes[i++] as number;
      if (need === 0) {
        if (b < 0x80) continue;
        if (b >= 0xc2 && b <= 0xdf) {
          need = 1;
        } else if (b >= 0xe0 && b <= 0xef) {
          need = 2;
          // E0 needs A0..BF (else overlong); ED needs 80..9F (else a UTF-16 surrogate).
          lo = b === 0xe0 ? 0xa0 : 0x80;
          hi = b === 0xed ? 0x9f : 0xbf;
        } else if (b >= 0xf0 && b <= 0xf4) {
          need = 3;
          // F0 needs 90..BF (else overlong); F4 needs 80..8F (else above U+10FFFF).
          lo = b === 0xf0 ? 0x90 : 0x80;
          hi = b === 0xf4 ? 0x8f : 0xbf;
        } else {
          // 80..C1 (stray continuation or overlong 2-byte lead) and F5..FF never start a sequence.
          return this.#fail();
        }
      } else {
        if (b < lo || b > hi) return this.#fail();
        need--;
        lo = 0x80;
        hi = 0xbf;
      }
    }
    this.#need = need;
    this.#lo = lo;
    this.#hi = hi;
    return true;
  }

  /** True when everything pushed so far was valid and no code point is left unfinished. */
  end(): boolean {
    return !this.#failed && this.#need === 0;
  }

  /** Forgets all state so the validator can check the next message. */
  reset(): void {
    this.#need = 0;
    this.#lo = 0x80;
    this.#hi = 0xbf;
    this.#failed = false;
  }

  #fail(): false {
    this.#failed = true;
    return false;
  }
}

/** node:buffer's isUtf8 (SIMD, Node ≥ 18.14): the same rules as Utf8Validator, faster. */
const nativeIsUtf8 = (nodeBuffer as { isUtf8?: (input: Uint8Array) => boolean }).isUtf8;

/** True when `bytes` is complete, well-formed UTF-8, checked by Utf8Validator (what isValidUtf8 falls back to). */
export function validateUtf8(bytes: Uint8Array): boolean {
  const validator = new Utf8Validator();
  return validator.push(bytes) && validator.end();
}

/** True when `bytes` is complete, well-formed UTF-8: node:buffer's isUtf8 where Node has it, else validateUtf8. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: equivalent, both validators give the same answers (the tests hold each to the same table)
  return typeof nativeIsUtf8 === 'function' ? nativeIsUtf8(bytes) : validateUtf8(bytes);
}

/**
 * Reads a close frame's payload (RFC 6455 §5.5.1). An empty payload means "no status"
 * (1005). One byte, a code that may not be sent, or a reason that is not UTF-8 is a
 * ProtocolError: 1002, or 1007 for the reason's encoding. Never throws.
 */
export function parseClosePayload(payload: Uint8Array): { code: number; reason: string } | ProtocolError {
  if (payload.length === 0) return { code: CloseCode.NoStatus, reason: '' };
  if (payload.length === 1) {
    return new ProtocolError('WS_ERR_INVALID_CLOSE_PAYLOAD', 1002, 'Close frame payload of 1 byte has no room for a status code');
  }
  const code = ((payload[0] as number) << 8) | (payload[1] as number);
  if (!isValidCloseCode(code)) {
    return new ProtocolError('WS_ERR_INVALID_CLOSE_CODE', 1002, `Invalid close code ${code}`);
  }
  const reasonBytes = payload.subarray(2);
  if (!isValidUtf8(reasonBytes)) {
    return new ProtocolError('WS_ERR_INVALID_UTF8', 1007, 'Close reason is not valid UTF-8');
  }
  const reason = Buffer.from(reasonBytes.buffer, reasonBytes.byteOffset, reasonBytes.byteLength).toString('utf8');
  return { code, reason };
}
