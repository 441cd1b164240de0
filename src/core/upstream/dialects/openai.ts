/**
 * OpenAI-compatible chat completion streams: `choices[].delta.content` → text,
 * `delta.tool_calls` → tool_call, a usage chunk → usage, `finish_reason` kept for the stop that
 * `[DONE]` (or the end of the body) sends, an `{"error": …}` chunk → error.
 */
import type { Frame } from '../../protocol/frame.ts';
import { isObject } from '../../internal/json.ts';
import { toUnmappedFrames, toUpstreamError } from './legacy.ts';
import { type Dialect, type DialectReport, parseData, silentReport } from './types.ts';

export function createOpenAiDialect(report: DialectReport = silentReport): Dialect {
  let finishReason: string | undefined;
  let sawError = false;
  const stop = (): Frame => ({
    type: 'stop',
    content: {
      reason: sawError ? 'error' : 'complete',
      ...(finishReason ? { finish_reason: finishReason } : {}),
    },
  });
  return {
    name: 'openai',
    map(event) {
      if (event.data.trim() === '[DONE]') return [stop()];
      const chunk = parseData(event.data);
      if (!isObject(chunk) || !isCompletionChunk(chunk)) {
        const frames = toUnmappedFrames('openai', event, report, stop);
        if (frames.some((f) => f.type === 'error')) sawError = true;
        return frames;
      }
      if ('error' in chunk) {
        sawError = true;
        const error = chunk.error;
        const message =
          isObject(error) && typeof error.message === 'string' ? error.message : String(error);
        return [toUpstreamError(message, isObject(error) ? error : {})];
      }
      const frames: Frame[] = [];
      const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
      for (const choice of choices) {
        if (!isObject(choice)) continue;
        const delta = isObject(choice.delta) ? choice.delta : {};
        if (typeof delta.content === 'string' && delta.content !== '') {
          frames.push({ type: 'text', content: { data: delta.content } });
        }
        if (typeof delta.reasoning_content === 'string' && delta.reasoning_content !== '') {
          frames.push({ type: 'thinking', content: { data: delta.reasoning_content } });
        }
        for (const call of Array.isArray(delta.tool_calls) ? delta.tool_calls : []) {
          if (!isObject(call)) continue;
          const fn = isObject(call.function) ? call.function : {};
          frames.push({
            type: 'tool_call',
            content: {
              index: call.index,
              ...(typeof call.id === 'string' ? { id: call.id } : {}),
              ...(typeof fn.name === 'string' ? { name: fn.name } : {}),
              arguments: typeof fn.arguments === 'string' ? fn.arguments : '',
            },
          });
        }
        if (typeof choice.finish_reason === 'string') finishReason = choice.finish_reason;
      }
      if (isObject(chunk.usage)) frames.push({ type: 'usage', content: chunk.usage });
      return frames;
    },
    end: stop,
  };
}

/** A chunk this dialect maps: a completion chunk, a usage-only chunk, or an in-band error. */
function isCompletionChunk(chunk: Record<string, unknown>): boolean {
  return (
    chunk.object === 'chat.completion.chunk' ||
    Array.isArray(chunk.choices) ||
    isObject(chunk.usage) ||
    ('error' in chunk && !('type' in chunk))
  );
}
