// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import { byteByByte, clientFrame } from '../helpers/frames.js';
import { ProtocolError, type Connection } from '../../src/server/index.js';
import { RawClient, cleanup, connectPair, sleep, startServer, within } from '../helpers/server.js';

afterEach(cleanup);

const TEXT = 0x1;
const BINARY = 0x2;
const CONTINUATION = 0x0;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;

function closePayload(code: number, reason = ''): Buffer {
  const out = Buffer.alloc(2 + Buffer.byteLength(reason));
  out.writeUInt16BE(code, 0);
  out.write(reason, 2);
  return out;
}


/** The server still answers a brand-new client after whatever the test did. */
async function expectStillServing(port: number): Promise<void> {
  const fresh = await RawClient.connect(port);
  fresh.sendFrame(TEXT, 'still there?');
  expect(await fresh.nextText()).toBe('still there?');
}

/** No frame arrives within `ms`. */
async function expectSilence(client: RawClient, ms: number): Promise<void> {
  await expect(client.nextFrame(ms)).rejects.toThrow(/no frame/);
}

describe('Connection: echo over raw frames', () => {
  it.each([0, 125, 126, 65535, 65536, 3 * 1024 * 1024 + 7])('echoes a %i-byte text and binary message unchanged', async (size) => {
    const { port } = await startServer();
    const client = await RawClient.connect(port);
    const text = 'x'.repeat(size);
    client.sendFrame(TEXT, text);
    const echoedText = await client.nextMessage(5000);
    expect(echoedText.binary).toBe(false);
    expect(echoedText.data.equals(Buffer.from(text))).toBe(true);

    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 31) & 0xff;
    client.sendFrame(BINARY, bytes);
    const echoedBinary = await client.nextMessage(5000);
    expect(echoedBinary.binary).toBe(true);
    expect(echoedBinary.data.equals(bytes)).toBe(true);
  });

  it('parses a frame delivered one byte per TCP write', async () => {
    const { port } = await startServer();
    const client = await RawClient.connect(port);
    for (const byte of byteByByte(clientFrame(TEXT, 'slowly, byte by byte'))) {
      client.write(byte);
      await sleep(1);
    }
    expect(await client.nextText()).toBe('slowly, byte by byte');
  });

  it('parses bytes that arrive in the same packet as the handshake request', async () => {
    const { port, server } = await startServer();
    const received = new Promise<string>((resolve) => server.on('message', (data) => resolve(String(data))));
    const { openSocket, upgradeRequest } = await import('../helpers/server.js');
    const socket = await openSocket(port);
    socket.write(Buffer.concat([Buffer.from(upgradeRequest(port)), clientFrame(TEXT, 'early bird')]));
    expect(await within(received, 3000, 'the early message')).toBe('early bird');
  });

  it('reassembles a fragmented message and answers a ping sent between its fragments', async () => {
    const { port, server } = await startServer();
    const { client, connection } = await connectPair(server, port);
    const messages: Array<[string | Buffer, boolean]> = [];
    connection.on('message', (data, isBinary) => messages.push([data, isBinary]));

    client.sendFrame(TEXT, 'Hel', { fin: false });
    client.sendFrame(PING, 'are you alive?');
    const pong = await client.nextFrame();
    expect(pong.opcode).toBe(PONG);
    expect(pong.payload.toString()).toBe('are you alive?');
    client.sendFrame(CONTINUATION, 'lo, w', { fin: false });
    client.sendFrame(CONTINUATION, 'orld', { fin: true });

    expect(await client.nextText()).toBe('Hello, world');
    expect(messages).toEqual([['Hello, world', false]]);
  });

  it('accepts a multi-byte character split across fragments', async () => {
    const { port } = await startServer();
    const client = await RawClient.connect(port);
    const euro = Buffer.from('€'); // e2 82 ac
    client.sendFrame(TEXT, Buffer.concat([Buffer.from('price: '), euro.subarray(0, 1)]), { fin: false });
    client.sendFrame(CONTINUATION, euro.subarray(1, 2), { fin: false });
    client.sendFrame(CONTINUATION, Buffer.concat([euro.subarray(2), Buffer.from('5')]));
    expect(await client.nextText()).toBe('price: €5');
  });

  it('delivers binary messages as Buffers and text as strings to message listeners', async () => {
    const { port, server } = await startServer({ echo: false });
    const { client, connection } = await connectPair(server, port);
    const got: Array<[unknown, boolean]> = [];
    const done = new Promise<void>((resolve) =>
      connection.on('message', (data, isBinary) => {
        got.push([data, isBinary]);
        if (got.length === 2) resolve();
      }),
    );
    client.sendFrame(TEXT, 'text');
    client.sendFrame(BINARY, Buffer.from([1, 2, 3]));
    await within(done, 3000, 'two messages');
    expect(got[0]).toEqual(['text', false]);
    expect(Buffer.isBuffer(got[1]?.[0])).toBe(true);
    expect([...(got[1]?.[0] as Buffer)]).toEqual([1, 2, 3]);
    expect(got[1]?.[1]).toBe(true);
  });
});

