import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { DEMO_PAGE } from './demo.js';
import { HandshakeError } from './errors.js';
import { checkUpgrade, rejectResponse, switchingProtocolsResponse, type HandshakeOptions } from './handshake.js';
import { DueQueue } from './timers.js';

/** Certificate and key (PEM) to serve HTTPS and `wss:` instead of plain HTTP. */
export interface TlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface HttpFrontOptions {
  tls?: TlsOptions;
  /** A client must complete its HTTP request within this many ms of connecting, or it is dropped. */
  handshakeTimeout: number;
  /** Directory holding `holdfast.umd.min.js`; default: next to the built server module. */
  staticDir?: string | URL;
  /** Enables the demo control routes (`hooks.demo`). */
  demo: boolean;
  handshake: HandshakeOptions;
}

/** After the RFC 6455 checks pass: refuse with an HTTP error, accept and drop at once, or accept. */
export type Admission = HandshakeError | 'accept-and-drop' | 'accept';

/** What the HTTP front needs from the server that owns it. */
export interface HttpFrontHooks {
  admit(request: IncomingMessage): Admission;
  accept(socket: Socket, head: Buffer, request: IncomingMessage, protocol: string): void;
  connectionCount(): number;
  /** Answers a demo control route (`/demo/*`); false when `path` is not one. */
  demo(path: string, req: IncomingMessage, res: ServerResponse): boolean;
  onError(error: Error): void;
}

const UMD_FILE = 'holdfast.umd.min.js';
const DEMO_OFF = 'fault controls are off (start holdfast-server with --demo, or createServer with demo: true)';
const NOT_BUILT = `${UMD_FILE} is not built yet: run "npm run build" and reload.\n`;

/** Where the script-tag build may live, most specific first. */
function umdCandidates(staticDir: string | URL | undefined): URL[] {
  if (staticDir !== undefined) {
    const dir = typeof staticDir === 'string' ? pathToFileURL(staticDir) : staticDir;
    return [new URL(UMD_FILE, dir.href.endsWith('/') ? dir : `${dir.href}/`)];
  }
  // Built, this module is dist/server.js (or dist/cli.js) beside the UMD file; run from
  // src/server/ (tests, tsx) the build output is two levels up in dist/.
  const here = import.meta.url;
  const candidates = [new URL(`./${UMD_FILE}`, here)];
  if (here.includes('/src/server/')) candidates.push(new URL(`../../dist/${UMD_FILE}`, here));
  return candidates;
}

