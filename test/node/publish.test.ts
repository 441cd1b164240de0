/**
 * `POST /publish`: an event to one client, a user's clients, a conversation's members or everybody,
 * on both protocols, behind the admin token.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryRegistry } from '../../src/core/registry/memory.ts';
import { startNodeServer } from '../../src/node/server.ts';
import { onCleanup, startBridge, testOptions } from '../helpers/bridge.ts';
import { connectSio, connectWs, type SioClient, type WsClient } from '../helpers/clients.ts';
import { sseBody, sseFrames, startFakeUpstream } from '../helpers/fake-upstream.ts';
import { ADMIN, admin, SECRET, tokenFor } from '../helpers/admin.ts';

async function startRig() {
  const upstream = await startFakeUpstream(sseBody(sseFrames({ type: 'stop' })));
  onCleanup(() => upstream.close());
  const bridge = await startBridge(upstream.url, { adminToken: ADMIN, jwtSecret: SECRET });
  return bridge;
}

/** What a client of either protocol received as `event`, without timestamps. */
const received = (client: WsClient | SioClient, event: string): unknown[] =>
  'ws' in client
    ? client.inbox.items.filter((m) => m.event === event).map((m) => m.data)
    : client.inbox.items.filter((m) => m.event === event).map((m) => m.args[0]);

const waitFor = (client: WsClient | SioClient, event: string, match: (data: any) => boolean) =>
  'ws' in client
    ? client.inbox.waitFor((m) => m.event === event && match(m.data))
    : client.inbox.waitFor((m) => m.event === event && match(m.args[0]));

