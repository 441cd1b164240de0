/** `GET /clients` and the presence of a user's devices. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { onCleanup, startBridge } from '../helpers/bridge.ts';
import { connectSio, connectWs } from '../helpers/clients.ts';
import { sseHead, startFakeUpstream } from '../helpers/fake-upstream.ts';
import { ADMIN, admin, SECRET, tokenFor } from '../helpers/admin.ts';

/** An upstream that answers with an SSE head and then holds the stream open. */
async function holdingUpstream() {
  const upstream = await startFakeUpstream((_req, res) => sseHead(res));
  onCleanup(() => upstream.close());
  return upstream;
}

describe('GET /clients', () => {
  it('lists each client with its user, conversations, times, address and running streams', async () => {
    const upstream = await holdingUpstream();
    const bridge = await startBridge(upstream.url, { adminToken: ADMIN, jwtSecret: SECRET });
    const before = Date.now();
    const ws = await connectWs(bridge.url, { query: `token=${await tokenFor('alice')}` });
    const sio = await connectSio(bridge.url, {
      transports: ['websocket'],
      auth: { token: await tokenFor('bob') },
    });
    const connected = Date.now();
    ws.send({ event: 'join', id: 1, data: { conversation_id: 'c1' } });
    ws.send({ event: 'join', id: 2, data: { conversation_id: 'c2' } });
    ws.send({ event: 'chat_message', id: 3, data: { current_text: 'hold' } });
    await ws.inbox.waitFor((m) => m.id === 3);
    await upstream.request(0);
    await sio.request('join', { conversation_id: 'c2' });

    const { status, body } = await admin(bridge.url, '/clients');
    expect(status).toBe(200);
    const byUser = new Map(body.clients.map((c: any) => [c.userId, c]));
    expect(byUser.size).toBe(2);
    const alice: any = byUser.get('alice');
    const bob: any = byUser.get('bob');
    expect(alice).toEqual({
      id: expect.any(String),
      protocol: 'ws',
      userId: 'alice',
      conversations: ['c1', 'c2'],
      connectedAt: expect.any(Number),
      lastActiveAt: expect.any(Number),
      remoteAddress: '127.0.0.1',
      streams: 1,
    });
    expect(bob).toMatchObject({
      protocol: 'socketio',
      userId: 'bob',
      conversations: ['c2'],
      remoteAddress: '127.0.0.1',
      streams: 0,
    });
    expect(alice.connectedAt).toBeGreaterThanOrEqual(before);
    expect(alice.connectedAt).toBeLessThanOrEqual(connected);
    expect(alice.lastActiveAt).toBeGreaterThanOrEqual(alice.connectedAt);
    expect(bob.lastActiveAt).toBeGreaterThanOrEqual(connected);

    const one = await admin(bridge.url, `/clients/${alice.id}`);
    expect(one).toEqual({ status: 200, body: alice });
    const missing = await admin(bridge.url, '/clients/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'unknown_client' });

    const ids = async (query: string) =>
      (await admin(bridge.url, `/clients${query}`)).body.clients.map((c: any) => c.userId).sort();
    expect(await ids('?user=alice')).toEqual(['alice']);
    expect(await ids('?conversation=c2')).toEqual(['alice', 'bob']);
    expect(await ids('?conversation=c1')).toEqual(['alice']);
    expect(await ids('?user=bob&conversation=c1')).toEqual([]);
    expect(await ids('?user=nobody')).toEqual([]);
  });

  it('shows userId null for clients without a verified user, and drops clients that left', async () => {
    const upstream = await holdingUpstream();
    const bridge = await startBridge(upstream.url, { adminToken: ADMIN });
    const ws = await connectWs(bridge.url);
    const { body } = await admin(bridge.url, '/clients');
    expect(body.clients).toEqual([expect.objectContaining({ userId: null, protocol: 'ws' })]);
    ws.ws.close();
    await ws.closed;
    for (;;) {
      const after = await admin(bridge.url, '/clients');
      if (after.body.clients.length === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});

describe("presence of a user's devices", () => {
  it("tells a user's other clients when one comes online and when it goes", async () => {
    const upstream = await holdingUpstream();
    const bridge = await startBridge(upstream.url, { jwtSecret: SECRET });
    const phone = await connectWs(bridge.url, { query: `token=${await tokenFor('alice')}` });
    const desktop = await connectSio(bridge.url, {
      transports: ['websocket'],
      auth: { token: await tokenFor('alice') },
    });
    await phone.inbox.waitFor((m) => m.event === 'presence' && m.data.clients === 2);
    // Somebody else's device is none of alice's business.
    const other = await connectWs(bridge.url, { query: `token=${await tokenFor('bob')}` });
    desktop.socket.close();
    await phone.inbox.waitFor((m) => m.event === 'presence' && m.data.clients === 1);
    expect(phone.inbox.items.filter((m) => m.event === 'presence').map((m) => m.data)).toEqual([
      { user_id: 'alice', clients: 2 },
      { user_id: 'alice', clients: 1 },
    ]);
    // The newcomer is not told about itself; bob hears nothing of alice.
    expect(desktop.inbox.items.filter((m) => m.event === 'presence')).toEqual([]);
    expect(other.inbox.items.filter((m) => m.event === 'presence')).toEqual([]);
  });

  it('takes the user id the connect-check endpoint returns', async () => {
    const upstream = await holdingUpstream();
    const auth = createServer((req, res) => {
      const user = req.headers.cookie?.replace('session=', '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ userId: user }));
    });
    await new Promise<void>((resolve) => auth.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => auth.close(() => resolve())));
    const authUrl = `http://127.0.0.1:${(auth.address() as AddressInfo).port}/me`;
    const bridge = await startBridge(upstream.url, { authUrl, adminToken: ADMIN });
    const phone = await connectWs(bridge.url, { headers: { cookie: 'session=carol' } });
    await connectWs(bridge.url, { headers: { cookie: 'session=carol' } });
    await phone.inbox.waitFor((m) => m.event === 'presence');
    expect(phone.inbox.items.find((m) => m.event === 'presence')?.data).toEqual({
      user_id: 'carol',
      clients: 2,
    });
    const { body } = await admin(bridge.url, '/clients?user=carol');
    expect(body.clients).toHaveLength(2);
  });
});