describe('Connection: protocol errors close the connection with the right code', () => {
  const cases: Array<[string, (client: RawClient) => void, number]> = [
    ['a reserved opcode', (c) => c.sendFrame(0x3, 'x'), 1002],
    ['a reserved control opcode', (c) => c.sendFrame(0xb, 'x'), 1002],
    ['an RSV bit without an extension', (c) => c.sendFrame(TEXT, 'x', { rsv: 0x4 }), 1002],
    ['an unmasked frame', (c) => c.sendFrame(TEXT, 'x', { maskKey: null }), 1002],
    ['a ping longer than 125 bytes', (c) => c.sendFrame(PING, 'p'.repeat(126)), 1002],
    ['a fragmented ping', (c) => c.sendFrame(PING, 'p', { fin: false }), 1002],
    ['a continuation with no message open', (c) => c.sendFrame(CONTINUATION, 'x'), 1002],
    [
      'a new data frame while a fragmented message is open',
      (c) => {
        c.sendFrame(TEXT, 'a', { fin: false });
        c.sendFrame(TEXT, 'b');
      },
      1002,
    ],
    ['a single text frame with invalid UTF-8', (c) => c.sendFrame(TEXT, Buffer.from([0x61, 0xff, 0x62])), 1007],
    ['a text frame that ends inside a character', (c) => c.sendFrame(TEXT, Buffer.from([0x61, 0xe2, 0x82])), 1007],
    ['a message larger than maxPayload', (c) => c.sendFrame(BINARY, Buffer.alloc(1025)), 1009],
    [
      'fragments that add up to more than maxPayload',
      (c) => {
        c.sendFrame(BINARY, Buffer.alloc(600), { fin: false });
        c.sendFrame(CONTINUATION, Buffer.alloc(600));
      },
      1009,
    ],
    ['a close frame with a 1-byte payload', (c) => c.sendFrame(CLOSE, Buffer.from([0x03])), 1002],
    ['a close frame whose reason is not UTF-8', (c) => c.sendFrame(CLOSE, Buffer.concat([closePayload(1000), Buffer.from([0xff])])), 1007],
    ...[0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000].map(
      (code): [string, (client: RawClient) => void, number] => [`close code ${code}`, (c) => c.sendFrame(CLOSE, closePayload(code)), 1002],
    ),
  ];

  it.each(cases)('closes on %s, drops TCP, reports it with the close code, and keeps serving others', async (_name, misbehave, expected) => {
    const { port, server } = await startServer({ maxPayload: 1024 });
    const closed = new Promise<[number, boolean]>((resolve) => server.on('close', (_c, code, _r, wasClean) => resolve([code, wasClean])));
    const serverErrors: Array<[Error, Connection | undefined]> = [];
    server.on('error', (error, connection) => serverErrors.push([error, connection]));
    const { client, connection } = await connectPair(server, port);
    const connectionErrors: Error[] = [];
    connection.on('error', (error) => connectionErrors.push(error));
    misbehave(client);
    const close = await client.nextClose();
    expect(close.code).toBe(expected);
    await client.waitClosed();
    const [code, wasClean] = await within(closed, 3000, 'the server close event');
    expect(code).toBe(expected);
    expect(wasClean).toBe(false);
    expect(server.connections.size).toBe(0);
    // One event on the connection and one on the server, naming the violation and the close code.
    expect(connectionErrors).toHaveLength(1);
    const [error] = connectionErrors;
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ closeCode: expected, code: expect.stringMatching(/^WS_ERR_/) });
    expect(close.reason).toBe(error?.message);
    expect(serverErrors).toEqual([[error, connection]]);
    await expectStillServing(port);
  });

  it('fails with 1007 in the fragment where invalid UTF-8 appears, before the message ends', async () => {
    const { port } = await startServer();
    const client = await RawClient.connect(port);
    // e2 82 is a valid start of "€"; the next fragment breaks it with "(".
    client.sendFrame(TEXT, Buffer.from([0x61, 0xe2, 0x82]), { fin: false });
    await expectSilence(client, 150);
    client.sendFrame(CONTINUATION, Buffer.from([0x28, 0x62]), { fin: false });
    const close = await client.nextClose();
    expect(close.code).toBe(1007);
    await client.waitClosed();
    await expectStillServing(port);
  });
});

