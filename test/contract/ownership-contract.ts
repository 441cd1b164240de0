/**
 * Streams belong to whoever started them (issue 16), from the attacker's side, for any runtime:
 * Bob (a valid JWT, sub `bob`) tries to read, attach to, cancel and pre-claim Alice's streams.
 * Every refusal must look exactly like an id that does not exist (no oracle), leak no frame, and
 * leave both connections working. `startPair` gives two entry points to one deployment (two
 * instances on Redis; the same URL where there is one).
 */
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { BridgeOptions } from '../../src/core/config/types.ts';
import { onCleanup } from '../helpers/bridge.ts';
import { assertWellFormed, connectWs, type WsClient, wsRequest } from '../helpers/clients.ts';
import { sseHead, startFakeUpstream } from '../helpers/fake-upstream.ts';

/** Start one deployment reachable at two base URLs (two instances where the runtime has them). */
export type StartPair = (
  upstreamUrl: string,
  overrides?: Partial<BridgeOptions>,
) => Promise<[string, string]>;

export const OWNERSHIP_SECRET = 'an-ownership-test-secret-of-32-bytes!';

/** A JWT for `sub`, signed with the test secret; it expires in an hour unless `claims.exp` says. */
export function tokenFor(sub: string, claims: Record<string, unknown> = {}): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(sub);
  if (claims.exp === undefined) jwt.setExpirationTime('1h');
  return jwt.sign(new TextEncoder().encode(OWNERSHIP_SECRET));
}

/**
 * An upstream that echoes who asked (the Authorization header, as a leaky legacy backend does),
 * then holds the answer until `release()`.
 */
export async function startEchoUpstream() {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const upstream = await startFakeUpstream(async (req, res) => {
    sseHead(res);
    const who = `auth:${req.headers.authorization ?? 'none'}`;
    res.write(`data: ${JSON.stringify({ type: 'text', content: { data: who } })}\n\n`);
    await released;
    res.end(`data: ${JSON.stringify({ type: 'stop', content: {} })}\n\n`);
  });
  onCleanup(() => {
    release();
    return upstream.close();
  });
  return { upstream, release };
}

/** The refusal with the request id taken out, to compare a refusal with an unknown id's. */
function shape(answer: { error?: { code: string; message: string } }, id: string) {
  return { ...answer.error, message: answer.error?.message.split(id).join('<id>') };
}

/** Every chat_response frame a client received, whatever its request. */
const framesOf = (client: WsClient) =>
  client.inbox.items.filter((m) => m.event === 'chat_response').map((m) => m.data);

const base64Url = (text: string) => Buffer.from(text).toString('base64url');

