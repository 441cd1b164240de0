/**
 * An upstream dialect turns the SSE events of one kind of backend into the bridge's frame types:
 * `text`, `thinking`, `agent_status`, `tool_call`, `tool_result`, `usage`, `error`, `stop`.
 */
import type { Frame } from '../../protocol/frame.ts';
import { DONE, type SseEvent, toFrame, toUpstreamCode } from './legacy-rules.ts';

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

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parse JSON data, or undefined. */
export function parseData(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/**
 * An error frame with the upstream's details (`type`, `param`, …) as they were, its own `code`
 * when it gives one (else `upstream_error`), and `message`.
 */
export function toUpstreamError(message: string, details: Record<string, unknown> = {}): Frame {
  return { type: 'error', content: { ...details, code: toUpstreamCode(details.code), message } };
}

/**
 * An event the dialect cannot map goes out by the legacy rules (never silently dropped), and is
 * reported; `[DONE]` ends the stream with the dialect's own stop.
 */
export function toUnmappedFrames(
  dialect: DialectName,
  event: SseEvent,
  report: DialectReport,
  stop: () => Frame,
): Frame[] {
  report.unmapped(dialect, event);
  const frame = toFrame(event);
  if (frame === DONE) return [stop()];
  return frame === undefined ? [] : [frame];
}
