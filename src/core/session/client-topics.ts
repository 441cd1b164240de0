/**
 * How `POST /publish` and a user's device presence reach clients: through the registry, so with a
 * shared registry it works across instances.
 *
 * The topics are the instance's, not each client's: every instance listens once to the broadcast
 * topic and once to the clients topic (whose messages name the one session they are for), and
 * once to each verified user's topic that has a client here. A client then costs an entry in an
 * index instead of two registry subscriptions with their closures (about 0.9 KB of heap per idle
 * connection, measured with `npm run bench:memory`; with Redis, two channels per client).
 */
import type { Logger } from '../internal/logger.ts';
import { cancelTimer, type Timer } from '../internal/timers.ts';
import {
  BROADCAST_TOPIC,
  CLIENTS_TOPIC,
  type Registry,
  type TopicMessage,
  type Unsubscribe,
  userDevicesKey,
  userTopic,
} from '../registry/registry.ts';
import type { Session } from './session.ts';

/** Tell the user's clients (but `except`) how many clients the user has now. */
async function publishUserPresence(
  registry: Registry,
  userId: string,
  clients: number,
  except?: string,
): Promise<void> {
  await registry.publish(userTopic(userId), {
    kind: 'event',
    event: 'presence',
    data: { user_id: userId, clients, timestamp: Date.now() },
    ...(except === undefined ? {} : { exceptSession: except }),
  });
}

/** A verified user's clients on this instance and the one subscription they share. */
interface UserEntry {
  sessions: Set<Session>;
  /** Admitted clients not yet open ({@link ClientTopics.prepare}): they keep the subscription. */
  holds: number;
  /** Undefined after a failed subscribe: the user's next client subscribes again for all. */
  subscription: Promise<Unsubscribe> | undefined;
}

/** The clients of one instance (one bridge) as publish targets. */
export interface ClientTopics {
  /**
   * Before an admitted client is told it is connected: listen to the topics that will reach it
   * (the instance's two, and its user's), so that a publish made once the client sees itself
   * connected reaches it, also through a registry whose subscribe takes a round trip (Redis).
   * Resolves with the release of that hold, to call once the client's session joined; a hold
   * never released lets go by itself after `maxHoldMs` (a client that never opened).
   */
  prepare(userId: string | undefined, maxHoldMs: number): Promise<() => void>;
  /**
   * `session` opened (it is reached through the bridge's index of open sessions): subscribe its
   * user's topic and count it in its user's presence; resolves once its user's other clients were
   * told.
   */
  join(session: Session): Promise<void>;
  /** The session left (call once, after `join` settled, whether it failed or not). */
  leave(session: Session): Promise<void>;
  /** The bridge closes: stop listening (a shared registry outlives it). */
  close(): Promise<void>;
}

/** The sessions publish reaches: the bridge's open ones (the opener's index, not a copy). */
export interface ClientTopicTargets {
  /** The open session with this id, if any. */
  get(id: string): Session | undefined;
  values(): Iterable<Session>;
}

