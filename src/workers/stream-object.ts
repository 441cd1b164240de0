/**
 * One Durable Object per stream (named by request id): it owns the upstream request, the frame
 * buffer and the sockets subscribed to the stream, so resume works from any Worker isolate. A
 * stream of a conversation also pushes its frames, in order, to the conversation's object.
 */
import {
  createLocalStreamHost,
  createMemoryRegistry,
  streamTopic,
  type LocalStreamHost,
  type Registry,
  type StreamInfo,
  ERROR_TABLE,
  WS_CLOSE,
} from '../core/index.ts';
import { type Env, loadConfig, loadOptions, toUpstream } from './env.ts';
import { createWorkersLogger } from './logger.ts';
import {
  acceptObjectSocket,
  callObject,
  conversationObject,
  json,
  openObjectSocket,
  requireId,
} from './object-api.ts';

const q = encodeURIComponent;

export class StreamObject implements DurableObject {
  private readonly env: Env;
  private readonly registry: Registry;
  private readonly host: LocalStreamHost;
  /** Ordered frame link to the conversation's object, for streams of a conversation. */
  private conversationLink: Promise<WebSocket> | undefined;

  constructor(_state: DurableObjectState, env: Env) {
    this.env = env;
    const options = loadOptions(env);
    const logger = createWorkersLogger(options.logLevel);
    const memory = createMemoryRegistry(options);
    this.registry = {
      ...memory,
      appendFrame: async (info, frame) => {
        await memory.appendFrame(info, frame);
        if (this.conversationLink) {
          const link = await this.conversationLink;
          link.send(JSON.stringify(frame));
          if (frame.type === 'stop') link.close(WS_CLOSE.normal, 'stream done');
        }
      },
      audience: async (info) => {
        const direct = await memory.audience({ requestId: info.requestId });
        if (info.conversationId === undefined) return direct;
        const stub = conversationObject(env, info.conversationId);
        const members = await callObject<{ clients: number }>(
          stub,
          `/members?id=${q(info.conversationId)}`,
        );
        return direct + members.clients;
      },
    };
    const upstream = toUpstream(options);
    this.host = createLocalStreamHost({
      options,
      upstreamUrl: upstream.url,
      upstream: upstream.client,
      config: loadConfig(env),
      registry: this.registry,
      logger,
    });
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const id = requireId(url);
    switch (url.pathname) {
      case '/claim':
        return json({
          claimed: await this.registry.claimStream((await request.json()) as StreamInfo),
        });
      case '/start': {
        const { info, body, headers } = (await request.json()) as {
          info: StreamInfo;
          body: string;
          headers: Record<string, string>;
        };
        if (info.conversationId !== undefined) {
          const stub = conversationObject(this.env, info.conversationId);
          this.conversationLink = openObjectSocket(
            stub,
            `/link?id=${q(info.conversationId)}&request_id=${q(info.requestId)}`,
          );
          await this.conversationLink;
        }
        await this.host.startStream(info, body, headers);
        return json({});
      }
      case '/frames':
        return json(
          await this.registry.readFrames(id, Number(url.searchParams.get('after') ?? -1)),
        );
      case '/info':
        return json({ info: (await this.host.findRunning(id)) ?? null });
      case '/cancel':
        return json({ cancelled: await this.host.cancelStream(id) });
      case '/audience':
        this.host.audienceChanged([id], []);
        return json({});
      case '/subscribe': {
        const { response, socket } = acceptObjectSocket();
        const unsubscribe = await this.registry.subscribe(streamTopic(id), (message) => {
          socket.send(JSON.stringify(message));
        });
        // A new subscriber (a resume) ends a running grace period.
        this.host.audienceChanged([id], []);
        socket.addEventListener('close', () => {
          void unsubscribe().then(() => this.host.audienceChanged([id], []));
        });
        return response;
      }
      default:
        return new Response('not found', { status: ERROR_TABLE.unknown_request.status });
    }
  }
}
