/**
 * Client profiles end to end: each vocabulary driven by real socket.io-client (and `/ws`) against
 * a real bridge and a fake SSE upstream; resume and cancel under a non-default profile; a custom
 * profile from a config file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { startNodeServer } from '../../src/node/server.ts';
import { startCountingUpstream } from '../contract/counting-upstream.ts';
import { OWNERSHIP_SECRET, tokenFor } from '../contract/ownership-contract.ts';
import { onCleanup, startBridge, testOptions } from '../helpers/bridge.ts';
import { connectSio, connectWs, type SioClient } from '../helpers/clients.ts';
import {
  type FakeUpstream,
  sseBody,
  sseFrames,
  startFakeUpstream,
} from '../helpers/fake-upstream.ts';

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** An upstream answering "Hello, world" in three deltas, with a tool call between. */
async function startAnswerUpstream(): Promise<FakeUpstream> {
  const upstream = await startFakeUpstream(
    sseBody(
      sseFrames(
        { type: 'agent_status', content: { status: 'thinking', message: '…' } },
        { type: 'text', content: { data: 'Hello' } },
        { type: 'tool_call', content: { name: 'lookup', args: { q: 'x' } } },
        { type: 'tool_result', content: { name: 'lookup', result: 42 } },
        { type: 'text', content: { data: ', ' } },
        { type: 'text', content: { data: 'world' } },
      ) + 'data: [DONE]\n\n',
    ),
  );
  onCleanup(() => upstream.close());
  return upstream;
}

/** An upstream that sends one text frame, then resets the connection mid-answer. */
async function startDyingUpstream(): Promise<FakeUpstream> {
  const upstream = await startFakeUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(sseFrames({ type: 'text', content: { data: 'partial answer' } }));
    setTimeout(() => res.socket?.destroy(), 50);
  });
  onCleanup(() => upstream.close());
  return upstream;
}

/** Wait until everything the bridge sent before now has reached `client` (a ping round trip). */
async function barrier(client: SioClient): Promise<void> {
  await client.request('ping', {});
}

/** The events of `client` named `event`, as their first argument. */
const argsOf = (client: SioClient, event: string): any[] =>
  client.inbox.items.filter((m) => m.event === event).map((m) => m.args[0]);

/** The inbox's event names, without the ones in `except`. */
const namesOf = (client: SioClient, except: string[] = []): string[] =>
  client.inbox.items.map((m) => m.event).filter((e) => !except.includes(e));

describe('profile default', () => {
  it('keeps the core vocabulary: chat_message in, chat_response out', async () => {
    const upstream = await startAnswerUpstream();
    const bridge = await startBridge(upstream.url);
    expect(bridge.bridge.profile.name).toBe('default');
    const client = await connectSio(bridge.url);
    const ack = await client.request('chat_message', { current_text: 'hi' });
    const frames = await client.frames(ack.request_id);
    expect(frames.map((f) => f.type)).toEqual([
      'agent_status',
      'text',
      'tool_call',
      'tool_result',
      'text',
      'text',
      'stop',
    ]);
  });
});

