import { DEFAULT_MAX_FRAGMENTS, DEFAULT_MAX_PAYLOAD, MAX_CONTROL_PAYLOAD, Opcode } from './constants.js';
import { ProtocolError, type ProtocolCloseCode, type ProtocolErrorCode } from './errors.js';
import { applyMask, asBuffer } from './frame-writer.js';

/** One frame as it came off the wire, payload already unmasked. */
export interface Frame {
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  masked: boolean;
  /** Unmasked payload. An unmasked frame's payload may share memory with the pushed chunk. */
  payload: Buffer;
}

export interface ParserOptions {
  /** Largest message payload in bytes, summed over its fragments. Default DEFAULT_MAX_PAYLOAD. */
  maxPayload?: number;
  /**
   * Most frames one data message may span, its first frame included (an integer >= 1, or
   * Infinity for no limit). More → WS_ERR_TOO_MANY_FRAGMENTS, close code 1008, raised from the
   * header of the frame over the limit. Default DEFAULT_MAX_FRAGMENTS (16384).
   */
  maxFragments?: number;
  /**
   * Server side (default true): every frame must be masked. Client side (false): a masked
   * frame is an error, since servers must not mask (RFC 6455 §5.1).
   */
  requireMask?: boolean;
  /** Bitmask of RSV bits (0x4 RSV1, 0x2 RSV2, 0x1 RSV3) an extension negotiated; allowed on data frames only. Default 0. */
  allowedRsv?: number;
}

export interface ParseResult {
  frames: Frame[];
  error?: ProtocolError;
}

// Parser states: each names the bytes it is waiting for.
const HEADER = 0;
const LENGTH_16 = 1;
const LENGTH_64 = 2;
const MASK_KEY = 3;
const PAYLOAD = 4;
type State = typeof HEADER | typeof LENGTH_16 | typeof LENGTH_64 | typeof MASK_KEY | typeof PAYLOAD;

/** 2^53 - 1 as the high and low halves of a 64-bit length. */
const MAX_SAFE_HIGH = 0x1fffff;

/** Every empty payload: a zero-length view cannot be written to, so one instance serves all. */
const EMPTY = Buffer.alloc(0);

/** The queue while nothing is buffered (the usual state between chunks): shared, never written to. */
const NO_CHUNKS: Buffer[] = [];

/**
 * A chunk this long or longer that arrives while bytes wait, and does not fit the open block, is
 * queued as it is; shorter ones are copied into blocks (see `#queue`).
 */
export const KEPT_CHUNK = 1024;
/** Blocks that short chunks are copied into start at this size and grow with what waits, up to BLOCK_MAX. */
const BLOCK_MIN = 1024;
const BLOCK_MAX = 16 * 1024;

/** The mask key is kept as a number and spelled out here, synchronously, just before unmasking. */
const MASK_BYTES = new Uint8Array(4);

/**
 * Incremental RFC 6455 frame parser: push chunks of any size and get back every frame they
 * complete, in order. It checks framing rules (opcodes, RSV bits, masking, control-frame
 * limits, fragmentation order, message size) but not UTF-8, and does no I/O.
 *
 * Chunks are queued, not concatenated: only a frame's payload is copied, and only when it spans
 * chunks or must be unmasked. A peer that drips a frame in tiny chunks (one byte per TCP packet)
 * cannot make the queue long: a chunk shorter than KEPT_CHUNK that arrives while bytes wait is
 * copied into a block (1–16 KiB) instead of being queued as its own Buffer, so the queue holds at
 * most `2 * bufferedBytes / KEPT_CHUNK + 2` entries and at most twice the buffered bytes plus one
 * block, and every byte is copied at most once before its frame's payload is assembled: the work
 * per push is proportional to the chunk, whatever came before. The first protocol violation is
 * final; after it every push returns no frames and the same error.
 */
export class FrameParser {
  readonly #maxPayload: number;
  readonly #maxFragments: number;
  readonly #requireMask: boolean;
  readonly #allowedRsv: number;

  /** The bytes waiting, oldest first; NO_CHUNKS when none do. */
  #chunks: Buffer[] = NO_CHUNKS;
  /** Read position inside `#chunks[0]`. */
  #head = 0;
  #buffered = 0;
  /** The block short chunks are being copied into (the last queued entry is a view of it), and how much of it is used. */
  #block: Buffer | undefined;
  #blockUsed = 0;
  #state: State = HEADER;
  #error: ProtocolError | undefined;

