/**
 * Token lifetime (issue 16, item 3), for any runtime: a connection's rights end at its JWT's
 * `exp`. Before, `token_expiring`; a `refresh` with a new token of the same user keeps it open;
 * without one it is closed (`/ws` 1008 `token_expired`, Socket.IO an `error` with that code, then a
 * disconnect), and the streams it owned stay resumable by their owner.
 */
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { assertWellFormed, connectSio, connectWs, wsRequest } from '../helpers/clients.ts';
import { startGatedUpstream } from '../helpers/gated-upstream.ts';
import { OWNERSHIP_SECRET, type StartPair, tokenFor } from './ownership-contract.ts';

/** A token of `sub` that expires in `seconds` (JWT `exp` has whole seconds). */
function expiringToken(sub: string, seconds: number): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
    .sign(new TextEncoder().encode(OWNERSHIP_SECRET));
}

const sleepUntil = (at: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

export function tokenLifetimeContractTests(runtime: string, startPair: StartPair): void {
  describe(`token lifetime (${runtime})`, () => {
    it('warns, then closes an unrefreshed connection with 1008 token_expired; its stream stays resumable', async () => {
      const { upstream, release } = await startGatedUpstream(1, 1);
      const [url] = await startPair(upstream.url, { jwtSecret: OWNERSHIP_SECRET });
      const client = await connectWs(url, { query: `token=${await expiringToken('alice', 2)}` });
      // Workers open the session at the client's first message.
      await wsRequest(client, 'ping', {});
      const warning = await client.inbox.waitFor((m) => m.event === 'token_expiring');
      expect(warning.data.expires_at).toBeGreaterThan(Date.now() - 5_000);
      await wsRequest(client, 'chat_message', { request_id: 'long', current_text: 'x' });
      await client.inbox.waitFor((m) => m.event === 'chat_response');
      expect(await client.closed).toEqual({ code: 1008, reason: 'token_expired' });
      const error = client.inbox.items.find((m) => m.event === 'error');
      expect(error?.data).toMatchObject({ code: 'token_expired' });

      // The owner, with a new token, picks the answer up.
      const again = await connectWs(url, { query: `token=${await tokenFor('alice')}` });
      const resumed = await wsRequest(again, 'chat_resume', { request_id: 'long', after_seq: 0 });
      expect(resumed).toEqual({ request_id: 'long' });
      release();
      const frames = await again.frames('long');
      expect(frames.at(-1)?.type).toBe('stop');
    });

    it('a refresh with a new token of the same user keeps the connection past the old exp', async () => {
      const { upstream, release } = await startGatedUpstream(0, 1);
      release();
      const [url] = await startPair(upstream.url, { jwtSecret: OWNERSHIP_SECRET });
      const oldExp = Date.now() + 2_000;
      const client = await connectWs(url, { query: `token=${await expiringToken('alice', 2)}` });
      await wsRequest(client, 'ping', {});
      await client.inbox.waitFor((m) => m.event === 'token_expiring');
      // Another user's token is refused; the connection carries on.
      const stolen = await wsRequest(client, 'refresh', { token: await tokenFor('bob') });
      expect(stolen.error.code).toBe('unauthorized');
      const garbage = await wsRequest(client, 'refresh', { token: 'not-a-jwt' });
      expect(garbage.error.code).toBe('unauthorized');
      const refreshed = await wsRequest(client, 'refresh', { token: await tokenFor('alice') });
      expect(refreshed.expires_at).toBeGreaterThan(Date.now() + 60_000);
      await sleepUntil(oldExp + 1_000);
      await wsRequest(client, 'chat_message', { request_id: 'after', current_text: 'x' });
      assertWellFormed(await client.frames('after'));
    });

    it('Socket.IO: an error with code token_expired, then a disconnect', async () => {
      const [url] = await startPair('http://127.0.0.1:9/chat', { jwtSecret: OWNERSHIP_SECRET });
      const client = await connectSio(url, {
        transports: ['websocket'],
        auth: { token: await expiringToken('alice', 2) },
      });
      const reason = new Promise<string>((resolve) =>
        client.socket.on('disconnect', (r) => resolve(r)),
      );
      await client.request('ping');
      // Node's Socket.IO sends a DISCONNECT packet; Workers close the socket (1008 token_expired).
      expect(['io server disconnect', 'transport close']).toContain(await reason);
      const events = client.inbox.items.map((m) => m.event);
      expect(events).toContain('token_expiring');
      const error = client.inbox.items.find((m) => m.event === 'error');
      expect(error?.args[0]).toMatchObject({ code: 'token_expired' });
    });

    it('never acks a message on a connection whose token already expired', async () => {
      const { upstream } = await startGatedUpstream(1, 1);
      const [url] = await startPair(upstream.url, { jwtSecret: OWNERSHIP_SECRET });
      // Expired 3 s ago: within the 5 s clock tolerance of the connect check, past its exp.
      const client = await connectWs(url, { query: `token=${await expiringToken('alice', -3)}` });
      client.send({ event: 'chat_message', id: 'late', data: { current_text: 'x' } });
      expect(await client.closed).toEqual({ code: 1008, reason: 'token_expired' });
      expect(client.inbox.items.filter((m) => m.id === 'late' && m.event === 'ack')).toEqual([]);
      expect(upstream.requests).toEqual([]);
    });

    it('--jwt-require-exp refuses tokens without exp; without it they are admitted', async () => {
      const noExp = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('alice')
        .sign(new TextEncoder().encode(OWNERSHIP_SECRET));
      const [strict] = await startPair('http://127.0.0.1:9/chat', {
        jwtSecret: OWNERSHIP_SECRET,
        jwtRequireExp: true,
      });
      await expect(connectWs(strict, { query: `token=${noExp}` })).rejects.toThrow(/401/);
      await connectWs(strict, { query: `token=${await tokenFor('alice')}` });
      const [lenient] = await startPair('http://127.0.0.1:9/chat', { jwtSecret: OWNERSHIP_SECRET });
      await connectWs(lenient, { query: `token=${noExp}` });
    });
  });
}
