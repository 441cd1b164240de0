/**
 * Per-connection limits, for any runtime: running streams per connection and the message rate.
 */
import { describe, expect, it } from 'vitest';

import { assertWellFormed, connectSio, connectWs } from '../helpers/clients.ts';
import { startCountingUpstream } from './counting-upstream.ts';
import { startSlowUpstream } from './slow-upstream.ts';
import type { StartBridge } from './start-bridge.ts';

export function limitsContractTests(runtime: string, startBridge: StartBridge): void {
  describe(`per-connection limits (${runtime})`, () => {
    it('refuses a stream over --max-streams-per-connection with too_many_streams, then admits again', async () => {
      const upstream = await startCountingUpstream(15, 10);
      const bridge = await startBridge(upstream.url, { maxStreamsPerConnection: 2 });
      const client = await connectWs(bridge.url);
      client.send({ event: 'chat_message', id: 1, data: { request_id: 'a' } });
      client.send({ event: 'chat_message', id: 2, data: { request_id: 'b' } });
      client.send({ event: 'chat_message', id: 3, data: { request_id: 'c' } });
      const refused = await client.inbox.waitFor((m) => m.id === 3);
      expect(refused).toMatchObject({ event: 'error', data: { code: 'too_many_streams' } });
      // An idempotent retry of a running stream costs no upstream call: still allowed.
      client.send({ event: 'chat_message', id: 4, data: { request_id: 'a' } });
      expect(await client.inbox.waitFor((m) => m.id === 4)).toMatchObject({ event: 'ack' });
      assertWellFormed(await client.frames('a'));
      assertWellFormed(await client.frames('b'));
      client.send({ event: 'chat_message', id: 5, data: { request_id: 'c' } });
      expect(await client.inbox.waitFor((m) => m.id === 5)).toMatchObject({ event: 'ack' });
      assertWellFormed(await client.frames('c'));
      expect(upstream.requests).toHaveLength(3);
      // Another connection has its own budget.
      const other = await connectSio(bridge.url, { transports: ['websocket'] });
      expect(await other.request('chat_message', { request_id: 'd' })).toEqual({
        request_id: 'd',
        resume_token: expect.any(String),
      });
    });

    it('answers messages over --rate-limit with rate_limited, and closes 1008 when the flood goes on', async () => {
      const upstream = await startSlowUpstream();
      const bridge = await startBridge(upstream.url, { rateLimit: 5, rateLimitBurst: 5 });
      const client = await connectWs(bridge.url);
      for (let i = 0; i < 8; i++) client.send({ event: 'ping', id: i });
      await client.inbox.waitFor((m) => m.id === 7);
      const answers = client.inbox.items.filter((m) => typeof m.id === 'number');
      expect(answers.filter((m) => m.event === 'pong')).toHaveLength(5);
      expect(answers.filter((m) => m.event === 'error').map((m) => m.data.code)).toEqual([
        'rate_limited',
        'rate_limited',
        'rate_limited',
      ]);
      // Tokens flow back: after a pause the client may speak again.
      await new Promise((r) => setTimeout(r, 450));
      client.send({ event: 'ping', id: 'later' });
      expect(await client.inbox.waitFor((m) => m.id === 'later')).toMatchObject({ event: 'pong' });
      // A client that keeps flooding past the burst is cut off.
      for (let i = 0; i < 50; i++) client.send({ event: 'ping' });
      expect((await client.closed).code).toBe(1008);
      // Other connections are unaffected.
      const other = await connectWs(bridge.url);
      other.send({ event: 'ping', id: 'x' });
      expect(await other.inbox.waitFor((m) => m.id === 'x')).toMatchObject({ event: 'pong' });
    });
  });
}
