/**
 * The shared {@link Registry} of several bridge instances behind a load balancer: stream records
 * and frames in Redis Streams, live fan-out through Redis pub/sub, presence as entries with
 * deadlines, and a heartbeat that renews this instance's leases and entries and ends the foreign
 * streams its clients receive whose owner died (`upstream_lost`).
 */
import {
  BridgeError,
  LocalFrame,
  conversationTopic,
  streamTopic,
  type Logger,
  type ReadinessCheck,
  type Registry,
  type StreamInfo,
  type TopicMessage,
} from '../../core/index.ts';
import { createRedisConnections } from './connection.ts';
import { startRedisHeartbeat } from './heartbeat.ts';
import { createRedisKeys } from './keys.ts';
import { createRedisOwnerStreams } from './owner-streams.ts';
import { createRedisPresence } from './presence.ts';
import { createRedisStreamStore } from './stream-store.ts';
import { createRedisTopics } from './topics.ts';

/** What the Redis registry is built from. */
export interface RedisRegistryOptions {
  url: string;
  /** Prefix of every key and channel. */
  prefix: string;
  /** TTL of leases and presence entries; the heartbeat renews them every third of it. */
  leaseTtlMs: number;
  resumeBufferBytes: number;
  resumeRetentionMs: number;
  logger: Logger;
}

/** A Redis registry, with what the server needs besides the {@link Registry} contract. */
export interface RedisRegistry extends Registry {
  /** This instance's id in Redis (lease holder, message origin). */
  readonly instanceId: string;
  /** The `/readyz` check of the store. */
  readonly readiness: ReadinessCheck;
  /** Wait (bounded) for the first connection to Redis; never rejects. */
  connected(): Promise<void>;
}

