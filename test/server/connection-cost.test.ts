// @vitest-environment node
// What an idle Connection costs: no timer, closure or listener of its own (bench:server measures
// the bytes). Connections run over in-memory sockets here, with fake timers, so that the timers
// alive can be counted.
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Connection, type ConnectionHooks } from '../../src/server/connection.js';
import { clientFrame } from '../helpers/frames.js';

const PING = 0x9;
const PONG = 0xa;

/** A socket stand-in that keeps what is written to it. */
class MemorySocket extends Duplex {
  readonly written: Buffer[] = [];
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
    callback();
  }

  /** The opcodes of the frames written so far (each write here is one whole small frame). */
  opcodes(): number[] {
    return this.written.map((chunk) => (chunk[0] as number) & 0x0f);
  }
}

/** Lets the streams deliver what was pushed and emit what destroy() queued (process.nextTick is not faked). */
const ticks = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => process.nextTick(resolve));
};

const open: Connection[] = [];
function connect(options: ConstructorParameters<typeof Connection>[1], hooks?: ConnectionHooks): { socket: MemorySocket; connection: Connection } {
  const socket = new MemorySocket();
  const connection = new Connection(socket as unknown as Socket, options, undefined, hooks);
  open.push(connection);
  return { socket, connection };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(async () => {
  for (const connection of open) connection.terminate();
  open.length = 0;
  await ticks();
  vi.useRealTimers();
});

describe('Connection: an idle connection has no timer of its own', () => {
  it('connections with the same pingInterval share one timer, and each is pinged on time', async () => {
    const pairs = Array.from({ length: 50 }, () => connect({ pingInterval: 1000 }));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(999);
    expect(pairs.every(({ socket }) => socket.written.length === 0)).toBe(true);
    vi.advanceTimersByTime(1);
    for (const { socket } of pairs) expect(socket.opcodes()).toEqual([PING]);
    expect(vi.getTimerCount()).toBe(1);
  });

  it('a connection that joins later is pinged pingInterval after it joined, not with the others', () => {
    const first = connect({ pingInterval: 1000 });
    vi.advanceTimersByTime(400);
    const second = connect({ pingInterval: 1000 });
    vi.advanceTimersByTime(600);
    expect(first.socket.opcodes()).toEqual([PING]);
    expect(second.socket.opcodes()).toEqual([]);
    vi.advanceTimersByTime(399);
    expect(second.socket.opcodes()).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(second.socket.opcodes()).toEqual([PING]);
  });

  it('terminates the peers that did not pong by the next ping, keeps those that did, and leaves no timer once all are gone', async () => {
    const pairs = Array.from({ length: 10 }, () => connect({ pingInterval: 1000 }));
    vi.advanceTimersByTime(1000);
    const answering = pairs.slice(0, 5);
    for (const { socket } of answering) socket.push(clientFrame(PONG, ''));
    await ticks();
    vi.advanceTimersByTime(1000);
    await ticks();
    expect(pairs.map(({ connection }) => connection.state)).toEqual([...Array(5).fill('open'), ...Array(5).fill('closed')]);
    for (const { socket } of answering) expect(socket.opcodes()).toEqual([PING, PING]);
    for (const { connection } of answering) connection.terminate();
    await ticks();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('pingInterval 0 starts no timer; close() and freeze() take a connection off the ping schedule', async () => {
    connect({ pingInterval: 0 });
    expect(vi.getTimerCount()).toBe(0);
    const frozen = connect({ pingInterval: 1000 });
    frozen.connection.freeze();
    expect(vi.getTimerCount()).toBe(0);
    const closing = connect({ pingInterval: 1000, closeTimeout: 500 });
    closing.connection.close();
    // Only the closeTimeout timer of the closing connection is left.
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(2000);
    expect(frozen.socket.written).toHaveLength(0);
    await ticks();
    expect(closing.connection.state).toBe('closed');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('Connection: shared socket listeners and owner hooks', () => {
  it('every connection adds the same listener functions to its socket, one per event', () => {
    const a = connect({ pingInterval: 0 });
    const b = connect({ pingInterval: 0 });
    for (const event of ['data', 'end', 'close', 'error', 'drain']) {
      expect(a.socket.listeners(event), event).toHaveLength(1);
      expect(a.socket.listeners(event)[0], event).toBe(b.socket.listeners(event)[0]);
    }
  });

  it('hooks see messages after the connection listeners, and errors and close before them', async () => {
    const seen: string[] = [];
    const hooks: ConnectionHooks = {
      message: (connection, payload) => seen.push(`hook message ${connection.id} ${payload.toString()}`),
      error: (connection, error) => seen.push(`hook error ${connection.id} ${error.message}`),
      close: (connection, code) => seen.push(`hook close ${connection.id} ${code}`),
    };
    const { socket, connection } = connect({ pingInterval: 0 }, hooks);
    connection.on('message', (data) => seen.push(`listener message ${String(data)}`));
    connection.on('error', (error) => seen.push(`listener error ${error.message}`));
    connection.on('close', (code) => seen.push(`listener close ${code}`));
    socket.push(clientFrame(0x1, 'hi'));
    await ticks();
    socket.destroy(new Error('reset'));
    await ticks();
    const id = connection.id;
    expect(seen).toEqual([
      'listener message hi',
      `hook message ${id} hi`,
      `hook error ${id} reset`,
      'listener error reset',
      `hook close ${id} 1006`,
      'listener close 1006',
    ]);
  });
});
