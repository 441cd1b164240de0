/**
 * Caps that count what runs, not what is connected (issue 16, item 5): streams whose clients left
 * keep their upstream call open for the resume grace, and still count. Attacker-side: clients
 * that open streams and drop their connections cannot grow the running streams past the caps;
 * after each refusal the refused connection and the others keep working.
 */
import { describe, expect, it } from 'vitest';
import type { BridgeOptions } from '../../src/core/config/types.ts';
import { tokenFor } from '../contract/ownership-contract.ts';
import { OWNERSHIP_SECRET } from '../contract/ownership-contract.ts';
import { startBridge } from '../helpers/bridge.ts';
import { assertWellFormed, connectWs, type WsClient, wsRequest } from '../helpers/clients.ts';
import { startGatedUpstream } from '../helpers/gated-upstream.ts';
import { describeRedis, SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';

type StartPair = (upstreamUrl: string, o: Partial<BridgeOptions>) => Promise<[string, string]>;

const oneInstance: StartPair = async (upstreamUrl, overrides) => {
  const { url } = await startBridge(upstreamUrl, overrides);
  return [url, url];
};
const twoInstances: StartPair = async (upstreamUrl, overrides) => {
  const shared = { ...overrides, redisUrl: SHARED_REDIS_URL, redisPrefix: testPrefix() };
  const a = await startBridge(upstreamUrl, shared);
  const b = await startBridge(upstreamUrl, shared);
  return [a.url, b.url];
};

/** Start `ids` on `client` and wait until each has its first frame; their resume tokens. */
async function startStreams(client: WsClient, ids: string[]): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  for (const id of ids) {
    const ack = await wsRequest(client, 'chat_message', { request_id: id, current_text: id });
    tokens.set(id, ack.resume_token);
    await client.inbox.waitFor((m) => m.event === 'chat_response' && m.data.request_id === id);
  }
  return tokens;
}

/** Follow the orphaned streams to their stop from `client`, with their tokens. */
async function finishOrphans(client: WsClient, tokens: Map<string, string>): Promise<void> {
  for (const [id, token] of tokens) {
    await wsRequest(client, 'chat_resume', { request_id: id, resume_token: token, after_seq: 0 });
  }
  for (const id of tokens.keys()) await client.frames(id);
}

function capSuite(runtime: string, startPair: StartPair): void {
  describe(`stream caps (${runtime})`, () => {
    it('--max-streams counts orphaned streams: a dropped flood cannot grow the running streams', async () => {
      const { upstream, release } = await startGatedUpstream(1, 1);
      const [urlA] = await startPair(upstream.url, { maxStreams: 2, resumeGraceMs: 60_000 });
      const attacker = await connectWs(urlA);
      const tokens = await startStreams(attacker, ['o-1', 'o-2']);
      attacker.ws.terminate();
      const next = await connectWs(urlA);
      const refused = await wsRequest(next, 'chat_message', { request_id: 'o-3' });
      expect(refused.error).toMatchObject({ code: 'too_many_streams' });
      expect(upstream.requests).toHaveLength(2);
      expect((await wsRequest(next, 'ping', {}))?.error).toBeUndefined();
      release();
      await finishOrphans(next, tokens);
      await wsRequest(next, 'chat_message', { request_id: 'o-4' });
      assertWellFormed(await next.frames('o-4'));
      expect(upstream.requests).toHaveLength(3);
    });

    it("--max-streams-per-user counts the user's orphaned streams on every instance", async () => {
      const { upstream, release } = await startGatedUpstream(1, 1);
      const [urlA, urlB] = await startPair(upstream.url, {
        jwtSecret: OWNERSHIP_SECRET,
        maxStreamsPerUser: 2,
        resumeGraceMs: 60_000,
      });
      const first = await connectWs(urlA, { query: `token=${await tokenFor('alice')}` });
      const tokens = await startStreams(first, ['u-1', 'u-2']);
      first.ws.terminate();
      const second = await connectWs(urlB, { query: `token=${await tokenFor('alice')}` });
      const refused = await wsRequest(second, 'chat_message', { request_id: 'u-3' });
      expect(refused.error).toMatchObject({ code: 'too_many_streams' });
      // Her own running stream is no new stream: following it is allowed.
      expect(await wsRequest(second, 'chat_message', { request_id: 'u-1' })).toEqual({
        request_id: 'u-1',
      });
      // Another user has a budget of his own.
      const bob = await connectWs(urlB, { query: `token=${await tokenFor('bob')}` });
      await wsRequest(bob, 'chat_message', { request_id: 'b-1' });
      release();
      assertWellFormed(await bob.frames('b-1'));
      await finishOrphans(second, tokens);
      await wsRequest(second, 'chat_message', { request_id: 'u-4' });
      assertWellFormed(await second.frames('u-4'));
    });

    it('--max-streams-per-user bounds a connection without a user, orphans included', async () => {
      const { upstream, release } = await startGatedUpstream(1, 1);
      const [url] = await startPair(upstream.url, {
        maxStreamsPerUser: 1,
        resumeGraceMs: 60_000,
      });
      const client = await connectWs(url);
      await startStreams(client, ['c-1']);
      const refused = await wsRequest(client, 'chat_message', { request_id: 'c-2' });
      expect(refused.error).toMatchObject({ code: 'too_many_streams' });
      release();
      assertWellFormed(await client.frames('c-1'));
    });
  });
}

capSuite('node', oneInstance);
describeRedis('stream caps across two instances on Redis', () => {
  capSuite('node+redis, two instances', twoInstances);
});
