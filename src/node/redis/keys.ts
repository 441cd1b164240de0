/**
 * Names of every Redis key and channel the shared registry uses, all under one prefix so several
 * deployments (or tests) can share a Redis. A stream `id` owns `<p>stream:<id>:meta` (a hash: state,
 * next seq, bytes held, conversation, owner), `:frames` (a Redis Stream, entry id `0-<seq+1>`),
 * `:lease` (the owner's instance id, with a TTL) and `:subs` (instances with direct subscribers).
 * A conversation owns `<p>conversation:<id>:members` (session -> deadline), `:users` and `:streams`.
 */

/** Keys of one stream. */
export interface StreamKeys {
  meta: string;
  frames: string;
  lease: string;
  subs: string;
}

/** Keys of one conversation. */
export interface ConversationKeys {
  members: string;
  users: string;
  /** Ids of the conversation's streams claimed recently (running ones among them). */
  streams: string;
}

/** Key and channel names under one prefix. */
export interface RedisKeys {
  readonly prefix: string;
  stream(requestId: string): StreamKeys;
  conversation(conversationId: string): ConversationKeys;
  /** The pub/sub channel of a registry topic (`stream:<id>` or `conversation:<id>`). */
  channel(topic: string): string;
  /** The registry topic of a channel, or undefined for a channel that is not a topic. */
  topicOf(channel: string): string | undefined;
  /** Channels of conversations are this plus the conversation id (built inside Lua scripts). */
  readonly conversationChannelPrefix: string;
  /** Where instances announce audience changes to the instances running the streams. */
  readonly audienceChannel: string;
  /** A key that never exists, for scripts that take an optional key. */
  readonly none: string;
}

/** The names under `prefix`. */
export function createRedisKeys(prefix: string): RedisKeys {
  const topicPrefix = `${prefix}topic:`;
  return {
    prefix,
    stream: (id) => {
      const base = `${prefix}stream:${id}:`;
      return {
        meta: `${base}meta`,
        frames: `${base}frames`,
        lease: `${base}lease`,
        subs: `${base}subs`,
      };
    },
    conversation: (id) => {
      const base = `${prefix}conversation:${id}:`;
      return { members: `${base}members`, users: `${base}users`, streams: `${base}streams` };
    },
    channel: (topic) => `${topicPrefix}${topic}`,
    topicOf: (channel) =>
      channel.startsWith(topicPrefix) ? channel.slice(topicPrefix.length) : undefined,
    conversationChannelPrefix: `${topicPrefix}conversation:`,
    audienceChannel: `${prefix}audience`,
    none: `${prefix}none`,
  };
}
