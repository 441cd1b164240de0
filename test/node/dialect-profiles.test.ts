/**
 * Every recorded dialect fixture under every built-in profile: the upstream speaks its dialect
 * (auto-detected), the client speaks its vocabulary, and the text that arrives is the same.
 */
import { readFileSync } from 'node:fs';
import { io } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { onCleanup, startBridge } from '../helpers/bridge.ts';
import { Inbox } from '../helpers/clients.ts';
import { sseBody, startFakeUpstream } from '../helpers/fake-upstream.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/dialects/${name}.sse`, import.meta.url), 'utf8');

/** The answer text each fixture carries as `text` frames. */
const TEXT: Record<string, string> = {
  openai: 'Hello',
  anthropic: 'Hello',
  'ai-sdk': 'Hello',
  langserve: '',
  legacy: 'Hello',
};

async function run(name: string, profile: string) {
  const upstream = await startFakeUpstream(sseBody(fixture(name), 17));
  onCleanup(() => upstream.close());
  const bridge = await startBridge(upstream.url, { profile });
  const namespace = profile === 'consultation' ? '/chat' : '';
  const socket = io(`${bridge.url}${namespace}`, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  onCleanup(() => {
    socket.close();
  });
  const inbox = new Inbox<{ event: string; data: any }>();
  socket.onAny((event: string, data: unknown) => inbox.push({ event, data }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return { socket, inbox };
}

const of = (inbox: Inbox<{ event: string; data: any }>, event: string) =>
  inbox.items.filter((m) => m.event === event).map((m) => m.data);

describe.each(Object.keys(TEXT))('dialect fixture %s', (name) => {
  it('under the default profile: chat_response frames carrying the text', async () => {
    const { socket, inbox } = await run(name, 'default');
    socket.emit('chat_message', { request_id: 'r', current_text: 'hi' });
    await inbox.waitFor((m) => m.event === 'chat_response' && m.data.type === 'stop');
    const frames = of(inbox, 'chat_response');
    frames.forEach((f, i) => expect(f.seq).toBe(i));
    const text = frames.filter((f) => f.type === 'text').map((f) => f.content.data);
    expect(text.join('')).toBe(TEXT[name]);
  });

  it('under socket-module: chat_stream deltas, then chat_stream_end and a notification', async () => {
    const { socket, inbox } = await run(name, 'socket-module');
    socket.emit('chat_request', { request_id: 'r', current_text: 'hi' });
    await inbox.waitFor((m) => m.event === 'notification');
    const deltas = of(inbox, 'chat_stream');
    expect(deltas.map((d) => d.index)).toEqual(deltas.map((_d, i) => i));
    expect(deltas.map((d) => d.text).join('')).toBe(TEXT[name]);
    expect(of(inbox, 'chat_stream_end')).toEqual([expect.objectContaining({ messageId: 'r' })]);
    expect(of(inbox, 'chat_response')).toEqual([]);
  });

  it('under consultation: aiThinking, aiChunk deltas and aiMessage with the whole text', async () => {
    const { socket, inbox } = await run(name, 'consultation');
    socket.emit('sendMessage', {
      consultationId: 'c-1',
      content: 'hi',
      userId: 'u1',
      tenantId: 't1',
    });
    await inbox.waitFor((m) => m.event === 'aiMessage');
    expect(of(inbox, 'aiThinking')).toEqual([{ status: 'processing' }]);
    const chunks = of(inbox, 'aiChunk');
    expect(chunks.at(-1)?.isComplete).toBe(true);
    expect(chunks.map((c) => c.content).join('')).toBe(TEXT[name]);
    expect(of(inbox, 'aiMessage')[0].content).toBe(TEXT[name]);
  });
});
