/**
 * Conversation access (issue 16, item 2), from the attacker's side, for any runtime: with JWT on,
 * Bob (sub `bob`, no right to Alice's consultation) tries to join it, post into it and listen in.
 * Refused with `forbidden`, he gets no frame, no presence and no user_message, and both
 * connections keep working.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { onCleanup } from '../helpers/bridge.ts';
import { assertWellFormed, connectWs, type WsClient, wsRequest } from '../helpers/clients.ts';
import {
  OWNERSHIP_SECRET,
  type StartPair,
  startEchoUpstream,
  tokenFor,
} from './ownership-contract.ts';

/** A join check answering 2xx only for `allowed` (authorization header -> conversation ids). */
async function startJoinCheck(allowed: (auth: string, conversationId: string) => boolean) {
  const calls: Array<{ headers: IncomingHttpHeaders; conversationId: string | null }> = [];
  const server = createServer((req, res) => {
    const conversationId = new URL(req.url ?? '/', 'http://x').searchParams.get('conversation_id');
    calls.push({ headers: req.headers, conversationId });
    const ok = allowed(req.headers.authorization ?? '', conversationId ?? '');
    res.writeHead(ok ? 204 : 403).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/can-join`, calls };
}

const eventsOf = (client: WsClient, name: string) =>
  client.inbox.items.filter((m) => m.event === name).map((m) => m.data);

export function conversationAccessContractTests(runtime: string, startPair: StartPair): void {
  describe(`conversation access (${runtime})`, () => {
    async function connectAs(url: string, sub: string, claims: Record<string, unknown> = {}) {
      return connectWs(url, { query: `token=${await tokenFor(sub, claims)}` });
    }

    async function expectAlive(client: WsClient): Promise<void> {
      expect((await wsRequest(client, 'ping', {}))?.error).toBeUndefined();
    }

    it("refuses Bob's join of and post into Alice's consultation; he hears nothing of it", async () => {
      const { upstream, release } = await startEchoUpstream();
      release();
      const [urlA, urlB] = await startPair(upstream.url, { jwtSecret: OWNERSHIP_SECRET });
      const alice = await connectAs(urlA, 'alice', { conversations: ['consult-42'] });
      const bob = await connectAs(urlB, 'bob');

      const join = await wsRequest(bob, 'join', { conversation_id: 'consult-42' });
      expect(join.error).toEqual({ code: 'forbidden', message: expect.any(String) });
      const post = await wsRequest(bob, 'chat_message', {
        request_id: 'bob-post',
        conversation_id: 'consult-42',
        current_text: 'injected',
      });
      expect(post.error.code).toBe('forbidden');

      expect(await wsRequest(alice, 'join', { conversation_id: 'consult-42' })).toEqual({
        conversation_id: 'consult-42',
        clients: 1,
        users: ['alice'],
      });
      await wsRequest(alice, 'chat_message', {
        request_id: 'alice-q',
        conversation_id: 'consult-42',
        current_text: 'my symptoms',
      });
      assertWellFormed(await alice.frames('alice-q'));
      // Bob's post never reached the upstream: only Alice's question did.
      expect(upstream.requests.map((r) => JSON.parse(r.body).current_text)).toEqual([
        'my symptoms',
      ]);
      await expectAlive(bob);
      for (const event of ['chat_response', 'user_message', 'presence']) {
        expect(eventsOf(bob, event)).toEqual([]);
      }
      expect(eventsOf(alice, 'user_message')).toEqual([]);
      await expectAlive(alice);
    });

    it('token access: the claim lists ids and prefix* patterns; members see who sent what', async () => {
      const { upstream, release } = await startEchoUpstream();
      release();
      const [urlA, urlB] = await startPair(upstream.url, { jwtSecret: OWNERSHIP_SECRET });
      const alice = await connectAs(urlA, 'alice', { conversations: ['consult-*', 'team'] });
      const carol = await connectAs(urlB, 'carol', { conversations: ['consult-7'] });
      expect((await wsRequest(alice, 'join', { conversation_id: 'consult-7' })).error).toBe(
        undefined,
      );
      expect((await wsRequest(alice, 'join', { conversation_id: 'team' })).error).toBe(undefined);
      expect((await wsRequest(alice, 'join', { conversation_id: 'teams' })).error.code).toBe(
        'forbidden',
      );
      expect((await wsRequest(carol, 'join', { conversation_id: 'consult-8' })).error.code).toBe(
        'forbidden',
      );
      await wsRequest(carol, 'join', { conversation_id: 'consult-7' });
      const data = { request_id: 'c7', conversation_id: 'consult-7', current_text: 'hello' };
      await wsRequest(alice, 'chat_message', data);
      const message = await carol.inbox.waitFor((m) => m.event === 'user_message');
      expect(message.data).toEqual({
        conversation_id: 'consult-7',
        request_id: 'c7',
        user_id: 'alice',
        data,
      });
      assertWellFormed(await carol.frames('c7'));
      await expectAlive(carol);
    });

    it('check access: the join URL decides with the forwarded headers and the conversation id', async () => {
      const { upstream, release } = await startEchoUpstream();
      release();
      const aliceToken = await tokenFor('alice');
      const check = await startJoinCheck(
        (auth, id) => auth === `Bearer ${aliceToken}` && id === 'room-a',
      );
      const [urlA, urlB] = await startPair(upstream.url, {
        jwtSecret: OWNERSHIP_SECRET,
        joinAuthUrl: check.url,
      });
      const alice = await connectWs(urlA, { query: `token=${aliceToken}` });
      const bob = await connectAs(urlB, 'bob');
      expect((await wsRequest(bob, 'join', { conversation_id: 'room-a' })).error.code).toBe(
        'forbidden',
      );
      expect(await wsRequest(alice, 'join', { conversation_id: 'room-a' })).toMatchObject({
        conversation_id: 'room-a',
        users: ['alice'],
      });
      expect(check.calls.map((c) => c.conversationId)).toEqual(['room-a', 'room-a']);
      expect(check.calls[1]?.headers.authorization).toBe(`Bearer ${aliceToken}`);
      // A cached yes: leaving and joining again asks no second time.
      await wsRequest(alice, 'leave', { conversation_id: 'room-a' });
      await wsRequest(alice, 'join', { conversation_id: 'room-a' });
      expect(check.calls).toHaveLength(2);
      await expectAlive(bob);
    });

    it('open access lets any admitted client join, as without authentication', async () => {
      const [urlA] = await startPair('http://127.0.0.1:9/chat', {
        jwtSecret: OWNERSHIP_SECRET,
        conversationAccess: 'open',
      });
      const bob = await connectAs(urlA, 'bob');
      expect((await wsRequest(bob, 'join', { conversation_id: 'lobby' })).users).toEqual(['bob']);
    });

    it('caps the conversations of one connection with too_many_conversations', async () => {
      const [url] = await startPair('http://127.0.0.1:9/chat', {
        maxConversationsPerConnection: 2,
      });
      const client = await connectWs(url);
      await wsRequest(client, 'join', { conversation_id: 'c-1' });
      await wsRequest(client, 'join', { conversation_id: 'c-2' });
      const third = await wsRequest(client, 'join', { conversation_id: 'c-3' });
      expect(third.error.code).toBe('too_many_conversations');
      // Joining one it is in already is no new membership.
      expect((await wsRequest(client, 'join', { conversation_id: 'c-2' })).error).toBeUndefined();
      await wsRequest(client, 'leave', { conversation_id: 'c-1' });
      expect((await wsRequest(client, 'join', { conversation_id: 'c-3' })).error).toBeUndefined();
      await expectAlive(client);
    });
  });
}
