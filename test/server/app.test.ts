// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope, restoreBinary } from '../../src/protocol/envelope.js';
import { ClosedError, RemoteError, ResponseError, TimeoutError } from '../../src/server/index.js';
import { RawClient, cleanup, connectPair, startServer, waitFor, within } from '../helpers/server.js';

afterEach(cleanup);

const TEXT = 0x1;
const BINARY = 0x2;

function sendJson(client: RawClient, value: unknown): void {
  client.sendFrame(TEXT, JSON.stringify(value));
}

describe('default app: heartbeats and requests', () => {
  it('answers a JSON ping with a pong carrying the same ts', async () => {
    const { port } = await startServer();
    const client = await RawClient.connect(port);
    client.sendFrame(TEXT, '{"type":"ping","ts":1234.5}');
    expect(await client.nextText()).toBe('{"type":"pong","ts":1234.5}');
  });

  it('answers the built-in echo method with its params', async () => {
    const { port } = await startServer();
    const client = await RawClient.connect(port);
    sendJson(client, { type: 'request', id: 'a1', method: 'echo', params: { n: [1, 2, 3] } });
    expect(await client.nextJson()).toEqual({ type: 'response', id: 'a1', result: { n: [1, 2, 3] } });
  });

  it('answers an unknown method with METHOD_NOT_FOUND', async () => {
    const { port } = await startServer();
    const client = await RawClient.connect(port);
    sendJson(client, { type: 'request', id: 7, method: 'nope' });
    const reply = (await client.nextJson()) as { id: number; error: { code: string; message: string } };
    expect(reply.id).toBe(7);
    expect(reply.error.code).toBe('METHOD_NOT_FOUND');
    expect(reply.error.message).toContain('nope');
  });

  it('answers a thrown ResponseError with its code, message and data', async () => {
    const { port, server } = await startServer();
    server.handle('coded', () => {
      throw new ResponseError('FORBIDDEN', 'not allowed');
    });
    server.handle('numbered', () => {
      throw new ResponseError(418, 'teapot', { brew: 'later' });
    });
    const client = await RawClient.connect(port);
    sendJson(client, { type: 'request', id: 1, method: 'coded' });
    sendJson(client, { type: 'request', id: 2, method: 'numbered' });
    expect(await client.nextJson()).toEqual({ type: 'response', id: 1, error: { code: 'FORBIDDEN', message: 'not allowed' } });
    expect(await client.nextJson()).toEqual({ type: 'response', id: 2, error: { code: 418, message: 'teapot', data: { brew: 'later' } } });
  });

  it('answers any other exception with a generic INTERNAL error, and gives what was thrown to the error event', async () => {
    const { port, server } = await startServer();
    const secret = Object.assign(new Error('db password is hunter2'), { code: 'ECONNREFUSED' });
    server.handle('coded', () => {
      throw secret;
    });
    server.handle('plain', () => {
      throw new Error('stack details');
    });
    server.handle('stringly', () => Promise.reject('just a string')); // async, so it answers last
    const errors: Array<[Error, unknown]> = [];
    server.on('error', (error, connection) => errors.push([error, connection]));
    const { client, connection } = await connectPair(server, port);
    for (const [id, method] of [[1, 'coded'], [2, 'plain'], [3, 'stringly']] as const) {
      sendJson(client, { type: 'request', id, method });
    }
    for (const id of [1, 2, 3]) {
      expect(await client.nextJson()).toEqual({ type: 'response', id, error: { code: 'INTERNAL', message: 'internal error' } });
    }
    expect(errors.map(([error]) => error.message)).toEqual(['db password is hunter2', 'stack details', 'just a string']);
    expect(errors[0]?.[0]).toBe(secret);
    expect(errors.every(([, from]) => from === connection)).toBe(true);
  });

  it('with exposeErrors, answers with the thrown error code and message, or INTERNAL when the error has none', async () => {
    const { port, server } = await startServer({ exposeErrors: true });
    server.handle('coded', () => {
      throw Object.assign(new Error('not allowed'), { code: 'FORBIDDEN' });
    });
    server.handle('numbered', () => {
      throw Object.assign(new Error('teapot'), { code: 418 });
    });
    server.handle('plain', () => {
      throw new Error('boom');
    });
    server.handle('stringly', () => {
      throw 'just a string';
    });
    const client = await RawClient.connect(port);
    for (const [id, method] of [[1, 'coded'], [2, 'numbered'], [3, 'plain'], [4, 'stringly']] as const) {
      sendJson(client, { type: 'request', id, method });
    }
    expect(await client.nextJson()).toEqual({ type: 'response', id: 1, error: { code: 'FORBIDDEN', message: 'not allowed' } });
    expect(await client.nextJson()).toEqual({ type: 'response', id: 2, error: { code: 418, message: 'teapot' } });
    expect(await client.nextJson()).toEqual({ type: 'response', id: 3, error: { code: 'INTERNAL', message: 'boom' } });
    expect(await client.nextJson()).toEqual({ type: 'response', id: 4, error: { code: 'INTERNAL', message: 'just a string' } });
  });

  it('awaits async handlers, for results and for rejections', async () => {
    const { port, server } = await startServer();
    server.handle('slowAdd', async (params) => {
      const [a, b] = params as [number, number];
      await new Promise((resolve) => setTimeout(resolve, 100));
      return a + b;
    });
    server.handle('slowFail', async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw new ResponseError('LATE', 'later');
    });
    const client = await RawClient.connect(port);
    sendJson(client, { type: 'request', id: 'x', method: 'slowAdd', params: [2, 3] });
    sendJson(client, { type: 'request', id: 'y', method: 'slowFail' });
    // The failing one is faster, so it answers first: responses are not serialised behind each other.
    expect(await client.nextJson()).toEqual({ type: 'response', id: 'y', error: { code: 'LATE', message: 'later' } });
    expect(await client.nextJson()).toEqual({ type: 'response', id: 'x', result: 5 });
  });

  it('answers a result that is not JSON-serialisable with an INTERNAL error', async () => {
    const { port, server } = await startServer();
    server.handle('bigint', () => 10n);
    const client = await RawClient.connect(port);
    sendJson(client, { type: 'request', id: 1, method: 'bigint' });
    const reply = (await client.nextJson()) as { error: { code: string } };
    expect(reply.error.code).toBe('INTERNAL');
  });

  it('gives handlers the connection, and unregistering a handler makes the method unknown again', async () => {
    const { port, server } = await startServer();
    const off = server.handle('whoami', (_params, context) => {
      context.connection.emit('hello', { method: context.method, id: context.id });
      return context.connection.id;
    });
    const { client, connection } = await connectPair(server, port);
    sendJson(client, { type: 'request', id: 'q', method: 'whoami' });
    expect(await client.nextJson()).toEqual({ type: 'event', event: 'hello', data: { method: 'whoami', id: 'q' } });
    expect(await client.nextJson()).toEqual({ type: 'response', id: 'q', result: connection.id });
    off();
    sendJson(client, { type: 'request', id: 'r', method: 'whoami' });
    expect(((await client.nextJson()) as { error: { code: string } }).error.code).toBe('METHOD_NOT_FOUND');
  });

  it('rejects bad handler registrations with TypeError', async () => {
    const { server } = await startServer();
    expect(() => server.handle('', () => 1)).toThrow(TypeError);
    expect(() => server.handle('x', 'not a function' as unknown as () => unknown)).toThrow(TypeError);
  });
});