describe('POST /publish', () => {
  it('reaches one client, a user, a conversation or all, on both protocols', async () => {
    const bridge = await startRig();
    const aliceWs = await connectWs(bridge.url, { query: `token=${await tokenFor('alice')}` });
    const aliceSio = await connectSio(bridge.url, {
      transports: ['websocket'],
      auth: { token: await tokenFor('alice') },
    });
    const bobWs = await connectWs(bridge.url, { query: `token=${await tokenFor('bob')}` });
    const carolSio = await connectSio(bridge.url, {
      transports: ['websocket'],
      auth: { token: await tokenFor('carol') },
    });
    const everyone = [aliceWs, aliceSio, bobWs, carolSio];
    bobWs.send({ event: 'join', id: 1, data: { conversation_id: 'c1' } });
    await bobWs.inbox.waitFor((m) => m.id === 1);
    await carolSio.request('join', { conversation_id: 'c1' });

    const { body: listed } = await admin(bridge.url, '/clients?user=alice');
    const aliceIds = listed.clients.map((c: { id: string }) => c.id);
    expect(aliceIds).toHaveLength(2);
    const { body: bobListed } = await admin(bridge.url, '/clients?user=bob');
    const bobId = bobListed.clients[0].id as string;
    const { body: carolListed } = await admin(bridge.url, '/clients?user=carol');
    const carolId = carolListed.clients[0].id as string;

    const publish = async (to: unknown, n: number) => {
      const data = { title: 'Report', message: `ready ${n}`, type: 'info' };
      const answer = await admin(bridge.url, '/publish', {
        body: { event: 'notification', data, to },
      });
      expect(answer.status).toBe(200);
      return answer.body.delivered as number;
    };
    expect(await publish({ client: bobId }, 1)).toBe(1);
    expect(await publish({ client: carolId }, 2)).toBe(1);
    expect(await publish({ user: 'alice' }, 3)).toBe(2);
    expect(await publish({ conversation: 'c1' }, 4)).toBe(2);
    expect(await publish('all', 5)).toBe(4);
    // The last one reached everybody: what came before it has arrived too.
    for (const client of everyone) {
      await waitFor(client, 'notification', (d) => d.message === 'ready 5');
    }
    const messages = (client: WsClient | SioClient) =>
      received(client, 'notification').map((d: any) => d.message);
    expect(messages(bobWs)).toEqual(['ready 1', 'ready 4', 'ready 5']);
    expect(messages(carolSio)).toEqual(['ready 2', 'ready 4', 'ready 5']);
    expect(messages(aliceWs)).toEqual(['ready 3', 'ready 5']);
    expect(messages(aliceSio)).toEqual(['ready 3', 'ready 5']);
    expect(received(bobWs, 'notification')[0]).toEqual({
      title: 'Report',
      message: 'ready 1',
      type: 'info',
    });
    const raw = bobWs.inbox.raw.find((m) => m.event === 'notification');
    expect(raw?.data.timestamp).toEqual(expect.any(Number));
  });

  it('publishes any event name; event defaults to notification and data to {}', async () => {
    const bridge = await startRig();
    const client = await connectWs(bridge.url, { query: `token=${await tokenFor('dan')}` });
    await admin(bridge.url, '/publish', {
      body: { event: 'workflow_status', data: { step: 3 }, to: { user: 'dan' } },
    });
    await admin(bridge.url, '/publish', { body: { to: 'all' } });
    await client.inbox.waitFor((m) => m.event === 'notification');
    expect(client.inbox.items.map((m) => [m.event, m.data])).toEqual([
      ['workflow_status', { step: 3 }],
      ['notification', {}],
    ]);
  });

  it('counts 0 for a target nobody matches here', async () => {
    const bridge = await startRig();
    const answer = await admin(bridge.url, '/publish', {
      body: { data: {}, to: { user: 'nobody' } },
    });
    expect(answer).toEqual({ status: 200, body: { delivered: 0 } });
  });

  it('answers 401 to a missing or wrong token', async () => {
    const bridge = await startRig();
    const body = { data: {}, to: 'all' };
    for (const token of [null, 'wrong', `${ADMIN}x`, ADMIN.slice(1)]) {
      const answer = await admin(bridge.url, '/publish', { body, token });
      expect(answer.status, String(token)).toBe(401);
      expect(answer.body).toMatchObject({ code: 'unauthorized' });
    }
    expect((await admin(bridge.url, '/clients', { token: 'wrong' })).status).toBe(401);
  });

  it.each([
    ['not JSON', 'hello', 'not JSON'],
    ['an array', [1], 'JSON object'],
    ['no target', { data: {} }, '"to"'],
    ['an unknown target', { data: {}, to: { room: 'x' } }, 'to.room'],
    ['two targets', { data: {}, to: { user: 'a', client: 'b' } }, '"to"'],
    ['an empty id', { data: {}, to: { user: '' } }, 'to.user'],
    ['data that is not an object', { data: 'hi', to: 'all' }, '"data"'],
    ['a bad event name', { event: 'no spaces', to: 'all' }, '"event"'],
    ['the reserved chat_response', { event: 'chat_response', to: 'all' }, 'reserved'],
  ])('answers 400 with a reason to %s', async (_name, body, reason) => {
    const bridge = await startRig();
    const answer = await admin(bridge.url, '/publish', { body });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('bad_request');
    expect(answer.body.message).toContain(reason);
  });

  it('answers 404 on every admin route without an admin token', async () => {
    const upstream = await startFakeUpstream(sseBody(sseFrames({ type: 'stop' })));
    onCleanup(() => upstream.close());
    const bridge = await startBridge(upstream.url);
    const body = { data: {}, to: 'all' };
    expect(
      (await fetch(`${bridge.url}/publish`, { method: 'POST', body: JSON.stringify(body) })).status,
    ).toBe(404);
    expect((await admin(bridge.url, '/publish', { body, token: 'anything' })).status).toBe(404);
    expect((await admin(bridge.url, '/clients')).status).toBe(404);
    expect((await admin(bridge.url, '/clients/x')).status).toBe(404);
  });
});

