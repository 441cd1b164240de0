/**
 * An upstream dialect turns the SSE events of one kind of backend into the bridge's frame types:
 * `text`, `thinking`, `agent_status`, `tool_call`, `tool_result`, `usage`, `error`, `stop`.
 */
import type { Frame } from '../frame.ts';
import type { SseEvent } from '../sse-mapping.ts';

/** The dialects the bridge speaks. */
export const DIALECT_NAMES = ['legacy', 'openai', 'anthropic', 'ai-sdk', 'event'] as const;
export type DialectName = (typeof DIALECT_NAMES)[number];

/** `--upstream-format`: a dialect, or `auto` to recognise it from the response. */
export type UpstreamFormat = DialectName | 'auto';

/** One stream's mapper (dialects keep state, e.g. the stop reason seen before the stop). */
export interface Dialect {
  readonly name: DialectName;
  /** The frames for one SSE event; a `stop` frame completes the stream. */
  map(event: SseEvent): Frame[];
  /** The body ended cleanly without a stop: the stop to send. */
  end(): Frame;
}

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

/** An error frame with the bridge's `upstream_error` code and the upstream's own details. */
export function toUpstreamError(message: string, details: Record<string, unknown> = {}): Frame {
  return { type: 'error', content: { ...details, code: 'upstream_error', message } };
}
