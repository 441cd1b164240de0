import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLegacyDialect, DONE, toFrame } from '../../src/core/upstream/dialects/legacy.ts';

const json = (value: unknown): string => JSON.stringify(value);

describe('rule 1: a JSON object with a string type', () => {
  it('takes the type and the content field', () => {
    const data = json({
      type: 'agent_status',
      content: { status: 'running', message: 'Searching…' },
    });
    expect(toFrame({ data })).toEqual({
      type: 'agent_status',
      content: { status: 'running', message: 'Searching…' },
    });
  });

  it('keeps a content field whatever its value, null and scalars included', () => {
    expect(toFrame({ data: json({ type: 'text', content: 'plain' }) })).toEqual({
      type: 'text',
      content: 'plain',
    });
    expect(toFrame({ data: json({ type: 'x', content: null }) })).toEqual({
      type: 'x',
      content: null,
    });
    expect(toFrame({ data: json({ type: 'x', content: [1, 2], extra: true }) })).toEqual({
      type: 'x',
      content: [1, 2],
    });
  });

  it('uses the object without type as content when there is no content field', () => {
    expect(toFrame({ data: json({ type: 'usage', tokens: 12, model: 'm' }) })).toEqual({
      type: 'usage',
      content: { tokens: 12, model: 'm' },
    });
    expect(toFrame({ data: json({ type: 'stop' }) })).toEqual({ type: 'stop', content: {} });
  });

  it('wins over the SSE event name', () => {
    const data = json({ type: 'text', content: { data: 'hi' } });
    expect(toFrame({ event: 'agent_status', data })).toEqual({
      type: 'text',
      content: { data: 'hi' },
    });
  });

  it('applies to multi-line JSON and JSON with surrounding whitespace', () => {
    expect(toFrame({ data: '{"type":"text",\n"content":{"data":"a"}}' })).toEqual({
      type: 'text',
      content: { data: 'a' },
    });
    expect(toFrame({ data: '  {"type":"text","content":1}  ' })).toEqual({
      type: 'text',
      content: 1,
    });
  });

  it('does not apply when type is not a string', () => {
    const data = json({ type: 7, content: 'x' });
    expect(toFrame({ data })).toEqual({ type: 'text', content: { data } });
  });

  it('maps any object with a string type and a content field to exactly those (property)', () => {
    const jsonValue = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);
    const type = fc.string({ minLength: 1 }).filter((t) => t !== 'error');
    fc.assert(
      fc.property(type, jsonValue, (t, content) => {
        expect(toFrame({ data: json({ type: t, content }) })).toEqual({ type: t, content });
      }),
    );
  });
});

describe('rule 2: a named event with JSON data', () => {
  it('takes the event name as type and the parsed data as content', () => {
    expect(toFrame({ event: 'agent_status', data: json({ status: 'running' }) })).toEqual({
      type: 'agent_status',
      content: { status: 'running' },
    });
  });

  it('accepts any JSON value as data', () => {
    expect(toFrame({ event: 'progress', data: '42' })).toEqual({ type: 'progress', content: 42 });
    expect(toFrame({ event: 'tags', data: '["a","b"]' })).toEqual({
      type: 'tags',
      content: ['a', 'b'],
    });
    expect(toFrame({ event: 'note', data: '"héllo"' })).toEqual({
      type: 'note',
      content: 'héllo',
    });
    expect(toFrame({ event: 'flag', data: 'true' })).toEqual({ type: 'flag', content: true });
  });

  it('does not apply to the default event name message, nor to an empty name', () => {
    const data = json({ status: 'running' });
    expect(toFrame({ event: 'message', data })).toEqual({ type: 'text', content: { data } });
    expect(toFrame({ event: '', data })).toEqual({ type: 'text', content: { data } });
  });

  // Issue 15: a named event's non-JSON data became answer text, though a browser EventSource
  // never hands named events to onmessage (an sse-starlette ping's timestamp led the answer).
  it('drops a named event with non-JSON data: it never becomes text', () => {
    expect(toFrame({ event: 'agent_status', data: 'not json' })).toBeUndefined();
    expect(toFrame({ event: 'agent_status', data: '{"broken":' })).toBeUndefined();
    expect(toFrame({ event: 'status', data: '2026-12-07 00:00:15.000000' })).toBeUndefined();
  });

  it('consumes the keep-alive names ping, heartbeat and keep-alive whatever their data', () => {
    for (const name of ['ping', 'heartbeat', 'keep-alive']) {
      expect(toFrame({ event: name, data: '2026-12-07 00:00:15.000000' })).toBeUndefined();
      expect(toFrame({ event: name, data: json({ type: 'ping' }) })).toBeUndefined();
    }
  });
});

