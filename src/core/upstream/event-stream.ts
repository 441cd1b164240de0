/**
 * The backend's notification stream for one client (`--events-url`): a `GET` SSE request with the
 * client's forwarded headers, each event relayed to the client, reconnecting like `EventSource`
 * (`Last-Event-ID`, the server's `retry:`), until the client leaves.
 */
import type { EventSourceMessage } from 'eventsource-parser';
import type { Logger } from '../internal/logger.ts';
import { cancelTimer, type Timer } from '../internal/timers.ts';
import type { UpstreamClient } from './client.ts';
import { toChunks } from './push-body.ts';
import { createSseReader } from './sse-reader.ts';

/** Reconnection delay until the server sends `retry:` (what browsers' EventSource use, ~3 s). */
export const DEFAULT_EVENTS_RETRY_MS = 3_000;
/** Floor of the delay: a `retry: 0` must not turn a failing backend into a request loop. */
export const DEFAULT_EVENTS_MIN_RETRY_MS = 100;
/** Cap of the delay, however many attempts failed in a row (backoff doubles it per failure). */
export const DEFAULT_EVENTS_MAX_RETRY_MS = 60_000;
/** Up to this fraction is added at random, so clients of a restarted backend do not return at once. */
export const DEFAULT_EVENTS_JITTER = 0.2;
/** Client events the backend's stream may not name: frames come from streams only; the rest are Socket.IO's own. */
export const RESERVED_EVENT_NAMES: ReadonlySet<string> = new Set([
  'chat_response',
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
]);

/** What one client's event stream is built from. */
export interface EventStreamDeps {
  client: UpstreamClient;
  url: string;
  /** The client's forwarded headers (so the backend sees the same user). */
  headers: Readonly<Record<string, string>>;
  /** Send one event to the client. */
  deliver(event: string, data: unknown): void;
  logger: Logger;
  /** Aborted when the client leaves: the request is closed and no reconnect follows. */
  signal: AbortSignal;
}

/**
 * The client event of one SSE event: `notification` when the data is a `{title, message, type, …}`
 * object (one with a string `title` or `message`), else the SSE `event:` name (default `notification`) with the data parsed as JSON (or
 * the text itself). Object data gets `timestamp`; anything else is sent as `{data, timestamp}`.
 */
export function toClientEvent(event: EventSourceMessage): { event: string; data: unknown } {
  let data: unknown = event.data;
  try {
    data = JSON.parse(event.data);
  } catch {
    // Not JSON: relayed as text.
  }
  const now = Date.now();
  if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
    const record = data as Record<string, unknown>;
    const isNotification = typeof record.title === 'string' || typeof record.message === 'string';
    const name = isNotification ? 'notification' : (event.event ?? 'notification');
    return { event: name, data: { ...record, timestamp: now } };
  }
  return { event: event.event ?? 'notification', data: { data, timestamp: now } };
}

/** Statuses after which reconnecting cannot help (EventSource gives up on them too). */
const isFinal = (status: number): boolean =>
  status === 204 || (status >= 400 && status < 500 && status !== 408 && status !== 429);

/** Resolves after `ms`, or at once when `signal` aborts. */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      cancelTimer(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer: Timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Run the stream until `signal` aborts or the backend answers with a final status. */
export async function runEventStream(deps: EventStreamDeps): Promise<void> {
  const { client, url, signal, logger } = deps;
  let lastEventId: string | undefined;
  let retryMs = DEFAULT_EVENTS_RETRY_MS;
  let failures = 0;
  while (!signal.aborted) {
    try {
      const response = await client({
        url,
        method: 'GET',
        headers: {
          ...deps.headers,
          accept: 'text/event-stream',
          'cache-control': 'no-cache',
          ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
        },
        signal,
      });
      const isSse = response.contentType?.toLowerCase().startsWith('text/event-stream') === true;
      if (response.status !== 200 || !isSse) {
        for await (const _chunk of toChunks(response.body)) {
          // Drained so the connection can be reused.
        }
        if (isFinal(response.status)) {
          logger.warn({ status: response.status }, 'events stream: backend refused; not retrying');
          return;
        }
        failures++;
        logger.warn({ status: response.status, isSse }, 'events stream: bad answer');
      } else {
        failures = 0;
        // An event over the size limit stops the parser; its error on the next chunk fails this
        // request like any other, and the stream reconnects.
        const reader = createSseReader({
          onEvent: (event) => {
            if (event.id !== undefined) lastEventId = event.id;
            const message = toClientEvent(event);
            if (RESERVED_EVENT_NAMES.has(message.event)) {
              logger.warn({ event: message.event }, 'events stream: reserved event name dropped');
              return;
            }
            deps.deliver(message.event, message.data);
          },
          onRetry: (ms) => {
            retryMs = ms;
          },
          throwOnOversized: false,
        });
        for await (const chunk of toChunks(response.body)) reader.push(chunk);
        logger.debug({}, 'events stream: backend closed it; reconnecting');
      }
    } catch (error) {
      if (signal.aborted) return;
      failures++;
      logger.warn({ err: String(error) }, 'events stream: request failed');
    }
    const base = Math.max(DEFAULT_EVENTS_MIN_RETRY_MS, retryMs) * 2 ** Math.min(failures, 16);
    const wait = Math.min(
      DEFAULT_EVENTS_MAX_RETRY_MS,
      base * (1 + Math.random() * DEFAULT_EVENTS_JITTER),
    );
    await delay(wait, signal);
  }
}
