// The few parts of sharedb (which ships no types) that the drop-in WebSocket test uses.
declare module 'sharedb' {
  import type { Duplex } from 'node:stream';
  export default class Backend {
    listen(stream: Duplex): unknown;
    close(callback?: (error?: unknown) => void): void;
  }
}

declare module 'sharedb/lib/client' {
  type Callback = (error?: unknown) => void;
  export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'closed' | 'stopped';
  export interface Doc<T> {
    readonly type: unknown;
    readonly data: T;
    subscribe(callback: Callback): void;
    create(data: T, callback: Callback): void;
    submitOp(op: unknown, callback?: Callback): void;
    on(event: 'op', listener: () => void): void;
  }
  /** Takes any object with the WebSocket interface (readyState, send, close, on* handlers). */
  export class Connection {
    constructor(socket: unknown);
    readonly state: ConnectionState;
    get<T>(collection: string, id: string): Doc<T>;
    on(event: 'state', listener: (state: ConnectionState, reason: unknown) => void): void;
    on(event: 'error', listener: (error: unknown) => void): void;
    close(): void;
  }
}
