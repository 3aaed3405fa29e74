// @vitest-environment node
// Bounded memory whatever the peer does: fragment floods, and (below) peers that do not read.
import { afterEach, describe, expect, it } from 'vitest';
import { clientFrame } from '../helpers/frames.js';
import { RawClient, cleanup, connectPair, sleep, startServer, waitFor, within } from '../helpers/server.js';

afterEach(cleanup);

const CONTINUATION = 0x0;
const TEXT = 0x1;
const BINARY = 0x2;
const PING = 0x9;
const PONG = 0xa;

/** The server still answers a brand-new client. */
async function expectStillServing(port: number): Promise<void> {
  const fresh = await RawClient.connect(port);
  fresh.sendFrame(TEXT, 'still there?');
  expect(await fresh.nextText()).toBe('still there?');
}

describe('fragment floods', () => {
  it('closes a peer sending 200,000 empty continuations with 1008 and keeps serving', async () => {
    const { port, server } = await startServer();
    const closed = new Promise<number>((resolve) => server.on('close', (_c, code) => resolve(code)));
    const client = await RawClient.connect(port);
    const empty = clientFrame(CONTINUATION, '', { fin: false });
    // 200,000 frames in writes of 10,000 (1.2 MB in all), as fast as the socket takes them.
    client.sendFrame(BINARY, '', { fin: false });
    for (let i = 0; i < 20 && !client.socket.destroyed; i++) client.write(Buffer.concat(Array.from({ length: 10_000 }, () => empty)));
    const close = await client.nextClose(5000);
    expect(close.code).toBe(1008);
    expect(close.reason).toMatch(/16384 frames/);
    await client.waitClosed(8000);
    expect(await within(closed, 3000, 'the close event')).toBe(1008);
    expect(server.connections.size).toBe(0);
    await expectStillServing(port);
  });

  it('takes a message of exactly maxFragments frames and closes on the frame after the limit', async () => {
    const { port, server } = await startServer({ maxFragments: 50 });
    const { client, connection } = await connectPair(server, port);
    const received: Array<string | Buffer> = [];
    connection.on('message', (data) => received.push(data));

    // 50 frames: a text frame and 49 continuations, one byte each.
    client.sendFrame(TEXT, 'a', { fin: false });
    for (let i = 0; i < 48; i++) client.sendFrame(CONTINUATION, 'b', { fin: false });
    client.sendFrame(PING, 'between');
    const pong = await client.nextFrame();
    expect(pong.opcode).toBe(PONG);
    client.sendFrame(CONTINUATION, 'c');
    expect(await client.nextText()).toBe(`a${'b'.repeat(48)}c`);

    // 51 frames: the 51st is refused.
    client.sendFrame(BINARY, 'x', { fin: false });
    for (let i = 0; i < 49; i++) client.sendFrame(CONTINUATION, '', { fin: false });
    client.sendFrame(CONTINUATION, 'y');
    expect((await client.nextClose()).code).toBe(1008);
    await client.waitClosed();
    expect(received).toEqual([`a${'b'.repeat(48)}c`]);
    await expectStillServing(port);
  });

  it('reassembles a text message sent one byte per frame, a multi-byte character split across frames', async () => {
    const { port } = await startServer();
    const client = await RawClient.connect(port);
    const text = `${'ab€'.repeat(2000)}✓`;
    const bytes = Buffer.from(text);
    const frames = Array.from(bytes, (byte, i) => clientFrame(i === 0 ? TEXT : CONTINUATION, Buffer.of(byte), { fin: i === bytes.length - 1 }));
    client.write(Buffer.concat(frames));
    expect(await client.nextText(5000)).toBe(text);
  });

  it('refuses a maxFragments that is not an integer >= 1 or Infinity', async () => {
    const { createServer } = await import('../../src/server/index.js');
    for (const maxFragments of [0, -1, 1.5, Number.NaN]) expect(() => createServer({ maxFragments })).toThrow(RangeError);
    expect(() => createServer({ maxFragments: Infinity })).not.toThrow();
  });
});

/** Polls `read` until its value has not changed for `quietMs`; rejects after `maxMs`. */
async function settled(read: () => number, what: string, quietMs = 300, maxMs = 10_000): Promise<number> {
  let last = read();
  let since = Date.now();
  const end = Date.now() + maxMs;
  while (Date.now() < end) {
    await sleep(20);
    const now = read();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return now;
    }
  }
  throw new Error(`${what} kept changing for ${maxMs} ms`);
}

