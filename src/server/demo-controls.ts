/**
 * The demo page's fault buttons, as HTTP routes (only with `demo: true`), built on the server's
 * fault controls:
 *
 * - `POST /demo/drop?tab=<id>` drops that tab's connection without a close frame (without `tab`:
 *   every connection).
 * - `POST /demo/outage?seconds=<n>` stops the WebSocket side for n seconds (default 5, 1–60):
 *   every connection is dropped and every upgrade is answered 503 until it ends.
 * - `POST /demo/freeze?tab=<id>&seconds=<n>` makes that tab's link half-open for n seconds
 *   (default 10, 1–60): the server stops reading and answering it while TCP stays up.
 *
 * The demo page tells the server which connection is its own by connecting to `/?tab=<id>`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Connection } from './connection.js';
import { Timers } from './timers.js';

/** What the demo controls need from the server. */
export interface DemoHost {
  faults: {
    drop(connection?: Connection): void;
    freeze(connection?: Connection): void;
    unfreeze(connection?: Connection): void;
    rejectHandshakes(status: number, count?: number): void;
  };
  readonly connections: ReadonlySet<Connection>;
}

const TAB = /^[A-Za-z0-9_-]{1,64}$/;

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), 'Cache-Control': 'no-store' });
  res.end(text);
}

/** `seconds` from the query: an integer in 1–60, `fallback` when absent; undefined when invalid. */
function secondsOf(query: URLSearchParams, fallback: number): number | undefined {
  const raw = query.get('seconds');
  if (raw === null || raw === '') return fallback;
  const n = /^\d{1,2}$/.test(raw) ? Number(raw) : NaN;
  return n >= 1 && n <= 60 ? n : undefined;
}

/** The demo's control routes; one per server, cleared with `close()`. */
export class DemoControls {
  readonly #host: DemoHost;
  /** The latest connection of each demo tab. */
  readonly #tabs = new Map<string, Connection>();
  readonly #timers = new Timers<string>();
  #outageUntil = 0;

  constructor(host: DemoHost) {
    this.#host = host;
  }

  /** Remembers which tab a new connection belongs to (from its request URL `?tab=`). */
  track(connection: Connection, request: IncomingMessage): void {
    const tab = new URL(request.url ?? '/', 'http://x').searchParams.get('tab');
    if (tab === null || !TAB.test(tab)) return;
    this.#tabs.set(tab, connection);
    connection.on('close', () => {
      if (this.#tabs.get(tab) === connection) this.#tabs.delete(tab);
    });
  }

  /** Handles `req` when its path is a demo control; false when it is not one. */
  handle(path: string, req: IncomingMessage, res: ServerResponse): boolean {
    if (path !== '/demo/drop' && path !== '/demo/outage' && path !== '/demo/freeze') return false;
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      json(res, 405, { error: 'use POST' });
    } else {
      const [status, body] = this.#control(path, new URL(req.url ?? '/', 'http://x').searchParams);
      json(res, status, body);
    }
    return true;
  }

  #control(path: string, query: URLSearchParams): [number, unknown] {
    const badSeconds: [number, unknown] = [400, { error: 'seconds must be an integer from 1 to 60' }];
    if (path === '/demo/outage') {
      const seconds = secondsOf(query, 5);
      return seconds === undefined ? badSeconds : [200, this.outage(seconds)];
    }
    const tab = query.get('tab');
    if (tab === null && path === '/demo/drop') {
      const dropped = this.#host.connections.size;
      this.#host.faults.drop();
      return [200, { dropped }];
    }
    const connection = tab === null ? undefined : this.#tabs.get(tab);
    if (!connection) return [404, { error: 'no open connection for this tab' }];
    if (path === '/demo/drop') {
      this.#host.faults.drop(connection);
      return [200, { dropped: 1 }];
    }
    const seconds = secondsOf(query, 10);
    if (seconds === undefined) return badSeconds;
    this.#host.faults.freeze(connection);
    this.#timers.set(`freeze:${String(tab)}`, seconds * 1000, () => this.#host.faults.unfreeze(connection));
    return [200, { frozen: 1, seconds }];
  }

  /** Drops every connection and refuses upgrades with 503 for `seconds`; a new outage extends a running one. */
  outage(seconds: number): { dropped: number; seconds: number } {
    const dropped = this.#host.connections.size;
    this.#outageUntil = Math.max(this.#outageUntil, Date.now() + seconds * 1000);
    this.#host.faults.rejectHandshakes(503);
    this.#host.faults.drop();
    this.#timers.set('outage', this.#outageUntil - Date.now(), () => {
      this.#outageUntil = 0;
      this.#host.faults.rejectHandshakes(503, 0);
    });
    return { dropped, seconds };
  }

  /** Cancels the timers (a running outage or freeze stays in effect until `faults.reset()`). */
  close(): void {
    this.#timers.clearAll();
    this.#tabs.clear();
  }
}
