/**
 * An upstream dialect turns the SSE events of one kind of backend into the bridge's frame types:
 * `text`, `thinking`, `agent_status`, `tool_call`, `tool_result`, `usage`, `error`, `stop`.
 */
import type { Frame } from '../../protocol/frame.ts';
import type { SseEvent } from '../sse-event.ts';

import type { DialectName } from '../../config/upstream-format.ts';

export {
  DIALECT_NAMES,
  type DialectName,
  type UpstreamFormat,
} from '../../config/upstream-format.ts';

/** One stream's mapper (dialects keep state, e.g. the stop reason seen before the stop). */
export interface Dialect {
  readonly name: DialectName;
  /** The frames for one SSE event; a `stop` frame completes the stream. */
  map(event: SseEvent): Frame[];
  /** The body ended cleanly without a stop: the stop to send. */
  end(): Frame;
}

/** What a dialect reports about events it passes on without its own mapping. */
export interface DialectReport {
  /** The dialect could not map `event`; it went out by the legacy rules instead. */
  unmapped(dialect: DialectName, event: SseEvent): void;
  /** `event` carried nothing a client sees (a named event without JSON data, under legacy). */
  dropped(dialect: DialectName, event: SseEvent): void;
}

/** Reports nothing. */
export const silentReport: DialectReport = { unmapped: () => {}, dropped: () => {} };

/** Parse JSON data, or undefined. */
export function parseData(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}
