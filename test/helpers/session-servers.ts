/**
 * The two servers that speak the server half of sessions, behind one shape for end-to-end tests:
 * the reference server (`createServer`), and a plain `ws` package WebSocketServer with
 * `createApp().attach(wss)`. Both on 127.0.0.1, with the fault controls the session tests use
 * (for `ws`: terminate, pause/resume, an ordered outgoing delay, and `verifyClient` refusals).
 */
import WebSocket, { WebSocketServer } from 'ws';
import { createApp, createServer, type SessionHub, type SessionOptions } from '../../src/server/index';

export interface SessionServerOptions {
  echo?: boolean;
  sessions?: boolean | SessionOptions;
}

/** What the session tests drive. `received` holds N of every application message `c:N`, as the application saw it. */
export interface SessionServer {
  readonly kind: string;
  readonly url: string;
  readonly port: number;
  readonly received: number[];
  readonly sessions: SessionHub | undefined;
  handle(method: string, fn: (params: unknown) => unknown): void;
  readonly faults: {
    drop(): void;
    freeze(): void;
    unfreeze(): void;
    delay(ms: number): void;
    rejectHandshakes(status: number): void;
    reset(): void;
  };
  close(): Promise<void>;
}

export type SessionServerKind = 'reference server' | 'createApp().attach(wss)';
export const SESSION_SERVER_KINDS: readonly SessionServerKind[] = ['reference server', 'createApp().attach(wss)'];

function record(received: number[]) {
  return (data: string | Buffer, isBinary: boolean): void => {
    const text = isBinary ? '' : String(data);
    if (text.startsWith('c:')) received.push(Number(text.slice(2)));
  };
}

async function reference(options: SessionServerOptions, port: number): Promise<SessionServer> {
  const server = createServer({ pingInterval: 0, echo: false, ...options });
  const info = await server.listen(port, '127.0.0.1');
  const received: number[] = [];
  server.on('message', record(received));
  return {
    kind: 'reference server',
    url: info.url,
    port: info.port,
    received,
    sessions: server.sessions,
    handle: (method, fn) => void server.handle(method, fn),
    faults: {
      drop: () => server.faults.drop(),
      freeze: () => server.faults.freeze(),
      unfreeze: () => server.faults.unfreeze(),
      delay: (ms) => server.faults.delay(ms),
      rejectHandshakes: (status) => server.faults.rejectHandshakes(status),
      reset: () => server.faults.reset(),
    },
    close: () => server.close(),
  };
}

type Send = WebSocket['send'];

async function wsApp(options: SessionServerOptions, port: number): Promise<SessionServer> {
  let reject = 0;
  let delay = 0;
  const sockets = new Set<WebSocket>();
  const pumps = new Set<() => void>();
  const wss = new WebSocketServer({ port, host: '127.0.0.1', verifyClient: (_info, done) => (reject ? done(false, reject) : done(true)) });
  // Registered before the app's own listener: the delay fault sits under everything the app sends.
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    const send = ws.send.bind(ws) as (data: unknown, options: unknown) => void;
    const held: Array<{ data: unknown; options: unknown; due: number }> = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const pump = (): void => {
      clearTimeout(timer);
      timer = undefined;
      while (held.length > 0 && (held[0] as { due: number }).due <= Date.now()) {
        const next = held.shift() as { data: unknown; options: unknown };
        send(next.data, next.options);
      }
      if (held.length > 0 && ws.readyState === WebSocket.OPEN) timer = setTimeout(pump, (held[0] as { due: number }).due - Date.now());
    };
    pumps.add(pump);
    ws.on('close', () => {
      clearTimeout(timer);
      pumps.delete(pump);
    });
    // Held messages keep their order, as on the reference server.
    ws.send = ((data: unknown, opts: unknown) => {
      if (delay === 0 && held.length === 0) return send(data, opts);
      held.push({ data, options: opts, due: Date.now() + delay });
      if (!timer) pump();
    }) as Send;
  });
  const app = createApp({ echo: options.echo ?? false, sessions: options.sessions });
  const detach = app.attach(wss);
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const received: number[] = [];
  app.on('message', record(received));
  return {
    kind: 'createApp().attach(wss)',
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
    port: (wss.address() as { port: number }).port,
    received,
    sessions: app.sessions,
    handle: (method, fn) => void app.handle(method, fn),
    faults: {
      drop: () => sockets.forEach((ws) => ws.terminate()),
      freeze: () => sockets.forEach((ws) => ws.pause()),
      unfreeze: () => sockets.forEach((ws) => ws.resume()),
      delay: (ms) => {
        delay = ms;
        pumps.forEach((pump) => pump());
      },
      rejectHandshakes: (status) => void (reject = status),
      reset: () => {
        reject = 0;
        delay = 0;
        sockets.forEach((ws) => ws.resume());
        pumps.forEach((pump) => pump());
      },
    },
    close: () =>
      new Promise<void>((resolve) => {
        detach();
        app.sessions?.close();
        for (const ws of sockets) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** Starts a server of `kind` on 127.0.0.1 (`port` 0: a free one). Application data is not echoed unless `echo`. */
export function startSessionServer(kind: SessionServerKind, options: SessionServerOptions = {}, port = 0): Promise<SessionServer> {
  return kind === 'reference server' ? reference(options, port) : wsApp(options, port);
}
