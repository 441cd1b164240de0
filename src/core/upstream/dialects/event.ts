/**
 * Named-event streams (LangServe, Starlette's EventSourceResponse): the SSE event name is the
 * frame type and the data its content; `end` ends the stream (with or without a data line),
 * `error` is an error frame.
 */
import type { Frame } from '../../protocol/frame.ts';
import { toErrorFrame } from './legacy.ts';
import { type Dialect, parseData } from './types.ts';

export function createEventDialect(): Dialect {
  let sawError = false;
  const stop = (): Frame => ({
    type: 'stop',
    content: { reason: sawError ? 'error' : 'complete' },
  });
  return {
    name: 'event',
    map(event) {
      const name = event.event ?? 'message';
      if (name === 'end') return [stop()];
      const parsed = parseData(event.data);
      const content = parsed === undefined ? event.data : parsed;
      if (name === 'error') {
        sawError = true;
        return [toErrorFrame(content)];
      }
      return [{ type: name, content }];
    },
    end: stop,
  };
}
