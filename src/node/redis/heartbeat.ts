/**
 * The heartbeat of an instance on Redis, every third of the lease TTL: renew the leases of the
 * streams it runs and the deadlines of its conversation members and stream subscribers, tell the
 * members when other entries expired, end the foreign streams its clients receive whose owner is
 * gone (`upstream_lost`), and re-check the grace periods of its own streams.
 */
import { conversationTopic, type Logger } from '../../core/index.ts';
import type { RedisPresence } from './presence.ts';
import type { RedisStreamStore } from './stream-store.ts';
import type { RedisTopics } from './topics.ts';

/** Heartbeats per lease TTL: two may be missed before another instance declares a lease lost. */
export const DEFAULT_HEARTBEATS_PER_TTL = 3;

/** What the heartbeat works on. */
export interface RedisHeartbeatDeps {
  leaseTtlMs: number;
  store: RedisStreamStore;
  presence: RedisPresence;
  topics: RedisTopics;
  /** Streams this instance runs. */
  owned: ReadonlySet<string>;
  /** Renew the per-owner entries of the streams this instance runs. */
  renewOwners(streamKeys: readonly string[]): Promise<void>;
  /** Whether Redis can be reached now (a beat is skipped otherwise). */
  available(): boolean;
  /** Re-check the grace periods of these streams. */
  audienceChanged(requestIds: readonly string[]): void;
  logger: Logger;
}

/** Start beating; `stop()` ends it. */
export function startRedisHeartbeat(deps: RedisHeartbeatDeps): { stop(): void } {
  const { store, presence, topics, owned } = deps;
  let beating = false;
  const beat = async (): Promise<void> => {
    const streamIds = [...topics.topics()]
      .filter((t) => t.startsWith('stream:'))
      .map((t) => t.slice('stream:'.length));
    const [changes] = await Promise.all([
      presence.refresh(streamIds),
      ...[...owned].map((id) => store.renew(id)),
      deps.renewOwners([...owned]),
    ]);
    for (const { conversationId, presence: p } of changes) {
      await topics.publish(conversationTopic(conversationId), {
        kind: 'event',
        event: 'presence',
        data: { conversation_id: conversationId, ...p },
      });
    }
    await Promise.all(
      [...topics.watched].map(async ([requestId, watch]) => {
        const listened = [...watch.topics].some((t) => topics.localCount(t) > 0);
        if (!listened || (await store.loseIfOrphaned(requestId)) === -1) {
          topics.watched.delete(requestId);
        }
      }),
    );
    // A crashed instance's subscribers expire without a word: re-check owned streams' grace.
    if (owned.size > 0) deps.audienceChanged([...owned]);
  };
  const timer = setInterval(() => {
    if (beating || !deps.available()) return;
    beating = true;
    beat()
      .catch((error: unknown) =>
        deps.logger.debug({ err: String(error) }, 'redis heartbeat failed'),
      )
      .finally(() => {
        beating = false;
      });
  }, deps.leaseTtlMs / DEFAULT_HEARTBEATS_PER_TTL);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
