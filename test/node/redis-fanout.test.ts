/**
 * Two bridges in this process sharing Redis: the resume grace period counts receivers on the other
 * instance, and a pub/sub connection that drops mid-stream is repaired from the stored frames.
 */
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { startNodeServer } from '../../src/node/server.ts';
import { onCleanup, startBridge, testOptions } from '../helpers/bridge.ts';
import { assertWellFormed, connectWs, type WsClient, wsRequest } from '../helpers/clients.ts';
import { sleep } from '../helpers/fake-upstream.ts';
import {
  processProbes,
  settleToBaseline,
  takeSnapshot,
  waitUntilNone,
} from '../helpers/resources.ts';
import { describeRedis, SHARED_REDIS_URL, startRedisServer, testPrefix } from '../helpers/redis.ts';
import { startGatedUpstream } from '../helpers/gated-upstream.ts';

const waitSeq = (client: WsClient, requestId: string, seq: number) =>
  client.inbox.waitFor(
    (m) => m.event === 'chat_response' && m.data.request_id === requestId && m.data.seq >= seq,
  );

describeRedis(
  'two instances in one process sharing Redis',
  () => {
    it('a receiver on the other instance keeps a stream out of its grace period; its departure starts it', async () => {
      const { upstream, release } = await startGatedUpstream(3, 3);
      const redis = { redisUrl: SHARED_REDIS_URL, redisPrefix: testPrefix(), resumeGraceMs: 2_000 };
      const a = await startBridge(upstream.url, redis);
      const b = await startBridge(upstream.url, redis);
      const onA = await connectWs(a.url);
      const keptAck = await wsRequest(onA, 'chat_message', { request_id: 'kept' });
      await waitSeq(onA, 'kept', 2);
      // A's only receiver leaves: the grace period starts there; B's resume must reach A to end it.
      onA.ws.terminate();
      await sleep(300);
      const onB = await connectWs(b.url);
      await wsRequest(onB, 'chat_resume', {
        request_id: 'kept',
        after_seq: 2,
        resume_token: keptAck.resume_token,
      });
      // Well past the grace period: only B's receiver, announced through Redis, kept it running.
      await sleep(4_000);
      const recorded = await upstream.request(0);
      expect(recorded.isClosed()).toBe(false);
      release();
      const frames = await onB.frames('kept');
      expect(frames.at(-1)?.content).toEqual({});
      expect(frames.map((f) => f.seq)).toEqual([3, 4, 5, 6]);

      // The other way: B's receiver leaves a stream running on A, which then runs out its grace.
      const second = await startGatedUpstream(1, 1);
      const c = await startBridge(second.upstream.url, redis);
      const d = await startBridge(second.upstream.url, redis);
      const onC = await connectWs(c.url);
      const leftAck = await wsRequest(onC, 'chat_message', { request_id: 'left' });
      const onD = await connectWs(d.url);
      await wsRequest(onD, 'chat_resume', {
        request_id: 'left',
        after_seq: -1,
        resume_token: leftAck.resume_token,
      });
      await waitSeq(onD, 'left', 0);
      onC.ws.terminate();
      await sleep(200);
      onD.ws.terminate();
      await (
        await second.upstream.request(0)
      ).closed;
      const late = await connectWs(d.url);
      await wsRequest(late, 'chat_resume', {
        request_id: 'left',
        after_seq: -1,
        resume_token: leftAck.resume_token,
      });
      const ended = await late.frames('left');
      assertWellFormed(ended);
      expect(ended.at(-1)?.content).toEqual({ reason: 'abandoned' });
    });

    it('repairs a receiver whose pub/sub connection dropped mid-stream from the stored frames', async () => {
      const server = await startRedisServer();
      const { upstream, release } = await startGatedUpstream(2, 40);
      const redis = { redisUrl: server.url, redisPrefix: 'fanout:' };
      const a = await startBridge(upstream.url, redis);
      const b = await startBridge(upstream.url, redis);
      const onA = await connectWs(a.url);
      const cutAck = await wsRequest(onA, 'chat_message', { request_id: 'cut' });
      const onB = await connectWs(b.url);
      await wsRequest(onB, 'chat_resume', {
        request_id: 'cut',
        after_seq: -1,
        resume_token: cutAck.resume_token,
      });
      await waitSeq(onB, 'cut', 1);
      const admin = new Redis(server.url);
      onCleanup(() => {
        admin.disconnect();
      });
      // Every pub/sub connection drops; the frames written meanwhile reach B only by the repair.
      await admin.client('KILL', 'TYPE', 'pubsub');
      release();
      const frames = await onB.frames('cut');
      assertWellFormed(frames);
      expect(frames).toHaveLength(2 + 40 + 1);
      expect(await onA.frames('cut')).toEqual(frames);
    });
  },
  { server: true },
);

describeRedis('Redis registry resources', () => {
  it('closing a Redis bridge leaves no socket, timer or listener behind', async () => {
    const probes = processProbes();
    await waitUntilNone();
    const baseline = takeSnapshot(probes);
    const { upstream, release } = await startGatedUpstream(1, 1);
    const server = await startNodeServer(
      testOptions({ redisUrl: SHARED_REDIS_URL, redisPrefix: testPrefix() }),
      { upstreamUrl: upstream.url },
    );
    const client = await connectWs(server.url);
    await wsRequest(client, 'join', { conversation_id: 'room' });
    await wsRequest(client, 'chat_message', { request_id: 'in-room', conversation_id: 'room' });
    await wsRequest(client, 'chat_message', { request_id: 'direct' });
    await waitSeq(client, 'direct', 0);
    release();
    assertWellFormed(await client.frames('in-room'));
    assertWellFormed(await client.frames('direct'));
    client.ws.terminate();
    await server.close();
    await upstream.close();
    expect(await settleToBaseline(baseline, probes)).toEqual([]);
  });
});
