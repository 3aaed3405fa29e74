import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/server/errors.js';
import { FrameParser, type Frame } from '../../src/server/frame-parser.js';
import { clientFrame } from '../helpers/frames.js';
import { createPrng, fuzzSeed, type Prng } from '../helpers/prng.js';

// Replay a failure with FUZZ_SEED=<seed printed in the message> npx vitest run test/server/frame.fuzz.test.ts
const ITERATIONS = 300;
const SIZES = [0, 1, 125, 126, 127, 65535, 65536];

interface Expected {
  opcode: number;
  fin: boolean;
  payload: Buffer;
}

function randomSize(rng: Prng): number {
  const roll = rng.next();
  if (roll < 0.1) return rng.pick(SIZES);
  if (roll < 0.85) return rng.int(0, 200);
  return rng.int(201, 3000);
}

/** A random, valid stream: data messages (some fragmented) with pings interleaved. */
function randomStream(rng: Prng): { bytes: Buffer; expected: Expected[] } {
  const expected: Expected[] = [];
  const parts: Buffer[] = [];
  const add = (opcode: number, fin: boolean, payload: Buffer): void => {
    expected.push({ opcode, fin, payload });
    parts.push(clientFrame(opcode, payload, { fin, maskKey: rng.bytes(4) }));
  };
  const messages = rng.int(1, 8);
  for (let m = 0; m < messages; m++) {
    const kind = rng.pick([1, 2, 9] as const);
    if (kind === 9) {
      add(9, true, Buffer.from(rng.bytes(rng.int(0, 125))));
      continue;
    }
    const fragments = rng.next() < 0.3 ? rng.int(2, 4) : 1;
    for (let f = 0; f < fragments; f++) {
      add(f === 0 ? kind : 0, f === fragments - 1, Buffer.from(rng.bytes(randomSize(rng))));
      if (f < fragments - 1 && rng.next() < 0.3) add(9, true, Buffer.from(rng.bytes(rng.int(0, 20))));
    }
  }
  return { bytes: Buffer.concat(parts), expected };
}

function randomSplit(rng: Prng, bytes: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    // Mostly small pieces so frame boundaries land mid-header; sometimes large ones.
    const size = rng.next() < 0.7 ? rng.int(1, 16) : rng.int(1, 70000);
    chunks.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

function summary(frames: readonly Frame[] | readonly Expected[]): string[] {
  return frames.map((f) => `${f.opcode}:${f.fin ? 'F' : '-'}:${f.payload.toString('hex')}`);
}

describe('FrameParser fuzz', () => {
  it(`returns ${ITERATIONS} random frame streams unchanged however they are split`, () => {
    const seed = fuzzSeed();
    const rng = createPrng(seed);
    for (let i = 0; i < ITERATIONS; i++) {
      const { bytes, expected } = randomStream(rng);
      const parser = new FrameParser();
      const frames: Frame[] = [];
      let error: ProtocolError | undefined;
      for (const chunk of randomSplit(rng, bytes)) {
        const result = parser.push(chunk);
        frames.push(...result.frames);
        error ??= result.error;
      }
      const context = `seed ${seed}, iteration ${i}`;
      expect(error, context).toBeUndefined();
      expect(parser.bufferedBytes, context).toBe(0);
      expect(frames.every((f) => f.masked && !f.rsv1 && !f.rsv2 && !f.rsv3), context).toBe(true);
      expect(summary(frames), context).toEqual(summary(expected));
    }
  });

  it(`ends random byte streams in frames or a ProtocolError, never another exception (${ITERATIONS} runs)`, () => {
    const seed = fuzzSeed();
    const rng = createPrng(seed);
    let errors = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const context = `seed ${seed}, iteration ${i}`;
      const options = {
        maxPayload: rng.pick([0, 100, 65536, 1024 * 1024]),
        requireMask: rng.next() < 0.7,
        allowedRsv: rng.int(0, 7),
      };
      // Start some runs with a valid frame so the parser also reaches the later states.
      const prefix = rng.next() < 0.5 ? clientFrame(rng.pick([1, 2, 9]), Buffer.from(rng.bytes(rng.int(0, 40))), { fin: rng.next() < 0.5 }) : Buffer.alloc(0);
      const noise = Buffer.concat([prefix, Buffer.from(rng.bytes(rng.int(1, 2048)))]);

      const split = new FrameParser(options);
      const frames: Frame[] = [];
      let outcome: unknown;
      try {
        for (const chunk of randomSplit(rng, noise)) {
          const result = split.push(chunk);
          frames.push(...result.frames);
          if (result.error) {
            outcome = result.error;
            break;
          }
        }
      } catch (thrown) {
        outcome = thrown;
      }
      if (outcome !== undefined) {
        expect(outcome, context).toBeInstanceOf(ProtocolError);
        expect([1002, 1009], context).toContain((outcome as ProtocolError).closeCode);
        errors++;
      }
      // Garbage must be judged the same way whether it arrives in pieces or at once.
      const whole = new FrameParser(options).push(noise);
      expect(summary(frames), context).toEqual(summary(whole.frames));
      expect((outcome as ProtocolError | undefined)?.code, context).toBe(whole.error?.code);
    }
    // Random noise overwhelmingly breaks the protocol; check the run actually exercised that.
    expect(errors, `seed ${seed}`).toBeGreaterThan(ITERATIONS / 2);
  });
});
