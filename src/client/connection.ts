/**
 * A connection that heals itself: each (re)connect is a new transport, tried with exponential
 * backoff and jitter. A replacement (on `server_shutdown`) is opened before the old transport is
 * dropped, so nothing is missed in between.
 */
import type { ClientError } from './errors.ts';
import { type ResolvedOptions, toBackoffDelay } from './options.ts';
import { createSocketIoTransport } from './socketio-transport.ts';
import type { Transport, TransportHandlers } from './transport.ts';
import { createWsTransport } from './ws-transport.ts';

/** What a {@link Connection} reports to its owner. */
export interface ConnectionHooks {
  /** `transport` is the connection now: carry everything over to it. */
  onOpen(transport: Transport): void;
  /** An event of the current transport. */
  onEvent(event: string, data: unknown): void;
  /** The current transport was lost; a new one is on its way. */
  onLost(): void;
  /** An attempt failed (and will be retried). */
  onAttemptFailed(error: ClientError): void;
  /** With `reconnect: false`: the connection is gone for good. */
  onGone(error: ClientError): void;
}

/** The transport in use, the one being opened, and the retry timer. */
export class Connection {
  private current: Transport | undefined;
  private candidate: Transport | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly options: ResolvedOptions,
    private readonly hooks: ConnectionHooks,
  ) {
    this.attempt();
  }

  /** The open transport, if any. */
  get transport(): Transport | undefined {
    return this.current;
  }

  /** Open a new transport now; the current one stays in use until it is open. */
  replace(): void {
    if (this.closed || this.candidate || !this.options.reconnect) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.attempt();
  }

  /** Close every transport and stop reconnecting. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.candidate?.close();
    this.current?.close();
    this.candidate = this.current = undefined;
  }

  private attempt(): void {
    if (this.closed || this.candidate) return;
    const handlers: TransportHandlers = {
      onOpen: () => this.onOpen(transport),
      onEvent: (event, data) => {
        if (transport === this.current) this.hooks.onEvent(event, data);
      },
      onClose: (error) => this.onClose(transport, error),
    };
    const transport =
      this.options.protocol === 'ws'
        ? createWsTransport(this.url, this.options, handlers)
        : createSocketIoTransport(this.url, this.options, handlers);
    this.candidate = transport;
  }

  private onOpen(transport: Transport): void {
    if (transport !== this.candidate) return;
    this.candidate = undefined;
    const previous = this.current;
    this.current = transport;
    this.failures = 0;
    previous?.close();
    this.hooks.onOpen(transport);
  }

  private onClose(transport: Transport, error: ClientError): void {
    if (transport === this.candidate) {
      this.candidate = undefined;
      this.failures++;
      this.hooks.onAttemptFailed(error);
      if (!this.options.reconnect && !this.current) return this.hooks.onGone(error);
    } else if (transport === this.current) {
      this.current = undefined;
      if (!this.options.reconnect) return this.hooks.onGone(error);
      this.hooks.onLost();
    } else {
      return;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.closed || this.candidate || this.timer !== undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.attempt();
      },
      toBackoffDelay(this.failures, this.options),
    );
  }
}
