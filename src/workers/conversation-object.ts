/**
 * One Durable Object per conversation: members meet here. It fans out the frames its streams push
 * over their links, user_message and presence events, and tells its running streams when the
 * member count dropped (they may start their grace period).
 */
import {
  conversationTopic,
  createMemoryRegistry,
  type Registry,
  type TopicMessage,
  ERROR_TABLE,
} from '../core/index.ts';
import { type Env, loadOptions } from './env.ts';
import { acceptObjectSocket, callObject, json, requireId, streamObject } from './object-api.ts';

const q = encodeURIComponent;

export class ConversationObject implements DurableObject {
  private readonly env: Env;
  private readonly registry: Registry;
  /** Streams of this conversation that are still running (their links are open). */
  private readonly running = new Set<string>();

  constructor(_state: DurableObjectState, env: Env) {
    this.env = env;
    this.registry = createMemoryRegistry(loadOptions(env));
  }

  /** Members changed: running streams re-check whether anyone still receives them. */
  private notifyStreams(): void {
    for (const requestId of this.running) {
      void callObject(streamObject(this.env, requestId), `/audience?id=${q(requestId)}`);
    }
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const id = requireId(url);
    const topic = conversationTopic(id);
    switch (url.pathname) {
      case '/subscribe': {
        const { response, socket } = acceptObjectSocket();
        const unsubscribe = await this.registry.subscribe(topic, (message) => {
          socket.send(JSON.stringify(message));
        });
        socket.addEventListener('close', () => void unsubscribe());
        return response;
      }
      case '/publish':
        await this.registry.publish(topic, (await request.json()) as TopicMessage);
        return json({});
      case '/join': {
        const { sessionId, userId } = (await request.json()) as {
          sessionId: string;
          userId?: string;
        };
        const presence = await this.registry.joinConversation(id, sessionId, userId);
        this.notifyStreams();
        return json(presence);
      }
      case '/leave': {
        const { sessionId } = (await request.json()) as { sessionId: string };
        const presence = await this.registry.leaveConversation(id, sessionId);
        this.notifyStreams();
        return json(presence);
      }
      case '/members':
        return json({
          clients: await this.registry.audience({ requestId: '', conversationId: id }),
        });
      case '/link': {
        const requestId = url.searchParams.get('request_id') ?? '';
        const { response, socket } = acceptObjectSocket();
        this.running.add(requestId);
        socket.addEventListener('message', (event) => {
          const frame = JSON.parse(String(event.data));
          void this.registry.publish(topic, { kind: 'frame', frame, key: requestId });
        });
        socket.addEventListener('close', () => this.running.delete(requestId));
        return response;
      }
      default:
        return new Response('not found', { status: ERROR_TABLE.unknown_request.status });
    }
  }
}
