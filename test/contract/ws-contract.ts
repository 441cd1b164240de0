/**
 * The `/ws` client contract, as a suite any runtime can run: pass a function that starts a bridge
 * pointed at an upstream URL (with option overrides) and returns its base URL.
 */
import { describe, expect, it } from 'vitest';
import type { StartBridge } from './start-bridge.ts';
import { onCleanup } from '../helpers/bridge.ts';
import { assertWellFormed, connectWs } from '../helpers/clients.ts';
import { sseBody, sseFrames, startFakeUpstream } from '../helpers/fake-upstream.ts';
import { settlesWithin, startSlowUpstream } from './slow-upstream.ts';

const ANSWER = sseFrames(
  { type: 'agent_status', content: { status: 'running', message: 'Searching…' } },
  { type: 'text', content: { data: 'Hel' } },
  { type: 'text', content: { data: 'lo' } },
  { type: 'stop' },
);

async function answerUpstream() {
  const upstream = await startFakeUpstream(sseBody(ANSWER));
  onCleanup(() => upstream.close());
  return upstream;
}

export function wsContractTests(runtime: string, startBridge: StartBridge): void {
  describe(`/ws contract (${runtime})`, () => {
    it('stamps every server message with timestamp (ms since the epoch); a replayed frame keeps its own', async () => {
      const upstream = await answerUpstream();
      const bridge = await startBridge(upstream.url);
      const before = Date.now();
      const client = await connectWs(bridge.url);
      client.send({ event: 'chat_message', id: 1, data: { current_text: 'hi' } });
      const ack = await client.inbox.waitFor((m) => m.event === 'ack' && m.id === 1);
      const requestId = ack.data.request_id as string;
      await client.frames(requestId);
      client.send({ event: 'ping' });
      client.send({ event: 'ping', id: 2 });
      client.send({ event: 'launch_rockets', id: 3 });
      client.send({ event: 'launch_rockets' });
      client.send('not json');
      client.send({ event: 'join', id: 4, data: { conversation_id: 'stamped' } });
      await client.inbox.waitFor((m) => m.event === 'presence');
      await client.inbox.waitFor((m) => m.id === 4);
      await client.inbox.waitFor((m) => m.event === 'error' && m.id === undefined, 10_000);
      const after = Date.now();
      expect(client.inbox.raw.length).toBeGreaterThanOrEqual(11);
      for (const message of client.inbox.raw) {
        expect(message.data, JSON.stringify(message)).toMatchObject({
          timestamp: expect.any(Number),
        });
        expect(message.data.timestamp).toBeGreaterThanOrEqual(before);
        expect(message.data.timestamp).toBeLessThanOrEqual(after);
      }
      // A resume replays the frames with the times they were numbered at.
      const live = client.inbox.raw.filter((m) => m.event === 'chat_response').map((m) => m.data);
      const again = await connectWs(bridge.url);
      const resume = { request_id: requestId, after_seq: -1, resume_token: ack.data.resume_token };
      again.send({ event: 'chat_resume', id: 9, data: resume });
      await again.frames(requestId);
      const replayed = again.inbox.raw
        .filter((m) => m.event === 'chat_response')
        .map((m) => m.data);
      expect(replayed).toEqual(live);
    });

    it('acks a chat_message with its request_id, then streams numbered frames ending in stop', async () => {
      const upstream = await answerUpstream();
      const bridge = await startBridge(upstream.url);
      const client = await connectWs(bridge.url);
      client.send({ event: 'chat_message', id: 7, data: { current_text: 'hi', history: [] } });
      const ack = await client.inbox.waitFor((m) => m.event === 'ack' && m.id === 7);
      const requestId = ack.data.request_id as string;
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      const frames = await client.frames(requestId);
      assertWellFormed(frames);
      expect(frames.map((f) => f.type)).toEqual(['agent_status', 'text', 'text', 'stop']);
      expect(frames[1]?.content).toEqual({ data: 'Hel' });
      // The ack comes before the first frame.
      const ackIndex = client.inbox.items.indexOf(ack);
      const firstFrame = client.inbox.items.findIndex((m) => m.event === 'chat_response');
      expect(ackIndex).toBeLessThan(firstFrame);
    });

    it('uses the client-given request_id and sends it upstream as X-Request-Id', async () => {
      const upstream = await answerUpstream();
      const bridge = await startBridge(upstream.url);
      const client = await connectWs(bridge.url);
      client.send({ event: 'chat_message', data: { request_id: 'req-42', current_text: 'x' } });
      const frames = await client.frames('req-42');
      assertWellFormed(frames);
      expect(frames.every((f) => f.request_id === 'req-42')).toBe(true);
      const req = await upstream.request(0);
      expect(req.headers['x-request-id']).toBe('req-42');
      expect(JSON.parse(req.body)).toEqual({ request_id: 'req-42', current_text: 'x' });
    });

    it('answers ping with pong, with and without id', async () => {
      const bridge = await startBridge('http://127.0.0.1:9/chat');
      const client = await connectWs(bridge.url);
      client.send({ event: 'ping' });
      await client.inbox.waitFor((m) => m.event === 'pong' && m.id === undefined);
      client.send({ event: 'ping', id: 'p1' });
      await client.inbox.waitFor((m) => m.event === 'pong' && m.id === 'p1');
    });

    it.each([
      ['not JSON', 'hello there', 'bad_message'],
      ['a JSON array', '[1,2]', 'bad_message'],
      ['a JSON string', '"chat_message"', 'bad_message'],
      ['no event', '{"data":{}}', 'bad_message'],
      ['a numeric event', '{"event":5}', 'bad_message'],
      ['an unknown event', '{"event":"launch_rockets"}', 'unknown_event'],
      ['chat_message with array data', '{"event":"chat_message","data":[1]}', 'bad_request'],
      ['chat_message with string data', '{"event":"chat_message","data":"hi"}', 'bad_request'],
      ['chat_message without data', '{"event":"chat_message"}', 'bad_request'],
      [
        'chat_message with a bad request_id',
        '{"event":"chat_message","data":{"request_id":"a\\nb"}}',
        'bad_request',
      ],
      [
        'chat_cancel of an unknown request',
        '{"event":"chat_cancel","data":{"request_id":"nope"}}',
        'unknown_request',
      ],
      ['chat_cancel without request_id', '{"event":"chat_cancel","data":{}}', 'bad_request'],
    ])('answers %s with error %s and stays usable', async (_name, text, code) => {
      const upstream = await answerUpstream();
      const bridge = await startBridge(upstream.url);
      const client = await connectWs(bridge.url);
      client.send(text);
      const error = await client.inbox.waitFor((m) => m.event === 'error');
      expect(error.data.code).toBe(code);
      expect(typeof error.data.message).toBe('string');
      expect(error.id).toBeUndefined();
      // The connection still works.
      client.send({ event: 'chat_message', data: { request_id: 'after' } });
      assertWellFormed(await client.frames('after'));
      expect(upstream.requests).toHaveLength(1);
    });

    it('answers a failing message that carries an id with an error carrying that id, once', async () => {
      const bridge = await startBridge('http://127.0.0.1:9/chat');
      const client = await connectWs(bridge.url);
      client.send({ event: 'nope', id: 'e1' });
      client.send({ event: 'chat_message', id: 2, data: 'text' });
      client.send({ event: 5, id: 3 });
      await client.inbox.waitFor((m) => m.id === 3);
      const byId = (id: unknown) => client.inbox.items.filter((m) => m.id === id);
      expect(byId('e1')).toEqual([
        { event: 'error', id: 'e1', data: expect.objectContaining({ code: 'unknown_event' }) },
      ]);
      expect(byId(2)).toEqual([
        { event: 'error', id: 2, data: expect.objectContaining({ code: 'bad_request' }) },
      ]);
      expect(byId(3)).toEqual([
        { event: 'error', id: 3, data: expect.objectContaining({ code: 'bad_message' }) },
      ]);
    });

    it('closes the connection with 1009 on a message over max-message-bytes', async () => {
      const bridge = await startBridge('http://127.0.0.1:9/chat', { maxMessageBytes: 1024 });
      const client = await connectWs(bridge.url);
      client.send({ event: 'chat_message', data: { current_text: 'x'.repeat(2048) } });
      const closed = await client.closed;
      expect(closed.code).toBe(1009);
    });

    it('runs several streams on one connection independently', async () => {
      const upstream = await startFakeUpstream(async (req, res, recorded) => {
        const body = JSON.parse(recorded.body) as { n: number };
        const frames = Array.from({ length: body.n }, (_, i) => ({
          type: 'text',
          content: { data: `${body.n}:${i}` },
        }));
        await sseBody(sseFrames(...frames, { type: 'stop' }), 5)(req, res, recorded);
      });
      onCleanup(() => upstream.close());
      const bridge = await startBridge(upstream.url);
      const client = await connectWs(bridge.url);
      for (const n of [3, 5, 8])
        client.send({ event: 'chat_message', data: { request_id: `r${n}`, n } });
      for (const n of [3, 5, 8]) {
        const frames = await client.frames(`r${n}`);
        assertWellFormed(frames);
        expect(frames.slice(0, -1).map((f) => f.content.data)).toEqual(
          Array.from({ length: n }, (_, i) => `${n}:${i}`),
        );
      }
    });

    it('chat_cancel aborts the upstream request and ends with stop {reason: cancelled}', async () => {
      const upstream = await startSlowUpstream();
      const bridge = await startBridge(upstream.url);
      const client = await connectWs(bridge.url);
      client.send({ event: 'chat_message', data: { request_id: 'c1' } });
      await client.inbox.waitFor((m) => m.event === 'chat_response' && m.data.seq >= 2);
      client.send({ event: 'chat_cancel', id: 'k', data: { request_id: 'c1' } });
      const ack = await client.inbox.waitFor((m) => m.id === 'k');
      expect(ack).toEqual({ event: 'ack', id: 'k', data: { request_id: 'c1' } });
      const frames = await client.frames('c1');
      assertWellFormed(frames);
      expect(frames.at(-1)?.content).toEqual({ reason: 'cancelled' });
      const req = await upstream.request(0);
      expect(await settlesWithin(req.closed, 1000)).toBe(true);
      // Cancelling again: the request is no longer running.
      client.send({ event: 'chat_cancel', data: { request_id: 'c1' } });
      const error = await client.inbox.waitFor((m) => m.event === 'error');
      expect(error.data.code).toBe('unknown_request');
    });

    it('aborts running upstream requests at once when the client disconnects (grace 0)', async () => {
      const upstream = await startSlowUpstream();
      const bridge = await startBridge(upstream.url, { resumeGraceMs: 0 });
      const client = await connectWs(bridge.url);
      client.send({ event: 'chat_message', data: { request_id: 'd1' } });
      client.send({ event: 'chat_message', data: { request_id: 'd2' } });
      await client.inbox.waitFor((m) => m.event === 'chat_response' && m.data.request_id === 'd2');
      const [r0, r1] = [await upstream.request(0), await upstream.request(1)];
      client.ws.close();
      expect(await settlesWithin(Promise.all([r0.closed, r1.closed]), 1000)).toBe(true);
    });

    it('a failing stream does not disturb another connection', async () => {
      const upstream = await startFakeUpstream(async (req, res, recorded) => {
        if (recorded.body.includes('"fail"')) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('data: {"type":"text","content":{"data":"par');
          setTimeout(() => res.destroy(), 20);
          return;
        }
        await sseBody(ANSWER)(req, res, recorded);
      });
      onCleanup(() => upstream.close());
      const bridge = await startBridge(upstream.url);
      const a = await connectWs(bridge.url);
      const b = await connectWs(bridge.url);
      a.send({ event: 'chat_message', data: { request_id: 'fail', kind: 'fail' } });
      b.send({ event: 'chat_message', data: { request_id: 'ok' } });
      const failed = await a.frames('fail');
      assertWellFormed(failed);
      expect(failed.map((f) => f.type)).toEqual(['error', 'stop']);
      expect(failed[0]?.content.code).toBe('upstream_closed');
      expect(failed[1]?.content).toEqual({ reason: 'error' });
      const ok = await b.frames('ok');
      assertWellFormed(ok);
      expect(ok.map((f) => f.type)).toEqual(['agent_status', 'text', 'text', 'stop']);
      expect(b.inbox.items.some((m) => m.data?.request_id === 'fail')).toBe(false);
    });
  });
}