describe('profile socket-module', () => {
  it('answers chat_request with chat_stream deltas, tools, chat_stream_end and a notification', async () => {
    const upstream = await startAnswerUpstream();
    const bridge = await startBridge(upstream.url, { profile: 'socket-module' });
    const client = await connectSio(bridge.url);
    const data = { current_text: 'hi', conversation_id: 'conv-1' };
    const ack = await client.request('chat_request', data);
    const messageId = ack.request_id as string;
    expect(typeof messageId).toBe('string');
    await client.inbox.waitFor((m) => m.event === 'notification', 10_000, 'notification');

    expect(JSON.parse((await upstream.request(0)).body)).toEqual(data);
    expect(namesOf(client, ['presence'])).toEqual([
      'chat_stream',
      'tool_call',
      'tool_result',
      'chat_stream',
      'chat_stream',
      'chat_stream_end',
      'notification',
    ]);
    expect(argsOf(client, 'chat_stream')).toEqual([
      { text: 'Hello', index: 0 },
      { text: ', ', index: 1 },
      { text: 'world', index: 2 },
    ]);
    expect(argsOf(client, 'tool_call')).toEqual([{ name: 'lookup', args: { q: 'x' } }]);
    expect(argsOf(client, 'tool_result')).toEqual([{ name: 'lookup', result: 42 }]);
    expect(argsOf(client, 'chat_stream_end')).toEqual([{ conversationId: 'conv-1', messageId }]);
    expect(argsOf(client, 'notification')).toEqual([
      {
        type: 'chat_complete',
        title: expect.any(String),
        message: expect.any(String),
        conversationId: 'conv-1',
        messageId,
      },
    ]);
  });

  // Issue 15: a failed answer was reported as completed (error, then chat_stream_end and a
  // chat_complete notification).
  it('ends a refused answer with error {code, message} only: no chat_stream_end, no notification', async () => {
    const upstream = await startFakeUpstream((_req, res) => {
      res.writeHead(503).end('down');
    });
    onCleanup(() => upstream.close());
    const bridge = await startBridge(upstream.url, { profile: 'socket-module' });
    const client = await connectSio(bridge.url);
    // No ack asked for: the conversation id is learned from the ack the layer asks for itself.
    client.socket.emit('chat_request', { current_text: 'hi', conversation_id: 'conv-2' });
    await client.inbox.waitFor((m) => m.event === 'error');
    await barrier(client);
    expect(argsOf(client, 'error')).toEqual([
      { code: 'upstream_status', message: expect.any(String) },
    ]);
    expect(namesOf(client, ['presence'])).toEqual(['error']);
  });

  it('ends an answer that dies mid-stream with error only, after the deltas', async () => {
    const upstream = await startDyingUpstream();
    const bridge = await startBridge(upstream.url, { profile: 'socket-module' });
    const client = await connectSio(bridge.url);
    await client.request('chat_request', { current_text: 'hi', conversationId: 'conv-3' });
    await client.inbox.waitFor((m) => m.event === 'error');
    await barrier(client);
    expect(namesOf(client, ['presence'])).toEqual(['chat_stream', 'error']);
    expect(argsOf(client, 'error')).toEqual([
      { code: 'upstream_closed', message: expect.any(String) },
    ]);
  });

  it('ends a cancelled answer with error {code: cancelled} only', async () => {
    const upstream = await startCountingUpstream(100, 50);
    const bridge = await startBridge(upstream.url, { profile: 'socket-module' });
    const client = await connectSio(bridge.url);
    const { request_id: requestId } = await client.request('chat_request', { current_text: 'x' });
    await client.inbox.waitFor((m) => m.event === 'chat_stream');
    await client.request('chat_cancel', { request_id: requestId });
    await client.inbox.waitFor((m) => m.event === 'error');
    await barrier(client);
    expect(argsOf(client, 'error')).toEqual([{ code: 'cancelled', message: expect.any(String) }]);
    expect(namesOf(client, ['presence', 'chat_stream'])).toEqual(['error']);
  });

  // Issue 15: conversationId (what socket-module clients send) was not a conversation key.
  it("takes conversationId: chat_stream_end names it and the sender's other tab sees the answer", async () => {
    const upstream = await startAnswerUpstream();
    const bridge = await startBridge(upstream.url, { profile: 'socket-module' });
    const tab1 = await connectSio(bridge.url);
    const tab2 = await connectSio(bridge.url);
    expect(await tab2.request('join', { conversationId: 'conv-9' })).toMatchObject({
      conversation_id: 'conv-9',
    });
    const ack = await tab1.request('chat_request', { message: 'hi', conversationId: 'conv-9' });
    for (const tab of [tab1, tab2]) {
      const end = await tab.inbox.waitFor((m) => m.event === 'chat_stream_end');
      expect(end.args[0]).toEqual({ conversationId: 'conv-9', messageId: ack.request_id });
      expect(argsOf(tab, 'chat_stream').map((c) => c.text)).toEqual(['Hello', ', ', 'world']);
    }
    const [notification] = argsOf(tab1, 'notification');
    expect(notification).toMatchObject({ type: 'chat_complete', conversationId: 'conv-9' });
  });

  it('keeps chat_resume: a new connection replays the answer from its start, in the profile', async () => {
    const upstream = await startCountingUpstream(6, 60);
    const bridge = await startBridge(upstream.url, { profile: 'socket-module' });
    const first = await connectSio(bridge.url);
    const started = await first.request('chat_request', { current_text: 'hi' });
    const { request_id: requestId, resume_token: resumeToken } = started;
    expect(resumeToken).toEqual(expect.any(String));
    await first.inbox.waitFor((m) => m.event === 'chat_stream' && m.args[0].index === 1);
    first.socket.close();

    const second = await connectSio(bridge.url);
    const ack = await second.request('chat_resume', {
      request_id: requestId,
      after_seq: -1,
      resume_token: resumeToken,
    });
    expect(ack).toEqual({ request_id: requestId });
    const end = await second.inbox.waitFor((m) => m.event === 'chat_stream_end');
    expect(end.args[0]).toEqual({ messageId: requestId });
    expect(argsOf(second, 'chat_stream')).toEqual(
      Array.from({ length: 6 }, (_, i) => ({ text: `f${i}`, index: i })),
    );
    expect(upstream.requests).toHaveLength(1);
  });
});