async function readFirst(urls: readonly URL[]): Promise<Buffer | undefined> {
  for (const url of urls) {
    try {
      return await readFile(url);
    } catch {
      // Not there: try the next place.
    }
  }
  return undefined;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function text(res: ServerResponse, status: number, body: string, headers?: Record<string, string>): void {
  send(res, status, 'text/plain; charset=utf-8', body, headers);
}

const destroy = (socket: Socket): void => void socket.destroy();

/** A socket listener that destroys the socket it fires on: one function for every socket. */
function destroyThis(this: Socket): void {
  this.destroy();
}

/** Routes that answer GET (and HEAD). */
type Route = (res: ServerResponse) => void | Promise<void>;

/**
 * The `node:http` (or `node:https`) server in front of the WebSocket connections: serves the
 * demo page, the script-tag build and `/healthz`, runs the upgrade handshake, and drops clients
 * that do not finish their HTTP request within `handshakeTimeout`.
 */
export class HttpFront {
  /** The underlying node:http or node:https server. */
  readonly server: Server;
  readonly #options: HttpFrontOptions;
  readonly #hooks: HttpFrontHooks;
  /** TCP connections that have not finished their first HTTP request, on one timer for all (they all wait `handshakeTimeout`). */
  readonly #handshakes: DueQueue<Socket>;
  readonly #routes: ReadonlyMap<string, Route>;
  /** A socket gone before its first request takes its handshake timer along: one listener function for every socket. */
  readonly #onEarlyClose: (this: Socket) => void;

  constructor(options: HttpFrontOptions, hooks: HttpFrontHooks) {
    this.#options = options;
    this.#hooks = hooks;
    const handshakes = new DueQueue<Socket>(options.handshakeTimeout, destroy);
    this.#handshakes = handshakes;
    this.#onEarlyClose = function (this: Socket): void {
      handshakes.cancel(this);
    };
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.#onRequest(req, res);
    this.server = options.tls
      ? (createHttpsServer({ cert: options.tls.cert, key: options.tls.key, handshakeTimeout: options.handshakeTimeout }, handler) as unknown as Server)
      : createHttpServer(handler);
    // With TLS, the HTTP request can only start once the TLS handshake is done.
    this.server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => this.#onConnection(socket));
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.#onUpgrade(req, socket, head));
    this.server.on('error', (error: Error) => hooks.onError(error));
    this.#routes = new Map<string, Route>([
      ['/', (res) => send(res, 200, 'text/html; charset=utf-8', DEMO_PAGE, { 'Cache-Control': 'no-cache' })],
      ['/healthz', (res) => send(res, 200, 'application/json', JSON.stringify({ ok: true, connections: hooks.connectionCount() }))],
      [`/${UMD_FILE}`, (res) => this.#serveUmd(res)],
    ]);
  }

  /** Starts listening; resolves with the bound address, rejects on a listen error (e.g. EADDRINUSE). */
  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Stops listening, destroys HTTP connections and half-done handshakes; resolves once the server is closed. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) {
        this.#handshakes.clear();
        resolve();
        return;
      }
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      this.#handshakes.clear();
    });
  }

  #onConnection(socket: Socket): void {
    this.#handshakes.schedule(socket);
    socket.on('close', this.#onEarlyClose);
  }

  /** The first request arrived: no more handshake timeout, and nothing of ours stays on the socket. */
  #requestStarted(socket: Socket): void {
    this.#handshakes.cancel(socket);
    socket.off('close', this.#onEarlyClose);
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.#requestStarted(req.socket);
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (this.#options.demo && this.#hooks.demo(path, req, res)) return;
    // Without `demo`, no fault control exists; the demo page shows why its buttons do nothing.
    if (!this.#options.demo && path.startsWith('/demo/')) return send(res, 404, 'application/json', JSON.stringify({ error: DEMO_OFF }));
    const route = this.#routes.get(path);
    if (!route) return text(res, 404, `Not found: ${path}\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'Use GET.\n', { Allow: 'GET, HEAD' });
    Promise.resolve(route(res)).catch((error: unknown) => {
      if (!res.headersSent) text(res, 500, 'Internal error\n');
      else res.destroy();
      this.#hooks.onError(error instanceof Error ? error : new Error(String(error)));
    });
  }

  async #serveUmd(res: ServerResponse): Promise<void> {
    const body = await readFirst(umdCandidates(this.#options.staticDir));
    if (body === undefined) return text(res, 404, NOT_BUILT);
    send(res, 200, 'application/javascript; charset=utf-8', body, { 'Cache-Control': 'no-cache' });
  }

  #onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    this.#requestStarted(socket);
    // Until a Connection owns the socket, a reset peer must not become an uncaught error.
    socket.on('error', destroyThis);

    const decision = checkUpgrade(req, this.#options.handshake);
    if (!decision.ok) return this.#refuse(socket, decision.error);
    const admission = this.#hooks.admit(req);
    if (admission instanceof HandshakeError) return this.#refuse(socket, admission);
    // The client may have given up while we decided; writing a 101 into a dead socket helps nobody.
    if (!socket.readable || !socket.writable) {
      socket.destroy();
      return;
    }
    const response = switchingProtocolsResponse(decision.accept, decision.protocol);
    if (admission === 'accept-and-drop') return this.#endThenDestroy(socket, response);
    socket.write(response);
    socket.off('error', destroyThis);
    this.#hooks.accept(socket, head, req, decision.protocol ?? '');
  }

  #refuse(socket: Socket, error: HandshakeError): void {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    this.#endThenDestroy(socket, rejectResponse(error));
  }

  /** Writes `last`, then tears the socket down once it is flushed (an immediate destroy could lose it). */
  #endThenDestroy(socket: Socket, last: string): void {
    socket.once('finish', () => void socket.destroy());
    socket.end(last);
  }
}