/** The publish routing of one bridge over `registry`, to `sessions`. */
export function createClientTopics(
  registry: Registry,
  logger: Logger,
  sessions: ClientTopicTargets,
): ClientTopics {
  const users = new Map<string, UserEntry>();
  /** Sessions counted in their user's presence (the leave must uncount exactly these). */
  const counted = new Set<Session>();
  /** The instance's two topics, subscribed with the first client. */
  let shared: Promise<Unsubscribe[]> | undefined;

  const onBroadcast = (message: TopicMessage): void => {
    for (const session of sessions.values()) session.deliver(message);
  };
  const onClientMessage = (message: TopicMessage): void => {
    if (message.kind !== 'event' || message.toSession === undefined) return;
    sessions.get(message.toSession)?.deliver(message);
  };

  const subscribeShared = (): Promise<Unsubscribe[]> =>
    (shared ??= Promise.all([
      registry.subscribe(BROADCAST_TOPIC, onBroadcast),
      registry.subscribe(CLIENTS_TOPIC, onClientMessage),
    ]).catch((error: unknown) => {
      // Try again with the next client.
      shared = undefined;
      throw error;
    }));

  const subscribeUser = (userId: string, entry: UserEntry): Promise<Unsubscribe> => {
    const subscription = registry.subscribe(userTopic(userId), (message) => {
      for (const s of entry.sessions) s.deliver(message);
    });
    entry.subscription = subscription;
    subscription.catch(() => {
      if (entry.subscription === subscription) entry.subscription = undefined;
    });
    return subscription;
  };

  /** The user's entry, made and subscribed if it is new; synchronous, so no leave can drop it. */
  const userEntry = (userId: string): UserEntry => {
    let entry = users.get(userId);
    if (!entry) {
      entry = { sessions: new Set(), holds: 0, subscription: undefined };
      users.set(userId, entry);
    }
    if (!entry.subscription) subscribeUser(userId, entry);
    return entry;
  };

  /** Nothing here needs the user's topic any more: stop listening to it. */
  const dropIfUnused = async (userId: string, entry: UserEntry): Promise<void> => {
    if (entry.sessions.size > 0 || entry.holds > 0 || users.get(userId) !== entry) return;
    users.delete(userId);
    await entry.subscription?.then((unsubscribe) => unsubscribe()).catch(() => {});
  };

  const joinUser = async (userId: string, session: Session, entry: UserEntry): Promise<void> => {
    await (entry.subscription ?? subscribeUser(userId, entry));
    const presence = await registry.joinConversation(userDevicesKey(userId), session.id, userId);
    counted.add(session);
    // The newcomer knows it came: only the user's other clients hear of it.
    await publishUserPresence(registry, userId, presence.clients, session.id);
  };

  const leaveUser = async (userId: string, session: Session): Promise<void> => {
    const entry = users.get(userId);
    if (entry?.sessions.delete(session)) await dropIfUnused(userId, entry);
    // A session whose join failed before it was counted has nothing to uncount.
    if (!counted.delete(session)) return;
    try {
      const presence = await registry.leaveConversation(userDevicesKey(userId), session.id);
      await publishUserPresence(registry, userId, presence.clients);
    } catch (error) {
      logger.error({ sessionId: session.id, err: String(error) }, 'user presence update failed');
    }
  };

  /** Pending holds' timers, cleared when the bridge closes. */
  const holdTimers = new Set<Timer>();

  return {
    async prepare(userId, maxHoldMs) {
      const entry = userId === undefined ? undefined : userEntry(userId);
      let timer: Timer | undefined;
      let held = entry !== undefined;
      const release = (): void => {
        if (timer !== undefined) holdTimers.delete(timer);
        cancelTimer(timer);
        if (!held || entry === undefined || userId === undefined) return;
        held = false;
        entry.holds -= 1;
        void dropIfUnused(userId, entry);
      };
      if (entry) entry.holds += 1;
      try {
        await Promise.all([subscribeShared(), entry?.subscription]);
      } catch (error) {
        release();
        throw error;
      }
      if (held) {
        timer = setTimeout(release, maxHoldMs);
        holdTimers.add(timer);
      }
      return release;
    },
    async join(session) {
      // Counted in its user's entry before any await: a hold released meanwhile keeps the topic.
      const { userId } = session;
      const entry = userId === undefined ? undefined : userEntry(userId);
      entry?.sessions.add(session);
      await subscribeShared();
      if (userId !== undefined && entry) await joinUser(userId, session, entry);
    },
    async leave(session) {
      if (session.userId !== undefined) await leaveUser(session.userId, session);
    },
    async close() {
      const subscriptions: Array<Promise<Unsubscribe[]> | undefined> = [
        shared,
        ...[...users.values()].map((entry) => entry.subscription?.then((u) => [u])),
      ];
      shared = undefined;
      for (const timer of holdTimers) cancelTimer(timer);
      holdTimers.clear();
      users.clear();
      counted.clear();
      await Promise.all(
        subscriptions.map((s) =>
          s?.then((list) => Promise.all(list.map((unsubscribe) => unsubscribe()))).catch(() => {}),
        ),
      );
    },
  };
}
