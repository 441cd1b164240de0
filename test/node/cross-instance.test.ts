/**
 * Publish and user presence go through the registry's topics: two bridges sharing one registry
 * reach each other's sockets — once with one in-memory registry shared in this process, once as
 * the deployment does it, with two instances on one real Redis (`--redis-url`).
 */
import { describe, expect, it } from 'vitest';
import { createMemoryRegistry } from '../../src/core/registry/memory.ts';
import { startNodeServer } from '../../src/node/server.ts';
import { ADMIN, admin, SECRET, tokenFor } from '../helpers/admin.ts';
import { onCleanup, testOptions } from '../helpers/bridge.ts';
import { describeRedis, SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { connectSio, connectWs } from '../helpers/clients.ts';
import { sseBody, sseFrames, startFakeUpstream } from '../helpers/fake-upstream.ts';

type Sharing = 'memory' | 'redis';

async function startPair(sharing: Sharing) {
  const upstream = await startFakeUpstream(sseBody(sseFrames({ type: 'stop' })));
  onCleanup(() => upstream.close());
  const base = testOptions({ adminToken: ADMIN, jwtSecret: SECRET });
  const options =
    sharing === 'redis' ? { ...base, redisUrl: SHARED_REDIS_URL, redisPrefix: testPrefix() } : base;
  const registry = sharing === 'memory' ? createMemoryRegistry(options) : undefined;
  const start = async () => {
    const server = await startNodeServer(options, {
      upstreamUrl: upstream.url,
      ...(registry ? { registry } : {}),
    });
    onCleanup(() => server.close());
    return server;
  };
  return [await start(), await start()] as const;
}

const suite = (sharing: Sharing) => () => {
  it('a publish on one instance reaches the sockets of the other; delivered counts its own', async () => {
    const [a, b] = await startPair(sharing);
    const onA = await connectWs(a.url, { query: `token=${await tokenFor('alice')}` });
    const onB = await connectSio(b.url, {
      transports: ['websocket'],
      auth: { token: await tokenFor('alice') },
    });
    const answer = await admin(a.url, '/publish', {
      body: { data: { title: 'Hi', message: 'both devices' }, to: { user: 'alice' } },
    });
    expect(answer.body).toEqual({ delivered: 1 });
    await onA.inbox.waitFor((m) => m.event === 'notification');
    const received = await onB.inbox.waitFor((m) => m.event === 'notification');
    expect(received.args[0]).toEqual({ title: 'Hi', message: 'both devices' });
    // A client id from the other instance's /clients works too.
    const { body } = await admin(b.url, '/clients');
    const idOnB = body.clients[0].id as string;
    expect((await admin(a.url, '/publish', { body: { to: { client: idOnB } } })).body).toEqual({
      delivered: 0,
    });
    await onB.inbox.waitFor(
      (m) => m.event === 'notification' && Object.keys(m.args[0]).length === 0,
    );
  });

  it("tells a user's device on one instance that another came online on the other", async () => {
    const [a, b] = await startPair(sharing);
    const phone = await connectWs(a.url, { query: `token=${await tokenFor('alice')}` });
    await connectWs(b.url, { query: `token=${await tokenFor('alice')}` });
    const presence = await phone.inbox.waitFor((m) => m.event === 'presence');
    expect(presence.data).toEqual({ user_id: 'alice', clients: 2 });
  });

  it('closing one instance leaves the shared registry to the other', async () => {
    const [a, b] = await startPair(sharing);
    const onB = await connectWs(b.url, { query: `token=${await tokenFor('bob')}` });
    await a.close();
    const { body } = await admin(b.url, '/clients');
    const id = body.clients[0].id as string;
    await admin(b.url, '/publish', { body: { event: 'still_here', to: { client: id } } });
    await onB.inbox.waitFor((m) => m.event === 'still_here');
  });
};

describe('two instances sharing one in-memory registry', suite('memory'));
describeRedis('two instances sharing one Redis', suite('redis'));
