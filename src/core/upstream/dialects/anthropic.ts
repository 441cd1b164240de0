/**
 * Anthropic Messages streams: `content_block_delta` text_delta → text, thinking_delta → thinking,
 * `tool_use` blocks and input_json_delta → tool_call; `ping` ignored; the `message_delta`
 * stop_reason is kept for the stop that `message_stop` sends; `event: error` → error.
 */
import type { Frame } from '../../protocol/frame.ts';
import { isObject } from '../../internal/json.ts';
import { toUnmappedFrames, toUpstreamError } from './legacy.ts';
import { type Dialect, type DialectReport, parseData, silentReport } from './types.ts';

/** The Messages stream's event types; `ping` is a keep-alive. */
export const ANTHROPIC_EVENTS: ReadonlySet<string> = new Set([
  'message_start',
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
  'message_delta',
  'message_stop',
  'ping',
  'error',
]);

export function createAnthropicDialect(report: DialectReport = silentReport): Dialect {
  let stopReason: string | undefined;
  let sawError = false;
  const stop = (): Frame => ({
    type: 'stop',
    content: {
      reason: sawError ? 'error' : 'complete',
      ...(stopReason ? { stop_reason: stopReason } : {}),
    },
  });
  return {
    name: 'anthropic',
    map(event) {
      const value = parseData(event.data);
      const type = isObject(value) && typeof value.type === 'string' ? value.type : event.event;
      if (type === undefined || !ANTHROPIC_EVENTS.has(type)) {
        const frames = toUnmappedFrames('anthropic', event, report, stop);
        if (frames.some((f) => f.type === 'error')) sawError = true;
        return frames;
      }
      if (!isObject(value)) {
        if (type !== 'error') return [];
        sawError = true;
        return [toUpstreamError(event.data)];
      }
      switch (type) {
        case 'content_block_start': {
          const block = isObject(value.content_block) ? value.content_block : {};
          if (block.type !== 'tool_use') return [];
          return [
            {
              type: 'tool_call',
              content: { index: value.index, id: block.id, name: block.name, arguments: '' },
            },
          ];
        }
        case 'content_block_delta': {
          const delta = isObject(value.delta) ? value.delta : {};
          if (delta.type === 'text_delta') return [{ type: 'text', content: { data: delta.text } }];
          if (delta.type === 'thinking_delta') {
            return [{ type: 'thinking', content: { data: delta.thinking } }];
          }
          if (delta.type === 'input_json_delta') {
            return [
              { type: 'tool_call', content: { index: value.index, arguments: delta.partial_json } },
            ];
          }
          return [];
        }
        case 'message_delta': {
          const delta = isObject(value.delta) ? value.delta : {};
          if (typeof delta.stop_reason === 'string') stopReason = delta.stop_reason;
          return isObject(value.usage) ? [{ type: 'usage', content: value.usage }] : [];
        }
        case 'message_stop':
          return [stop()];
        case 'error': {
          sawError = true;
          const error = isObject(value.error) ? value.error : {};
          const message = typeof error.message === 'string' ? error.message : 'upstream error';
          const { message: _m, ...details } = error;
          return [toUpstreamError(message, details)];
        }
        default:
          // message_start, content_block_stop, ping: nothing for the client.
          return [];
      }
    },
    end: stop,
  };
}
