// @vitest-environment node
/**
 * The full client, through the WeChat adapter, against the real reference server on loopback:
 * a fake `wx` whose SocketTask is backed by a real `ws` client socket.
 */
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/core/connect';
import type { HoldfastSocket } from '../../src/core/connect';
import { wechat } from '../../src/miniprogram';
import type { ConnectSocketOptions, PlatformCallback, SocketTaskLike, WxLike } from '../../src/miniprogram/types';
import { createServer, type HoldfastServer } from '../../src/server/index';
import { waitFor } from '../helpers/client-wait';

type Kind = 'open' | 'close' | 'error' | 'message';

/** `wx` with WeChat's SocketTask shape over a real socket; counts the sockets still alive. */
function wsBackedWx(): WxLike & { created: number; live: () => number } {
  const sockets: WebSocket[] = [];
  return {
    created: 0,
    live: () => sockets.filter((ws) => ws.readyState !== WebSocket.CLOSED).length,
    connectSocket(options: ConnectSocketOptions): SocketTaskLike {
      this.created++;
      const ws = new WebSocket(options.url, options.protocols ?? [], { headers: options.header ?? {} });
      ws.binaryType = 'arraybuffer';
      sockets.push(ws);
      const listeners: Record<Kind, PlatformCallback[]> = { open: [], close: [], error: [], message: [] };
      const fire = (kind: Kind, payload: unknown): void => listeners[kind].forEach((listener) => listener(payload));
      let header: Record<string, unknown> = {};
      ws.on('upgrade', (response) => (header = { ...response.headers }));
      ws.on('open', () => fire('open', { header }));
      ws.on('message', (data: ArrayBuffer, isBinary) => fire('message', { data: isBinary ? data : new TextDecoder().decode(data) }));
      ws.on('error', (error) => fire('error', { errMsg: error.message }));
      ws.on('close', (code, reason) => fire('close', { code, reason: reason.toString() }));
      setTimeout(() => {
        options.success?.({ errMsg: 'connectSocket:ok' });
        options.complete?.({ errMsg: 'connectSocket:ok' });
      }, 0);
      return {
        send({ data, success, fail }) {
          if (ws.readyState !== WebSocket.OPEN) {
            fail?.({ errMsg: 'sendSocketMessage:fail WebSocket is not connected' });
            return;
          }
          ws.send(data, (error) => (error ? fail?.({ errMsg: error.message }) : success?.({ errMsg: 'sendSocketMessage:ok' })));
        },
        close({ code, reason, success }) {
          ws.close(code, reason);
          success?.({ errMsg: 'closeSocket:ok' });
        },
        onOpen: (listener) => listeners.open.push(listener),
        onClose: (listener) => listeners.close.push(listener),
        onError: (listener) => listeners.error.push(listener),
        onMessage: (listener) => listeners.message.push(listener),
      };
    },
  };
}

const servers: HoldfastServer[] = [];
const clients: HoldfastSocket[] = [];

async function setup() {
  const server = createServer({ pingInterval: 0 });
  servers.push(server);
  const { url } = await server.listen(0, '127.0.0.1');
  const wx = wsBackedWx();
  const socket = connect(url, {
    WebSocket: wechat(wx),
    environment: false,
    heartbeat: false,
    backoff: { initialDelay: 20, maxDelay: 100 },
  });
  clients.push(socket);
  const messages: Array<string | ArrayBuffer> = [];
  const closes: Array<{ code: number; willReconnect: boolean }> = [];
  socket.on('message', (data) => messages.push(data));
  socket.on('close', ({ code, willReconnect }) => closes.push({ code, willReconnect }));
  return { server, wx, socket, messages, closes };
}

afterEach(async () => {
  for (const socket of clients.splice(0)) socket.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('the client through wechat() against the reference server', () => {
  it('echoes text and binary byte-exact', async () => {
    const { socket, messages } = await setup();
    await waitFor(() => socket.state === 'open', 5000, 'open');
    const text = 'héllo ✓ 😀 — 你好';
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    socket.send(text);
    socket.send(bytes.subarray(10, 200));
    await waitFor(() => messages.length === 2, 5000, 'two echoes');
    expect(messages[0]).toBe(text);
    expect(messages[1]).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(messages[1] as ArrayBuffer)]).toEqual([...bytes.subarray(10, 200)]);
  });

  it('reconnects after the server drops the link, through a new SocketTask, without leaking one', async () => {
    const { server, wx, socket, messages, closes } = await setup();
    await waitFor(() => socket.state === 'open', 5000, 'first open');
    server.faults.drop();
    await waitFor(() => closes.length === 1, 5000, 'close after drop');
    expect(closes[0]).toEqual({ code: 1006, willReconnect: true });
    await waitFor(() => socket.state === 'open', 5000, 'reopen');
    expect(wx.created).toBe(2);
    expect(wx.live()).toBe(1);
    socket.send('after the drop');
    await waitFor(() => messages.length === 1, 5000, 'echo after reconnect');
    expect(messages).toEqual(['after the drop']);
  });
});
