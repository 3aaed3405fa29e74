// @vitest-environment node
// Backpressure accounting of a Connection over a socket whose writes only complete when the test
// says so, so that what waits to be sent is known exactly (no kernel buffer in between).
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection } from '../../src/server/connection.js';
import { MAX_PENDING_PONGS, WRITE_OVERHEAD } from '../../src/server/constants.js';
import { clientFrame } from '../helpers/frames.js';

const TEXT = 0x1;
const PING = 0x9;

/** A socket stand-in: reads what the test pushes, and holds every write until `release()`. */
class StuckSocket extends Duplex {
  readonly written: Buffer[] = [];
  readonly #held: Array<() => void> = [];
  remoteAddress = '127.0.0.1';

  constructor() {
    super({ allowHalfOpen: true });
  }

  setNoDelay(): this {
    return this;
  }

  setTimeout(): this {
    return this;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.written.push(chunk);
    this.#held.push(callback);
  }

  /** Completes up to `count` writes, oldest first (each completion may start the next one). */
  release(count: number): void {
    for (let i = 0; i < count && this.#held.length > 0; i++) (this.#held.shift() as () => void)();
  }

  /** Completes writes until none is held, at most `limit` of them. */
  releaseAll(limit = 100_000): void {
    this.release(limit);
  }
}

const connections: Connection[] = [];
afterEach(() => {
  for (const connection of connections) connection.terminate();
  connections.length = 0;
});

/** A connection over a StuckSocket that echoes every message, like the default app. */
function echoing(options: ConstructorParameters<typeof Connection>[1]): { socket: StuckSocket; connection: Connection } {
  const socket = new StuckSocket();
  const connection = new Connection(socket as unknown as Socket, { pingInterval: 0, ...options }, undefined, (conn, payload, isBinary) => {
    conn.send(payload, { binary: isBinary });
  });
  connections.push(connection);
  return { socket, connection };
}

/** Lets the socket deliver what was pushed into it. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Connection backpressure: reading stops over highWaterMark', () => {
  it('stops handling frames once the replies waiting cross highWaterMark, and resumes under half of it', async () => {
    const { socket, connection } = echoing({ highWaterMark: 10_000 });
    const received: unknown[] = [];
    connection.on('message', (data) => received.push(data));
    const frames = Array.from({ length: 100 }, (_, i) => clientFrame(TEXT, String(i % 10).repeat(1000)));
    socket.push(Buffer.concat(frames));
    await tick();
    // Each echo waits as 1,004 bytes plus WRITE_OVERHEAD: the mark is crossed by the 9th.
    const perEcho = 1004 + WRITE_OVERHEAD;
    const first = Math.floor(10_000 / perEcho) + 1;
    expect(received).toHaveLength(first);
    expect(socket.writableLength).toBe(first * 1004);
    expect(socket.isPaused()).toBe(true);

    socket.push(clientFrame(TEXT, 'later'));
    await tick();
    expect(received).toHaveLength(first);

    // Under half the mark (5,000) only once at most 4 echoes wait.
    socket.release(first - 5);
    expect(received).toHaveLength(first);
    socket.release(1);
    // Reading resumed with 4 echoes waiting; it stops again as soon as the mark is crossed.
    expect(received).toHaveLength(first + (first - 4));
    expect(socket.isPaused()).toBe(true);

    for (let round = 0; round < 200 && received.length < 101; round++) {
      socket.releaseAll(1000);
      await tick();
    }
    expect(received).toHaveLength(101);
    expect(received.at(-1)).toBe('later');
    expect(socket.written.map((chunk) => chunk.subarray(chunk.length - 1).toString())).toEqual([...received.slice(0, 100).map((m) => String(m).slice(-1)), 'r']);
    expect(socket.isPaused()).toBe(false);
  });

  it('with highWaterMark: Infinity it never stops reading', async () => {
    const { socket, connection } = echoing({ highWaterMark: Infinity, maxBufferedBytes: Infinity });
    let count = 0;
    connection.on('message', () => count++);
    socket.push(Buffer.concat(Array.from({ length: 500 }, () => clientFrame(TEXT, 'x'.repeat(1000)))));
    await tick();
    expect(count).toBe(500);
    expect(socket.isPaused()).toBe(false);
  });

  it('keeps a frozen connection paused when the backlog drains, until unfreeze()', async () => {
    const { socket, connection } = echoing({ highWaterMark: 2000 });
    const received: unknown[] = [];
    connection.on('message', (data) => received.push(data));
    socket.push(Buffer.concat(Array.from({ length: 10 }, (_, i) => clientFrame(TEXT, `${i}`.repeat(1500)))));
    await tick();
    expect(received).toHaveLength(2);
    connection.freeze();
    socket.releaseAll();
    await tick();
    expect(received).toHaveLength(2);
    expect(socket.isPaused()).toBe(true);
    connection.unfreeze();
    for (let round = 0; round < 50 && received.length < 10; round++) {
      socket.releaseAll();
      await tick();
    }
    expect(received.map((m) => String(m)[0])).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });
});

describe('Connection backpressure: maxBufferedBytes and the slow-consumer close', () => {
  it('counts every queued write with its overhead, so tiny messages reach the limit too, then closes with 1013', () => {
    const { socket, connection } = echoing({ maxBufferedBytes: 16_384 });
    let accepted = 0;
    for (let i = 0; i < 10_000 && connection.state === 'open'; i++) {
      if (connection.send('x')) accepted++;
      else break;
    }
    // A 1-byte text frame is 3 bytes; a send is refused once more than the limit waits.
    expect(accepted).toBe(Math.floor(16_384 / (3 + WRITE_OVERHEAD)) + 1);
    expect(connection.state).toBe('closing');
    socket.releaseAll();
    const close = socket.written.at(-1) as Buffer;
    expect(close[0]).toBe(0x88);
    expect(close.readUInt16BE(2)).toBe(1013);
    expect(close.subarray(4).toString()).toMatch(/slow consumer/);
    expect(socket.written).toHaveLength(accepted + 1);
  });

  it('sends one message larger than the limit when less than the limit waits', () => {
    const { socket, connection } = echoing({ maxBufferedBytes: 1000 });
    connection.send(Buffer.alloc(5000));
    expect(connection.state).toBe('open');
    expect(socket.writableLength).toBeGreaterThan(5000);
    connection.send('next');
    expect(connection.state).toBe('closing');
  });

  it('does not close a peer whose replies are held back by reading: the echo path stays under the limit', async () => {
    const { socket, connection } = echoing({ highWaterMark: 4096, maxBufferedBytes: 8192 });
    socket.push(Buffer.concat(Array.from({ length: 200 }, () => clientFrame(TEXT, 'y'.repeat(700)))));
    await tick();
    expect(connection.state).toBe('open');
    expect(socket.writableLength).toBeLessThanOrEqual(4096 + 702);
  });
});

describe('Connection backpressure: pongs', () => {
  it(`stops reading while ${MAX_PENDING_PONGS} pongs wait, and answers every ping in order once they leave`, async () => {
    const { socket, connection } = echoing({ highWaterMark: Infinity });
    let pings = 0;
    connection.on('ping', () => pings++);
    socket.push(Buffer.concat(Array.from({ length: 100 }, (_, i) => clientFrame(PING, `p${i}`))));
    await tick();
    expect(pings).toBe(MAX_PENDING_PONGS);
    expect(socket.isPaused()).toBe(true);
    // Reading resumes once at most half the limit of pongs waits.
    socket.release(MAX_PENDING_PONGS / 2 - 1);
    await tick();
    expect(pings).toBe(MAX_PENDING_PONGS);
    socket.release(1);
    await tick();
    expect(pings).toBe(MAX_PENDING_PONGS + MAX_PENDING_PONGS / 2);
    for (let round = 0; round < 200 && pings < 100; round++) {
      socket.releaseAll(1000);
      await tick();
    }
    expect(pings).toBe(100);
    expect(socket.written.map((chunk) => chunk.subarray(2).toString())).toEqual(Array.from({ length: 100 }, (_, i) => `p${i}`));
    expect(socket.written.every((chunk) => chunk[0] === 0x8a)).toBe(true);
  });
});