/** Create the registry; it connects in the background and reconnects on its own. */
export function createRedisRegistry(options: RedisRegistryOptions): RedisRegistry {
  const { logger, leaseTtlMs } = options;
  const instanceId = crypto.randomUUID();
  const keys = createRedisKeys(options.prefix);
  const connections = createRedisConnections(options.url, logger);
  const { command, subscriber } = connections;
  /** Streams this instance claimed and has not finished. */
  const owned = new Set<string>();
  /** Owned streams that stored a frame (a claimed stream without one may not have started). */
  const appended = new Set<string>();
  const store = createRedisStreamStore({ ...options, redis: command, keys, instanceId });
  // Owner entries outlive a crashed instance by the lease, as its stream records do.
  const ownerStreams = createRedisOwnerStreams(command, keys, leaseTtlMs);
  const presence = createRedisPresence({ redis: command, keys, instanceId, ttlMs: leaseTtlMs });
  const topics = createRedisTopics({
    subscriber,
    publisher: command,
    keys,
    instanceId,
    isOwned: (id) => owned.has(id),
  });
  const audienceListeners: Array<(r: readonly string[], c: readonly string[]) => void> = [];
  topics.onAudience((r, c) => {
    for (const listener of audienceListeners) listener(r, c);
  });
  /** Writes not yet answered, so close() stores every frame already handed over. */
  const writes = new Set<Promise<unknown>>();
  const tracked = <T>(write: Promise<T>): Promise<T> => {
    writes.add(write);
    const forget = () => writes.delete(write);
    write.then(forget, forget);
    return write;
  };

  let everReady = false;
  subscriber.on('ready', () => {
    if (!everReady) {
      everReady = true;
      // Later reconnects resubscribe by themselves (ioredis autoResubscribe).
      subscriber.subscribe(keys.audienceChannel).catch(() => {
        everReady = false;
      });
      return;
    }
    void resync();
  });

  /** After a pub/sub reconnect: deliver what watched streams published meanwhile, from Redis. */
  const resync = async (): Promise<void> => {
    // ioredis emits 'ready' before it sends the resubscriptions: once a PING sent after them is
    // answered, the channels are live again, and what the reads below miss will be published.
    await new Promise((resolve) => setImmediate(resolve));
    if (!(await subscriber.ping().catch(() => undefined))) return;
    for (const [requestId, watch] of topics.watched) {
      const replay = await store.read(requestId, watch.lastSeq).catch(() => undefined);
      if (replay?.status !== 'ok') continue;
      for (const frame of replay.frames) {
        for (const topic of watch.topics) {
          topics.deliverLocal(topic, { kind: 'frame', frame, key: requestId });
        }
      }
    }
  };

  const heartbeat = startRedisHeartbeat({
    leaseTtlMs,
    store,
    presence,
    topics,
    owned,
    renewOwners: (ids) => ownerStreams.running(ids),
    available: () => connections.available,
    audienceChanged: (ids) => {
      for (const listener of audienceListeners) listener(ids, []);
    },
    logger,
  });

  const topicSubscribe = async (
    topic: string,
    listener: (message: TopicMessage) => void,
  ): Promise<() => Promise<void>> => {
    let remove: () => void;
    try {
      remove = await topics.subscribe(topic, listener);
    } catch (error) {
      // The session cannot receive the stream it just claimed and will not start it: end the
      // claim now, so a retry of the request id gets an answer instead of waiting forever.
      const id = topic.startsWith('stream:') ? topic.slice(7) : undefined;
      if (id !== undefined && owned.has(id) && !appended.has(id)) {
        owned.delete(id);
        void store.loseIfOrphaned(id, true).catch(() => {});
      }
      throw error;
    }
    if (topic.startsWith('conversation:')) {
      // Streams of the conversation that sent no frame since: watched from now, like the others.
      const running = await store.conversationStreams(topic.slice(13)).catch(() => []);
      for (const id of running) topics.watch(topic, id);
    }
    const requestId = topic.startsWith('stream:') ? topic.slice(7) : undefined;
    if (requestId !== undefined && topics.localCount(topic) === 1) {
      await presence.subscribed(requestId, true).catch(() => {});
      await topics.announce([requestId], []);
    }
    return async () => {
      remove();
      if (requestId !== undefined && topics.localCount(topic) === 0) {
        await presence.subscribed(requestId, false).catch(() => {});
        await topics.announce([requestId], []);
      }
    };
  };

  return {
    instanceId,
    readiness: connections.readiness,
    connected: () => connections.connected(),

    async claimStream(info) {
      // The session subscribes right after a claim: a claim it could not follow with a
      // subscription would leave a stream claimed that never starts.
      if (!connections.available) throw new BridgeError('store_unavailable');
      const claimed = await store.claim(info);
      if (claimed) {
        owned.add(info.requestId);
        await ownerStreams.running([info.requestId]).catch(() => {});
      }
      return claimed;
    },

    appendFrame(info: StreamInfo, frame) {
      // This instance's listeners get the frame now; other instances through the script's publish.
      const message: TopicMessage = { kind: 'frame', frame, key: info.requestId };
      topics.deliverLocal(streamTopic(info.requestId), message);
      if (info.conversationId !== undefined) {
        topics.deliverLocal(conversationTopic(info.conversationId), message);
      }
      appended.add(info.requestId);
      return tracked(store.append(info, frame, LocalFrame.jsonOf(frame)));
    },

    async finishStream(requestId) {
      owned.delete(requestId);
      appended.delete(requestId);
      await Promise.all([
        tracked(store.release(requestId)),
        ownerStreams.finished(requestId).catch(() => {}),
      ]);
    },

    readFrames: (requestId, afterSeq) => store.read(requestId, afterSeq),
    runningStreamsOf: (owner) => ownerStreams.count(owner),
    subscribe: topicSubscribe,
    publish: (topic, message) => topics.publish(topic, message),

    async joinConversation(conversationId, sessionId, userId) {
      const p = await presence.join(conversationId, sessionId, userId);
      await topics.announce([], [conversationId]);
      return p;
    },

    async leaveConversation(conversationId, sessionId) {
      const p = await presence.leave(conversationId, sessionId);
      await topics.announce([], [conversationId]);
      return p;
    },

    async audience(info) {
      const remote = await store.audienceElsewhere(info);
      return topics.localCount(streamTopic(info.requestId)) + remote;
    },

    onAudienceChange(listener) {
      audienceListeners.push(listener);
    },

    async close() {
      heartbeat.stop();
      await Promise.allSettled([...writes]);
      // Streams still owned here (none after a drain) end for their other receivers at once.
      await Promise.allSettled([...owned].map((id) => store.loseIfOrphaned(id, true)));
      owned.clear();
      appended.clear();
      await connections.close();
    },
  };
}
