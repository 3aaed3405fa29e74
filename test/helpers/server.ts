/**
 * Test helpers for the reference server: start it on 127.0.0.1 port 0, talk to it over raw
 * `node:net` sockets (hand-built HTTP, masked frames from frames.ts, an independent reader for
 * the server's unmasked frames), and tear everything down in `afterEach` with `cleanup()`.
 */
import { connect, type Socket } from 'node:net';
import { createServer, type Connection, type HoldfastServer, type ListenInfo, type ServerOptions } from '../../src/server/index.js';
import { clientFrame, type ClientFrameOptions } from './frames.js';

export interface StartedServer extends ListenInfo {
  server: HoldfastServer;
}

const servers = new Set<HoldfastServer>();
const sockets = new Set<Socket>();

/** Starts a server on 127.0.0.1, port 0. Liveness pings are off unless `options.pingInterval` says otherwise. */
export async function startServer(options: ServerOptions = {}): Promise<StartedServer> {
  const server = createServer({ pingInterval: 0, ...options });
  servers.add(server);
  const info = await server.listen(0, '127.0.0.1');
  return { server, ...info };
}

/** Destroys every raw socket and closes every server started by these helpers. */
export async function cleanup(): Promise<void> {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  const closing = [...servers].map((server) => server.close());
  servers.clear();
  await Promise.all(closing);
}

/** Resolves after `ms` (real time). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects with a message naming `what` if `promise` does not settle within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `condition` every 5 ms until it holds; rejects after `ms`. */
export async function waitFor(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  await within(
    (async () => {
      while (!condition()) await sleep(5);
    })(),
    ms,
    what,
  );
}

/** Resolves with the next connection `server` accepts. Subscribe before connecting the client. */
export function nextConnection(server: HoldfastServer): Promise<Connection> {
  return within(
    new Promise<Connection>((resolve) => {
      const off = server.on('connection', (connection) => {
        off();
        resolve(connection);
      });
    }),
    3000,
    'a connection',
  );
}

/** Connects a RawClient and resolves with it and the server-side Connection it became. */
export async function connectPair(server: HoldfastServer, port: number): Promise<{ client: RawClient; connection: Connection }> {
  const connection = nextConnection(server);
  const client = await RawClient.connect(port);
  return { client, connection: await connection };
}

/** Opens a tracked TCP socket to 127.0.0.1:port. */
export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    sockets.add(socket);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves when `socket` has closed (at once if it already has). */
export function socketClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed && socket.closed) resolve();
    else socket.once('close', () => resolve());
  });
}

export interface UpgradeRequestParts {
  method?: string;
  path?: string;
  version?: string;
  /** Header overrides; `undefined` removes a default header. */
  headers?: Record<string, string | undefined>;
}

export const SAMPLE_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** The text of a WebSocket upgrade request; every part can be overridden to break it. */
export function upgradeRequest(port: number, parts: UpgradeRequestParts = {}): string {
  const headers: Record<string, string | undefined> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': SAMPLE_KEY,
    'Sec-WebSocket-Version': '13',
    ...parts.headers,
  };
  const lines = [`${parts.method ?? 'GET'} ${parts.path ?? '/'} HTTP/${parts.version ?? '1.1'}`];
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Sends raw bytes and collects everything the server writes until it closes the socket. */
export async function rawExchange(port: number, request: string | Buffer, ms = 3000): Promise<string> {
  const socket = await openSocket(port);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  socket.write(request);
  await within(socketClosed(socket), ms, 'the server to close the socket');
  return Buffer.concat(chunks).toString('latin1');
}

/** A frame as the server sent it. */
export interface ServerFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

/** The status code and reason of a close frame's payload (1005 for an empty one). */
export function closeInfo(frame: ServerFrame): { code: number; reason: string } {
  if (frame.opcode !== 0x8) throw new Error(`expected a close frame, got opcode ${frame.opcode}`);
  if (frame.payload.length === 0) return { code: 1005, reason: '' };
  return { code: frame.payload.readUInt16BE(0), reason: frame.payload.subarray(2).toString('utf8') };
}

/**
 * A WebSocket client made of a raw socket: it sends masked frames built by frames.ts and reads
 * the server's frames with its own small reader (not the server's parser).
 */
export class RawClient {
  readonly socket: Socket;
  /** The handshake response head (status line and headers). */
  readonly handshake: string;
  readonly closed: Promise<void>;
  #buffer: Buffer;
  #chunks: Buffer[];
  #buffered: number;
  /** Bytes the incomplete frame at the head of the buffer needs, once its header is known. */
  #need = 0;
  #frames: ServerFrame[] = [];
  #wake: (() => void) | undefined;

  private constructor(socket: Socket, handshake: string, rest: Buffer) {
    this.socket = socket;
    this.handshake = handshake;
    this.#buffer = rest;
    this.#chunks = [rest];
    this.#buffered = rest.length;
    this.closed = socketClosed(socket);
    socket.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      // Large frames arrive in many chunks: join them once the whole frame is there, not per chunk.
      if (this.#buffered < this.#need) return;
      this.#buffer = Buffer.concat(this.#chunks, this.#buffered);
      this.#chunks = [this.#buffer];
      this.#parse();
    });
    socket.on('close', () => this.#wake?.());
    this.#parse();
  }