describe('Connection: close handshake', () => {
  it('echoes the peer close code and reason, and then ends TCP', async () => {
    const { port, server } = await startServer();
    const closed = new Promise<unknown[]>((resolve) => server.on('close', (_c, ...rest) => resolve(rest)));
    const client = await RawClient.connect(port);
    client.sendFrame(CLOSE, closePayload(4001, 'bye now'));
    expect(await client.nextClose()).toEqual({ code: 4001, reason: 'bye now' });
    await client.waitClosed();
    expect(await within(closed, 3000, 'close event')).toEqual([4001, 'bye now', true]);
  });

  it('answers a close without a status with an empty close frame', async () => {
    const { port } = await startServer();
    const client = await RawClient.connect(port);
    client.sendFrame(CLOSE, '');
    const frame = await client.nextFrame();
    expect(frame.opcode).toBe(CLOSE);
    expect(frame.payload.length).toBe(0);
    await client.waitClosed();
  });

  it('sends its close code and reason, and reports a clean close once the peer answers', async () => {
    const { port, server } = await startServer();
    const { client, connection } = await connectPair(server, port);
    const closed = new Promise<unknown[]>((resolve) => connection.on('close', (...args) => resolve(args)));
    connection.close(4000, 'done here');
    expect(connection.state).toBe('closing');
    expect(await client.nextClose()).toEqual({ code: 4000, reason: 'done here' });
    expect(connection.send('too late')).toBe(false);
    client.sendFrame(CLOSE, closePayload(4000));
    await client.waitClosed();
    expect(await within(closed, 3000, 'close event')).toEqual([4000, '', true]);
    expect(connection.state).toBe('closed');
  });

  it('drops a peer that never answers its close frame after closeTimeout', async () => {
    const { port, server } = await startServer({ closeTimeout: 150 });
    const { client, connection } = await connectPair(server, port);
    const closed = new Promise<unknown[]>((resolve) => connection.on('close', (...args) => resolve(args)));
    const started = Date.now();
    connection.close(1000);
    expect((await client.nextClose()).code).toBe(1000);
    await client.waitClosed(2000);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(120);
    expect(await within(closed, 3000, 'close event')).toEqual([1000, '', false]);
  });

  it('rejects invalid close codes and over-long reasons from the caller with RangeError', async () => {
    const { port, server } = await startServer();
    const { connection } = await connectPair(server, port);
    expect(() => connection.close(1005)).toThrow(RangeError);
    expect(() => connection.close(1000, 'r'.repeat(124))).toThrow(RangeError);
    expect(connection.state).toBe('open');
  });

  it('takes a peer that resets TCP for a disconnect (1006), with no error event on the connection or the server', async () => {
    const { port, server } = await startServer();
    const errors: Error[] = [];
    server.on('error', (error) => errors.push(error));
    const { client, connection } = await connectPair(server, port);
    connection.on('error', (error) => errors.push(error));
    const closed = new Promise<unknown[]>((resolve) => connection.on('close', (...args) => resolve(args)));
    // Something for the kernel to discard, so the reset reaches the server as ECONNRESET on read.
    client.sendFrame(TEXT, 'x'.repeat(1000));
    client.socket.resetAndDestroy();
    expect(await within(closed, 3000, 'close event')).toEqual([1006, '', false]);
    await sleep(50);
    expect(errors).toEqual([]);
  });

  it('terminate() drops TCP without a close frame and reports 1006', async () => {
    const { port, server } = await startServer();
    const { client, connection } = await connectPair(server, port);
    const closed = new Promise<unknown[]>((resolve) => connection.on('close', (...args) => resolve(args)));
    connection.terminate();
    await client.waitClosed();
    await expect(client.nextFrame(50)).rejects.toThrow();
    expect(await within(closed, 3000, 'close event')).toEqual([1006, '', false]);
  });
});

