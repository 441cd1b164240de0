/**
 * The browser build's entry (an IIFE with socket.io-client inside): `window.sse2ws` for pages
 * without a bundler, such as the playground.
 */
import { BridgeEventSource, ClientError, connect } from './index.ts';

/** What the page sees as `window.sse2ws`. */
export interface BrowserGlobal {
  connect: typeof connect;
  BridgeEventSource: typeof BridgeEventSource;
  EventSource: typeof BridgeEventSource;
  ClientError: typeof ClientError;
}

(globalThis as unknown as { sse2ws: BrowserGlobal }).sse2ws = {
  connect,
  BridgeEventSource,
  EventSource: BridgeEventSource,
  ClientError,
};