describe('default app: data, events and malformed messages', () => {
  it('echoes application data unchanged: plain text, JSON without a protocol type, and binary', async () => {
    const { port } = await startServer();
    const client = await RawClient.connect(port);
    for (const text of ['hello', '{"foo":1}', '{"type":"custom","x":2}', '  [1,2]', '{not json "type"']) {
      client.sendFrame(TEXT, text);
      expect(await client.nextText()).toBe(text);
    }
    client.sendFrame(BINARY, Buffer.from([0, 255, 7]));
    const echoed = await client.nextMessage();
    expect(echoed.binary).toBe(true);
    expect([...echoed.data]).toEqual([0, 255, 7]);
  });

  it('passes text whose protocol type does not fit its shape as application data, as the client does (CONTRACT)', async () => {
    const { port, server } = await startServer();
    const events: string[] = [];
    server.on('event', (name) => events.push(name));
    const client = await RawClient.connect(port);
    const misfits = ['{"type":"request","method":"echo"}', '{"type":"event","name":"x"}', '{"type":"ping"}', '{"type":"pong","ts":"soon"}', '{"type":"response","id":1}'];
    for (const text of misfits) {
      client.sendFrame(TEXT, text);
      expect(await client.nextText()).toBe(text);
    }
    expect(events).toEqual([]);
    expect(server.connections.size).toBe(1);
  });

  it('hands events to the server listeners without echoing them', async () => {
    const { port, server } = await startServer();
    const { client, connection } = await connectPair(server, port);
    const seen = new Promise<unknown[]>((resolve) => server.on('event', (...args) => resolve(args)));
    sendJson(client, { type: 'event', event: 'typing', data: { who: 'ann' } });
    const [name, data, from] = await within(seen, 3000, 'the event');
    expect(name).toBe('typing');
    expect(data).toEqual({ who: 'ann' });
    expect(from).toBe(connection);
    // Nothing was echoed: the next thing the client reads is the answer to this ping.
    client.sendFrame(TEXT, '{"type":"ping","ts":1}');
    expect(await client.nextJson()).toEqual({ type: 'pong', ts: 1 });
  });

  it('broadcasts a chat event to every connection, the sender included', async () => {
    const { port } = await startServer();
    const alice = await RawClient.connect(port);
    const bob = await RawClient.connect(port);
    sendJson(alice, { type: 'event', event: 'chat', data: { name: 'alice', text: 'hi bob' } });
    const expected = { type: 'event', event: 'chat', data: { name: 'alice', text: 'hi bob' } };
    expect(await alice.nextJson()).toEqual(expected);
    expect(await bob.nextJson()).toEqual(expected);
  });

  it('does not echo data when echo is false, but still answers heartbeats', async () => {
    const { port } = await startServer({ echo: false });
    const client = await RawClient.connect(port);
    client.sendFrame(TEXT, 'not echoed');
    client.sendFrame(TEXT, '{"type":"ping","ts":9}');
    expect(await client.nextJson()).toEqual({ type: 'pong', ts: 9 });
  });

  it('reports every message to server message listeners before answering it', async () => {
    const { port, server } = await startServer();
    const { client, connection } = await connectPair(server, port);
    const seen: unknown[] = [];
    server.on('message', (data, isBinary, from) => seen.push([data, isBinary, from === connection]));
    client.sendFrame(TEXT, 'one');
    client.sendFrame(BINARY, Buffer.from([1]));
    await client.nextMessage();
    await client.nextMessage();
    expect(seen).toEqual([
      ['one', false, true],
      [Buffer.from([1]), true, true],
    ]);
  });

  it('reports a throwing listener as an error event and goes on with the frames after it', async () => {
    const { port, server } = await startServer();
    const { client, connection } = await connectPair(server, port);
    const errors: Array<[unknown, unknown, unknown]> = [];
    const onConnection: unknown[] = [];
    server.on('error', (error, from) => errors.push([(error as { code?: string }).code, (error as Error).message, from === connection]));
    connection.on('error', (error) => onConnection.push((error as { code?: string }).code));
    server.on('message', () => {
      throw new Error('bug in a message listener');
    });
    const off = connection.on('message', () => {
      throw new Error('bug in a connection listener');
    });
    server.onEvent('typing', () => {
      throw new Error('bug in an onEvent listener');
    });
    server.on('event', () => {
      throw new Error('bug in an event listener');
    });
    // The event, then a ping: the ping is still answered after three listeners threw for the event.
    sendJson(client, { type: 'event', event: 'typing', data: 1 });
    client.sendFrame(TEXT, '{"type":"ping","ts":3}');
    expect(await client.nextJson()).toEqual({ type: 'pong', ts: 3 });
    off();
    expect(errors.slice(0, 4)).toEqual([
      ['LISTENER', 'a "message" listener threw', true],
      ['LISTENER', 'a "message" listener threw', true],
      ['LISTENER', 'a "event" listener threw', true],
      ['LISTENER', 'an onEvent("typing") listener threw', true],
    ]);
    expect(onConnection[0]).toBe('LISTENER');
    const first = await new Promise<Error>((resolve) => {
      const errorsBefore = errors.length;
      server.on('close', () => {
        throw new Error('bug in a close listener');
      });
      server.on('error', (error) => resolve(error));
      client.sendFrame(0x8, Buffer.from([0x03, 0xe8]));
      expect(errors.length).toBe(errorsBefore);
    });
    expect((first as Error & { cause?: Error }).cause?.message).toBe('bug in a close listener');
  });

  it('sends server events and broadcasts to every open connection', async () => {
    const { port, server } = await startServer();
    const a = await RawClient.connect(port);
    const b = await RawClient.connect(port);
    await waitFor(() => server.connections.size === 2, 'two connections');
    expect(server.emit('news', { n: 1 })).toBe(2);
    expect(server.broadcast(Uint8Array.of(5))).toBe(2);
    for (const client of [a, b]) {
      expect(await client.nextJson()).toEqual({ type: 'event', event: 'news', data: { n: 1 } });
      const binary = await client.nextMessage();
      expect(binary.binary).toBe(true);
      expect([...binary.data]).toEqual([5]);
    }
  });
});