  // The frame being read (each set from its header before it is used).
  // Stryker disable next-line BooleanLiteral: equivalent, the header sets it before it is read
  #fin = false;
  #rsv = 0;
  #opcode = 0;
  // Stryker disable next-line BooleanLiteral: equivalent, the header sets it before it is read
  #masked = false;
  #length = 0;
  /** The frame's masking key, its four bytes big-endian. */
  #maskKey = 0;

  /** Opcode of the open fragmented message, or 0 when none is open. */
  #messageOpcode = 0;
  /** Payload bytes announced so far for the current data message. */
  #messageLength = 0;
  /** Frames seen so far of the current data message. */
  #messageFrames = 0;

  /**
   * Throws RangeError for a negative or non-numeric `maxPayload`, a `maxFragments` that is not
   * an integer >= 1 or Infinity, or an `allowedRsv` outside 0–7.
   */
  constructor(options: ParserOptions = {}) {
    const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    if (typeof maxPayload !== 'number' || Number.isNaN(maxPayload) || maxPayload < 0) {
      throw new RangeError(`maxPayload must be a non-negative number, got ${String(maxPayload)}`);
    }
    const maxFragments = options.maxFragments ?? DEFAULT_MAX_FRAGMENTS;
    if (!(Number.isInteger(maxFragments) && maxFragments >= 1) && maxFragments !== Infinity) {
      throw new RangeError(`maxFragments must be an integer >= 1 or Infinity, got ${String(maxFragments)}`);
    }
    const allowedRsv = options.allowedRsv ?? 0;
    if (!Number.isInteger(allowedRsv) || allowedRsv < 0 || allowedRsv > 7) {
      throw new RangeError(`allowedRsv must be a bitmask from 0 to 7, got ${String(allowedRsv)}`);
    }
    this.#maxPayload = maxPayload;
    this.#maxFragments = maxFragments;
    this.#requireMask = options.requireMask ?? true;
    this.#allowedRsv = allowedRsv;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** Buffers those bytes are held in (see the class comment for the bound). */
  get bufferedChunks(): number {
    return this.#chunks.length;
  }

  /**
   * Feeds a chunk (any size, split anywhere). Returns every frame completed by it, in order,
   * and the error if the stream broke the protocol (frames before the violation are still
   * returned). Throws TypeError only if `chunk` is not a Uint8Array.
   */
  push(chunk: Buffer | Uint8Array): ParseResult {
    if (this.#error) return { frames: [], error: this.#error };
    if (!(chunk instanceof Uint8Array)) {
      throw new TypeError('FrameParser.push expects a Buffer or Uint8Array');
    }
    const frames: Frame[] = [];
    if (chunk.length > 0) this.#queue(asBuffer(chunk));
    for (;;) {
      let progressed: boolean;
      switch (this.#state) {
        case HEADER:
          progressed = this.#readHeader();
          break;
        case LENGTH_16:
          progressed = this.#readLength16();
          break;
        case LENGTH_64:
          progressed = this.#readLength64();
          break;
        case MASK_KEY:
          progressed = this.#readMaskKey();
          break;
        case PAYLOAD:
          progressed = this.#readPayload(frames);
          break;
      }
      if (this.#error) return { frames, error: this.#error };
      if (!progressed) return { frames };
    }
  }

  /**
   * Appends a chunk to the queue. With nothing waiting it is queued as it is (no copy: the usual
   * case). Otherwise a chunk that fits the open block is copied into it; a long one that does not
   * is queued as it is and closes the block; a short one starts a new block. A block is left with
   * unused room only when a longer chunk arrived, so the unused room is less than the bytes kept
   * beside it.
   */
  #queue(chunk: Buffer): void {
    const length = chunk.length;
    const buffered = this.#buffered;
    this.#buffered = buffered + length;
    if (buffered === 0) {
      this.#chunks = [chunk];
      return;
    }
    const chunks = this.#chunks;
    let block = this.#block;
    if (block !== undefined && length <= block.length - this.#blockUsed) {
      // The open block's view is the last entry: replace it with a longer one.
      const viewStart = this.#blockUsed - (chunks[chunks.length - 1] as Buffer).length;
      block.set(chunk, this.#blockUsed);
      this.#blockUsed += length;
      chunks[chunks.length - 1] = block.subarray(viewStart, this.#blockUsed);
      return;
    }
    if (length >= KEPT_CHUNK) {
      this.#block = undefined;
      chunks.push(chunk);
      return;
    }
    block = Buffer.allocUnsafe(Math.min(BLOCK_MAX, Math.max(BLOCK_MIN, buffered)));
    block.set(chunk, 0);
    this.#block = block;
    this.#blockUsed = length;
    chunks.push(block.subarray(0, length));
  }

  /** Forgets the queue once it is used up. */
  #drained(): void {
    this.#chunks = NO_CHUNKS;
    this.#head = 0;
    this.#block = undefined;
  }

  #readHeader(): boolean {
    if (this.#buffered < 2) return false;
    const b0 = this.#readByte();
    const b1 = this.#readByte();
    const opcode = b0 & 0x0f;
    const isControl = opcode >= Opcode.Close;
    this.#fin = (b0 & 0x80) !== 0;
    this.#rsv = (b0 >> 4) & 0x7;
    this.#opcode = opcode;
    this.#masked = (b1 & 0x80) !== 0;
    this.#length = b1 & 0x7f;

    if (opcode !== Opcode.Continuation && opcode !== Opcode.Text && opcode !== Opcode.Binary && opcode !== Opcode.Close && opcode !== Opcode.Ping && opcode !== Opcode.Pong) {
      return this.#fail('WS_ERR_INVALID_OPCODE', 1002, `Invalid opcode 0x${opcode.toString(16)}`);
    }
    const rsvAllowed = isControl ? 0 : this.#allowedRsv;
    if ((this.#rsv & ~rsvAllowed) !== 0) {
      return this.#fail('WS_ERR_UNEXPECTED_RSV', 1002, `RSV bits 0x${this.#rsv.toString(16)} set without a negotiated extension`);
    }
    if (isControl) {
      if (!this.#fin) return this.#fail('WS_ERR_FRAGMENTED_CONTROL', 1002, 'Control frames must not be fragmented');
      if (this.#length > MAX_CONTROL_PAYLOAD) {
        return this.#fail('WS_ERR_CONTROL_TOO_BIG', 1002, `Control frame payload exceeds ${MAX_CONTROL_PAYLOAD} bytes`);
      }
    } else if (opcode === Opcode.Continuation) {
      if (this.#messageOpcode === 0) {
        return this.#fail('WS_ERR_UNEXPECTED_CONTINUATION', 1002, 'Continuation frame without a message to continue');
      }
      // Counted from the header: empty continuations add nothing to maxPayload, yet each costs
      // the receiver a frame, so their number needs a limit of its own.
      if (++this.#messageFrames > this.#maxFragments) {
        return this.#fail('WS_ERR_TOO_MANY_FRAGMENTS', 1008, `Message spans more than ${this.#maxFragments} frames`);
      }
    } else if (this.#messageOpcode !== 0) {
      return this.#fail('WS_ERR_EXPECTED_CONTINUATION', 1002, 'New data frame while a fragmented message is still open');
    } else {
      this.#messageFrames = 1;
    }
    if (this.#masked !== this.#requireMask) {
      return this.#requireMask
        ? this.#fail('WS_ERR_EXPECTED_MASK', 1002, 'Client frames must be masked')
        : this.#fail('WS_ERR_UNEXPECTED_MASK', 1002, 'Server frames must not be masked');
    }

    if (this.#length === 126) this.#state = LENGTH_16;
    else if (this.#length === 127) this.#state = LENGTH_64;
    else return this.#lengthKnown();
    return true;
  }

  #readLength16(): boolean {
    if (this.#buffered < 2) return false;
    this.#length = (this.#readByte() << 8) | this.#readByte();
    return this.#lengthKnown();
  }

  #readLength64(): boolean {
    if (this.#buffered < 8) return false;
    const high = this.#readUInt32();
    const low = this.#readUInt32();
    // RFC 6455 §5.2: the most significant bit of a 64-bit length must be 0.
    if (high >= 0x80000000) {
      return this.#fail('WS_ERR_INVALID_LENGTH', 1002, 'Payload length has its most significant bit set');
    }
    if (high > MAX_SAFE_HIGH) {
      return this.#fail('WS_ERR_TOO_BIG', 1009, 'Payload length exceeds 2^53 - 1 bytes');
    }
    this.#length = high * 0x100000000 + low;
    return this.#lengthKnown();
  }

  /** Enforces the message size limit from the length field alone, before any payload is buffered. */
  #lengthKnown(): boolean {
    if (this.#opcode < Opcode.Close) {
      const total = this.#messageLength + this.#length;
      if (total > this.#maxPayload) {
        return this.#fail('WS_ERR_TOO_BIG', 1009, `Message payload of at least ${total} bytes exceeds the ${this.#maxPayload}-byte limit`);
      }
      this.#messageLength = total;
    }
    this.#state = this.#masked ? MASK_KEY : PAYLOAD;
    return true;
  }

  #readMaskKey(): boolean {
    if (this.#buffered < 4) return false;
    this.#maskKey = this.#readUInt32();
    this.#state = PAYLOAD;
    return true;
  }

  /** Unmasks `source` into `target` with this frame's key. */
  #unmask(source: Buffer, target: Buffer): void {
    const key = this.#maskKey;
    // A Uint8Array keeps the low 8 bits of what is stored in it.
    MASK_BYTES[0] = key >>> 24;
    MASK_BYTES[1] = key >>> 16;
    MASK_BYTES[2] = key >>> 8;
    MASK_BYTES[3] = key;
    applyMask(source, MASK_BYTES, target);
  }

  #readPayload(frames: Frame[]): boolean {
    const length = this.#length;
    if (this.#buffered < length) return false;
    const payload = this.#readPayloadBytes(length);
    frames.push({
      fin: this.#fin,
      rsv1: (this.#rsv & 0x4) !== 0,
      rsv2: (this.#rsv & 0x2) !== 0,
      rsv3: (this.#rsv & 0x1) !== 0,
      opcode: this.#opcode,
      masked: this.#masked,
      payload,
    });
    if (this.#opcode < Opcode.Close) {
      if (this.#fin) {
        this.#messageOpcode = 0;
        this.#messageLength = 0;
      } else if (this.#opcode !== Opcode.Continuation) {
        this.#messageOpcode = this.#opcode;
      }
    }
    this.#state = HEADER;
    return true;
  }

  /** Takes `length` payload bytes, unmasked, copying only when the frame spans chunks or is masked. */
  #readPayloadBytes(length: number): Buffer {
    if (length === 0) return EMPTY;
    const first = this.#chunks[0] as Buffer;
    this.#buffered -= length;
    if (first.length - this.#head >= length) {
      const view = first.subarray(this.#head, this.#head + length);
      this.#advance(first, length);
      if (!this.#masked) return view;
      // Unmask into a new buffer: the pushed chunk belongs to the caller and stays untouched.
      const out = Buffer.allocUnsafe(length);
      this.#unmask(view, out);
      return out;
    }
    const out = Buffer.allocUnsafe(length);
    const chunks = this.#chunks;
    let copied = 0;
    let index = 0;
    let head = this.#head;
    // Walk by index and drop the used chunks once: shifting per chunk would be quadratic when
    // a large payload arrived in many small chunks.
    for (;;) {
      const chunk = chunks[index] as Buffer;
      const take = Math.min(chunk.length - head, length - copied);
      out.set(chunk.subarray(head, head + take), copied);
      copied += take;
      head += take;
      if (head === chunk.length) {
        index++;
        head = 0;
      }
      if (copied === length) break;
    }
    if (index === chunks.length) this.#drained();
    else {
      chunks.splice(0, index);
      this.#head = head;
    }
    // Stryker disable next-line ConditionalExpression: equivalent, an unmasked frame only parses where masking is not required, where the key stays 0 and unmasking with it changes nothing
    if (this.#masked) this.#unmask(out, out);
    return out;
  }

  #readByte(): number {
    const chunk = this.#chunks[0] as Buffer;
    const byte = chunk[this.#head] as number;
    this.#buffered--;
    this.#advance(chunk, 1);
    return byte;
  }

  #readUInt32(): number {
    return ((this.#readByte() << 24) | (this.#readByte() << 16) | (this.#readByte() << 8) | this.#readByte()) >>> 0;
  }

  /** Moves the read position `count` bytes into `chunk` (the first chunk), dropping it when used up. */
  #advance(chunk: Buffer, count: number): void {
    this.#head += count;
    if (this.#head !== chunk.length) return;
    if (this.#chunks.length === 1) {
      this.#drained();
      return;
    }
    this.#chunks.shift();
    this.#head = 0;
  }

  #fail(code: ProtocolErrorCode, closeCode: ProtocolCloseCode, message: string): false {
    this.#error = new ProtocolError(code, closeCode, message);
    this.#drained();
    this.#buffered = 0;
    // Stryker disable next-line BooleanLiteral: equivalent, push() looks at the error before at the result
    return false;
  }
}
