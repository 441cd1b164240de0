/**
 * Topics across instances: listeners of this instance are called directly for what it publishes
 * itself, and through Redis pub/sub (one subscribed connection, one channel per topic with local
 * listeners) for what other instances publish. It also remembers which foreign streams its
 * listeners are receiving (`watched`), so they can be checked for a lost owner and repaired after
 * a pub/sub reconnect.
 */
import type { Redis } from 'ioredis';
import type { TopicMessage } from '../../core/index.ts';
import { toStoreError } from './connection.ts';
import type { RedisKeys } from './keys.ts';
import { toPayload } from './stream-store.ts';

type Listener = (message: TopicMessage) => void;

/** A foreign stream some local listener receives: through which topics, and how far. */
export interface Watch {
  topics: Set<string>;
  lastSeq: number;
}

/** Audience changes announced by other instances. */
export type AudienceListener = (
  requestIds: readonly string[],
  conversationIds: readonly string[],
) => void;

/** What the topics are built from. */
export interface RedisTopicsDeps {
  subscriber: Redis;
  publisher: Redis;
  keys: RedisKeys;
  instanceId: string;
  /** Streams this instance runs itself: they need no watching. */
  isOwned(requestId: string): boolean;
}

/** Topics of one instance. */
export interface RedisTopics {
  /** Add a listener; resolves once Redis confirmed the channel subscription. */
  subscribe(topic: string, listener: Listener): Promise<() => void>;
  /** Call this instance's listeners of a topic. */
  deliverLocal(topic: string, message: TopicMessage): void;
  /** Call local listeners now and publish to other instances. */
  publish(topic: string, message: TopicMessage): Promise<void>;
  /** Local listeners of a topic. */
  localCount(topic: string): number;
  /** Topics with local listeners. */
  topics(): IterableIterator<string>;
  readonly watched: Map<string, Watch>;
  /** Start watching a foreign stream received through `topic` (no-op for owned ones). */
  watch(topic: string, requestId: string): void;
  /** Tell other instances the audience of these streams/conversations changed. */
  announce(requestIds: readonly string[], conversationIds: readonly string[]): Promise<void>;
  /** Called for other instances' announcements. */
  onAudience(listener: AudienceListener): void;
}

/** Create the topics of one instance and start listening to its subscriber connection. */
export function createRedisTopics(deps: RedisTopicsDeps): RedisTopics {
  const { subscriber, publisher, keys, instanceId } = deps;
  const listeners = new Map<string, Set<Listener>>();
  const subscribed = new Map<string, Promise<unknown>>();
  const watched = new Map<string, Watch>();
  const audienceListeners: AudienceListener[] = [];

  const watch = (topic: string, requestId: string, seq: number, stop: boolean): void => {
    if (stop || deps.isOwned(requestId)) {
      watched.delete(requestId);
      return;
    }
    let entry = watched.get(requestId);
    if (!entry) {
      entry = { topics: new Set(), lastSeq: -1 };
      watched.set(requestId, entry);
    }
    entry.topics.add(topic);
    entry.lastSeq = Math.max(entry.lastSeq, seq);
  };

  const deliverLocal = (topic: string, message: TopicMessage): void => {
    if (message.kind === 'frame') {
      const { frame } = message;
      watch(topic, message.key ?? frame.request_id, frame.seq, frame.type === 'stop');
    } else if (message.event === 'user_message') {
      const requestId =
        message.streamKey ?? (message.data as { request_id?: unknown } | undefined)?.request_id;
      if (typeof requestId === 'string') watch(topic, requestId, -1, false);
    }
    const set = listeners.get(topic);
    if (!set) return;
    for (const listener of [...set]) listener(message);
  };

  subscriber.on('message', (channel: string, payload: string) => {
    const space = payload.indexOf(' ');
    if (space === -1 || payload.slice(0, space) === instanceId) return;
    let body: unknown;
    try {
      body = JSON.parse(payload.slice(space + 1));
    } catch {
      // Not ours (another program on the prefix): a throw here would reach ioredis' parser.
      return;
    }
    if (channel === keys.audienceChannel) {
      const { r, c } = body as { r: string[]; c: string[] };
      for (const listener of audienceListeners) listener(r, c);
      return;
    }
    const topic = keys.topicOf(channel);
    if (topic !== undefined) deliverLocal(topic, body as TopicMessage);
  });

  return {
    async subscribe(topic, listener) {
      let set = listeners.get(topic);
      if (!set) {
        set = new Set();
        listeners.set(topic, set);
        subscribed.set(topic, subscriber.subscribe(keys.channel(topic)));
      }
      set.add(listener);
      try {
        await subscribed.get(topic);
      } catch (error) {
        set.delete(listener);
        if (set.size === 0 && listeners.get(topic) === set) {
          listeners.delete(topic);
          subscribed.delete(topic);
        }
        throw toStoreError(error);
      }
      const streamPrefix = 'stream:';
      if (topic.startsWith(streamPrefix)) watch(topic, topic.slice(streamPrefix.length), -1, false);
      return () => {
        const current = listeners.get(topic);
        if (!current?.delete(listener) || current.size > 0) return;
        listeners.delete(topic);
        subscribed.delete(topic);
        // Unsubscribing is best effort: a channel left subscribed only costs ignored messages.
        subscriber.unsubscribe(keys.channel(topic)).catch(() => {});
      };
    },
    deliverLocal,
    async publish(topic, message) {
      deliverLocal(topic, message);
      try {
        await publisher.publish(
          keys.channel(topic),
          toPayload(instanceId, JSON.stringify(message)),
        );
      } catch (error) {
        throw toStoreError(error);
      }
    },
    localCount: (topic) => listeners.get(topic)?.size ?? 0,
    topics: () => listeners.keys(),
    watched,
    watch: (topic, requestId) => {
      if (!watched.has(requestId)) watch(topic, requestId, -1, false);
      else watched.get(requestId)?.topics.add(topic);
    },
    async announce(requestIds, conversationIds) {
      const body = JSON.stringify({ r: requestIds, c: conversationIds });
      await publisher.publish(keys.audienceChannel, toPayload(instanceId, body)).catch(() => {});
    },
    onAudience(listener) {
      audienceListeners.push(listener);
    },
  };
}
