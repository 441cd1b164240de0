/**
 * Recorded streams of each dialect (written from the public protocol documentation) through the
 * real relay, configured and auto-detected. The upstream is the core's injected UpstreamClient
 * contract fed from the fixture bytes, split into small chunks.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { UpstreamFormat } from '../../src/core/upstream/dialects/index.ts';
import type { Frame } from '../../src/core/protocol/frame.ts';
import { relayFrames } from '../helpers/relay.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/dialects/${name}.sse`, import.meta.url), 'utf8');

const relay = relayFrames;

const EXPECTED: Record<
  string,
  { format: UpstreamFormat; headers?: Record<string, string>; frames: Frame[] }
> = {
  openai: {
    format: 'openai',
    frames: [
      { type: 'text', content: { data: 'Hel' } },
      { type: 'text', content: { data: 'lo' } },
      {
        type: 'tool_call',
        content: { index: 0, id: 'call_1', name: 'get_weather', arguments: '' },
      },
      { type: 'tool_call', content: { index: 0, arguments: '{"city":"Paris"}' } },
      { type: 'usage', content: { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 } },
      { type: 'stop', content: { reason: 'complete', finish_reason: 'tool_calls' } },
    ],
  },
  anthropic: {
    format: 'anthropic',
    frames: [
      { type: 'thinking', content: { data: 'Let me see.' } },
      { type: 'text', content: { data: 'Hello' } },
      {
        type: 'tool_call',
        content: { index: 2, id: 'toolu_1', name: 'get_weather', arguments: '' },
      },
      { type: 'tool_call', content: { index: 2, arguments: '{"city": "Paris"}' } },
      { type: 'usage', content: { output_tokens: 15 } },
      { type: 'stop', content: { reason: 'complete', stop_reason: 'tool_use' } },
    ],
  },
  'ai-sdk': {
    format: 'ai-sdk',
    headers: { 'x-vercel-ai-ui-message-stream': 'v1' },
    frames: [
      { type: 'thinking', content: { data: 'Thinking' } },
      { type: 'text', content: { data: 'Hel' } },
      { type: 'text', content: { data: 'lo' } },
      { type: 'tool_call', content: { id: 'call_1', name: 'get_weather', phase: 'start' } },
      {
        type: 'tool_call',
        content: {
          id: 'call_1',
          name: undefined,
          phase: 'delta',
          inputTextDelta: '{"city":"Paris"}',
        },
      },
      {
        type: 'tool_call',
        content: {
          id: 'call_1',
          name: 'get_weather',
          phase: 'available',
          input: { city: 'Paris' },
        },
      },
      {
        type: 'tool_result',
        content: { id: 'call_1', phase: 'available', output: { temperature: 21 } },
      },
      { type: 'stop', content: { reason: 'complete' } },
    ],
  },
  langserve: {
    format: 'event',
    frames: [
      { type: 'metadata', content: { run_id: '5f1b3f4e-0000-4000-8000-000000000001' } },
      { type: 'data', content: 'Hel' },
      { type: 'data', content: 'lo' },
      { type: 'stop', content: { reason: 'complete' } },
    ],
  },
  legacy: {
    format: 'legacy',
    frames: [
      { type: 'agent_status', content: { status: 'running', message: 'Searching…' } },
      { type: 'text', content: { data: 'Hel' } },
      { type: 'text', content: { data: 'lo' } },
      { type: 'stop', content: {} },
    ],
  },
};

describe.each(Object.entries(EXPECTED))('dialect fixture %s', (name, expected) => {
  it('maps to the frame types when configured', async () => {
    expect(await relay(fixture(name), expected.format, expected.headers)).toEqual(expected.frames);
  });

  it('is recognised by auto-detection', async () => {
    expect(await relay(fixture(name), 'auto', expected.headers)).toEqual(expected.frames);
  });
});

describe('dialect edge cases', () => {
  it('openai: an in-band {"error"} chunk with no [DONE] is an error, then an error stop', async () => {
    const body = 'data: {"error":{"message":"Rate limit","type":"rate_limit_error"}}\n\n';
    const frames = await relay(body, 'openai');
    expect(frames[0]).toMatchObject({
      type: 'error',
      content: { code: 'upstream_error', message: 'Rate limit' },
    });
    expect(frames.at(-1)).toEqual({ type: 'stop', content: { reason: 'error' } });
  });

  it('anthropic: event: error is an error frame', async () => {
    const body =
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n';
    const frames = await relay(body, 'anthropic');
    expect(frames[0]).toEqual({
      type: 'error',
      content: { code: 'upstream_error', message: 'Overloaded', type: 'overloaded_error' },
    });
  });

  it('ai-sdk: an error part is an error frame', async () => {
    const frames = await relay(
      'data: {"type":"error","errorText":"boom"}\n\ndata: [DONE]\n\n',
      'ai-sdk',
    );
    expect(frames).toEqual([
      { type: 'error', content: { code: 'upstream_error', message: 'boom' } },
      { type: 'stop', content: { reason: 'error' } },
    ]);
  });

  it('event: an end event with no data line ends the stream, after the events before it', async () => {
    const frames = await relay(
      'event: data\ndata: "x"\n\nevent: end\n\nevent: data\ndata: "late"\n\n',
      'event',
    );
    expect(frames).toEqual([
      { type: 'data', content: 'x' },
      { type: 'stop', content: { reason: 'complete' } },
    ]);
  });
});