  /** Connects and completes the handshake; throws with the response text unless the server answers 101. */
  static async connect(port: number, parts: UpgradeRequestParts = {}): Promise<RawClient> {
    const socket = await openSocket(port);
    socket.on('error', () => undefined);
    socket.write(upgradeRequest(port, parts));
    const received = await within(
      new Promise<Buffer>((resolve, reject) => {
        let data = Buffer.alloc(0);
        const onData = (chunk: Buffer): void => {
          data = Buffer.concat([data, chunk]);
          if (data.includes('\r\n\r\n')) {
            socket.off('data', onData);
            socket.off('close', onClose);
            resolve(data);
          }
        };
        const onClose = (): void => reject(new Error(`socket closed during the handshake: ${data.toString('latin1')}`));
        socket.on('data', onData);
        socket.on('close', onClose);
      }),
      3000,
      'the handshake response',
    );
    const end = received.indexOf('\r\n\r\n') + 4;
    const head = received.subarray(0, end).toString('latin1');
    if (!head.startsWith('HTTP/1.1 101 ')) throw new Error(`handshake refused: ${received.toString('latin1')}`);
    return new RawClient(socket, head, received.subarray(end));
  }

  /** Writes raw bytes (one write per chunk, in order). */
  write(...chunks: Buffer[]): void {
    for (const chunk of chunks) this.socket.write(chunk);
  }

  /** Sends one masked frame. */
  sendFrame(opcode: number, payload: Uint8Array | string = '', options?: ClientFrameOptions): void {
    this.socket.write(clientFrame(opcode, payload, options));
  }

  /** Waits for the next frame from the server; rejects if the socket closes first or `ms` pass. */
  async nextFrame(ms = 3000): Promise<ServerFrame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const frame = this.#frames.shift();
      if (frame) return frame;
      if (this.socket.destroyed) throw new Error('socket closed before the next frame');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${ms} ms`);
      await within(
        new Promise<void>((resolve) => {
          this.#wake = resolve;
        }),
        left,
        'the next frame',
      ).catch(() => undefined);
      this.#wake = undefined;
    }
  }

  /** Reads a whole data message (first frame then its continuations); returns the payload and whether it was binary. */
  async nextMessage(ms = 3000): Promise<{ data: Buffer; binary: boolean; frames: number }> {
    const first = await this.nextFrame(ms);
    if (first.opcode !== 0x1 && first.opcode !== 0x2) throw new Error(`expected a data frame, got opcode ${first.opcode}`);
    const parts = [first.payload];
    let last = first;
    while (!last.fin) {
      last = await this.nextFrame(ms);
      if (last.opcode !== 0x0) throw new Error(`expected a continuation, got opcode ${last.opcode}`);
      parts.push(last.payload);
    }
    return { data: Buffer.concat(parts), binary: first.opcode === 0x2, frames: parts.length };
  }

  /** Reads the next message as text (fails on binary). */
  async nextText(ms = 3000): Promise<string> {
    const message = await this.nextMessage(ms);
    if (message.binary) throw new Error('expected a text message, got binary');
    return message.data.toString('utf8');
  }

  /** Reads the next message as parsed JSON. */
  async nextJson(ms = 3000): Promise<unknown> {
    return JSON.parse(await this.nextText(ms)) as unknown;
  }

  /** Expects the next frame to be a close frame and returns its code and reason. */
  async nextClose(ms = 3000): Promise<{ code: number; reason: string }> {
    return closeInfo(await this.nextFrame(ms));
  }

  /** Resolves when the server has closed the TCP connection; rejects after `ms`. */
  waitClosed(ms = 3000): Promise<void> {
    return within(this.closed, ms, 'the server to close the TCP connection');
  }

  #parse(): void {
    this.#need = 0;
    for (;;) {
      const buf = this.#buffer;
      if (buf.length < 2) break;
      const b0 = buf[0] as number;
      const b1 = buf[1] as number;
      let length = b1 & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buf.length < 4) break;
        length = buf.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buf.length < 10) break;
        length = Number(buf.readBigUInt64BE(2));
        offset = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      if (masked) offset += 4;
      if (buf.length < offset + length) {
        this.#need = offset + length;
        break;
      }
      this.#frames.push({
        fin: (b0 & 0x80) !== 0,
        rsv: (b0 >> 4) & 0x7,
        opcode: b0 & 0x0f,
        masked,
        payload: Buffer.from(buf.subarray(offset, offset + length)),
      });
      this.#buffer = buf.subarray(offset + length);
    }
    this.#chunks = [this.#buffer];
    this.#buffered = this.#buffer.length;
    this.#wake?.();
  }
}

/** Masked frame bytes, re-exported for tests that write raw bytes. */
export { clientFrame };
