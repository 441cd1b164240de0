/**
 * One parsed SSE event and the questions every dialect asks of it, whatever its rules.
 */

/** One parsed SSE event (the shape eventsource-parser produces). */
export interface SseEvent {
  event?: string | undefined;
  data: string;
}

/**
 * Named events that only keep a connection alive (sse-starlette's `event: ping` with a timestamp,
 * Anthropic's `ping`): consumed like comments, in every dialect, and never what decides one.
 */
export const KEEPALIVE_EVENTS: ReadonlySet<string> = new Set(['ping', 'heartbeat', 'keep-alive']);

/** Whether the event is a named keep-alive. */
export const isKeepAlive = (event: SseEvent): boolean =>
  event.event !== undefined && KEEPALIVE_EVENTS.has(event.event);

/** Whether the event has a name other than the default `message` (EventSource's `onmessage`). */
export const isNamed = (event: SseEvent): boolean =>
  event.event !== undefined && event.event !== '' && event.event !== 'message';