describe('profile consultation', () => {
  it('serves namespace /chat: rooms, userMessage, aiThinking, aiChunk… isComplete, aiMessage', async () => {
    const upstream = await startAnswerUpstream();
    const bridge = await startBridge(upstream.url, { profile: 'consultation' });
    const alice = await connectSio(`${bridge.url}/chat`);
    const bob = await connectSio(`${bridge.url}/chat`, { transports: ['websocket'] });
    for (const member of [alice, bob]) {
      const joined = await member.request('joinConsultation', { consultationId: 'c-1' });
      expect(joined.conversation_id).toBe('c-1');
    }
    const message = { consultationId: 'c-1', content: 'Hi doctor', userId: 'u-1', tenantId: 't-1' };
    const ack = await alice.request('sendMessage', message);
    expect(typeof ack.request_id).toBe('string');
    expect(JSON.parse((await upstream.request(0)).body)).toEqual(message);

    for (const member of [alice, bob]) {
      await member.inbox.waitFor((m) => m.event === 'aiMessage', 10_000, 'aiMessage');
      expect(namesOf(member, ['presence', 'userMessage'])).toEqual([
        'aiThinking',
        'aiChunk',
        'aiChunk',
        'aiChunk',
        'aiChunk',
        'aiMessage',
      ]);
      expect(argsOf(member, 'aiThinking')).toEqual([{ status: 'processing' }]);
      expect(argsOf(member, 'aiChunk')).toEqual([
        { content: 'Hello', isComplete: false },
        { content: ', ', isComplete: false },
        { content: 'world', isComplete: false },
        { content: '', isComplete: true },
      ]);
      const [aiMessage] = argsOf(member, 'aiMessage');
      expect(aiMessage).toEqual({ content: 'Hello, world', timestamp: expect.any(String) });
      expect(aiMessage.timestamp).toMatch(ISO_TIME);
    }
    // The question reaches the other member only.
    const [userMessage] = argsOf(bob, 'userMessage');
    expect(userMessage).toEqual({
      content: 'Hi doctor',
      userId: 'u-1',
      timestamp: expect.any(String),
    });
    expect(userMessage.timestamp).toMatch(ISO_TIME);
    expect(argsOf(alice, 'userMessage')).toEqual([]);

    const left = await bob.request('leaveConsultation', { consultationId: 'c-1' });
    expect(left).toEqual({ conversation_id: 'c-1', clients: 1, users: [] });
  });

  it('refuses the root namespace, naming the one it serves', async () => {
    const upstream = await startAnswerUpstream();
    const bridge = await startBridge(upstream.url, { profile: 'consultation' });
    const socket = io(bridge.url, { reconnection: false, forceNew: true });
    onCleanup(() => {
      socket.close();
    });
    const error = await new Promise<Error & { data?: any }>((resolve) =>
      socket.once('connect_error', resolve),
    );
    expect(error.data?.code).toBe('bad_request');
    expect(error.message).toContain('/chat');
  });

  it('warns of token expiry as tokenExpiring and takes refreshToken (issue 16)', async () => {
    const upstream = await startAnswerUpstream();
    const bridge = await startBridge(upstream.url, {
      profile: 'consultation',
      jwtSecret: OWNERSHIP_SECRET,
    });
    const soon = Math.floor(Date.now() / 1000) + 2;
    const token = await tokenFor('alice', { exp: soon });
    const client = await connectSio(`${bridge.url}/chat`, { auth: { token } });
    const warning = await client.inbox.waitFor((m) => m.event === 'tokenExpiring');
    expect(warning.args[0]).toEqual({ expiresAt: soon * 1000 });
    const refreshed = await client.request('refreshToken', { token: await tokenFor('alice') });
    expect(refreshed.expires_at).toBeGreaterThan(soon * 1000);
  });

  it('sends errors as error {message}', async () => {
    const upstream = await startAnswerUpstream();
    const bridge = await startBridge(upstream.url, { profile: 'consultation' });
    const client = await connectSio(`${bridge.url}/chat`);
    client.socket.emit('joinConsultation', {});
    const error = await client.inbox.waitFor((m) => m.event === 'error');
    expect(error.args[0]).toEqual({ message: 'conversation_id is required', code: 'bad_request' });
  });

  // Issue 15: a cancelled or failed answer ended with aiChunk {isComplete: true} and an aiMessage
  // holding the truncated text, presented as the final answer.
  it('keeps chat_cancel: the answer ends with error {code: cancelled}, no aiMessage', async () => {
    const upstream = await startCountingUpstream(100, 50);
    const bridge = await startBridge(upstream.url, { profile: 'consultation' });
    const client = await connectSio(`${bridge.url}/chat`);
    const { request_id: requestId } = await client.request('sendMessage', {
      consultationId: 'c-2',
      content: 'long answer please',
    });
    await client.inbox.waitFor((m) => m.event === 'aiChunk');
    expect(await client.request('chat_cancel', { request_id: requestId })).toEqual({
      request_id: requestId,
    });
    const [error] = await Promise.all([
      client.inbox.waitFor((m) => m.event === 'error'),
      (await upstream.request(0)).closed,
    ]);
    await barrier(client);
    expect(error.args[0]).toEqual({ code: 'cancelled', message: expect.any(String) });
    const chunks = argsOf(client, 'aiChunk');
    expect(chunks.length).toBeLessThan(100);
    expect(chunks.every((c) => c.isComplete === false)).toBe(true);
    expect(argsOf(client, 'aiMessage')).toEqual([]);
  });

  it('an answer that dies mid-stream ends with error {message, code} only', async () => {
    const upstream = await startDyingUpstream();
    const bridge = await startBridge(upstream.url, { profile: 'consultation' });
    const client = await connectSio(`${bridge.url}/chat`);
    await client.request('sendMessage', { consultationId: 'c-4', content: 'hi' });
    await client.inbox.waitFor((m) => m.event === 'error');
    await barrier(client);
    expect(namesOf(client, ['presence'])).toEqual(['aiThinking', 'aiChunk', 'error']);
    expect(argsOf(client, 'aiChunk')).toEqual([{ content: 'partial answer', isComplete: false }]);
    expect(argsOf(client, 'error')).toEqual([
      { code: 'upstream_closed', message: expect.any(String) },
    ]);
  });

  it('a refused upstream connection ends with error only, never an empty aiMessage', async () => {
    const bridge = await startBridge('http://127.0.0.1:9/chat', { profile: 'consultation' });
    const client = await connectSio(`${bridge.url}/chat`);
    await client.request('sendMessage', { consultationId: 'c-5', content: 'hi' });
    await client.inbox.waitFor((m) => m.event === 'error');
    await barrier(client);
    expect(namesOf(client, ['presence'])).toEqual(['aiThinking', 'error']);
    expect(argsOf(client, 'error')).toEqual([
      { code: 'upstream_unavailable', message: expect.any(String) },
    ]);
  });

  it('speaks the same events on /ws', async () => {
    const upstream = await startAnswerUpstream();
    const bridge = await startBridge(upstream.url, { profile: 'consultation' });
    const client = await connectWs(bridge.url);
    client.send({ event: 'sendMessage', id: 1, data: { consultationId: 'c-3', content: 'hi' } });
    await client.inbox.waitFor((m) => m.event === 'aiMessage');
    const events = client.inbox.items.map((m) => m.event).filter((e) => e !== 'presence');
    expect(events).toEqual([
      'ack',
      'aiThinking',
      'aiChunk',
      'aiChunk',
      'aiChunk',
      'aiChunk',
      'aiMessage',
    ]);
    expect(client.inbox.items.find((m) => m.event === 'aiMessage')?.data.content).toBe(
      'Hello, world',
    );
  });
});

