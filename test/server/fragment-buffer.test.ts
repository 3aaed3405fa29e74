import { describe, expect, it } from 'vitest';
import { FRAGMENT_BLOCK, FragmentBuffer, SMALL_FRAGMENT } from '../../src/server/fragment-buffer.js';
import { createPrng } from '../helpers/prng.js';

/** The documented bound on the Buffers held for `bytes` bytes of payload. */
const maxParts = (bytes: number): number => Math.floor((2 * bytes) / SMALL_FRAGMENT + bytes / (FRAGMENT_BLOCK - SMALL_FRAGMENT) + 1);

describe('FragmentBuffer', () => {
  it('holds nothing for empty fragments, however many', () => {
    const buffer = new FragmentBuffer();
    for (let i = 0; i < 200_000; i++) buffer.push(Buffer.alloc(0));
    expect(buffer.parts).toBe(0);
    expect(buffer.byteLength).toBe(0);
    expect(buffer.take()).toEqual(Buffer.alloc(0));
  });

  it('keeps 100,000 one-byte fragments in a handful of blocks, not one Buffer each', () => {
    const buffer = new FragmentBuffer();
    const expected = Buffer.alloc(100_000);
    for (let i = 0; i < 100_000; i++) {
      expected[i] = i & 0xff;
      buffer.push(Buffer.of(i & 0xff));
      if (buffer.parts > maxParts(buffer.byteLength)) throw new Error(`${buffer.parts} parts for ${buffer.byteLength} bytes`);
    }
    expect(buffer.parts).toBe(Math.ceil(100_000 / FRAGMENT_BLOCK));
    expect(buffer.take().equals(expected)).toBe(true);
  });

  it('keeps a large fragment as it is and returns a lone one uncopied', () => {
    const buffer = new FragmentBuffer();
    const big = Buffer.alloc(SMALL_FRAGMENT, 7);
    buffer.push(Buffer.alloc(0));
    buffer.push(big);
    expect(buffer.parts).toBe(1);
    expect(buffer.take()).toBe(big);
  });

  it('copies a lone small fragment out of its block instead of handing out a view of it', () => {
    const buffer = new FragmentBuffer();
    buffer.push(Buffer.from('tiny'));
    const message = buffer.take();
    expect(message.toString()).toBe('tiny');
    expect(message.buffer.byteLength).toBeLessThan(FRAGMENT_BLOCK);
  });

  it('reassembles random mixes of fragment sizes exactly, within the documented number of parts', () => {
    const seed = 0x5eed;
    const prng = createPrng(seed);
    for (let round = 0; round < 40; round++) {
      const buffer = new FragmentBuffer();
      const pieces: Buffer[] = [];
      const count = prng.int(1, 300);
      for (let i = 0; i < count; i++) {
        const size = prng.pick([0, 1, 2, prng.int(3, SMALL_FRAGMENT - 1), SMALL_FRAGMENT - 1, SMALL_FRAGMENT, prng.int(SMALL_FRAGMENT, 3 * FRAGMENT_BLOCK)]);
        const piece = Buffer.from(prng.bytes(size));
        pieces.push(piece);
        buffer.push(piece);
        expect(buffer.parts, `seed ${seed} round ${round}`).toBeLessThanOrEqual(maxParts(buffer.byteLength));
      }
      const expected = Buffer.concat(pieces);
      expect(buffer.byteLength).toBe(expected.length);
      expect(buffer.take().equals(expected), `seed ${seed} round ${round}`).toBe(true);
      expect(buffer.byteLength).toBe(0);
      expect(buffer.parts).toBe(0);
    }
  });

  it('starts empty again after clear()', () => {
    const buffer = new FragmentBuffer();
    buffer.push(Buffer.from('old'));
    buffer.clear();
    buffer.push(Buffer.from('new'));
    expect(buffer.take().toString()).toBe('new');
  });
});