describe('rule 3: [DONE]', () => {
  it('marks the stream complete', () => {
    expect(toFrame({ data: '[DONE]' })).toBe(DONE);
  });

  it('also under the default event name', () => {
    expect(toFrame({ event: 'message', data: '[DONE]' })).toBe(DONE);
  });

  // Bug: after an error frame, [DONE] ended the stream with stop {"reason":"complete"} (a failure
  // presented as a success); the end of the body already said "error", as openai and ai-sdk do.
  it('ends with stop reason error after an error frame, complete otherwise', () => {
    const failed = createLegacyDialect();
    failed.map({ data: json({ type: 'error', content: { code: 'x', message: 'boom' } }) });
    expect(failed.map({ data: '[DONE]' })).toEqual([
      { type: 'stop', content: { reason: 'error' } },
    ]);
    const fine = createLegacyDialect();
    fine.map({ data: json({ type: 'text', content: { data: 'hi' } }) });
    expect(fine.map({ data: '[DONE]' })).toEqual([
      { type: 'stop', content: { reason: 'complete' } },
    ]);
  });

  it('is only the exact sentinel', () => {
    expect(toFrame({ data: '[DONE] and more' })).toEqual({
      type: 'text',
      content: { data: '[DONE] and more' },
    });
    expect(toFrame({ data: '[done]' })).toEqual({ type: 'text', content: { data: '[done]' } });
  });
});

describe('rule 4: anything else is text', () => {
  it.each([
    ['prose', 'héllo ✓ 你好 🎉'],
    ['an empty string', ''],
    ['multi-line prose', 'line one\nline two'],
    ['a JSON number', '42'],
    ['a JSON string', '"quoted"'],
    ['a JSON array', '[1,2,3]'],
    ['JSON null', 'null'],
    ['a JSON object with neither type nor error', '{"answer":42}'],
    ['broken JSON', '{"type":"text"'],
    ['text that starts like JSON', 'true story'],
  ])('%s keeps the data string unchanged', (_name, data) => {
    expect(toFrame({ data })).toEqual({ type: 'text', content: { data } });
  });

  it('keeps any non-sentinel string unchanged unless it is a JSON object (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (data) => {
        fc.pre(data.trim() !== '[DONE]' && !data.trim().startsWith('{'));
        expect(toFrame({ data })).toEqual({ type: 'text', content: { data } });
      }),
    );
  });
});

