/**
 * The conversations one client is a member of: join and leave (within the access policy and the
 * per-connection cap), presence for the other members, and `user_message` when it starts an answer.
 */
import { assertMayJoin, type ConversationGrant } from '../auth/conversation-access.ts';
import {
  conversationTopic,
  type Presence,
  type TopicMessage,
  type Unsubscribe,
} from '../registry/registry.ts';
import type { Reply, SessionHost } from './contracts.ts';

/** The member a {@link Conversations} acts for (a `Session`). */
export interface ConversationMember {
  readonly id: string;
  readonly userId: string | undefined;
  readonly grant: ConversationGrant;
  readonly forwardedHeaders: Readonly<Record<string, string>>;
  /** Where the conversation topics' messages go. */
  deliver(message: TopicMessage): void;
}

/** One client's conversation memberships. */
export class Conversations {
  private readonly host: SessionHost;
  private readonly member: ConversationMember;
  // Made on first use, like the session's own collections.
  private subscriptions: Map<string, Promise<Unsubscribe>> | undefined;
  /** Join check answers of this connection (conversation id -> valid until, ms). */
  private joinAnswers: Map<string, number> | undefined;

  constructor(host: SessionHost, member: ConversationMember) {
    this.host = host;
    this.member = member;
  }

  private get subs(): Map<string, Promise<Unsubscribe>> {
    return (this.subscriptions ??= new Map());
  }

  /** The conversations this client is a member of. */
  ids(): string[] {
    return [...(this.subscriptions?.keys() ?? [])];
  }

  /** The client's `join`. */
  async onJoin(conversationId: string, reply?: Reply): Promise<void> {
    const presence = await this.join(conversationId);
    reply?.({ data: { conversation_id: conversationId, ...presence } });
  }

  /** The client's `leave`. */
  async onLeave(conversationId: string, reply?: Reply): Promise<void> {
    const presence = await this.leave(conversationId);
    reply?.({ data: { conversation_id: conversationId, ...presence } });
    this.host.audienceChanged([], [conversationId]);
  }

  /**
   * Subscribe to a conversation (once) and tell its members when the count changed. Joining (and
   * so sending into it) needs the access policy's yes, within the per-connection cap.
   */
  async join(conversationId: string): Promise<Presence> {
    const { registry, options } = this.host;
    const { member } = this;
    const alreadyMember = this.subs.has(conversationId);
    if (!alreadyMember) {
      await assertMayJoin({
        options,
        access: this.host.conversationAccess,
        memberships: this.subs.size,
        request: { conversationId, grant: member.grant, headers: member.forwardedHeaders },
        cache: (this.joinAnswers ??= new Map()),
      });
      const topic = conversationTopic(conversationId);
      this.subs.set(
        conversationId,
        registry.subscribe(topic, (m) => member.deliver(m)),
      );
    }
    await this.subs.get(conversationId);
    const presence = await registry.joinConversation(conversationId, member.id, member.userId);
    if (!alreadyMember) {
      await this.publishPresence(conversationId, presence);
      this.host.audienceChanged([], [conversationId]);
    }
    return presence;
  }

  /** Unsubscribe from a conversation and tell its members. */
  async leave(conversationId: string): Promise<Presence> {
    const { registry } = this.host;
    const subscription = this.subs.get(conversationId);
    this.subs.delete(conversationId);
    if (subscription) await (await subscription)();
    const presence = await registry.leaveConversation(conversationId, this.member.id);
    await this.publishPresence(conversationId, presence);
    return presence;
  }

  /** Tell the other members what this client sent (its answer streams under `streamKey`). */
  publishUserMessage(
    conversationId: string,
    requestId: string,
    data: unknown,
    streamKey: string,
  ): Promise<void> {
    const { id, userId } = this.member;
    return this.host.registry.publish(conversationTopic(conversationId), {
      kind: 'event',
      event: 'user_message',
      data: {
        conversation_id: conversationId,
        request_id: requestId,
        // Who sent it: members see the verified user, never another member's credentials.
        ...(userId === undefined ? {} : { user_id: userId }),
        data,
        timestamp: Date.now(),
      },
      exceptSession: id,
      streamKey,
    });
  }

  private publishPresence(conversationId: string, presence: Presence): Promise<void> {
    return this.host.registry.publish(conversationTopic(conversationId), {
      kind: 'event',
      event: 'presence',
      data: { conversation_id: conversationId, ...presence, timestamp: Date.now() },
    });
  }
}
