/**
 * Resume, idempotency and conversations, for any runtime: the behaviour suite of the
 * streams-outlive-sockets issue. Clients are real socket.io-client and ws sockets.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StartBridge } from './start-bridge.ts';
import {
  type ChatResponse,
  connectSio,
  connectWs,
  type SioClient,
  type WsClient,
} from '../helpers/clients.ts';
import { sleep } from '../helpers/fake-upstream.ts';
import { expectedFrames, startCountingUpstream } from './counting-upstream.ts';
import { settlesWithin, startSlowUpstream } from './slow-upstream.ts';

/** One client of either kind, behind one small interface. */
interface AnyClient {
  kind: 'socketio' | 'ws';
  request(event: string, data: unknown): Promise<any>;
  received(requestId: string): ChatResponse[];
  events(name: string): any[];
  frames(requestId: string): Promise<ChatResponse[]>;
  waitFrame(requestId: string, minSeq: number): Promise<void>;
  waitEvent(name: string, match: (data: any) => boolean): Promise<any>;
  drop(): void;
}

let nextId = 1;

/**
 * The resume tokens chat_message acks gave, by request id: as the client SDK does, every later
 * chat_resume / chat_cancel of that id presents it (streams of anonymous clients belong to the
 * connection that started them; the token is what lets another connection follow them).
 */
const resumeTokens = new Map<string, string>();

/** Send through `send`, keeping and presenting resume tokens; acks come back without them. */
async function withResumeTokens(
  event: string,
  data: any,
  send: (event: string, data: unknown) => Promise<any>,
): Promise<any> {
  const token = resumeTokens.get(data?.request_id);
  const sent =
    (event === 'chat_resume' || event === 'chat_cancel') && token !== undefined
      ? { resume_token: token, ...data }
      : data;
  const answer = await send(event, sent);
  if (event !== 'chat_message' || answer?.error !== undefined) return answer;
  const { resume_token: given, ...ack } = answer;
  // An attach to a running stream (an idempotent re-send) is acked without a new token.
  if (typeof given === 'string') resumeTokens.set(ack.request_id, given);
  return ack;
}

function fromWs(client: WsClient): AnyClient {
  return {
    kind: 'ws',
    request: (event, data) =>
      withResumeTokens(event, data, async (event, data) => {
        const id = nextId++;
        client.send({ event, data, id });
        const answer = await client.inbox.waitFor(
          (m) => m.id === id && m.event !== 'chat_response',
        );
        return answer.event === 'error' ? { error: answer.data } : answer.data;
      }),
    received: (requestId) =>
      client.inbox.items
        .filter((m) => m.event === 'chat_response' && m.data.request_id === requestId)
        .map((m) => m.data),
    events: (name) => client.inbox.items.filter((m) => m.event === name).map((m) => m.data),
    frames: (requestId) => client.frames(requestId),
    async waitFrame(requestId, minSeq) {
      await client.inbox.waitFor(
        (m) =>
          m.event === 'chat_response' && m.data.request_id === requestId && m.data.seq >= minSeq,
      );
    },
    waitEvent: (name, match) =>
      client.inbox.waitFor((m) => m.event === name && match(m.data)).then((m) => m.data),
    drop: () => client.ws.terminate(),
  };
}

function fromSio(client: SioClient): AnyClient {
  return {
    kind: 'socketio',
    request: (event, data) => withResumeTokens(event, data, client.request),
    received: (requestId) =>
      client.inbox.items
        .filter((m) => m.event === 'chat_response' && m.args[0].request_id === requestId)
        .map((m) => m.args[0]),
    events: (name) => client.inbox.items.filter((m) => m.event === name).map((m) => m.args[0]),
    frames: (requestId) => client.frames(requestId),
    async waitFrame(requestId, minSeq) {
      await client.inbox.waitFor(
        (m) =>
          m.event === 'chat_response' &&
          m.args[0].request_id === requestId &&
          m.args[0].seq >= minSeq,
      );
    },
    waitEvent: (name, match) =>
      client.inbox.waitFor((m) => m.event === name && match(m.args[0])).then((m) => m.args[0]),
    drop: () => client.socket.disconnect(),
  };
}

