/**
 * A controllable stand-in for the browser WebSocket: the test decides when it opens, what it
 * receives and how it closes. Every instance is recorded on its class.
 */
import type { CloseEventLike, MessageEventLike, SendData, WebSocketConstructorLike, WebSocketLike } from '../../src/core/transport';

export interface FakeWebSocket extends WebSocketLike {
  readonly url: string;
  readonly protocols: string | string[] | undefined;
  readonly sent: SendData[];
  readonly closeCalls: Array<{ code: number | undefined; reason: string | undefined }>;
  /** The server accepted: readyState OPEN, `onopen` fires. */
  open(protocol?: string): void;
  /** A frame arrived. */
  receive(data: unknown): void;
  /** The platform reports an error (browsers follow it with a close). */
  error(): void;
  /** The link ended: readyState CLOSED, `onclose` fires. */
  closed(code?: number, reason?: string, wasClean?: boolean): void;
  /** True when no handler is attached. */
  readonly detached: boolean;
}

export interface FakeWebSocketKit {
  readonly WebSocket: WebSocketConstructorLike;
  readonly instances: FakeWebSocket[];
  /** The most recently constructed instance; throws when there is none. */
  last(): FakeWebSocket;
}

/** A fresh fake constructor with its own instance list. */
export function createFakeWebSocket(): FakeWebSocketKit {
  const instances: FakeWebSocket[] = [];

  class Fake implements FakeWebSocket {
    readyState = 0;
    protocol = '';
    binaryType = 'blob';
    onopen: ((event: unknown) => void) | null = null;
    onmessage: ((event: MessageEventLike) => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;
    onclose: ((event: CloseEventLike) => void) | null = null;
    readonly sent: SendData[] = [];
    readonly closeCalls: Array<{ code: number | undefined; reason: string | undefined }> = [];
    readonly url: string;
    readonly protocols: string | string[] | undefined;

    constructor(url: string, protocols?: string | string[]) {
      this.url = url;
      this.protocols = protocols;
      instances.push(this);
    }

    get detached(): boolean {
      return this.onopen === null && this.onmessage === null && this.onerror === null && this.onclose === null;
    }

    send(data: SendData): void {
      if (this.readyState === 0) throw new Error('InvalidStateError: still CONNECTING');
      this.sent.push(data);
    }

    close(code?: number, reason?: string): void {
      if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) throw new Error('InvalidAccessError: bad close code');
      this.closeCalls.push({ code, reason });
      if (this.readyState < 2) this.readyState = 2;
    }

    open(protocol = ''): void {
      this.readyState = 1;
      this.protocol = protocol;
      this.onopen?.({ type: 'open' });
    }

    receive(data: unknown): void {
      this.onmessage?.({ data });
    }

    error(): void {
      this.onerror?.({ type: 'error' });
    }

    closed(code = 1006, reason = '', wasClean = code !== 1006): void {
      this.readyState = 3;
      this.onclose?.({ code, reason, wasClean });
    }
  }

  return {
    WebSocket: Fake,
    instances,
    last(): FakeWebSocket {
      const ws = instances[instances.length - 1];
      if (!ws) throw new Error('no WebSocket was constructed');
      return ws;
    },
  };
}
