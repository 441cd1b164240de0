/**
 * Redis going away and coming back, on a private redis-server (never the shared one): no crash,
 * `store_unavailable` for what needs the store meanwhile, `/readyz` saying so, and recovery after.
 */
import { expect, it } from 'vitest';
import { onCleanup, testOptions } from '../helpers/bridge.ts';
import { assertWellFormed, connectWs, wsRequest } from '../helpers/clients.ts';
import { sleep, sseHead, startFakeUpstream } from '../helpers/fake-upstream.ts';
import { describeRedis, startRedisServer } from '../helpers/redis.ts';
import { startNodeServer } from '../../src/node/server.ts';

/** An upstream whose answers send a frame, then one more at each `release()`, then a stop. */
async function startGatedUpstream() {
  const gates: Array<() => void> = [];
  let opened = 0;
  const gate = (n: number) =>
    new Promise<void>((resolve) => {
      if (opened > n) resolve();
      else gates.push(() => (opened > n ? resolve() : undefined));
    });
  const frame = (data: string) =>
    `data: ${JSON.stringify({ type: 'text', content: { data } })}\n\n`;
  const upstream = await startFakeUpstream(async (_req, res) => {
    sseHead(res);
    const base = opened;
    res.write(frame('first'));
    await gate(base);
    res.write(frame('second'));
    await gate(base + 1);
    res.end(`data: ${JSON.stringify({ type: 'stop', content: {} })}\n\n`);
  });
  const release = () => {
    opened++;
    for (const open of gates.splice(0)) open();
  };
  onCleanup(() => {
    opened += 100;
    for (const open of gates.splice(0)) open();
    return upstream.close();
  });
  return { upstream, release, posts: () => upstream.requests.filter((r) => r.method === 'POST') };
}

async function startRedisBridge(upstreamUrl: string, redisUrl: string) {
  const server = await startNodeServer(
    testOptions({ redisUrl, redisPrefix: 'outage:', redisLeaseTtlMs: 1_500 }),
    { upstreamUrl, readinessCacheMs: 0 },
  );
  onCleanup(() => server.close());
  return server;
}

const readyz = async (url: string) => {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as any };
};

async function waitUntilReady(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await readyz(url)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms`);
    await sleep(100);
  }
}

describeRedis(
  'Redis stopped mid-run and started again',
  () => {
    it('reports store_unavailable and /readyz 503 while Redis is down, and recovers when it is back', async () => {
      const redis = await startRedisServer();
      const { upstream, release, posts } = await startGatedUpstream();
      const bridge = await startRedisBridge(upstream.url, redis.url);
      await waitUntilReady(bridge.url);
      const client = await connectWs(bridge.url);

      // A stream running when Redis goes: its next frame cannot be stored, so it ends with the
      // reason instead of leaving other instances' clients waiting.
      await wsRequest(client, 'chat_message', { request_id: 'running' });
      await client.inbox.waitFor((m) => m.event === 'chat_response' && m.data.seq === 0);
      await redis.stop();
      release();
      const cut = await client.frames('running');
      assertWellFormed(cut);
      const pairs = cut.map((f) => [f.type, f.content.code ?? f.content]);
      // 'second' comes through unless the instance noticed the outage first (its lease renewal
      // can fail before the released frame arrives on a loaded machine); either way the stream
      // ends with the reason and one stop.
      expect([
        [
          ['text', { data: 'first' }],
          ['text', { data: 'second' }],
        ],
        [['text', { data: 'first' }]],
      ]).toContainEqual(pairs.slice(0, -2));
      expect(pairs.slice(-2)).toEqual([
        ['error', 'store_unavailable'],
        ['stop', { reason: 'error' }],
      ]);

      // New messages need the store: a clear error, the connection stays usable.
      const refused = await wsRequest(client, 'chat_message', { request_id: 'during' });
      expect(refused.error).toMatchObject({ code: 'store_unavailable' });
      expect(await wsRequest(client, 'ping', {})).not.toHaveProperty('error');
      const down = await readyz(bridge.url);
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({
        status: 'not_ready',
        reason: expect.stringMatching(/^store:/),
      });
      expect(down.body.checks.upstream).toBe('ok');

      await redis.start();
      await waitUntilReady(bridge.url);
      const after = await wsRequest(client, 'chat_message', { request_id: 'after' });
      expect(after).toEqual({ request_id: 'after', resume_token: expect.any(String) });
      await client.inbox.waitFor(
        (m) => m.event === 'chat_response' && m.data.request_id === 'after',
      );
      release();
      release();
      const frames = await client.frames('after');
      assertWellFormed(frames);
      expect(frames.map((f) => f.type)).toEqual(['text', 'text', 'stop']);
      expect(posts()).toHaveLength(2);
      // Pub/sub came back too: a resume from another connection gets everything.
      const other = await connectWs(bridge.url);
      const resume = { request_id: 'after', after_seq: -1, resume_token: after.resume_token };
      await wsRequest(other, 'chat_resume', resume);
      expect(await other.frames('after')).toEqual(frames);
    });

    it('starts with Redis unreachable: not ready, store_unavailable, then works once Redis answers', async () => {
      const redis = await startRedisServer({ start: false });
      const { upstream, release, posts } = await startGatedUpstream();
      const bridge = await startRedisBridge(upstream.url, redis.url);
      const client = await connectWs(bridge.url);
      expect((await readyz(bridge.url)).status).toBe(503);
      const refused = await wsRequest(client, 'chat_message', { request_id: 'early' });
      expect(refused.error).toMatchObject({ code: 'store_unavailable' });
      const joined = await wsRequest(client, 'join', { conversation_id: 'c1' });
      expect(joined.error).toMatchObject({ code: 'store_unavailable' });
      expect(posts()).toHaveLength(0);

      await redis.start();
      await waitUntilReady(bridge.url);
      await wsRequest(client, 'chat_message', { request_id: 'late' });
      await client.inbox.waitFor(
        (m) => m.event === 'chat_response' && m.data.request_id === 'late',
      );
      release();
      release();
      assertWellFormed(await client.frames('late'));
    });
  },
  { server: true },
);
