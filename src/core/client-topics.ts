/**
 * The topics a client listens to besides its streams and conversations: its own (`client:<id>`),
 * the broadcast topic, and its user's (`user:<id>`, when verified). `POST /publish` reaches
 * clients through them, and a user's clients tell each other when one of them comes or goes
 * (`presence` with `{user_id, clients}`). Everything goes through the registry, so with a shared
 * registry it works across instances.
 */
import type { Logger } from './logger.ts';
import {
  BROADCAST_TOPIC,
  clientTopic,
  type Registry,
  type Unsubscribe,
  userDevicesKey,
  userTopic,
} from './registry.ts';
import type { Session } from './session.ts';

/** Stop listening and, for a user's client, tell the user's other clients it went. */
export type LeaveClientTopics = () => Promise<void>;

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

/** Subscribe `session` to its topics; resolves with how to leave them again. */
export async function joinClientTopics(
  session: Session,
  registry: Registry,
  logger: Logger,
): Promise<LeaveClientTopics> {
  const listener = session.deliver.bind(session);
  const topics = [clientTopic(session.id), BROADCAST_TOPIC];
  const { userId } = session;
  if (userId !== undefined) topics.push(userTopic(userId));
  const subscriptions: Unsubscribe[] = await Promise.all(
    topics.map((topic) => registry.subscribe(topic, listener)),
  );
  if (userId !== undefined) {
    const presence = await registry.joinConversation(userDevicesKey(userId), session.id, userId);
    // The newcomer knows it came: only the user's other clients hear of it.
    await publishUserPresence(registry, userId, presence.clients, session.id);
  }
  return async () => {
    await Promise.all(subscriptions.map((unsubscribe) => unsubscribe()));
    if (userId === undefined) return;
    try {
      const presence = await registry.leaveConversation(userDevicesKey(userId), session.id);
      await publishUserPresence(registry, userId, presence.clients);
    } catch (error) {
      logger.error({ sessionId: session.id, err: String(error) }, 'user presence update failed');
    }
  };
}
