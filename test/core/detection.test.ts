/**
 * Issue 15: under `--upstream-format auto`, detection looked only at the first event, so a legacy
 * stream that began with a frame whose type another dialect also uses, or with a named
 * keep-alive, was mapped by the wrong dialect and lost its whole answer (the client got only
 * `stop {"reason":"complete"}`). Detection now never discards.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/core/protocol/frame.ts';
import { relayBody } from '../helpers/relay.ts';

const data = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;
const text = (t: string) => data({ type: 'text', content: { data: t } });
const ANSWER = text('Hel') + text('lo') + data({ type: 'stop', content: { reason: 'done' } });
const ANSWER_FRAMES: Frame[] = [
  { type: 'text', content: { data: 'Hel' } },
  { type: 'text', content: { data: 'lo' } },
  { type: 'stop', content: { reason: 'done' } },
];

/** The answer text and the stop a client receives. */
function answerOf(frames: Frame[]): { text: string; stop: Frame | undefined } {
  let t = '';
  for (const frame of frames) {
    if (frame.type === 'text') t += (frame.content as { data: string }).data;
  }
  return { text: t, stop: frames.at(-1) };
}

describe('detection never discards a legacy answer', () => {
  // The reproduction: a Flask generator yielding a ping frame, two texts, its own stop.
  it('a first legacy frame of type ping keeps the text and the upstream stop', async () => {
    const run = await relayBody(data({ type: 'ping', content: {} }) + ANSWER, 'auto');
    expect(run.frames).toEqual([{ type: 'ping', content: {} }, ...ANSWER_FRAMES]);
    expect(run.detected).toEqual([{ dialect: 'legacy', reason: 'legacy frame of type "text"' }]);
  });

  it.each(['ping', 'start', 'finish', 'abort', 'file', 'data-x', 'message_start', 'error'])(
    'a first legacy frame of type %s is held until a frame decides, then forwarded',
    async (type) => {
      const first = { type, content: { n: 1 } };
      const run = await relayBody(data(first) + ANSWER, 'auto');
      const expected = type === 'error' ? expect.objectContaining({ type: 'error' }) : first;
      expect(run.frames).toEqual([expected, ...ANSWER_FRAMES]);
      expect(run.detected.map((d) => d.dialect)).toEqual(['legacy']);
    },
  );

  it('a named keep-alive with a timestamp (older sse-starlette) neither decides nor becomes text', async () => {
    const ping = 'event: ping\ndata: 2026-12-07 00:00:15.000000\n\n';
    const run = await relayBody(ping + ping + ANSWER, 'auto');
    expect(run.frames).toEqual(ANSWER_FRAMES);
    expect(run.detected.map((d) => d.dialect)).toEqual(['legacy']);
  });

  it('a stream of colliding frames only is legacy when it ends, with every frame kept', async () => {
    const body = data({ type: 'start', content: {} }) + data({ type: 'finish', content: {} });
    const run = await relayBody(body, 'auto');
    expect(run.frames).toEqual([
      { type: 'start', content: {} },
      { type: 'finish', content: {} },
      { type: 'stop', content: { reason: 'complete' } },
    ]);
    expect(run.detected).toEqual([
      { dialect: 'legacy', reason: 'stream ended before a dialect was decided' },
    ]);
  });

  it('held frames reach the client before the failure when the upstream dies undecided', async () => {
    const run = await relayBody(data({ type: 'start', content: { id: 1 } }), 'auto', {
      abrupt: true,
    });
    expect(run.frames).toEqual([
      { type: 'start', content: { id: 1 } },
      { type: 'error', content: expect.objectContaining({ code: 'upstream_closed' }) },
      { type: 'stop', content: { reason: 'error' } },
    ]);
  });

  it('a strong signature after held frames decides, and the held ones go through it', async () => {
    const body =
      data({ type: 'start', messageId: 'm1' }) +
      data({ type: 'text-start', id: 't1' }) +
      data({ type: 'text-delta', id: 't1', delta: 'Hi' }) +
      data({ type: 'finish' });
    const run = await relayBody(body, 'auto');
    expect(run.frames).toEqual([
      { type: 'text', content: { data: 'Hi' } },
      { type: 'stop', content: { reason: 'complete' } },
    ]);
    expect(run.detected).toEqual([
      { dialect: 'ai-sdk', reason: 'AI SDK text-delta part with an id' },
    ]);
  });

  it('names the reason when configured or told by the headers', async () => {
    expect((await relayBody(ANSWER, 'legacy')).detected).toEqual([
      { dialect: 'legacy', reason: 'configured' },
    ]);
    const run = await relayBody(data({ type: 'text-delta', id: 'a', delta: 'x' }), 'auto', {
      headers: { 'x-vercel-ai-ui-message-stream': 'v1' },
    });
    expect(run.detected).toEqual([
      { dialect: 'ai-sdk', reason: 'header x-vercel-ai-ui-message-stream' },
    ]);
  });
});

