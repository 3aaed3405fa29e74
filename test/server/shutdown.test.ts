// Shutdown edge cases: a peer that half-closes TCP while it no longer reads, and close() called
// while listen() is still binding.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { createServer, type HoldfastServer } from '../../src/server/index';
import { clientFrame } from '../helpers/frames';
import { SAMPLE_KEY, waitFor, within } from '../helpers/server';

let server: HoldfastServer | undefined;
let peer: Socket | undefined;
afterEach(async () => {
  peer?.destroy();
  await server?.close();
  server = undefined;
  peer = undefined;
});

describe('shutdown', () => {
  it('drops a peer that half-closed TCP and stopped reading, so close() still resolves', async () => {
    server = createServer({ pingInterval: 0, closeTimeout: 200 });
    const { port } = await server.listen(0, '127.0.0.1');
    peer = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    await new Promise((resolve) => peer!.once('connect', resolve));
    peer.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${SAMPLE_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await new Promise((resolve) => peer!.once('data', resolve));
    peer.pause(); // never read again: the 8 MiB echo fills both socket buffers
    peer.write(clientFrame(2, Buffer.alloc(8 * 1024 * 1024, 1)));
    peer.end(); // FIN while our echo cannot drain
    const running = server;
    await waitFor(() => running.connections.size === 0, 'the stuck connection is dropped by the close timer', 5000);
    await within(running.close(), 2000, 'server.close()');
  });

  it('close() during listen(): listen rejects and the port is not left listening', async () => {
    server = createServer({ pingInterval: 0 });
    const listening = server.listen(0, '127.0.0.1');
    await server.close();
    await expect(listening).rejects.toThrow(/closed before it was listening/);
    expect(server.httpServer.listening).toBe(false);
  });
});