const CONNECT = {
  socketio: async (url: string) => fromSio(await connectSio(url, { transports: ['websocket'] })),
  ws: async (url: string) => fromWs(await connectWs(url)),
};

export function resumeContractTests(runtime: string, startBridge: StartBridge): void {
  describe.each(['socketio', 'ws'] as const)(`resume over %s (${runtime})`, (kind) => {
    const connect = CONNECT[kind];

    it('a dropped socket reconnects, resumes, and reassembles the uninterrupted run exactly', async () => {
      const upstream = await startCountingUpstream(30, 10);
      const bridge = await startBridge(upstream.url);
      const first = await connect(bridge.url);
      const ack = await first.request('chat_message', { request_id: 'r1', current_text: 'hi' });
      expect(ack).toEqual({ request_id: 'r1' });
      await first.waitFrame('r1', 8);
      first.drop();
      const before = first.received('r1');
      await sleep(60); // frames keep coming upstream while nobody listens
      const second = await connect(bridge.url);
      const lastSeq = before.at(-1)?.seq ?? -1;
      expect(await second.request('chat_resume', { request_id: 'r1', after_seq: lastSeq })).toEqual(
        {
          request_id: 'r1',
        },
      );
      const after = await second.frames('r1');
      expect([...before, ...after]).toEqual(expectedFrames(30, 'r1'));
      expect(upstream.requests).toHaveLength(1);
    });

    it('random disconnect and reconnect points always reassemble exactly (property)', async () => {
      const upstream = await startCountingUpstream(24, 4);
      const bridge = await startBridge(upstream.url);
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              afterFrames: fc.integer({ min: 0, max: 23 }),
              pauseMs: fc.integer({ min: 0, max: 25 }),
            }),
            {
              minLength: 1,
              maxLength: 3,
            },
          ),
          async (cuts) => {
            const requestId = `prop-${run++}`;
            const got: ChatResponse[] = [];
            let client = await connect(bridge.url);
            await client.request('chat_message', { request_id: requestId });
            for (const cut of [...cuts].sort((a, b) => a.afterFrames - b.afterFrames)) {
              const last = got.at(-1)?.seq ?? -1;
              if (cut.afterFrames > last)
                await client.waitFrame(requestId, cut.afterFrames).catch(() => {});
              got.push(
                ...client.received(requestId).filter((f) => f.seq > (got.at(-1)?.seq ?? -1)),
              );
              if (got.at(-1)?.type === 'stop') break;
              client.drop();
              await sleep(cut.pauseMs);
              client = await connect(bridge.url);
              const after = got.at(-1)?.seq ?? -1;
              const ack = await client.request('chat_resume', {
                request_id: requestId,
                after_seq: after,
              });
              expect(ack).toEqual({ request_id: requestId });
            }
            if (got.at(-1)?.type !== 'stop') {
              const rest = await client.frames(requestId);
              got.push(...rest);
            }
            expect(got).toEqual(expectedFrames(24, requestId));
            client.drop();
          },
        ),
        { numRuns: 8 },
      );
      expect(upstream.requests).toHaveLength(run);
    });

    it('aborts the upstream when nobody resumes within the grace period', async () => {
      const upstream = await startSlowUpstream(10);
      const bridge = await startBridge(upstream.url, { resumeGraceMs: 150 });
      const client = await connect(bridge.url);
      await client.request('chat_message', { request_id: 'g1' });
      await client.waitFrame('g1', 1);
      const req = await upstream.request(0);
      client.drop();
      await sleep(50);
      expect(req.isClosed()).toBe(false); // still running inside the grace period
      expect(await settlesWithin(req.closed, 5000)).toBe(true);
      // The abandoned stream is still retained: a late resume gets its end.
      const late = await connect(bridge.url);
      await late.request('chat_resume', { request_id: 'g1', after_seq: 0 });
      const frames = await late.frames('g1');
      expect(frames.at(-1)).toMatchObject({ type: 'stop', content: { reason: 'abandoned' } });
    });

    it('a resume inside the grace period keeps the upstream running', async () => {
      const upstream = await startCountingUpstream(20, 15);
      const bridge = await startBridge(upstream.url, { resumeGraceMs: 100 });
      const client = await connect(bridge.url);
      await client.request('chat_message', { request_id: 'g2' });
      await client.waitFrame('g2', 1);
      client.drop();
      const again = await connect(bridge.url);
      await again.request('chat_resume', { request_id: 'g2', after_seq: 1 });
      await sleep(250); // longer than the grace period
      const frames = await again.frames('g2');
      expect(frames.at(-1)).toEqual({ type: 'stop', content: {}, request_id: 'g2', seq: 20 });
    });

    it('gives resume_unavailable for an unknown id and after the retention period', async () => {
      const upstream = await startCountingUpstream(3, 1);
      const bridge = await startBridge(upstream.url, { resumeRetentionMs: 150 });
      const client = await connect(bridge.url);
      const unknown = await client.request('chat_resume', { request_id: 'nope', after_seq: -1 });
      expect(unknown.error.code).toBe('resume_unavailable');
      await client.request('chat_message', { request_id: 'ret' });
      await client.frames('ret');
      // Within retention, a finished stream replays in full.
      const other = await connect(bridge.url);
      await other.request('chat_resume', { request_id: 'ret', after_seq: -1 });
      expect(await other.frames('ret')).toEqual(expectedFrames(3, 'ret'));
      await sleep(400);
      const expired = await client.request('chat_resume', { request_id: 'ret', after_seq: 1 });
      expect(expired.error.code).toBe('resume_unavailable');
    });

    it('calls the upstream once for a repeated request_id; after a reconnect its token attaches', async () => {
      const upstream = await startCountingUpstream(10, 10);
      const bridge = await startBridge(upstream.url);
      const client = await connect(bridge.url);
      const data = { request_id: 'same', current_text: 'costly' };
      expect(await client.request('chat_message', data)).toEqual({
        request_id: 'same',
      });
      expect(await client.request('chat_message', data)).toEqual({
        request_id: 'same',
      });
      await client.waitFrame('same', 3);
      client.drop();
      // Another connection of an anonymous client is another owner: it follows with the token.
      const again = await connect(bridge.url);
      expect(await again.request('chat_resume', { request_id: 'same' })).toEqual({
        request_id: 'same',
      });
      // Attached from the first frame, as a resume with after_seq -1.
      expect(await again.frames('same')).toEqual(expectedFrames(10, 'same'));
      expect(upstream.requests).toHaveLength(1);
      // The first socket received each frame once although it asked twice.
      const firstGot = client.received('same');
      expect(new Set(firstGot.map((f) => f.seq)).size).toBe(firstGot.length);
    });

    it('buffers at most resume-buffer-bytes and reports the first seq still held', async () => {
      const upstream = await startCountingUpstream(400, 0);
      const bridge = await startBridge(upstream.url, { resumeBufferBytes: 2000 });
      const client = await connect(bridge.url);
      await client.request('chat_message', { request_id: 'big' });
      client.drop(); // nobody receives: every frame goes to the buffer only
      await sleep(300);
      const again = await connect(bridge.url);
      const truncated = await again.request('chat_resume', { request_id: 'big', after_seq: -1 });
      expect(truncated.error.code).toBe('resume_unavailable');
      const firstSeq = truncated.error.first_seq as number;
      expect(firstSeq).toBeGreaterThan(300);
      await again.request('chat_resume', { request_id: 'big', after_seq: firstSeq - 1 });
      const frames = await again.frames('big');
      const held = JSON.stringify(frames).length;
      expect(held).toBeLessThanOrEqual(2000 + 200);
      expect(frames.map((f) => f.seq)).toEqual(
        Array.from({ length: 401 - firstSeq }, (_, i) => firstSeq + i),
      );
    });
  });

  describe(`conversations (${runtime})`, () => {
    it('a Socket.IO and a /ws member both get every frame once, user_message and presence; after leave nothing more', async () => {
      const upstream = await startCountingUpstream(6, 5);
      const bridge = await startBridge(upstream.url);
      const sio = await CONNECT.socketio(bridge.url);
      const ws = await CONNECT.ws(bridge.url);
      expect(await ws.request('join', { conversation_id: 'room-1' })).toEqual({
        conversation_id: 'room-1',
        clients: 1,
        users: [],
      });
      // Sending with a conversation id (alias consultationId) joins the sender.
      const data = { request_id: 'c1', consultationId: 'room-1', current_text: 'question' };
      expect(await sio.request('chat_message', data)).toEqual({
        request_id: 'c1',
      });
      expect(await sio.frames('c1')).toEqual(expectedFrames(6, 'c1'));
      expect(await ws.frames('c1')).toEqual(expectedFrames(6, 'c1'));
      expect(ws.events('user_message')).toEqual([
        { conversation_id: 'room-1', request_id: 'c1', data },
      ]);
      expect(sio.events('user_message')).toEqual([]);
      await ws.waitEvent('presence', (p) => p.clients === 2);
      expect(ws.events('presence')).toEqual([
        { conversation_id: 'room-1', clients: 1, users: [] },
        { conversation_id: 'room-1', clients: 2, users: [] },
      ]);
      expect(sio.events('presence')).toEqual([
        { conversation_id: 'room-1', clients: 2, users: [] },
      ]);

      expect(await ws.request('leave', { conversation_id: 'room-1' })).toEqual({
        conversation_id: 'room-1',
        clients: 1,
        users: [],
      });
      await sio.waitEvent('presence', (p) => p.clients === 1);
      await sio.request('chat_message', { request_id: 'c2', conversation_id: 'room-1' });
      await sio.frames('c2');
      expect(ws.received('c2')).toEqual([]);
      expect(ws.events('user_message')).toHaveLength(1);
      expect(upstream.requests).toHaveLength(2);
    });

    it('a member that drops out updates presence, and its stream continues for the others', async () => {
      const upstream = await startCountingUpstream(12, 10);
      const bridge = await startBridge(upstream.url, { resumeGraceMs: 0 });
      const a = await CONNECT.ws(bridge.url);
      const b = await CONNECT.socketio(bridge.url);
      await b.request('join', { conversation_id: 'room-2' });
      await a.request('chat_message', { request_id: 'd1', sessionId: 'room-2' });
      await a.waitFrame('d1', 2);
      a.drop();
      await b.waitEvent('presence', (p) => p.clients === 1);
      // Another member still receives it, so the grace period (0 here) never started.
      const frames = await b.frames('d1');
      expect(frames.at(-1)).toEqual({ type: 'stop', content: {}, request_id: 'd1', seq: 12 });
    });

    it('rejects bad conversation ids and resume data with bad_request', async () => {
      const bridge = await startBridge('http://127.0.0.1:9/chat');
      const client = await CONNECT.ws(bridge.url);
      expect((await client.request('join', {})).error.code).toBe('bad_request');
      expect((await client.request('join', { conversation_id: 'a b' })).error.code).toBe(
        'bad_request',
      );
      expect(
        (await client.request('chat_resume', { request_id: 'x', after_seq: 'one' })).error.code,
      ).toBe('bad_request');
      expect((await client.request('chat_resume', { after_seq: 1 })).error.code).toBe(
        'bad_request',
      );
    });
  });
}
