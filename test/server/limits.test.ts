// @vitest-environment node
// Bounded memory whatever the peer does: fragment floods, and (below) peers that do not read.
import { afterEach, describe, expect, it } from 'vitest';
import { clientFrame } from '../helpers/frames.js';
import { RawClient, cleanup, connectPair, startServer, within } from '../helpers/server.js';

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
