/**
 * The outbound half of a profile (src/core/session/profiles/translate.ts): core frames and events
 * in, the profile's events out. Pure: a recording connection and a fixed clock.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { ChatResponse } from '../../../../src/core/index.ts';
import type { ClientConnection } from '../../../../src/core/session/contracts.ts';
import {
  CONSULTATION_PROFILE,
  SOCKET_MODULE_PROFILE,
} from '../../../../src/core/session/profiles/builtins.ts';
import {
  type ProfileConnection,
  toProfileConnection,
} from '../../../../src/core/session/profiles/translate.ts';
import type { OutboundRules, Profile } from '../../../../src/core/session/profiles/types.ts';

const NOW = new Date('2026-01-02T03:04:05.000Z');

function translate(outbound: OutboundRules | Profile) {
  const profile: Profile =
    'outbound' in outbound
      ? outbound
      : { name: 'test', namespace: '/', inbound: {}, outbound: outbound as OutboundRules };
  const sent: Array<{ event: string; data: unknown }> = [];
  const closes: Array<[number, string]> = [];
  const inner: ClientConnection = {
    protocol: 'socketio',
    send: (event, data) => void sent.push({ event, data }),
    bufferedBytes: () => 42,
    close: (code, reason) => void closes.push([code, reason]),
  };
  const connection = toProfileConnection(inner, profile, () => NOW);
  return { connection, sent, closes };
}

const seqs = new Map<string, number>();
beforeEach(() => seqs.clear());
/** The next frame of answer `requestId` (seqs counted per answer). */
function frame(requestId: string, type: string, content: unknown = {}): ChatResponse {
  const seq = seqs.get(requestId) ?? 0;
  seqs.set(requestId, seq + 1);
  return { type, content, request_id: requestId, seq, timestamp: 1 };
}
const text = (requestId: string, data: string) => frame(requestId, 'text', { data });
const stop = (requestId: string, reason: string) => frame(requestId, 'stop', { reason });

function send(connection: ProfileConnection, ...frames: ChatResponse[]): void {
  for (const f of frames) connection.send('chat_response', f);
}

describe('frames without frame rules', () => {
  it('go out as chat_response unchanged, like other events without a rule', () => {
    const { connection, sent } = translate({});
    const f = text('a', 'hi');
    connection.send('chat_response', f);
    connection.send('presence', { clients: 2 });
    expect(sent).toEqual([
      { event: 'chat_response', data: f },
      { event: 'presence', data: { clients: 2 } },
    ]);
  });

  it('pass the connection through: protocol, buffered bytes, close', () => {
    const { connection, closes } = translate({});
    expect(connection.protocol).toBe('socketio');
    expect(connection.bufferedBytes?.()).toBe(42);
    connection.close?.(1008, 'why');
    expect(closes).toEqual([[1008, 'why']]);
  });
});