export function ownershipContractTests(runtime: string, startPair: StartPair): void {
  describe(`stream ownership (${runtime})`, () => {
    const jwtBridge = (upstreamUrl: string) =>
      startPair(upstreamUrl, { jwtSecret: OWNERSHIP_SECRET });

    async function connectAs(url: string, sub: string): Promise<WsClient> {
      return connectWs(url, { query: `token=${await tokenFor(sub)}` });
    }

    async function expectAlive(client: WsClient): Promise<void> {
      const pong = await wsRequest(client, 'ping', {});
      expect(pong?.error).toBeUndefined();
    }

    it("refuses Bob's resume, cancel and forged token on Alice's stream like an unknown id", async () => {
      const { upstream, release } = await startEchoUpstream();
      const [urlA, urlB] = await jwtBridge(upstream.url);
      const alice = await connectAs(urlA, 'alice');
      const bob = await connectAs(urlB, 'bob');
      const ack = await wsRequest(alice, 'chat_message', {
        request_id: 'alice-1',
        current_text: 'my symptoms',
      });
      expect(ack).toEqual({ request_id: 'alice-1', resume_token: expect.any(String) });
      // 128 random bits at least: 22 base64url characters before the owner part.
      expect(ack.resume_token.split('.')[0]).toMatch(/^[A-Za-z0-9_-]{22,}$/);
      await alice.inbox.waitFor((m) => m.event === 'chat_response' && m.data.seq === 0);

      const unknownResume = await wsRequest(bob, 'chat_resume', { request_id: 'nope-1' });
      const resume = await wsRequest(bob, 'chat_resume', { request_id: 'alice-1', after_seq: -1 });
      expect(resume.error.code).toBe('resume_unavailable');
      expect(shape(resume, 'alice-1')).toEqual(shape(unknownResume, 'nope-1'));

      const forged = `${'A'.repeat(22)}.${base64Url('u:alice')}`;
      const forgedResume = await wsRequest(bob, 'chat_resume', {
        request_id: 'alice-1',
        resume_token: forged,
      });
      expect(shape(forgedResume, 'alice-1')).toEqual(shape(unknownResume, 'nope-1'));

      const unknownCancel = await wsRequest(bob, 'chat_cancel', { request_id: 'nope-1' });
      const cancel = await wsRequest(bob, 'chat_cancel', { request_id: 'alice-1' });
      expect(cancel.error.code).toBe('unknown_request');
      expect(shape(cancel, 'alice-1')).toEqual(shape(unknownCancel, 'nope-1'));
      const forgedCancel = await wsRequest(bob, 'chat_cancel', {
        request_id: 'alice-1',
        resume_token: forged,
      });
      expect(shape(forgedCancel, 'alice-1')).toEqual(shape(unknownCancel, 'nope-1'));

      await expectAlive(bob);
      release();
      const frames = await alice.frames('alice-1');
      assertWellFormed(frames);
      // The upstream's own stop: the answer ran to its end, nobody cancelled it.
      expect(frames.at(-1)?.content).toEqual({});
      expect(framesOf(bob)).toEqual([]);
      await expectAlive(alice);
    });

    it("gives Bob his own stream when he sends a chat_message with Alice's request id", async () => {
      const { upstream, release } = await startEchoUpstream();
      const [urlA, urlB] = await jwtBridge(upstream.url);
      const alice = await connectAs(urlA, 'alice');
      const bob = await connectAs(urlB, 'bob');
      await wsRequest(alice, 'chat_message', { request_id: 'shared-1', current_text: 'a' });
      await alice.inbox.waitFor((m) => m.event === 'chat_response' && m.data.seq === 0);
      const ack = await wsRequest(bob, 'chat_message', {
        request_id: 'shared-1',
        current_text: 'b',
      });
      expect(ack.request_id).toBe('shared-1');
      // Bob's message reached the upstream under his own credentials: a second upstream call.
      const bobRequest = await upstream.request(1);
      expect(bobRequest.headers.authorization).not.toBe(
        (await upstream.request(0)).headers.authorization,
      );
      expect(JSON.parse(bobRequest.body).current_text).toBe('b');
      release();
      const bobFrames = await bob.frames('shared-1');
      const aliceFrames = await alice.frames('shared-1');
      assertWellFormed(bobFrames);
      assertWellFormed(aliceFrames);
      const aliceAuth = (await upstream.request(0)).headers.authorization ?? '';
      expect(aliceAuth).not.toBe('');
      expect(JSON.stringify(bob.inbox.items)).not.toContain(aliceAuth);
      expect(JSON.stringify(alice.inbox.items)).not.toContain(bobRequest.headers.authorization);
      await expectAlive(alice);
      await expectAlive(bob);
    });

    it("cannot pre-claim Alice's next request id", async () => {
      const { upstream, release } = await startEchoUpstream();
      release();
      const [urlA, urlB] = await jwtBridge(upstream.url);
      const alice = await connectAs(urlA, 'alice');
      const bob = await connectAs(urlB, 'bob');
      await wsRequest(bob, 'chat_message', { request_id: 'alice-next', current_text: 'bait' });
      assertWellFormed(await bob.frames('alice-next'));
      await wsRequest(alice, 'chat_message', { request_id: 'alice-next', current_text: 'mine' });
      const frames = await alice.frames('alice-next');
      assertWellFormed(frames);
      // Alice's question reached the upstream, and the answer she got is to her credentials.
      const aliceRequest = await upstream.request(1);
      expect(JSON.parse(aliceRequest.body).current_text).toBe('mine');
      expect(frames[0]?.content).toEqual({ data: `auth:${aliceRequest.headers.authorization}` });
      expect(aliceRequest.headers.authorization).not.toBe(
        (await upstream.request(0)).headers.authorization,
      );
      await expectAlive(bob);
    });

    it('lets the same user resume from another connection without a token', async () => {
      const { upstream, release } = await startEchoUpstream();
      const [urlA, urlB] = await jwtBridge(upstream.url);
      const first = await connectAs(urlA, 'alice');
      await wsRequest(first, 'chat_message', { request_id: 'a-2', current_text: 'x' });
      await first.inbox.waitFor((m) => m.event === 'chat_response' && m.data.seq === 0);
      first.ws.terminate();
      const second = await connectAs(urlB, 'alice');
      expect(await wsRequest(second, 'chat_resume', { request_id: 'a-2', after_seq: 0 })).toEqual({
        request_id: 'a-2',
      });
      release();
      const frames = await second.frames('a-2');
      expect(frames.map((f) => f.seq)).toEqual([1]);
      expect(frames[0]?.type).toBe('stop');
    });

    it("an anonymous client's stream resumes on a new connection only with its resume token", async () => {
      const { upstream, release } = await startEchoUpstream();
      const [urlA, urlB] = await startPair(upstream.url);
      const first = await connectWs(urlA);
      const ack = await wsRequest(first, 'chat_message', {
        request_id: 'anon-1',
        current_text: 'x',
      });
      await first.inbox.waitFor((m) => m.event === 'chat_response' && m.data.seq === 0);
      first.ws.terminate();

      const stranger = await connectWs(urlB);
      const unknown = await wsRequest(stranger, 'chat_resume', { request_id: 'nope-2' });
      const bare = await wsRequest(stranger, 'chat_resume', { request_id: 'anon-1' });
      expect(shape(bare, 'anon-1')).toEqual(shape(unknown, 'nope-2'));
      const wrong = `${'B'.repeat(22)}.${ack.resume_token.split('.')[1]}`;
      const guessed = await wsRequest(stranger, 'chat_resume', {
        request_id: 'anon-1',
        resume_token: wrong,
      });
      expect(shape(guessed, 'anon-1')).toEqual(shape(unknown, 'nope-2'));
      const cancel = await wsRequest(stranger, 'chat_cancel', {
        request_id: 'anon-1',
        resume_token: wrong,
      });
      expect(cancel.error.code).toBe('unknown_request');
      expect(framesOf(stranger)).toEqual([]);

      const second = await connectWs(urlB);
      expect(
        await wsRequest(second, 'chat_resume', {
          request_id: 'anon-1',
          after_seq: -1,
          resume_token: ack.resume_token,
        }),
      ).toEqual({ request_id: 'anon-1' });
      release();
      const frames = await second.frames('anon-1');
      assertWellFormed(frames);
      // The upstream's own stop: the answer ran to its end, nobody cancelled it.
      expect(frames.at(-1)?.content).toEqual({});
      await expectAlive(stranger);
    });
  });
}
