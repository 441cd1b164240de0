/**
 * Issue 15: the corpus recorded from real SSE servers (test/fixtures/peers/, `npm run
 * fixtures:record`) replayed through the relay at every byte boundary and through every built-in
 * profile. Expected frames are written by hand from what each server was asked to stream
 * (scripts/fixture-servers/legacy-cases.json) and the rules in docs/upstream.md, not taken from a run.
 */
import { describe, expect, it } from 'vitest';
import type { UpstreamFormat } from '../../src/core/upstream/dialects/index.ts';
import type { ChatResponse, Frame } from '../../src/core/protocol/frame.ts';
import { BUILTIN_PROFILES } from '../../src/core/session/profiles/builtins.ts';
import { toProfileConnection } from '../../src/core/session/profiles/translate.ts';
import { loadAllPeerFixtures, type PeerFixture } from '../helpers/peer-fixtures.ts';
import { relayBody } from '../helpers/relay.ts';

const text = (data: string): Frame => ({ type: 'text', content: { data } });
const stop = (content: Record<string, unknown>): Frame => ({ type: 'stop', content });
const HEL = text('Hel');
const LO = text('lo');
const STOP_DONE = stop({ reason: 'done' });
const STOP_ERROR = stop({ reason: 'error' });
const CLOSED: Frame = {
  type: 'error',
  content: expect.objectContaining({ code: 'upstream_closed', message: expect.any(String) }),
};
const RATE_LIMITED: Frame = {
  type: 'error',
  content: { code: 'rate_limited', message: 'Too many requests, retry later' },
};
const STATUS = { step: 'searching', progress: 0.5 };

/** What a legacy server's case must reach the client as (the servers that stream legacy frames). */
const LEGACY_CASES: Record<string, Frame[]> = {
  'legacy-answer': [HEL, LO, STOP_DONE],
  keepalive: [HEL, LO, STOP_DONE],
  'keepalive-comment': [HEL, LO, STOP_DONE],
  // The older sse-starlette keep-alive: `event: ping` with a timestamp; never text.
  'keepalive-event-ping': [HEL, LO, STOP_DONE],
  // `event: progress` with data `50%` and `event: done` with `[DONE]` are named events without
  // JSON: an EventSource's onmessage never saw them, so they are dropped.
  'named-events': [{ type: 'status', content: STATUS }, HEL, LO, STOP_DONE],
  'type-collision': [{ type: 'ping', content: {} }, HEL, LO, STOP_DONE],
  'error-frame': [HEL, RATE_LIMITED, STOP_ERROR],
  'http-error': [
    {
      type: 'error',
      content: expect.objectContaining({ code: 'upstream_status', status: 429 }),
    },
    STOP_ERROR,
  ],
  abrupt: [HEL, LO, CLOSED, STOP_ERROR],
};

/** Fixtures whose server adds something of its own. */
const OVERRIDES: Record<string, Frame[]> = {
  // better-sse JSON-encodes string data: `"50%"` and `"[DONE]"` are JSON, so named frames.
  'better-sse-named-events': [
    { type: 'status', content: STATUS },
    { type: 'progress', content: '50%' },
    HEL,
    LO,
    { type: 'done', content: '[DONE]' },
    STOP_DONE,
  ],
  // hono's streamSSE ends a stream whose callback threw like a finished one: the bridge cannot
  // tell, and completes it (the upstream gave no stop and no error).
  'hono-thrown-error': [HEL, stop({ reason: 'complete' })],
  // With onError, hono writes the app's error frame and then its own `event: error` text.
  'hono-on-error': [
    HEL,
    { type: 'error', content: { code: 'internal_error', message: 'model backend unavailable' } },
    { type: 'error', content: { code: 'upstream_error', message: 'model backend unavailable' } },
    STOP_ERROR,
  ],
  'ai-sdk-answer': [HEL, LO, stop({ reason: 'complete', finish_reason: 'stop' })],
  'ai-sdk-error-part': [
    HEL,
    { type: 'error', content: { code: 'upstream_error', message: 'An error occurred.' } },
    stop({ reason: 'error', finish_reason: 'error' }),
  ],
  'ai-sdk-abrupt': [HEL, LO, CLOSED, STOP_ERROR],
  'openai-mock-llm-answer': [HEL, LO, stop({ reason: 'complete', finish_reason: 'stop' })],
  'openai-mock-llm-rate-limit-error': [
    {
      type: 'error',
      content: {
        code: 'rate_limit_exceeded',
        message:
          'Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1.',
        type: 'requests',
        param: null,
      },
    },
    STOP_ERROR,
  ],
  'openai-mock-llm-abrupt': [HEL, text('lo,'), text(' th'), CLOSED, STOP_ERROR],
};

const LEGACY_SERVERS = new Set([
  'flask',
  'starlette',
  'sse-starlette',
  'hono',
  'better-sse',
  'nchan',
]);

function expectedFor(fixture: PeerFixture): Frame[] {
  const id = fixture.name.replace(/\.capture$/, '');
  const override = OVERRIDES[id];
  if (override) return override;
  const legacy = LEGACY_SERVERS.has(fixture.meta.server)
    ? LEGACY_CASES[fixture.meta.case]
    : undefined;
  if (!legacy) throw new Error(`no expectation written for fixture ${id}`);
  return legacy;
}