describe('frame rules', () => {
  it('emit `start` once per answer, before its first frame, and again for an answer after its stop', () => {
    const { connection, sent } = translate({
      start: [{ event: 'start', data: { id: '$answer.requestId' } }],
      frames: { '*': [{ event: 'frame', data: '$data.seq' }] },
    });
    send(connection, text('a', 'x'), text('b', 'y'), text('a', 'z'), stop('a', 'complete'));
    send(connection, { ...text('a', 'again'), seq: 0 });
    expect(sent.map((e) => `${e.event}:${JSON.stringify(e.data)}`)).toEqual([
      'start:{"id":"a"}',
      'frame:0',
      'start:{"id":"b"}',
      'frame:0',
      'frame:1',
      'frame:2',
      // The answer's state was dropped at its stop: a frame under the same id starts anew.
      'start:{"id":"a"}',
      'frame:0',
    ]);
  });

  it('count text deltas for $answer.index / $answer.deltas and keep $answer.text when read', () => {
    const { connection, sent } = translate({
      frames: {
        text: [{ event: 'delta', data: { i: '$answer.index', n: '$answer.deltas' } }],
        tool_call: [{ event: 'tool', data: { i: '$answer.index' } }],
        stop: [{ event: 'done', data: { text: '$answer.text', n: '$answer.deltas' } }],
      },
    });
    send(connection, text('a', 'Hel'), frame('a', 'tool_call'), text('a', 'lo'));
    send(connection, stop('a', 'complete'));
    expect(sent).toEqual([
      { event: 'delta', data: { i: 0, n: 1 } },
      { event: 'tool', data: { i: 0 } },
      { event: 'delta', data: { i: 1, n: 2 } },
      { event: 'done', data: { text: 'Hello', n: 2 } },
    ]);
  });

  it('keep no text when no template reads $answer.text', () => {
    const { connection, sent } = translate({
      frames: { stop: [{ event: 'done', data: { answer: '$answer' } }] },
    });
    send(connection, text('a', 'Hello'), stop('a', 'complete'));
    expect(sent).toEqual([
      {
        event: 'done',
        data: {
          answer: { requestId: 'a', index: 0, deltas: 1, text: '', outcome: 'complete' },
        },
      },
    ]);
  });

  it('match own keys only: a type named after an Object.prototype member falls to `*`', () => {
    const { connection, sent } = translate({
      frames: { text: [{ event: 'text' }], '*': [{ event: 'other', data: '$data.type' }] },
    });
    send(connection, frame('a', 'constructor'), frame('a', 'toString'), frame('a', 'custom'));
    expect(sent).toEqual([
      { event: 'other', data: 'constructor' },
      { event: 'other', data: 'toString' },
      { event: 'other', data: 'custom' },
    ]);
  });

  it('drop a frame type with no rule when there is no `*`', () => {
    const { connection, sent } = translate({ frames: { text: [{ event: 'text' }] } });
    const f = text('a', 'kept');
    send(connection, frame('a', 'tool_call'), f, frame('a', 'constructor'));
    expect(sent).toEqual([{ event: 'text', data: f }]);
  });

  it('render $now from the injected clock; a missing member path is left out', () => {
    const { connection, sent } = translate({
      frames: { text: [{ event: 't', data: { at: '$now', conv: '$answer.conversationId' } }] },
    });
    send(connection, text('a', 'x'));
    expect(sent).toEqual([{ event: 't', data: { at: NOW.toISOString() } }]);
  });
});

describe('stop:<outcome> and $answer.outcome', () => {
  const rules: OutboundRules = {
    frames: {
      error: [{ event: 'failed', data: '$answer.error' }],
      'stop:cancelled': [{ event: 'cancelled', data: '$answer.outcome' }],
      stop: [{ event: 'end', data: '$answer.outcome' }],
    },
  };

  it.each([
    ['complete', [], 'end', 'complete'],
    ['an unknown reason', [], 'end', 'complete'],
    ['cancelled', [], 'cancelled', 'cancelled'],
    ['error', [], 'end', 'error'],
    ['abandoned', [], 'end', 'error'],
    // An error frame before the stop decides, whatever the stop says.
    ['complete', ['error'], 'end', 'error'],
    ['cancelled', ['error'], 'end', 'error'],
  ])('a stop with reason %s after %j ends as %s / outcome %s', (reason, before, event, outcome) => {
    const { connection, sent } = translate(rules);
    for (const type of before) send(connection, frame('a', type, { code: 'x', message: 'y' }));
    send(connection, stop('a', reason === 'an unknown reason' ? 'whatever' : reason));
    expect(sent.at(-1)).toEqual({ event, data: outcome });
  });

  it('$answer.outcome is `running` before the stop', () => {
    const { connection, sent } = translate({
      frames: { text: [{ event: 't', data: '$answer.outcome' }] },
    });
    send(connection, text('a', 'x'));
    expect(sent).toEqual([{ event: 't', data: 'running' }]);
  });

  it('$answer.error carries the error frame code and message, with defaults when absent', () => {
    const { connection, sent } = translate(rules);
    send(connection, frame('a', 'error', { code: 'upstream_timeout', message: 'too slow' }));
    send(connection, frame('b', 'error', 'not an object'));
    expect(sent).toEqual([
      { event: 'failed', data: { code: 'upstream_timeout', message: 'too slow' } },
      { event: 'failed', data: { code: 'upstream_error', message: 'upstream error' } },
    ]);
  });

  it('falls back from stop:<outcome> to `stop`, then to `*`', () => {
    const { connection, sent } = translate({
      frames: {
        'stop:error': [{ event: 'err' }],
        '*': [{ event: 'any', data: '$answer.outcome' }],
      },
    });
    send(connection, stop('a', 'error'), stop('b', 'complete'));
    expect(sent.map((e) => e.event)).toEqual(['err', 'any']);
    expect(sent[1]?.data).toBe('complete');
  });

  it('an empty stop:<outcome> list sends nothing rather than falling back', () => {
    const { connection, sent } = translate({
      frames: { 'stop:error': [], stop: [{ event: 'end' }] },
    });
    send(connection, stop('a', 'error'));
    expect(sent).toEqual([]);
  });
});

