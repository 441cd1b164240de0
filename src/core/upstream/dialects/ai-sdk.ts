/**
 * Vercel AI SDK UI message streams (v1, header `x-vercel-ai-ui-message-stream`): text-delta → text,
 * reasoning-delta → thinking, tool-input-* → tool_call, tool-output-* → tool_result, error →
 * error, finish / `[DONE]` → stop. Part boundaries (start, text-start, …) carry nothing for the
 * client.
 */
import type { Frame } from '../../protocol/frame.ts';
import { isObject } from '../../internal/json.ts';
import { toUnmappedFrames, toUpstreamError } from './legacy.ts';
import { type Dialect, type DialectReport, parseData, silentReport } from './types.ts';

/** The header that announces a UI message stream. */
export const AI_SDK_HEADER = 'x-vercel-ai-ui-message-stream';

/** The UI message stream's part types. */
export const AI_SDK_TYPES =
  /^(start|start-step|finish-step|finish|error|text-(start|delta|end)|reasoning-(start|delta|end)|tool-(input|output)-[a-z-]+|source-[a-z-]+|file|data-.+|message-metadata|abort)$/;

export function createAiSdkDialect(report: DialectReport = silentReport): Dialect {
  let sawError = false;
  let finishReason: unknown;
  const stop = (): Frame => ({
    type: 'stop',
    content: {
      reason: sawError ? 'error' : 'complete',
      ...(typeof finishReason === 'string' ? { finish_reason: finishReason } : {}),
    },
  });
  return {
    name: 'ai-sdk',
    map(event) {
      if (event.data.trim() === '[DONE]') return [stop()];
      const part = parseData(event.data);
      if (!isObject(part) || typeof part.type !== 'string' || !AI_SDK_TYPES.test(part.type)) {
        const frames = toUnmappedFrames('ai-sdk', event, report, stop);
        if (frames.some((f) => f.type === 'error')) sawError = true;
        return frames;
      }
      const { type } = part;
      if (type === 'text-delta') return [{ type: 'text', content: { data: part.delta } }];
      if (type === 'reasoning-delta') return [{ type: 'thinking', content: { data: part.delta } }];
      if (type.startsWith('tool-input-')) {
        const { type: _t, toolCallId, toolName, ...rest } = part;
        return [
          {
            type: 'tool_call',
            content: { id: toolCallId, name: toolName, phase: type.slice(11), ...rest },
          },
        ];
      }
      if (type.startsWith('tool-output-')) {
        const { type: _t, toolCallId, ...rest } = part;
        return [
          { type: 'tool_result', content: { id: toolCallId, phase: type.slice(12), ...rest } },
        ];
      }
      if (type === 'error') {
        sawError = true;
        return [
          toUpstreamError(typeof part.errorText === 'string' ? part.errorText : 'upstream error'),
        ];
      }
      if (type === 'finish') {
        finishReason = part.finishReason;
        return [stop()];
      }
      return [];
    },
    end: stop,
  };
}
