/**
 * Chat round trips for upstream contract tests: a fake upstream, a real bridge and a real `/ws`
 * client, with one call to send a chat_message and get its frames back.
 */
import type { BridgeOptions } from '../../src/core/config/types.ts';
import type { StartBridge } from '../contract/start-bridge.ts';
import { onCleanup, startBridge } from './bridge.ts';
import { assertWellFormed, type ChatResponse, connectWs, type WsClient } from './clients.ts';
import { type FakeUpstream, startFakeUpstream, type UpstreamHandler } from './fake-upstream.ts';

/** A `/ws` client connected to a bridge. */
export interface ChatClient {
  client: WsClient;
  /** Send a chat_message and resolve with its request id once it is acked. */
  start(data?: Record<string, unknown>): Promise<string>;
  /** Send a chat_message and resolve with its frames once the stop arrived, checked well-formed. */
  chat(data?: Record<string, unknown>): Promise<ChatResponse[]>;
  /**
   * Resolve once a ping sent now is answered: everything the bridge sent this client before
   * that point has arrived.
   */
  barrier(): Promise<void>;
}

/** A fake upstream with a bridge and a client in front of it. */
export interface ChatRig extends ChatClient {
  upstream: FakeUpstream;
}

let nextMessageId = 1;

/** Starts bridges for this test file's runtime (Node unless a Workers suite says otherwise). */
let startRuntimeBridge: StartBridge = startBridge;

/** Run this file's chat rigs on another runtime's bridge. */
export function useChatRuntime(start: StartBridge): void {
  startRuntimeBridge = start;
}

/** Start a bridge pointed at `upstreamUrl` and connect a `/ws` client; all closed after the test. */
export async function connectChat(
  upstreamUrl: string,
  options: Partial<BridgeOptions> = {},
  clientOptions: { query?: string; headers?: Record<string, string> } = {},
): Promise<ChatClient> {
  const bridge = await startRuntimeBridge(upstreamUrl, options);
  const client = await connectWs(bridge.url, clientOptions);
  const start = async (data: Record<string, unknown> = { current_text: 'hi' }) => {
    const id = nextMessageId++;
    client.send({ event: 'chat_message', data, id });
    const answer = await client.inbox.waitFor(
      (m) => m.id === id && (m.event === 'ack' || m.event === 'error'),
      10_000,
      `ack of message ${id}`,
    );
    if (answer.event !== 'ack' || typeof answer.data?.request_id !== 'string') {
      throw new Error(`chat_message refused: ${JSON.stringify(answer)}`);
    }
    return answer.data.request_id as string;
  };
  return {
    client,
    start,
    async chat(data) {
      const frames = await client.frames(await start(data));
      assertWellFormed(frames);
      return frames;
    },
    async barrier() {
      const id = `barrier-${nextMessageId++}`;
      client.send({ event: 'ping', id });
      await client.inbox.waitFor((m) => m.event === 'pong' && m.id === id, 10_000, 'pong');
    },
  };
}

/** Start a fake upstream answering with `handler`, then a bridge and a client in front of it. */
export async function startChatRig(
  handler: UpstreamHandler,
  options: Partial<BridgeOptions> = {},
  clientOptions: { query?: string; headers?: Record<string, string> } = {},
): Promise<ChatRig> {
  const upstream = await startFakeUpstream(handler);
  onCleanup(() => upstream.close());
  return { upstream, ...(await connectChat(upstream.url, options, clientOptions)) };
}

/** `[type, content]` of each frame: what most assertions compare. */
export function toPairs(frames: ChatResponse[]): Array<[string, unknown]> {
  return frames.map((f) => [f.type, f.content]);
}