describe('conversations and other events', () => {
  it('learn an answer’s conversation from user_message and noteConversation', () => {
    const { connection, sent } = translate({
      frames: { stop: [{ event: 'end', data: { conv: '$answer.conversationId' } }] },
      events: { user_message: [{ event: 'userMessage', data: { text: '$data.data.content' } }] },
    });
    connection.send('user_message', {
      conversation_id: 'c1',
      request_id: 'a',
      data: { content: 'hello' },
    });
    connection.noteConversation('b', 'c2');
    send(connection, stop('a', 'complete'), stop('b', 'complete'), stop('c', 'complete'));
    expect(sent).toEqual([
      { event: 'userMessage', data: { text: 'hello' } },
      { event: 'end', data: { conv: 'c1' } },
      { event: 'end', data: { conv: 'c2' } },
      { event: 'end', data: {} },
    ]);
  });

  it('an event with a rule is replaced by the rule’s events; one without passes unchanged', () => {
    const { connection, sent } = translate({
      events: { presence: [{ event: 'p1' }, { event: 'p2', data: { n: '$data.clients' } }] },
    });
    connection.send('presence', { clients: 3 });
    connection.send('pong');
    expect(sent).toEqual([
      { event: 'p1', data: { clients: 3 } },
      { event: 'p2', data: { n: 3 } },
      { event: 'pong', data: undefined },
    ]);
  });
});

describe('built-in profiles', () => {
  it('socket-module: a completed answer ends with chat_stream_end and a notification', () => {
    const { connection, sent } = translate(SOCKET_MODULE_PROFILE);
    connection.noteConversation('a', 'c1');
    send(connection, text('a', 'Hi'), stop('a', 'complete'));
    expect(sent).toEqual([
      { event: 'chat_stream', data: { text: 'Hi', index: 0 } },
      { event: 'chat_stream_end', data: { conversationId: 'c1', messageId: 'a' } },
      {
        event: 'notification',
        data: expect.objectContaining({ type: 'chat_complete', messageId: 'a' }) as unknown,
      },
    ]);
  });

  it('socket-module: a failed or cancelled answer ends with its error only, never success', () => {
    const { connection, sent } = translate(SOCKET_MODULE_PROFILE);
    send(connection, frame('a', 'error', { code: 'upstream_error', message: 'boom' }));
    send(connection, stop('a', 'error'), stop('b', 'cancelled'), stop('c', 'abandoned'));
    expect(sent).toEqual([
      { event: 'error', data: { code: 'upstream_error', message: 'boom' } },
      { event: 'error', data: { code: 'cancelled', message: 'The answer was cancelled.' } },
    ]);
  });

  it('consultation: aiThinking first, chunks, then the whole text with the time', () => {
    const { connection, sent } = translate(CONSULTATION_PROFILE);
    send(connection, text('a', 'Hel'), text('a', 'lo'), stop('a', 'complete'));
    expect(sent).toEqual([
      { event: 'aiThinking', data: { status: 'processing' } },
      { event: 'aiChunk', data: { content: 'Hel', isComplete: false } },
      { event: 'aiChunk', data: { content: 'lo', isComplete: false } },
      { event: 'aiChunk', data: { content: '', isComplete: true } },
      { event: 'aiMessage', data: { content: 'Hello', timestamp: NOW.toISOString() } },
    ]);
  });
});
