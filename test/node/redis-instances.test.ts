/**
 * Several bridge processes (the real CLI, separate processes) sharing one Redis, as behind a load
 * balancer: resume on another instance, conversation members spread over instances, one upstream
 * call for a request id sent to two instances, and the owner killed with SIGKILL mid-stream.
 */
import { SignJWT } from 'jose';
import { expect, it, vi } from 'vitest';
import {
  type ChatResponse,
  assertWellFormed,
  connectSio,
  connectWs,
  type WsClient,
  wsRequest,
} from '../helpers/clients.ts';
import { spawnCli, type CliProcess } from '../helpers/cli-process.ts';
import type { FakeUpstream } from '../helpers/fake-upstream.ts';
import { describeRedis, SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { startGatedUpstream } from '../helpers/gated-upstream.ts';

/** Short, so a dead owner shows quickly (the default is 10 s), yet long enough for a loaded CI. */
const LEASE_TTL_MS = 2_500;

// Each test starts two or three node processes before it begins.
vi.setConfig({ testTimeout: 45_000 });

interface Instance {
  cli: CliProcess;
  url: string;
}

async function startInstances(upstream: FakeUpstream, count: number, extra: string[] = []) {
  const prefix = testPrefix();
  const args = [
    '--port',
    '0',
    '--upstream',
    upstream.url,
    '--redis-url',
    SHARED_REDIS_URL,
    '--redis-prefix',
    prefix,
    '--redis-lease-ttl',
    String(LEASE_TTL_MS),
    '--no-playground',
    '--rate-limit',
    '0',
    ...extra,
  ];
  const clis = Array.from({ length: count }, () => spawnCli(args));
  return Promise.all(
    clis.map(async (cli): Promise<Instance> => ({ cli, url: await cli.listeningUrl() })),
  );
}

const framesOf = (client: WsClient, requestId: string): ChatResponse[] =>
  client.inbox.items
    .filter((m) => m.event === 'chat_response' && m.data.request_id === requestId)
    .map((m) => m.data as ChatResponse);

const waitSeq = (client: WsClient, requestId: string, seq: number, timeoutMs?: number) =>
  client.inbox.waitFor(
    (m) => m.event === 'chat_response' && m.data.request_id === requestId && m.data.seq >= seq,
    timeoutMs,
    `seq ${seq} of ${requestId}`,
  );

const uniqueId = (name: string) => `${name}-${crypto.randomUUID().slice(0, 8)}`;

describeRedis('several instances sharing Redis', () => {
  it('a client resuming on instance B gets the frames of a stream running on A, in order, then the live tail', async () => {
    const { upstream, release } = await startGatedUpstream(5, 5);
    const [a, b] = (await startInstances(upstream, 2)) as [Instance, Instance];
    const requestId = uniqueId('resume');
    const onA = await connectWs(a.url);
    const ack = await wsRequest(onA, 'chat_message', { request_id: requestId });
    expect(ack).toEqual({ request_id: requestId, resume_token: expect.any(String) });
    await waitSeq(onA, requestId, 4);
    onA.ws.terminate();

    // Another connection of an anonymous client: the resume token proves the stream is its own.
    const onB = await connectWs(b.url);
    const resume = { request_id: requestId, after_seq: 2, resume_token: ack.resume_token };
    expect(await wsRequest(onB, 'chat_resume', resume)).toEqual({ request_id: requestId });
    await waitSeq(onB, requestId, 4);
    release();
    const tail = await onB.frames(requestId);
    expect(tail.map((f) => f.seq)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    const whole = [...framesOf(onA, requestId).filter((f) => f.seq <= 2), ...tail];
    assertWellFormed(whole);
    expect(whole.filter((f) => f.type === 'text').map((f) => f.content.data)).toEqual(
      Array.from({ length: 10 }, (_, i) => `w${i}`),
    );
    expect(upstream.requests).toHaveLength(1);
  });

  it('conversation members on three instances each get every frame once, user_message and presence', async () => {
    const { upstream, release } = await startGatedUpstream(3, 3);
    const instances = await startInstances(upstream, 3);
    const conversationId = uniqueId('conv');
    const members: WsClient[] = [];
    for (const [i, instance] of instances.entries()) {
      const client = await connectWs(instance.url);
      const joined = await wsRequest(client, 'join', { conversation_id: conversationId });
      expect(joined).toMatchObject({ conversation_id: conversationId, clients: i + 1 });
      members.push(client);
    }
    // A Socket.IO member on the third instance too: the protocol makes no difference.
    const sio = await connectSio(instances[2]?.url as string, { transports: ['websocket'] });
    expect(await sio.request('join', { conversation_id: conversationId })).toMatchObject({
      clients: 4,
    });
    const [first, sender, third] = members as [WsClient, WsClient, WsClient];
    const requestId = uniqueId('conv-msg');
    await wsRequest(sender, 'chat_message', {
      request_id: requestId,
      conversation_id: conversationId,
      current_text: 'hello all',
    });
    for (const member of [first, third]) {
      const message = await member.inbox.waitFor((m) => m.event === 'user_message');
      expect(message.data).toMatchObject({
        request_id: requestId,
        conversation_id: conversationId,
      });
    }
    release();
    for (const member of members) {
      const frames = await member.frames(requestId);
      assertWellFormed(frames);
      expect(frames.filter((f) => f.type === 'text')).toHaveLength(6);
    }
    const sioFrames = await sio.frames(requestId);
    expect(sioFrames).toEqual(await sender.frames(requestId));
    // Nothing arrives twice after the stop either.
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const member of members) assertWellFormed(framesOf(member, requestId));
    assertWellFormed(await sio.frames(requestId));
    expect(sender.inbox.items.some((m) => m.event === 'user_message')).toBe(false);
    expect(upstream.requests).toHaveLength(1);
  });

  it("the same user's request_id sent to two instances at once calls the upstream once", async () => {
    const { upstream, release } = await startGatedUpstream(2, 2);
    const secret = 'a-redis-instances-secret-of-32-bytes';
    const [a, b] = (await startInstances(upstream, 2, ['--jwt-secret', secret])) as [
      Instance,
      Instance,
    ];
    const requestId = uniqueId('twice');
    // Request ids are scoped to their owner: the same user on both instances.
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .sign(new TextEncoder().encode(secret));
    const onA = await connectWs(a.url, { query: `token=${token}` });
    const onB = await connectWs(b.url, { query: `token=${token}` });
    const acks = await Promise.all(
      [onA, onB].map((client) => wsRequest(client, 'chat_message', { request_id: requestId })),
    );
    // One claims it (and gets the resume token); the other attaches.
    expect(acks.map((ack) => ack.request_id)).toEqual([requestId, requestId]);
    expect(acks.filter((ack) => typeof ack.resume_token === 'string')).toHaveLength(1);
    await Promise.all([onA, onB].map((client) => waitSeq(client, requestId, 1)));
    release();
    for (const client of [onA, onB]) {
      const frames = await client.frames(requestId);
      assertWellFormed(frames);
      expect(frames.filter((f) => f.type === 'text').map((f) => f.content.data)).toEqual([
        'w0',
        'w1',
        'w2',
        'w3',
      ]);
    }
    expect(upstream.requests).toHaveLength(1);
  });

  it('kill -9 of the owner mid-stream: the others get upstream_lost and a stop within the lease time, and presence shrinks', async () => {
    // The upstream never finishes: only the owner's death can end this stream.
    const { upstream } = await startGatedUpstream(3, -1);
    const [a, b] = (await startInstances(upstream, 2)) as [Instance, Instance];
    const conversationId = uniqueId('conv-kill');
    const requestId = uniqueId('kill');
    const onA = await connectWs(a.url);
    const onB = await connectWs(b.url);
    await wsRequest(onB, 'join', { conversation_id: conversationId });
    const ack = await wsRequest(onA, 'chat_message', {
      request_id: requestId,
      conversation_id: conversationId,
    });
    await waitSeq(onB, requestId, 2);
    const presenceBefore = await onB.inbox.waitFor(
      (m) => m.event === 'presence' && m.data.clients === 2,
    );
    expect(presenceBefore.data.conversation_id).toBe(conversationId);

    a.cli.child.kill('SIGKILL');
    await a.cli.exited;
    // Lease expiry plus one heartbeat, with a generous margin for a loaded machine.
    const bound = LEASE_TTL_MS * 4;
    const frames = await onB.frames(requestId, bound);
    assertWellFormed(frames);
    expect(frames.slice(-2).map((f) => [f.type, f.content])).toEqual([
      ['error', expect.objectContaining({ code: 'upstream_lost' })],
      ['stop', { reason: 'error' }],
    ]);
    const presenceAfter = await onB.inbox.waitFor(
      (m) => m.event === 'presence' && m.data.clients === 1,
      bound,
    );
    expect(presenceAfter.data).toMatchObject({ conversation_id: conversationId, clients: 1 });

    // The end is stored: a resume anywhere later gets the same sequence.
    const late = await connectWs(b.url);
    const resume = { request_id: requestId, after_seq: -1, resume_token: ack.resume_token };
    await wsRequest(late, 'chat_resume', resume);
    expect(await late.frames(requestId)).toEqual(frames);
  });

  it('kill -9 of the owner: a member that joined after the last frame, the only receiver left, still gets upstream_lost', async () => {
    const { upstream } = await startGatedUpstream(2, -1);
    const [a, b] = (await startInstances(upstream, 2)) as [Instance, Instance];
    const conversationId = uniqueId('conv-late');
    const requestId = uniqueId('late');
    const onA = await connectWs(a.url);
    await wsRequest(onA, 'chat_message', {
      request_id: requestId,
      conversation_id: conversationId,
    });
    await waitSeq(onA, requestId, 1);
    // No frame reaches this member before the owner dies: only Redis knows the stream runs.
    const lateMember = await connectWs(b.url);
    await wsRequest(lateMember, 'join', { conversation_id: conversationId });
    a.cli.child.kill('SIGKILL');
    const frames = await lateMember.frames(requestId, LEASE_TTL_MS * 4);
    expect(frames.map((f) => [f.seq, f.type])).toEqual([
      [2, 'error'],
      [3, 'stop'],
    ]);
  });

  it('a drain hands nothing over silently: a subscriber elsewhere gets the cancel stop of the drained owner', async () => {
    const { upstream } = await startGatedUpstream(2, -1);
    const [a, b] = (await startInstances(upstream, 2, ['--drain-timeout', '300'])) as [
      Instance,
      Instance,
    ];
    const requestId = uniqueId('drain');
    const onA = await connectWs(a.url);
    const ack = await wsRequest(onA, 'chat_message', { request_id: requestId });
    const onB = await connectWs(b.url);
    const resume = { request_id: requestId, after_seq: -1, resume_token: ack.resume_token };
    await wsRequest(onB, 'chat_resume', resume);
    await waitSeq(onB, requestId, 1);
    a.cli.child.kill('SIGTERM');
    const frames = await onB.frames(requestId);
    assertWellFormed(frames);
    expect(frames.at(-1)?.content).toEqual({ reason: 'cancelled' });
    expect(await a.cli.exited).toEqual({ code: 0, signal: null });
  });
});