function replay(fixture: PeerFixture, format: UpstreamFormat, splits?: number[]) {
  const headers: Record<string, string> = {};
  fixture.head.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return relayBody(fixture.body, format, {
    headers,
    status: fixture.head.status,
    abrupt: fixture.abrupt,
    ...(splits ? { splits } : { chunkBytes: 1 }),
  });
}

/** What a client of `profile` receives for these frames of one answer. */
function throughProfile(profile: string, frames: Frame[]): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  const connection = toProfileConnection(
    { protocol: 'socketio', send: (event, data) => out.push([event, data]) },
    BUILTIN_PROFILES[profile] as (typeof BUILTIN_PROFILES)['default'],
    () => new Date(0),
  );
  connection.noteConversation('r1', 'c1');
  frames.forEach((frame, seq) => {
    const response = { ...frame, request_id: 'r1', seq, timestamp: 0 } as ChatResponse;
    connection.send('chat_response', response);
  });
  return out;
}

const fixtures = loadAllPeerFixtures();

describe.each(fixtures.map((f) => [f.name, f] as const))('peer fixture %s', (_name, fixture) => {
  const expected = expectedFor(fixture);
  const formats: UpstreamFormat[] = LEGACY_SERVERS.has(fixture.meta.server)
    ? ['auto', 'legacy']
    : ['auto'];

  it.each(formats)('maps to the exact frames at every byte boundary (%s)', async (format) => {
    expect((await replay(fixture, format)).frames).toEqual(expected);
    for (let cut = 1; cut < fixture.body.length; cut++) {
      const { frames } = await replay(fixture, format, [cut]);
      expect(frames, `split at byte ${cut}`).toEqual(expected);
    }
  });

  it('never presents a failure as success, in any built-in profile', async () => {
    const { frames } = await replay(fixture, 'auto');
    const failed = frames.some((f) => f.type === 'error');
    const texts = frames.flatMap((f) => (f.type === 'text' ? [(f.content as any).data] : []));
    const socketModule = throughProfile('socket-module', frames).map(([e]) => e);
    const consultation = throughProfile('consultation', frames);
    const names = consultation.map(([e]) => e);
    if (failed) {
      expect(socketModule.at(-1)).toBe('error');
      expect(socketModule).not.toContain('chat_stream_end');
      expect(socketModule).not.toContain('notification');
      expect(names.at(-1)).toBe('error');
      expect(names).not.toContain('aiMessage');
      expect(consultation.filter(([, d]) => (d as any)?.isComplete === true)).toEqual([]);
    } else {
      expect(socketModule.slice(-2)).toEqual(['chat_stream_end', 'notification']);
      expect(consultation.at(-1)).toEqual([
        'aiMessage',
        { content: texts.join(''), timestamp: expect.any(String) },
      ]);
    }
    const defaults = throughProfile('default', frames);
    expect(defaults.map(([, d]) => (d as ChatResponse).type)).toEqual(frames.map((f) => f.type));
  });
});

describe('the built-in profiles on a recorded answer and a recorded failure, exactly', () => {
  const byName = (id: string) => fixtures.find((f) => f.name === `${id}.capture`) as PeerFixture;

  it('flask-legacy-answer', async () => {
    const { frames } = await replay(byName('flask-legacy-answer'), 'auto');
    expect(throughProfile('socket-module', frames)).toEqual([
      ['chat_stream', { text: 'Hel', index: 0 }],
      ['chat_stream', { text: 'lo', index: 1 }],
      ['chat_stream_end', { conversationId: 'c1', messageId: 'r1' }],
      [
        'notification',
        {
          type: 'chat_complete',
          title: 'Answer ready',
          message: 'The assistant finished answering.',
          conversationId: 'c1',
          messageId: 'r1',
        },
      ],
    ]);
    expect(throughProfile('consultation', frames)).toEqual([
      ['aiThinking', { status: 'processing' }],
      ['aiChunk', { content: 'Hel', isComplete: false }],
      ['aiChunk', { content: 'lo', isComplete: false }],
      ['aiChunk', { content: '', isComplete: true }],
      ['aiMessage', { content: 'Hello', timestamp: new Date(0).toISOString() }],
    ]);
  });

  it('starlette-abrupt', async () => {
    const { frames } = await replay(byName('starlette-abrupt'), 'auto');
    const closed = { code: 'upstream_closed', message: expect.any(String) };
    expect(throughProfile('socket-module', frames)).toEqual([
      ['chat_stream', { text: 'Hel', index: 0 }],
      ['chat_stream', { text: 'lo', index: 1 }],
      ['error', closed],
    ]);
    expect(throughProfile('consultation', frames)).toEqual([
      ['aiThinking', { status: 'processing' }],
      ['aiChunk', { content: 'Hel', isComplete: false }],
      ['aiChunk', { content: 'lo', isComplete: false }],
      ['error', closed],
    ]);
  });
});
