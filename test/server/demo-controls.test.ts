// @vitest-environment node
// The demo page's fault routes (`/demo/drop|outage|freeze`, with `demo: true`) over real HTTP.
import { afterEach, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/server/index.js';
import { RawClient, cleanup, rawExchange, sleep, startServer, upgradeRequest, waitFor } from '../helpers/server.js';

afterEach(cleanup);

const post = (url: string): Promise<Response> => fetch(url, { method: 'POST' });
const statusOf = (response: string): number => Number(/^HTTP\/1\.1 (\d{3}) /.exec(response)?.[1]);

/** Connects a raw client as demo tab `tab`; resolves with it and its server-side connection. */
async function tabClient(server: Awaited<ReturnType<typeof startServer>>['server'], port: number, tab: string): Promise<{ client: RawClient; connection: Connection }> {
  const seen = new Promise<Connection>((resolve) => {
    const off = server.on('connection', (connection) => {
      off();
      resolve(connection);
    });
  });
  const client = await RawClient.connect(port, { path: `/?tab=${tab}` });
  return { client, connection: await seen };
}

describe('demo control routes', () => {
  it('exist only with the demo option', async () => {
    const { httpUrl } = await startServer();
    for (const path of ['/demo/drop', '/demo/outage', '/demo/freeze?tab=a']) expect((await post(`${httpUrl}${path}`)).status).toBe(404);
  });

  it('answer 405 to anything but POST', async () => {
    const { httpUrl } = await startServer({ demo: true });
    const response = await fetch(`${httpUrl}/demo/outage`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('POST /demo/drop?tab= drops only that tab\'s connection; an unknown tab is 404', async () => {
    const { port, httpUrl, server } = await startServer({ demo: true });
    const a = await tabClient(server, port, 'aaa');
    const b = await tabClient(server, port, 'bbb');
    const response = await post(`${httpUrl}/demo/drop?tab=aaa`);
    expect(await response.json()).toEqual({ dropped: 1 });
    await a.client.waitClosed();
    expect(b.connection.state).toBe('open');
    expect([...server.connections]).toEqual([b.connection]);
    expect((await post(`${httpUrl}/demo/drop?tab=nope`)).status).toBe(404);
  });

  it('POST /demo/outage drops every connection and refuses upgrades with 503 until it ends', async () => {
    const { port, httpUrl, server } = await startServer({ demo: true });
    const a = await tabClient(server, port, 'aaa');
    const b = await tabClient(server, port, 'bbb');
    const started = Date.now();
    const response = await post(`${httpUrl}/demo/outage?seconds=1`);
    expect(await response.json()).toEqual({ dropped: 2, seconds: 1 });
    await a.client.waitClosed();
    await b.client.waitClosed();
    expect(statusOf(await rawExchange(port, upgradeRequest(port)))).toBe(503);
    await waitFor(() => Date.now() - started > 1050, 'the outage to end', 3000);
    // The outage ends on a server timer set when the POST was handled, after `started`; on a loaded
    // machine that timer fires late, so an upgrade still refused with 503 is tried again (bounded).
    for (const deadline = Date.now() + 3000; ; await sleep(20)) {
      const refused = await RawClient.connect(port).then(
        () => false, // resolves once the 101 came
        (error: Error) => {
          if (!error.message.includes(' 503 ') || Date.now() > deadline) throw error;
          return true;
        },
      );
      if (!refused) break;
    }
    expect(server.connections.size).toBe(1);
  });

  it('POST /demo/outage refuses seconds outside 1–60', async () => {
    const { httpUrl } = await startServer({ demo: true });
    for (const seconds of ['0', '61', 'x', '1.5']) expect((await post(`${httpUrl}/demo/outage?seconds=${seconds}`)).status).toBe(400);
  });

  it('POST /demo/freeze?tab= freezes that tab\'s connection for the given seconds, then unfreezes it', async () => {
    const { port, httpUrl, server } = await startServer({ demo: true });
    const a = await tabClient(server, port, 'aaa');
    const b = await tabClient(server, port, 'bbb');
    const response = await post(`${httpUrl}/demo/freeze?tab=aaa&seconds=1`);
    expect(await response.json()).toEqual({ frozen: 1, seconds: 1 });
    expect(a.connection.frozen).toBe(true);
    expect(b.connection.frozen).toBe(false);
    await waitFor(() => !a.connection.frozen, 'the freeze to end', 3000);
    expect(a.connection.state).toBe('open');
    expect((await post(`${httpUrl}/demo/freeze?tab=nope`)).status).toBe(404);
    expect((await post(`${httpUrl}/demo/freeze`)).status).toBe(404);
  });
});