describe('custom profiles', () => {
  const myApp = {
    inbound: {
      ask: {
        event: 'chat_message',
        data: { current_text: '$data.q', conversation_id: '$data.room' },
      },
    },
    outbound: {
      start: [{ event: 'began', data: { id: '$answer.requestId' } }],
      frames: {
        text: [{ event: 'delta', data: { t: '$data.content.data', i: '$answer.index' } }],
        stop: [
          {
            event: 'done',
            data: { full: '$answer.text', room: '$answer.conversationId', tag: '$$literal' },
          },
        ],
      },
      events: { presence: [] },
    },
  };

  it('reads a profile from the config file and speaks it', async () => {
    const upstream = await startAnswerUpstream();
    const dir = mkdtempSync(join(tmpdir(), 'sse2ws-profiles-'));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ profiles: { 'my-app': myApp } }));
    const bridge = await startBridge(upstream.url, { profile: 'my-app', config: file });
    const client = await connectSio(bridge.url);
    const ack = await client.request('ask', { q: 'hi', room: 'r-1' });
    await client.inbox.waitFor((m) => m.event === 'done');
    expect(JSON.parse((await upstream.request(0)).body)).toEqual({
      current_text: 'hi',
      conversation_id: 'r-1',
    });
    expect(client.inbox.items).toEqual([
      { event: 'began', args: [{ id: ack.request_id }] },
      { event: 'delta', args: [{ t: 'Hello', i: 0 }] },
      { event: 'delta', args: [{ t: ', ', i: 1 }] },
      { event: 'delta', args: [{ t: 'world', i: 2 }] },
      { event: 'done', args: [{ full: 'Hello, world', room: 'r-1', tag: '$literal' }] },
    ]);
    // Core events keep their names beside the aliases.
    expect(await client.request('join', { conversation_id: 'r-2' })).toMatchObject({
      conversation_id: 'r-2',
      clients: 1,
    });
  });

  // Issue 15: custom profiles can tell failure apart from success, as the built-ins now do.
  it('gives templates $answer.outcome and $answer.error, and stop:<outcome> rules', async () => {
    const profile = {
      inbound: {},
      outbound: {
        frames: {
          text: [],
          stop: [{ event: 'done', data: { outcome: '$answer.outcome', id: '$answer.requestId' } }],
          'stop:error': [{ event: 'failed', data: { error: '$answer.error' } }],
        },
      },
    };
    const upstream = await startFakeUpstream((req, res, recorded) => {
      const mode = JSON.parse(recorded.body).mode;
      if (mode === 'fail') return void res.writeHead(500).end('boom');
      return sseBody(sseFrames({ type: 'text', content: { data: 'x' } }, { type: 'stop' }))(
        req,
        res,
        recorded,
      );
    });
    onCleanup(() => upstream.close());
    const bridge = await startNodeServer(testOptions({ profile: 'mine' }), {
      upstreamUrl: upstream.url,
      config: { profiles: { mine: profile } },
    });
    onCleanup(() => bridge.close());
    const client = await connectSio(bridge.url);
    const ok = await client.request('chat_message', { mode: 'ok' });
    await client.inbox.waitFor((m) => m.event === 'done');
    await client.request('chat_message', { mode: 'fail' });
    await client.inbox.waitFor((m) => m.event === 'failed');
    expect(client.inbox.items.filter((m) => m.event !== 'presence')).toEqual([
      { event: 'done', args: [{ outcome: 'complete', id: ok.request_id }] },
      {
        event: 'failed',
        args: [{ error: { code: 'upstream_status', message: expect.any(String) } }],
      },
    ]);
  });

  it('stops the start on an unknown profile name, naming the option', async () => {
    await expect(
      startNodeServer(testOptions({ profile: 'nope' }), { upstreamUrl: 'http://127.0.0.1:9/' }),
    ).rejects.toThrow(/^--profile: unknown profile "nope" \(known: default, socket-module/);
  });

  it('stops the start on a bad custom profile, naming the field', async () => {
    const config = { profiles: { broken: { inbound: { ask: { event: 'shout' } } } } };
    await expect(
      startNodeServer(testOptions({ profile: 'broken' }), {
        upstreamUrl: 'http://127.0.0.1:9/',
        config,
      }),
    ).rejects.toThrow(
      /--config: profiles\.broken\.inbound\.ask\.event: must be one of chat_message/,
    );
  });
});
