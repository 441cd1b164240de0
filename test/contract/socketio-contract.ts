/**
 * The Socket.IO client contract, for any runtime. Runtimes without long-polling (Workers) pass
 * `polling: false`: their clients use `transports: ['websocket']`, and a polling attempt must be
 * refused with a message that says so.
 */
import { io } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import type { StartBridge } from './start-bridge.ts';
import { onCleanup } from '../helpers/bridge.ts';
import { assertWellFormed, connectSio } from '../helpers/clients.ts';
import { sseBody, sseFrames, startFakeUpstream } from '../helpers/fake-upstream.ts';
import { settlesWithin, startSlowUpstream } from './slow-upstream.ts';

/** What a runtime's Socket.IO supports. */
export interface SocketIoCapabilities {
  /** HTTP long-polling (socket.io-client's default first transport). */
  polling: boolean;
}

const LEGACY = sseFrames(
  { type: 'agent_status', content: { status: 'running', message: 'Searching…' } },
  { type: 'text', content: { data: 'Hel' } },
  { type: 'text', content: { data: 'lo' } },
  { type: 'stop' },
);

async function legacyUpstream() {
  const upstream = await startFakeUpstream(sseBody(LEGACY));
  onCleanup(() => upstream.close());
  return upstream;
}

export function socketIoContractTests(
  runtime: string,
  startBridge: StartBridge,
  capabilities: SocketIoCapabilities,
): void {
  const defaults = capabilities.polling ? {} : { transports: ['websocket'] };
  const transportCases: Array<[string, string[] | undefined]> = capabilities.polling
    ? [
        ['default transports (polling, then upgrade)', undefined],
        ['websocket only', ['websocket']],
      ]
    : [['websocket only', ['websocket']]];

  describe.each(transportCases)(`Socket.IO (${runtime}) with %s`, (_name, transports) => {
    it('streams a legacy SSE answer as chat_response frames, acked with the request id', async () => {
      const upstream = await legacyUpstream();
      const bridge = await startBridge(upstream.url);
      const client = await connectSio(bridge.url, transports ? { transports } : {});
      const data = { history: [], current_text: 'hi', current_image_paths: [] };
      const ack = await client.request('chat_message', data);
      expect(typeof ack.request_id).toBe('string');
      const frames = await client.frames(ack.request_id);
      assertWellFormed(frames);
      expect(frames.map((f) => [f.type, f.content])).toEqual([
        ['agent_status', { status: 'running', message: 'Searching…' }],
        ['text', { data: 'Hel' }],
        ['text', { data: 'lo' }],
        ['stop', {}],
      ]);
      const req = await upstream.request(0);
      expect(req.method).toBe('POST');
      expect(JSON.parse(req.body)).toEqual(data);
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers.accept).toBe('text/event-stream');
      expect(req.headers['x-request-id']).toBe(ack.request_id);
    });
  });

  describe(`Socket.IO protocol (${runtime})`, () => {
    if (!capabilities.polling) {
      it('refuses long-polling with a 400 whose message names the websocket transport', async () => {
        const { url } = await startBridge('http://127.0.0.1:9/chat');
        const socket = io(url, { reconnection: false, forceNew: true });
        onCleanup(() => {
          socket.close();
        });
        const error = await new Promise<Error & { description?: unknown }>((resolve) =>
          socket.once('connect_error', resolve),
        );
        expect(error.description).toBe(400);
        const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
        expect(res.status).toBe(400);
        const body = (await res.json()) as { message: string };
        expect(body.message).toContain('transports');
        expect(body.message).toContain('websocket');
      });
    }

    it('stamps events and acks with timestamp (ms since the epoch)', async () => {
      const upstream = await legacyUpstream();
      const bridge = await startBridge(upstream.url);
      const before = Date.now();
      const client = await connectSio(bridge.url, { transports: ['websocket'] });
      const ack = await client.socket.timeout(10_000).emitWithAck('chat_message', { q: 1 });
      expect(ack).toEqual({
        request_id: expect.any(String),
        resume_token: expect.any(String),
        timestamp: expect.any(Number),
      });
      await client.frames(ack.request_id);
      const pong = await client.socket.timeout(10_000).emitWithAck('ping');
      expect(pong).toEqual({ timestamp: expect.any(Number) });
      client.socket.emit('bogus_event', {});
      await client.inbox.waitFor((m) => m.event === 'error');
      const after = Date.now();
      for (const { event, args } of client.inbox.raw) {
        expect(args[0], event).toMatchObject({ timestamp: expect.any(Number) });
        expect(args[0].timestamp).toBeGreaterThanOrEqual(before);
        expect(args[0].timestamp).toBeLessThanOrEqual(after);
      }
      expect(ack.timestamp).toBeGreaterThanOrEqual(before);
    });

    it('answers bad input through the ack and an error event, and stays usable', async () => {
      const upstream = await legacyUpstream();
      const bridge = await startBridge(upstream.url);
      const client = await connectSio(bridge.url, { transports: ['websocket'] });
      expect(await client.request('chat_message', 'just text')).toEqual({
        error: { code: 'bad_request', message: expect.any(String), timestamp: expect.any(Number) },
      });
      expect(await client.request('chat_message', [1, 2])).toMatchObject({
        error: { code: 'bad_request' },
      });
      expect(await client.request('fly_away', {})).toMatchObject({
        error: { code: 'unknown_event' },
      });
      expect(await client.request('chat_cancel', { request_id: 'nope' })).toMatchObject({
        error: { code: 'unknown_request' },
      });
      // Without an ack the error arrives as an `error` event.
      client.socket.emit('bogus_event', {});
      await client.inbox.waitFor(
        (m) =>
          m.event === 'error' &&
          m.args[0]?.code === 'unknown_event' &&
          client.inbox.items.filter((i) => i.event === 'error').length >= 5,
      );
      const errors = client.inbox.items
        .filter((m) => m.event === 'error')
        .map((m) => m.args[0].code);
      expect(errors).toEqual([
        'bad_request',
        'bad_request',
        'unknown_event',
        'unknown_request',
        'unknown_event',
      ]);
      const ack = await client.request('chat_message', { current_text: 'still here' });
      assertWellFormed(await client.frames(ack.request_id));
      expect(upstream.requests).toHaveLength(1);
    });

    it('emits chat_message without an ack and still streams', async () => {
      const upstream = await legacyUpstream();
      const bridge = await startBridge(upstream.url);
      const client = await connectSio(bridge.url, defaults);
      client.socket.emit('chat_message', { request_id: 'no-ack', current_text: 'x' });
      const frames = await client.frames('no-ack');
      assertWellFormed(frames);
      expect(frames).toHaveLength(4);
    });

    it('chat_cancel aborts the upstream and ends with stop {reason: cancelled}', async () => {
      const upstream = await startSlowUpstream();
      const bridge = await startBridge(upstream.url);
      const client = await connectSio(bridge.url, defaults);
      const ack = await client.request('chat_message', { current_text: 'long' });
      await client.inbox.waitFor((m) => m.event === 'chat_response' && m.args[0].seq >= 2);
      expect(await client.request('chat_cancel', { request_id: ack.request_id })).toEqual({
        request_id: ack.request_id,
      });
      const frames = await client.frames(ack.request_id);
      assertWellFormed(frames);
      expect(frames.at(-1)?.content).toEqual({ reason: 'cancelled' });
      expect(await settlesWithin((await upstream.request(0)).closed, 1000)).toBe(true);
    });

    it('aborts the upstream request at once when the client disconnects (grace 0)', async () => {
      const upstream = await startSlowUpstream();
      const bridge = await startBridge(upstream.url, { resumeGraceMs: 0 });
      const client = await connectSio(bridge.url, defaults);
      await client.request('chat_message', { current_text: 'long' });
      const req = await upstream.request(0);
      client.socket.disconnect();
      expect(await settlesWithin(req.closed, 1000)).toBe(true);
    });

    it('forwards auth.token as Authorization: Bearer and the configured handshake headers', async () => {
      const upstream = await legacyUpstream();
      const bridge = await startBridge(upstream.url);
      const client = await connectSio(bridge.url, {
        transports: ['websocket'],
        auth: { token: 'tok-123' },
        extraHeaders: { 'accept-language': 'fr-FR', 'x-secret': 'no' },
      });
      const ack = await client.request('chat_message', {});
      await client.frames(ack.request_id);
      const req = await upstream.request(0);
      expect(req.headers.authorization).toBe('Bearer tok-123');
      expect(req.headers['accept-language']).toBe('fr-FR');
      expect(req.headers['x-secret']).toBeUndefined();
    });

    it('uses the heartbeat options for Engine.IO ping/pong and disconnects over maxHttpBufferSize', async () => {
      const bridge = await startBridge('http://127.0.0.1:9/chat', {
        heartbeatIntervalMs: 1234,
        heartbeatTimeoutMs: 4321,
        maxMessageBytes: 1000,
      });
      const client = await connectSio(bridge.url, { transports: ['websocket'] });
      const engine = client.socket.io.engine as unknown as {
        _pingInterval: number;
        _pingTimeout: number;
      };
      expect(engine._pingInterval).toBe(1234);
      expect(engine._pingTimeout).toBe(4321);
      const reason = new Promise<string>((resolve) => client.socket.once('disconnect', resolve));
      client.socket.emit('chat_message', { current_text: 'x'.repeat(5000) });
      expect(await reason).toBe('transport close');
    });
  });
}