describe('peers that do not read', () => {
  it('stops reading from a client that sends 64 × 1 MiB and never reads, so TCP holds the sender back', async () => {
    const highWaterMark = 256 * 1024;
    const { port, server } = await startServer({ highWaterMark });
    const { client, connection } = await connectPair(server, port);
    client.socket.pause(); // the client never reads…
    let handled = 0;
    connection.on('message', () => handled++);
    const message = Buffer.alloc(1024 * 1024, 0x5a);
    for (let i = 0; i < 64; i++) client.sendFrame(BINARY, message); // …and writes 64 MiB

    await settled(() => handled, 'the number of messages the server handled');
    expect(handled).toBeLessThan(64);
    // What waits on the server is at most the mark plus the one echo that crossed it.
    expect(connection.bufferedAmount).toBeLessThanOrEqual(highWaterMark + message.length + 16);
    // The rest is stuck on the client's side: the server is not reading it.
    expect(client.socket.writableLength).toBeGreaterThan(0);

    client.socket.resume();
    for (let i = 0; i < 64; i++) {
      const echo = await client.nextMessage(10_000);
      expect(echo.data.equals(message)).toBe(true);
    }
    expect(handled).toBe(64);
  });

  it('stops reading from a ping flood by a client that never reads, and answers every ping once it does', async () => {
    // highWaterMark off: only the pong limit holds the flood back.
    const { port, server } = await startServer({ highWaterMark: Infinity });
    const { client, connection } = await connectPair(server, port);
    client.socket.pause();
    let pings = 0;
    connection.on('ping', () => pings++);
    const ping = clientFrame(PING, 'p'.repeat(125));
    const total = 100_000; // 13 MB of pings, 12.7 MB of pongs: more than the kernel buffers hold
    for (let i = 0; i < total / 1000; i++) client.write(Buffer.concat(Array.from({ length: 1000 }, () => ping)));

    await settled(() => pings, 'the number of pings the server handled');
    expect(pings).toBeLessThan(total);
    expect(connection.bufferedAmount).toBeLessThanOrEqual(16 * 127);
    expect(client.socket.writableLength).toBeGreaterThan(0);

    client.socket.resume();
    for (let i = 0; i < total; i++) {
      const frame = await client.nextFrame(10_000);
      if (frame.opcode !== PONG) throw new Error(`frame ${i} has opcode ${frame.opcode}`);
    }
    expect(pings).toBe(total);
  });

  it('closes a client that does not read the broadcasts with 1013 at maxBufferedBytes; the others get every message', async () => {
    const maxBufferedBytes = 512 * 1024;
    const { port, server } = await startServer({ maxBufferedBytes });
    const reader = await connectPair(server, port);
    const slow = await connectPair(server, port);
    slow.client.socket.pause();
    const codes: number[] = [];
    server.on('close', (_c, code) => codes.push(code));

    const message = Buffer.alloc(16 * 1024, 0x61).toString();
    let queuedForSlow = 0;
    let waitingAtClose = -1;
    // Bounded: 4,000 broadcasts are 64 MiB, far beyond what the kernel takes for the slow client.
    for (let i = 0; i < 4000 && slow.connection.state === 'open'; i++) {
      const before = slow.connection.bufferedAmount;
      const count = server.broadcast(message);
      if (slow.connection.state === 'open') {
        expect(count).toBe(2);
        queuedForSlow++;
      } else {
        expect(count).toBe(1);
        waitingAtClose = before;
      }
      expect(await reader.client.nextText()).toBe(message);
    }
    expect(slow.connection.state).toBe('closing');
    expect(waitingAtClose).toBeGreaterThan(maxBufferedBytes - 16 * 1024 - 200);
    expect(waitingAtClose).toBeLessThanOrEqual(maxBufferedBytes + 16 * 1024 + 4);

    // Once it reads, the slow client gets every message queued for it, then the 1013 close.
    slow.client.socket.resume();
    for (let i = 0; i < queuedForSlow; i++) expect(await slow.client.nextText(10_000)).toBe(message);
    const close = await slow.client.nextClose();
    expect(close).toEqual({ code: 1013, reason: 'slow consumer: send buffer full' });
    // Its reply is read: the server reads again once the backlog has left.
    slow.client.sendFrame(0x8, Buffer.from([0x03, 0xf5]));
    await slow.client.waitClosed();
    await waitFor(() => codes.length === 1, 'the close event');
    expect(codes).toEqual([1013]);
    expect(reader.connection.state).toBe('open');
  });

  it.each([
    ['highWaterMark', -1],
    ['highWaterMark', Number.NaN],
    ['maxBufferedBytes', -1],
    ['maxBufferedBytes', Number.NaN],
  ] as const)('refuses %s: %s', async (name, value) => {
    const options = { [name]: value };
    const { createServer } = await import('../../src/server/index.js');
    expect(() => createServer(options)).toThrow(RangeError);
    expect(() => createServer({ [name]: Infinity })).not.toThrow();
  });
});