describe('events the chosen dialect cannot map', () => {
  it('go out by the legacy rules and are reported, never dropped', async () => {
    const body =
      data({ id: 'c1', object: 'chat.completion.chunk', choices: [{ delta: { content: 'Hi' } }] }) +
      data({ type: 'agent_status', content: { status: 'searching' } }) +
      'data: [DONE]\n\n';
    const run = await relayBody(body, 'auto');
    expect(run.frames).toEqual([
      { type: 'text', content: { data: 'Hi' } },
      { type: 'agent_status', content: { status: 'searching' } },
      { type: 'stop', content: { reason: 'complete' } },
    ]);
    expect(run.unmapped).toEqual([
      { dialect: 'openai', event: expect.objectContaining({ data: expect.any(String) }) },
    ]);
  });

  it('a named event without JSON is dropped under legacy, and reported', async () => {
    const run = await relayBody('event: status\ndata: thinking…\n\n' + ANSWER, 'legacy');
    expect(run.frames).toEqual(ANSWER_FRAMES);
    expect(run.dropped).toEqual([
      { dialect: 'legacy', event: expect.objectContaining({ event: 'status' }) },
    ]);
  });
});

describe('upstream error codes are kept on every dialect', () => {
  const rateLimit = {
    code: 'rate_limit_exceeded',
    message: 'Rate limit reached',
    type: 'requests',
    param: null,
  };

  it.each(['auto', 'openai', 'legacy'] as const)(
    'an in-band OpenAI error keeps its code, message, type and param (%s)',
    async (format) => {
      const run = await relayBody(data({ error: rateLimit }), format);
      expect(run.frames).toEqual([
        { type: 'error', content: rateLimit },
        { type: 'stop', content: { reason: 'error' } },
      ]);
    },
  );

  it('an OpenAI error after the first chunk keeps its code too', async () => {
    const chunk = { object: 'chat.completion.chunk', choices: [{ delta: { content: 'a' } }] };
    const run = await relayBody(data(chunk) + data({ error: rateLimit }), 'auto');
    expect(run.frames[1]).toEqual({ type: 'error', content: rateLimit });
  });

  it('without an upstream code, the code is upstream_error', async () => {
    const run = await relayBody(
      data({ error: { message: 'boom', type: 'server_error' } }),
      'openai',
    );
    expect(run.frames[0]).toEqual({
      type: 'error',
      content: { code: 'upstream_error', message: 'boom', type: 'server_error' },
    });
  });
});

describe('property: a prefix of keep-alives, comments and colliding frames changes nothing', () => {
  const prefixItem = fc.oneof(
    fc.constant(': keep-alive comment\n\n'),
    fc.constant(':\n\n'),
    fc
      .constantFrom('ping', 'heartbeat', 'keep-alive')
      .map((n) => `event: ${n}\ndata: 12:00:01\n\n`),
    fc.constant('event: ping\ndata: {"type": "ping"}\n\n'),
    fc
      .constantFrom('ping', 'start', 'finish', 'abort', 'file', 'data-x', 'start-step', 'text-end')
      .map((type) => data({ type, content: {} })),
  );
  const answer = fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 4 });

  it('the answer text and the stop never change, at any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(prefixItem, { maxLength: 6 }),
        answer,
        fc.integer({ min: 1, max: 40 }),
        async (prefix, parts, chunkBytes) => {
          const body =
            parts.map(text).join('') + data({ type: 'stop', content: { reason: 'done' } });
          const plain = answerOf((await relayBody(body, 'auto', { chunkBytes })).frames);
          const prefixed = answerOf(
            (await relayBody(prefix.join('') + body, 'auto', { chunkBytes })).frames,
          );
          expect(prefixed).toEqual(plain);
          expect(plain).toEqual({
            text: parts.join(''),
            stop: { type: 'stop', content: { reason: 'done' } },
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
