// @vitest-environment node
// graphql-ws reconnects by itself: it makes a new WebSocket per connection and treats `close`
// as the end of that object. That is the drop-in's `reconnect: 'until-open'`: each object
// retries with holdfast's backoff, hidden from graphql-ws, until a link opens, and its first close
// is final. Against graphql-ws's own server (`useServer` over `ws`) on 127.0.0.1, restarted on
// the same port while a subscription runs, with graphql-ws allowed a single retry: the
// subscription survives a downtime that a plain `ws` socket does not.
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { createClient, type Client } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import WebSocket, { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { HoldfastWebSocket } from '../../../src/websocket/websocket';
import type { WebSocketConstructorLike } from '../../../src/core/transport';
import { sleep, waitFor } from '../../helpers/client-wait';

// graphql as graphql-ws's server loads it (CommonJS): one module instance, one GraphQLSchema class.
const { buildSchema } = createRequire(import.meta.url)('graphql') as typeof import('graphql');
const schema = buildSchema(`
  type Query { hello: String }
  type Subscription { ticks(server: String!): String }
`);

/** A server named `name`: `ticks` yields `name:0`, `name:1`, … every 20 ms (at most 500). */
function rootFor(name: string) {
  return {
    hello: () => `hello from ${name}`,
    ticks: async function* () {
      for (let i = 0; i < 500; i++) {
        yield { ticks: `${name}:${i}` };
        await sleep(20);
      }
    },
  };
}

const stops: Array<() => Promise<void>> = [];
const clients: Client[] = [];

async function serve(name: string, port = 0): Promise<{ port: number; url: string; stop(): Promise<void> }> {
  const http = createHttpServer();
  const wss = new WebSocketServer({ server: http });
  const disposable = useServer({ schema, roots: { query: rootFor(name), subscription: rootFor(name) } }, wss);
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  const bound = (http.address() as AddressInfo).port;
  const stop = async () => {
    for (const client of wss.clients) client.terminate(); // a crash: no close frame
    await disposable.dispose();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  };
  stops.push(stop);
  return { port: bound, url: `ws://127.0.0.1:${bound}/graphql`, stop };
}

/** Subscribes to `ticks` and records every value and the end of the subscription. */
function subscribe(client: Client) {
  const values: string[] = [];
  const ended: { error?: unknown; complete?: boolean } = {};
  client.subscribe<{ ticks: string }>(
    { query: 'subscription { ticks(server: "x") }' },
    {
      next: (result) => void (result.data && values.push(result.data.ticks)),
      error: (error) => void (ended.error = error),
      complete: () => void (ended.complete = true),
    },
  );
  return { values, ended };
}

// graphql-ws's default shouldRetry: an `error` event (not a CloseEvent) is fatal, so the drop-in must not raise one for a lost link.
const quickRetry = { retryAttempts: 1, retryWait: () => sleep(20) };

afterEach(async () => {
  for (const client of clients.splice(0)) await client.dispose();
  for (const stop of stops.splice(0)) await stop().catch(() => {});
});

describe('graphql-ws over HoldfastWebSocket', () => {
  it('answers a query and keeps a subscription across a server restart with one graphql-ws retry', async () => {
    const first = await serve('first');
    const constructed: HoldfastWebSocket[] = [];
    const Impl = HoldfastWebSocket.with({
      WebSocket: WebSocket as unknown as WebSocketConstructorLike,
      environment: false,
      reconnect: 'until-open',
      backoff: { initialDelay: 20, maxDelay: 100 },
    });
    const Recorded = class extends Impl {
      constructor(...args: ConstructorParameters<typeof HoldfastWebSocket>) {
        super(...args);
        constructed.push(this);
      }
    };
    const client = createClient({ url: first.url, webSocketImpl: Recorded, ...quickRetry });
    clients.push(client);

    const answer = await new Promise((resolve, reject) => {
      client.subscribe({ query: '{ hello }' }, { next: resolve, error: reject, complete: () => {} });
    });
    expect(answer).toEqual({ data: { hello: 'hello from first' } });

    const { values, ended } = subscribe(client);
    await waitFor(() => values.length >= 3, 5000, 'ticks from the first server');
    expect(constructed[0]!.protocol).toBe('graphql-transport-ws');

    await first.stop();
    await sleep(400); // many holdfast attempts against the closed port; graphql-ws sees none of them
    expect(ended).toEqual({});
    const waiting = constructed.at(-1)!;
    expect(waiting.readyState).toBe(WebSocket.CONNECTING);

    await serve('second', first.port);
    await waitFor(() => values.some((v) => v.startsWith('second:')), 5000, 'ticks from the restarted server');
    expect(ended).toEqual({});
    expect(values.filter((v) => v.startsWith('first:')).length).toBeGreaterThanOrEqual(3);
    // One object per connection, as graphql-ws wants: the first closed for good, the new one open.
    expect(constructed.length).toBeGreaterThanOrEqual(2);
    expect(constructed[0]!.readyState).toBe(WebSocket.CLOSED);
    expect(constructed[0]!.socket.state).toBe('closed');
    expect(waiting.readyState).toBe(WebSocket.OPEN);
  });

  it('control: with the plain ws socket the same downtime exhausts graphql-ws\u2019s single retry', async () => {
    const first = await serve('first');
    const client = createClient({ url: first.url, webSocketImpl: WebSocket, ...quickRetry });
    clients.push(client);
    const { values, ended } = subscribe(client);
    await waitFor(() => values.length >= 3, 5000, 'ticks from the first server');
    await first.stop();
    await sleep(400);
    await serve('second', first.port);
    await sleep(300);
    expect(ended.error).toBeDefined();
    expect(values.some((v) => v.startsWith('second:'))).toBe(false);
  });
});