describe('server-to-client requests', () => {
  it('resolves with the result the client answers', async () => {
    const { port, server } = await startServer();
    const { client, connection } = await connectPair(server, port);
    const pending = connection.request('sum', [2, 5], { timeout: 2000 });
    const request = (await client.nextJson()) as { type: string; id: number; method: string; params: number[] };
    expect(request).toMatchObject({ type: 'request', method: 'sum', params: [2, 5] });
    sendJson(client, { type: 'response', id: request.id, result: 7 });
    await expect(pending).resolves.toBe(7);
  });

  it('rejects with RemoteError when the client answers with an error', async () => {
    const { port, server } = await startServer();
    const { client, connection } = await connectPair(server, port);
    const pending = connection.request('risky');
    const request = (await client.nextJson()) as { id: number };
    sendJson(client, { type: 'response', id: request.id, error: { code: 'NOPE', message: 'refused' } });
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({ code: 'REMOTE', remoteCode: 'NOPE', message: 'refused', method: 'risky' });
  });

  it('rejects with TimeoutError when no response comes in time', async () => {
    const { port, server } = await startServer();
    const { client, connection } = await connectPair(server, port);
    const started = Date.now();
    const error = await connection.request('slow', undefined, { timeout: 80 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
    // A late answer is ignored, not echoed or crashing.
    const request = (await client.nextJson()) as { id: number };
    sendJson(client, { type: 'response', id: request.id, result: 'late' });
    client.sendFrame(TEXT, 'after');
    expect(await client.nextText()).toBe('after');
  });

  it('rejects with ClosedError when the connection closes first, and at once when it is not open', async () => {
    const { port, server } = await startServer();
    const { client, connection } = await connectPair(server, port);
    const pending = connection.request('never', undefined, { timeout: 5000 });
    client.socket.destroy();
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClosedError);
    expect(error).toMatchObject({ code: 'CLOSED', closeCode: 1006 });
    await expect(connection.request('again')).rejects.toBeInstanceOf(ClosedError);
  });
});

describe('binary envelopes', () => {
  /** Reads the next message as an envelope and returns its message with the bytes restored. */
  async function nextEnvelope(client: RawClient): Promise<unknown> {
    const message = await client.nextMessage();
    expect(message.binary).toBe(true);
    const envelope = decodeEnvelope(message.data);
    if (!envelope) throw new Error('expected a binary envelope');
    return restoreBinary(envelope.message, envelope.attachments);
  }

  it('dispatches a request that arrives as an envelope, with its bytes in place, and answers binary in kind', async () => {
    const { port, server } = await startServer();
    server.handle('reverse', (params) => {
      const { body } = params as { body: Uint8Array };
      return { body: Uint8Array.from(body).reverse(), size: body.byteLength };
    });
    const client = await RawClient.connect(port);
    const request = { type: 'request' as const, id: 3, method: 'reverse', params: { body: { $binary: 0 } } };
    client.sendFrame(BINARY, encodeEnvelope(request, [Uint8Array.of(1, 2, 3)]));
    const reply = (await nextEnvelope(client)) as { type: string; id: number; result: { body: Uint8Array; size: number } };
    expect(reply).toMatchObject({ type: 'response', id: 3, result: { size: 3 } });
    expect([...reply.result.body]).toEqual([3, 2, 1]);
  });

  it('answers with a text frame when the result holds no binary', async () => {
    const { port, server } = await startServer();
    server.handle('size', (params) => (params as { body: Uint8Array }).body.byteLength);
    const client = await RawClient.connect(port);
    client.sendFrame(BINARY, encodeEnvelope({ type: 'request', id: 'z', method: 'size', params: { body: { $binary: 0 } } }, [new Uint8Array(70_000)]));
    expect(await client.nextJson()).toEqual({ type: 'response', id: 'z', result: 70_000 });
  });

  it('answers a malformed envelope with an error event, echoes plain binary, and keeps the connection', async () => {
    const { port } = await startServer();
    const client = await RawClient.connect(port);
    client.sendFrame(BINARY, Buffer.from([0x48, 0x46, 0x42, 0x31, 0, 0, 0, 50, 1, 2]));
    const report = (await client.nextJson()) as { event: string; data: { message: string } };
    expect(report.event).toBe('error');
    expect(report.data.message).toMatch(/envelope/);
    client.sendFrame(BINARY, Buffer.from([0x48, 0x46]));
    expect([...(await client.nextMessage()).data]).toEqual([0x48, 0x46]);
  });

  it('sends server events and server-to-client requests that carry bytes as envelopes', async () => {
    const { port, server } = await startServer();
    const { client, connection } = await connectPair(server, port);
    server.emit('blob', { body: Uint8Array.of(9, 9) });
    const event = (await nextEnvelope(client)) as { event: string; data: { body: Uint8Array } };
    expect(event.event).toBe('blob');
    expect([...event.data.body]).toEqual([9, 9]);

    const pending = connection.request('store', { chunk: Uint8Array.of(4) });
    const request = (await nextEnvelope(client)) as { id: number; params: { chunk: Uint8Array } };
    expect([...request.params.chunk]).toEqual([4]);
    client.sendFrame(BINARY, encodeEnvelope({ type: 'response', id: request.id, result: { echo: { $binary: 0 } } }, [Uint8Array.of(5)]));
    const result = (await pending) as { echo: Uint8Array };
    expect([...result.echo]).toEqual([5]);
  });

  it('broadcasts a chat event carrying bytes as an envelope to everyone', async () => {
    const { port } = await startServer();
    const alice = await RawClient.connect(port);
    const bob = await RawClient.connect(port);
    alice.sendFrame(BINARY, encodeEnvelope({ type: 'event', event: 'chat', data: { name: 'a', image: { $binary: 0 } } }, [Uint8Array.of(7)]));
    for (const client of [alice, bob]) {
      const event = (await nextEnvelope(client)) as { event: string; data: { image: Uint8Array } };
      expect(event.event).toBe('chat');
      expect([...event.data.image]).toEqual([7]);
    }
  });

  it('rejects request params that cannot be encoded with TypeError, before sending anything', async () => {
    const { port, server } = await startServer();
    const { connection } = await connectPair(server, port);
    await expect(connection.request('x', { n: 1n })).rejects.toBeInstanceOf(TypeError);
  });
});
