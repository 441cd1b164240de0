/** Real SDK clients for tests: `ws`'s WebSocket (Node 20 has no global one), closed after the test. */
import WebSocket from 'ws';
import {
  type BridgeClient,
  type ChatResponse,
  type ConnectOptions,
  connect,
  type ConnectionState,
} from '../../src/client/index.ts';
import { onCleanup } from '../helpers/bridge.ts';
import { withoutTimestamp } from '../helpers/clients.ts';

/** Both protocols, for `describe.each`. */
export const PROTOCOLS = ['ws', 'socketio'] as const;

/** Options that keep tests quick: short reconnect delays and connect timeout. */
export const FAST: Partial<ConnectOptions> = {
  reconnectDelayMs: 20,
  reconnectDelayMaxMs: 200,
  connectTimeoutMs: 5_000,
};

/** A client on `url`, recording its states, closed after the test. */
export function connectClient(
  url: string,
  options: Partial<ConnectOptions> & Pick<ConnectOptions, 'protocol'>,
): { client: BridgeClient; states: ConnectionState[] } {
  const client = connect(url, { WebSocket, ...FAST, ...options });
  onCleanup(() => client.close());
  const states: ConnectionState[] = [];
  client.on('state', (state) => states.push(state));
  return { client, states };
}

/**
 * Every frame of an iterable, in order, each checked to carry its numeric `timestamp` and returned
 * without it (so content assertions stay exact).
 */
export async function collect(stream: AsyncIterable<ChatResponse>): Promise<ChatResponse[]> {
  const frames: ChatResponse[] = [];
  for await (const frame of stream) {
    if (typeof frame.timestamp !== 'number') {
      throw new Error(`frame without timestamp: ${JSON.stringify(frame)}`);
    }
    frames.push(withoutTimestamp(frame));
  }
  return frames;
}

/** Poll `check` until it holds (at most `timeoutMs`). */
export async function waitUntil(
  check: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolve once the client's state is `state`. */
export function waitForState(client: BridgeClient, state: ConnectionState): Promise<void> {
  return waitUntil(() => client.state === state, `state ${state}`);
}
