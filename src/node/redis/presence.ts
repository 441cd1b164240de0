/**
 * Conversation membership in Redis with deadlines: each member session has an entry that expires
 * `ttlMs` after its instance last refreshed it, so the sockets of a crashed instance drop out of
 * presence within the TTL. Also the set of instances with direct subscribers of a stream, kept
 * the same way, for the audience of streams.
 */
import type { Redis } from 'ioredis';
import type { Presence } from '../../core/index.ts';
import { toStoreError } from './connection.ts';
import type { RedisKeys } from './keys.ts';
import { DEADLINES, runScript } from './scripts.ts';

/** What conversation membership is built from. */
export interface RedisPresenceDeps {
  redis: Redis;
  keys: RedisKeys;
  instanceId: string;
  ttlMs: number;
}

/** Presence that changed because entries of dead sessions expired. */
export interface PresenceChange {
  conversationId: string;
  presence: Presence;
}

/** Conversation members and stream subscriber instances. */
export interface RedisPresence {
  join(conversationId: string, sessionId: string, userId?: string): Promise<Presence>;
  leave(conversationId: string, sessionId: string): Promise<Presence>;
  /** This instance has (or no longer has) direct subscribers of a stream. */
  subscribed(requestId: string, has: boolean): Promise<void>;
  /**
   * Renew the entries of this instance's members and subscribed streams; resolves with the
   * conversations whose presence shrank because other entries expired.
   */
  refresh(streamIds: Iterable<string>): Promise<PresenceChange[]>;
}

type DeadlinesReply = [number, number, ...string[]];

const toPresence = (reply: DeadlinesReply): Presence => {
  const [, clients, ...users] = reply;
  return { clients: Number(clients), users: [...new Set(users)].sort() };
};

/** Create conversation membership for one instance. */
export function createRedisPresence(deps: RedisPresenceDeps): RedisPresence {
  const { redis, keys, instanceId, ttlMs } = deps;
  /** This instance's members: conversation -> session -> user. */
  const local = new Map<string, Map<string, string | undefined>>();
  const deadlines = async (
    set: string,
    users: string,
    mode: 'add' | 'remove',
    user: string | undefined,
    members: readonly string[],
  ): Promise<DeadlinesReply> => {
    try {
      const args = [mode, ttlMs, user ?? '', ...members];
      return (await runScript(redis, DEADLINES, [set, users], args)) as DeadlinesReply;
    } catch (error) {
      throw toStoreError(error);
    }
  };

  return {
    async join(conversationId, sessionId, userId) {
      const k = keys.conversation(conversationId);
      const reply = await deadlines(k.members, k.users, 'add', userId, [sessionId]);
      let members = local.get(conversationId);
      if (!members) {
        members = new Map();
        local.set(conversationId, members);
      }
      members.set(sessionId, userId);
      return toPresence(reply);
    },

    async leave(conversationId, sessionId) {
      // Forgotten here first: even if Redis is away now, the entry is no longer renewed.
      const members = local.get(conversationId);
      members?.delete(sessionId);
      if (members?.size === 0) local.delete(conversationId);
      const k = keys.conversation(conversationId);
      return toPresence(await deadlines(k.members, k.users, 'remove', undefined, [sessionId]));
    },

    async subscribed(requestId, has) {
      const mode = has ? 'add' : 'remove';
      await deadlines(keys.stream(requestId).subs, keys.none, mode, undefined, [instanceId]);
    },

    async refresh(streamIds) {
      const changes: PresenceChange[] = [];
      const work: Array<Promise<unknown>> = [];
      for (const [conversationId, members] of local) {
        const byUser = new Map<string | undefined, string[]>();
        for (const [sessionId, userId] of members) {
          byUser.set(userId, [...(byUser.get(userId) ?? []), sessionId]);
        }
        const k = keys.conversation(conversationId);
        for (const [userId, sessionIds] of byUser) {
          work.push(
            deadlines(k.members, k.users, 'add', userId, sessionIds).then((reply) => {
              if (reply[0] > 0) changes.push({ conversationId, presence: toPresence(reply) });
            }),
          );
        }
      }
      for (const requestId of streamIds) work.push(this.subscribed(requestId, true));
      await Promise.all(work);
      return changes;
    },
  };
}