describe('rule 6: a JSON object with an error member and no type', () => {
  it('becomes an error frame coded upstream_error, with the message of a string error', () => {
    expect(toFrame({ data: json({ error: 'quota exceeded' }) })).toEqual({
      type: 'error',
      content: expect.objectContaining({ code: 'upstream_error', message: 'quota exceeded' }),
    });
  });

  it('takes the message of an OpenAI-style error object and keeps its details', () => {
    const data = json({ error: { message: 'rate limited', type: 'requests', param: null } });
    const frame = toFrame({ data });
    expect(frame).toEqual({
      type: 'error',
      content: expect.objectContaining({
        code: 'upstream_error',
        message: 'rate limited',
        param: null,
      }),
    });
  });

  // Issue 15: the upstream's own code was overwritten with upstream_error; frontends branch on it.
  it('keeps the code the upstream error has, and its type and param', () => {
    const error = {
      code: 'rate_limit_exceeded',
      message: 'slow down',
      type: 'requests',
      param: null,
    };
    expect(toFrame({ data: json({ error }) })).toEqual({ type: 'error', content: error });
  });

  it('keeps a numeric upstream code as its decimal text, and codes a null one upstream_error', () => {
    expect(toFrame({ data: json({ error: { code: 429, message: 'x' } }) })).toMatchObject({
      content: { code: '429', message: 'x' },
    });
    expect(toFrame({ data: json({ error: { code: null, message: 'x' } }) })).toMatchObject({
      content: { code: 'upstream_error', message: 'x' },
    });
  });

  it('gives a string message for any error value', () => {
    for (const error of [42, null, ['a'], { detail: 'x' }, true]) {
      const frame = toFrame({ data: json({ error }) });
      expect(frame).toMatchObject({ type: 'error', content: { code: 'upstream_error' } });
      expect(typeof (frame as { content: { message: unknown } }).content.message).toBe('string');
    }
  });

  it('does not apply when the object has a type', () => {
    expect(toFrame({ data: json({ type: 'status', error: 'none' }) })).toEqual({
      type: 'status',
      content: { error: 'none' },
    });
  });

  it('wins over the SSE event name', () => {
    expect(toFrame({ event: 'agent_status', data: json({ error: 'boom' }) })).toMatchObject({
      type: 'error',
      content: { code: 'upstream_error', message: 'boom' },
    });
  });
});

describe('error frames always carry content.code and content.message', () => {
  it('adds code upstream_error to an upstream error frame that has only a message', () => {
    expect(toFrame({ data: json({ type: 'error', content: { message: 'bad input' } }) })).toEqual({
      type: 'error',
      content: { code: 'upstream_error', message: 'bad input' },
    });
  });

  it('keeps the code and message an upstream error frame has', () => {
    const content = { code: 'rate_limited', message: 'slow down', retry_after: 3 };
    expect(toFrame({ data: json({ type: 'error', content }) })).toEqual({
      type: 'error',
      content,
    });
  });

  it('turns a string content into the message', () => {
    expect(toFrame({ data: json({ type: 'error', content: 'boom' }) })).toEqual({
      type: 'error',
      content: { code: 'upstream_error', message: 'boom' },
    });
  });

  it('gives an error frame without content a code and a string message', () => {
    const frame = toFrame({ data: json({ type: 'error' }) });
    expect(frame).toMatchObject({ type: 'error', content: { code: 'upstream_error' } });
    expect(typeof (frame as { content: { message: unknown } }).content.message).toBe('string');
  });

  it('maps an error event with non-JSON data to an error frame with that text as message', () => {
    expect(toFrame({ event: 'error', data: 'model overloaded ✗' })).toEqual({
      type: 'error',
      content: { code: 'upstream_error', message: 'model overloaded ✗' },
    });
  });

  it('maps an error event with JSON data by rule 2, then adds the missing code', () => {
    expect(toFrame({ event: 'error', data: json({ message: 'overloaded', retry: true }) })).toEqual(
      {
        type: 'error',
        content: { code: 'upstream_error', message: 'overloaded', retry: true },
      },
    );
  });
});

describe('rule 5: an upstream stop', () => {
  it('maps to a stop frame with the upstream content', () => {
    expect(toFrame({ data: json({ type: 'stop', content: { reason: 'length' } }) })).toEqual({
      type: 'stop',
      content: { reason: 'length' },
    });
    expect(toFrame({ event: 'stop', data: json({ reason: 'user' }) })).toEqual({
      type: 'stop',
      content: { reason: 'user' },
    });
  });
});