describe('Connection: sending', () => {
  it('splits messages larger than fragmentSize into continuation frames', async () => {
    const { port, server } = await startServer({ fragmentSize: 1000 });
    const { client, connection } = await connectPair(server, port);
    connection.send('y'.repeat(2500));
    const message = await client.nextMessage();
    expect(message.frames).toBe(3);
    expect(message.data.toString()).toBe('y'.repeat(2500));
    connection.send(Uint8Array.of(9, 8, 7));
    const small = await client.nextMessage();
    expect(small.frames).toBe(1);
    expect(small.binary).toBe(true);
  });

  it('returns false from send() under backpressure and emits drain once the peer reads again', async () => {
    const { port, server } = await startServer();
    const { client, connection } = await connectPair(server, port);
    client.socket.pause();
    const chunk = Buffer.alloc(1024 * 1024);
    // The kernel absorbs the first megabytes; keep going until bytes queue up in the socket.
    let accepted = true;
    for (let i = 0; i < 64 && (accepted || connection.bufferedAmount === 0); i++) accepted = connection.send(chunk);
    expect(accepted).toBe(false);
    expect(connection.bufferedAmount).toBeGreaterThan(0);
    const drained = new Promise<void>((resolve) => connection.on('drain', () => resolve()));
    client.socket.resume();
    await within(drained, 5000, 'drain');
  });

  it('rejects a send of something that is not a string or bytes with TypeError', async () => {
    const { port, server } = await startServer();
    const { connection } = await connectPair(server, port);
    expect(() => connection.send(42 as unknown as string)).toThrow(TypeError);
    expect(() => connection.ping('p'.repeat(126))).toThrow(RangeError);
  });

  it('sends pings with a payload that the peer can pong', async () => {
    const { port, server } = await startServer();
    const { client, connection } = await connectPair(server, port);
    const pong = new Promise<string>((resolve) => connection.on('pong', (payload) => resolve(payload.toString())));
    expect(connection.ping('hi')).toBe(true);
    const ping = await client.nextFrame();
    expect(ping.opcode).toBe(PING);
    client.sendFrame(PONG, ping.payload);
    expect(await within(pong, 3000, 'pong')).toBe('hi');
  });
});

describe('Connection: liveness pings', () => {
  it('keeps a client that answers every ping', async () => {
    const { port, server } = await startServer({ pingInterval: 60 });
    const client = await RawClient.connect(port);
    let pings = 0;
    for (let i = 0; i < 5; i++) {
      const frame = await client.nextFrame(1000);
      expect(frame.opcode).toBe(PING);
      pings++;
      client.sendFrame(PONG, frame.payload);
    }
    expect(pings).toBe(5);
    expect(server.connections.size).toBe(1);
    expect(client.socket.destroyed).toBe(false);
  });

  it('terminates a client that does not answer a ping before the next one is due', async () => {
    const { port, server } = await startServer({ pingInterval: 60 });
    const closed = new Promise<number>((resolve) => server.on('close', (_c, code) => resolve(code)));
    const client = await RawClient.connect(port);
    const started = Date.now();
    expect((await client.nextFrame(1000)).opcode).toBe(PING);
    await client.waitClosed(2000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    expect(await within(closed, 3000, 'close event')).toBe(1006);
  });

  it('sends no pings when pingInterval is 0', async () => {
    const { port } = await startServer({ pingInterval: 0, echo: false });
    const client = await RawClient.connect(port);
    await expectSilence(client, 200);
  });
});
