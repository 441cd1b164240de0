/**
 * An EventSource look-alike over the bridge, so code written for an SSE endpoint moves by changing
 * its constructor call. Each instance is one chat: it connects, sends `data` as the chat_message
 * (the body the old code POSTed) and dispatches every frame, then closes after the stop.
 *
 * Each frame is dispatched twice:
 * - as `message` (`onmessage`): `data` is the JSON text of `{type, content}`, the shape of a legacy
 *   backend's `data: {"type":"text","content":{"data":"Hi"}}` line;
 * - as its own type (`addEventListener('text' | 'agent_status' | 'error' | 'stop' | …)`): `data` is
 *   the text itself for a `text` frame whose `content.data` is a string, else the JSON text of
 *   `content`, as a named SSE event (`event: agent_status`) would have carried it.
 *
 * `error` listeners and `onerror` get error frames (with `data`) and, without `data`, the failures
 * EventSource reports: a connection that cannot be opened yet (readyState stays CONNECTING and it
 * retries) and a stream that ended with an error (readyState CLOSED; the error is in `error`).
 * Drops after the first open are repaired silently (reconnect and resume), so they fire nothing.
 */
import { type BridgeClient, connect } from './client.ts';
import type { ClientError } from './errors.ts';
import type { ConnectOptions } from './options.ts';
import type { ChatResponse } from './protocol.ts';

/** How long `close()` waits for the bridge to confirm the cancel before dropping the connection. */
export const DEFAULT_CLOSE_WAIT_MS = 5_000;

/** Options of {@link BridgeEventSource}: {@link ConnectOptions} plus the chat to start. */
export interface BridgeEventSourceInit extends ConnectOptions {
  /** The chat_message data (the request body the SSE code POSTed). */
  data: Record<string, unknown>;
}

/** What listeners receive: a MessageEvent-like object. */
export interface BridgeMessageEvent {
  /** `message`, the frame type, `open`, or `error`. */
  type: string;
  /** Absent on `open` and on connection/stream failures. */
  data?: string;
  /** The frame's seq, as text. */
  lastEventId: string;
  /** The frame itself; absent on `open` and failures. */
  frame?: ChatResponse;
  /** On a failure: what went wrong. */
  error?: ClientError | unknown;
  target: BridgeEventSource;
}

/** A listener: a function, or an object with `handleEvent` (as DOM listeners may be). */
export type BridgeEventListener =
  ((event: BridgeMessageEvent) => void) | { handleEvent(event: BridgeMessageEvent): void };

/** 0 connecting, 1 open, 2 closed, as EventSource. */
export type ReadyState = 0 | 1 | 2;

/** The `data` of a frame dispatched under its own type. */
export function toNamedEventData(frame: ChatResponse): string {
  const content = frame.content as { data?: unknown } | undefined;
  if (frame.type === 'text' && typeof content?.data === 'string') return content.data;
  return JSON.stringify(frame.content ?? {});
}

/** One chat over the bridge behind the EventSource interface. */
export class BridgeEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSED = 2;
  /** The bridge URL. */
  readonly url: string;
  /** Always false: credentials go in `auth`. */
  readonly withCredentials = false;
  /** The chat's request id. */
  readonly requestId: string;
  onopen: ((event: BridgeMessageEvent) => void) | null = null;
  onmessage: ((event: BridgeMessageEvent) => void) | null = null;
  onerror: ((event: BridgeMessageEvent) => void) | null = null;
  private state: ReadyState = 0;
  private readonly listeners = new Map<string, Set<BridgeEventListener>>();
  private readonly client: BridgeClient;
  private readonly abort = new AbortController();
  private closeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(url: string, init: BridgeEventSourceInit) {
    const { data, ...options } = init;
    this.url = url;
    this.client = connect(url, options);
    this.client.on('state', (state) => {
      if (state !== 'open' || this.state !== 0) return;
      this.state = 1;
      this.dispatch({ type: 'open', lastEventId: '', target: this });
    });
    this.client.on('error', (error) => {
      if (this.state === 0) this.dispatch({ type: 'error', lastEventId: '', error, target: this });
    });
    const stream = this.client.chat(data, { signal: this.abort.signal });
    this.requestId = stream.requestId;
    void this.pump(stream);
  }

  /** 0 until connected, 1 while the answer streams (reconnects included), 2 after it ended. */
  get readyState(): ReadyState {
    return this.state;
  }

  addEventListener(type: string, listener: BridgeEventListener | null): void {
    if (!listener) return;
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
  }

  removeEventListener(type: string, listener: BridgeEventListener | null): void {
    if (listener) this.listeners.get(type)?.delete(listener);
  }

  /** Stop: cancels the chat on the bridge (`chat_cancel`), then closes the connection. */
  close(): void {
    if (this.state === 2) return;
    this.state = 2;
    this.abort.abort();
    this.closeTimer = setTimeout(() => this.client.close(), DEFAULT_CLOSE_WAIT_MS);
  }

  private async pump(stream: AsyncIterable<ChatResponse>): Promise<void> {
    try {
      for await (const frame of stream) {
        // After close() the loop runs on until the cancelled stop, dispatching nothing.
        if (this.state === 2) continue;
        this.deliver(frame);
        if (frame.type === 'stop') this.state = 2;
      }
    } catch (error) {
      if (this.state !== 2) {
        this.state = 2;
        this.dispatch({ type: 'error', lastEventId: '', error, target: this });
      }
    } finally {
      this.state = 2;
      clearTimeout(this.closeTimer);
      this.client.close();
    }
  }

  private deliver(frame: ChatResponse): void {
    const lastEventId = String(frame.seq);
    const content = JSON.stringify({ type: frame.type, content: frame.content });
    this.dispatch({ type: 'message', data: content, lastEventId, frame, target: this });
    if (frame.type === 'message' || this.state === 2) return;
    const data = toNamedEventData(frame);
    this.dispatch({ type: frame.type, data, lastEventId, frame, target: this });
  }

  private dispatch(event: BridgeMessageEvent): void {
    const attribute =
      event.type === 'open'
        ? this.onopen
        : event.type === 'message'
          ? this.onmessage
          : event.type === 'error'
            ? this.onerror
            : null;
    const listeners = [...(this.listeners.get(event.type) ?? [])];
    for (const listener of attribute ? [attribute, ...listeners] : listeners) {
      try {
        if (typeof listener === 'function') listener.call(this, event);
        else listener.handleEvent(event);
      } catch (error) {
        // As in the DOM: a throwing listener is reported, and the stream goes on.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }
}
