/**
 * Running streams per owner across instances, for `--max-streams-per-user`: a sorted set per
 * owner (`<p>owner:<owner>:streams`) of stream keys scored with a deadline. The instance running
 * a stream renews its entry with its lease; a finished stream leaves it; a crashed instance's
 * entries lapse with their deadline.
 */
import type { Redis } from 'ioredis';
import { ownerOfStreamKey } from '../../core/index.ts';
import { toStoreError } from './connection.ts';
import type { RedisKeys } from './keys.ts';

/** Running streams by owner in Redis. */
export interface RedisOwnerStreams {
  /** A stream started (or still runs): count it for its owner until the deadline. */
  running(streamKeys: readonly string[]): Promise<void>;
  /** A stream finished. */
  finished(streamKey: string): Promise<void>;
  /** Streams of `owner` running now, on any instance. */
  count(owner: string): Promise<number>;
}

/** Entries live `ttlMs` past their last renewal. */
export function createRedisOwnerStreams(
  redis: Redis,
  keys: RedisKeys,
  ttlMs: number,
): RedisOwnerStreams {
  const keyOf = (owner: string) => `${keys.prefix}owner:${owner}:streams`;
  const run = async <T>(op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (error) {
      throw toStoreError(error);
    }
  };
  return {
    async running(streamKeys) {
      if (streamKeys.length === 0) return;
      const deadline = Date.now() + ttlMs;
      const batch = redis.multi();
      for (const streamKey of streamKeys) {
        const owner = ownerOfStreamKey(streamKey);
        if (owner === undefined) continue;
        batch.zadd(keyOf(owner), deadline, streamKey).pexpire(keyOf(owner), ttlMs);
      }
      await run(() => batch.exec());
    },
    async finished(streamKey) {
      const owner = ownerOfStreamKey(streamKey);
      if (owner !== undefined) await run(() => redis.zrem(keyOf(owner), streamKey));
    },
    async count(owner) {
      const result = await run(() =>
        redis.multi().zremrangebyscore(keyOf(owner), '-inf', Date.now()).zcard(keyOf(owner)).exec(),
      );
      const [, card] = result?.[1] ?? [];
      return Number(card ?? 0);
    },
  };
}