describe('publish routing when the registry fails', () => {
  it("a user's topic that could not be subscribed is tried again with the user's next client", async () => {
    const upstream = await startFakeUpstream(sseBody(sseFrames({ type: 'stop' })));
    onCleanup(() => upstream.close());
    const options = testOptions({ adminToken: ADMIN, jwtSecret: SECRET });
    const registry = createMemoryRegistry(options);
    let failUserTopic = true;
    const subscribe = registry.subscribe.bind(registry);
    registry.subscribe = async (topic, listener) => {
      if (failUserTopic && topic.startsWith('user:')) {
        failUserTopic = false;
        throw new Error('store briefly down');
      }
      return subscribe(topic, listener);
    };
    const bridge = await startNodeServer(options, { upstreamUrl: upstream.url, registry });
    onCleanup(() => bridge.close());
    // The first of alice's clients meets the failure; the second, a moment later, must not.
    const first = await connectWs(bridge.url, { query: `token=${await tokenFor('alice')}` });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(failUserTopic).toBe(false);
    const second = await connectWs(bridge.url, { query: `token=${await tokenFor('alice')}` });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const answer = await admin(bridge.url, '/publish', {
      body: { event: 'hello', data: { n: 1 }, to: { user: 'alice' } },
    });
    expect(answer.body).toEqual({ delivered: 2 });
    await waitFor(second, 'hello', (d) => d.n === 1);
    await waitFor(first, 'hello', (d) => d.n === 1);
  });
});

describe('publish to a client that has just connected, through a registry whose subscribe takes a round trip', () => {
  /** A registry whose subscriptions take effect 150 ms after they are asked for, as over a slow link to Redis. */
  async function startSlowRig() {
    const upstream = await startFakeUpstream(sseBody(sseFrames({ type: 'stop' })));
    onCleanup(() => upstream.close());
    const options = testOptions({ adminToken: ADMIN, jwtSecret: SECRET });
    const registry = createMemoryRegistry(options);
    const subscribe = registry.subscribe.bind(registry);
    const active = new Map<string, number>();
    registry.subscribe = async (topic, listener) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      const unsubscribe = await subscribe(topic, listener);
      active.set(topic, (active.get(topic) ?? 0) + 1);
      return async () => {
        active.set(topic, (active.get(topic) ?? 0) - 1);
        await unsubscribe();
      };
    };
    const bridge = await startNodeServer(options, { upstreamUrl: upstream.url, registry });
    onCleanup(() => bridge.close());
    return { bridge, active };
  }

  it('reaches it by user, by client id and as a broadcast as soon as it sees itself connected, on both protocols', async () => {
    const { bridge } = await startSlowRig();
    const [ws, sio] = await Promise.all([
      connectWs(bridge.url, { query: `token=${await tokenFor('alice')}` }),
      connectSio(bridge.url, {
        transports: ['websocket'],
        auth: { token: await tokenFor('alice') },
      }),
    ]);
    const toUser = await admin(bridge.url, '/publish', {
      body: { event: 'hello', data: { n: 1 }, to: { user: 'alice' } },
    });
    expect(toUser.body).toEqual({ delivered: 2 });
    const toAll = await admin(bridge.url, '/publish', {
      body: { event: 'hello', data: { n: 2 }, to: 'all' },
    });
    expect(toAll.body).toEqual({ delivered: 2 });
    for (const client of [ws, sio]) {
      await waitFor(client, 'hello', (d) => d.n === 1);
      await waitFor(client, 'hello', (d) => d.n === 2);
    }
    // Another user's client, connected a moment ago, by its id.
    const bob = await connectWs(bridge.url, { query: `token=${await tokenFor('bob')}` });
    const { body } = await admin(bridge.url, '/clients?user=bob');
    const bobId = body.clients[0].id as string;
    await admin(bridge.url, '/publish', {
      body: { event: 'hello', data: { n: 3 }, to: { client: bobId } },
    });
    await waitFor(bob, 'hello', (d) => d.n === 3);
  });

  it("lets go of the user's topic once the user's last client left", async () => {
    const { bridge, active } = await startSlowRig();
    const ws = await connectWs(bridge.url, { query: `token=${await tokenFor('alice')}` });
    expect(active.get('user:alice')).toBe(1);
    ws.ws.close();
    await expect.poll(() => active.get('user:alice'), { timeout: 3000 }).toBe(0);
  });
});
