/**
 * One connection attempt over one protocol. The client makes a new transport for every
 * (re)connect; a transport never reconnects by itself.
 */
import type { ClientError } from './errors.ts';

/** What a transport reports. None is called after {@link Transport.close}. */
export interface TransportHandlers {
  /** The connection is open and messages can be sent. */
  onOpen(): void;
  /** An event from the bridge that answers no request (`chat_response`, `presence`, …). */
  onEvent(event: string, data: unknown): void;
  /** The attempt failed or the open connection is gone (`connect_failed`, `connection_lost`, …). */
  onClose(error: ClientError): void;
}

/** An open (or opening) connection to the bridge. */
export interface Transport {
  /**
   * Send an event and resolve with its ack data; reject with the bridge's error, or with
   * `connection_lost` when the connection went away before the answer.
   */
  request(event: string, data: unknown): Promise<unknown>;
  /** Close without reporting: requests still waiting reject with `connection_lost`. */
  close(): void;
}

/** A request waiting for its answer. */
export interface PendingRequest {
  resolve(data: unknown): void;
  reject(error: ClientError): void;
}
