/**
 * One connected client, whatever its protocol: turns its events into stream and conversation
 * operations (./chat.ts, ./conversations.ts) and delivers frames back to it (./delivery.ts), each
 * (request_id, seq) at most once and in order.
 */
import type { ConversationGrant } from '../auth/conversation-access.ts';
import { SessionCredentials, verifyRefresh } from '../auth/token-lifetime.ts';
import { BridgeError, ERROR_TABLE } from '../internal/errors.ts';
import { newId } from '../internal/ids.ts';
import { withTimestamp } from '../internal/timestamp.ts';
import { toAfterSeq, toConversationId, toEventData, toRequestId } from '../protocol/client-data.ts';
import type { TopicMessage } from '../registry/registry.ts';
import { toOptionalResumeToken, toStreamOwner } from '../registry/stream-ownership.ts';
import type { ClientMessage } from '../stream/hooks.ts';
import { ActiveParts } from './active-parts.ts';
import { ChatStreams } from './chat.ts';
import {
  type ClientConnection,
  type Reply,
  type SessionHost,
  toStampedReply,
} from './contracts.ts';
import { Conversations } from './conversations.ts';
import { Delivery } from './delivery.ts';
import { applyMessageHook } from './message-hook.ts';
import { RateLimit } from './rate-limit.ts';

export type {
  ClientConnection,
  ClientProtocol,
  Reply,
  ReplyOutcome,
  SessionHost,
  StreamHost,
} from './contracts.ts';

/** Told once when a session closes. */
type CloseListener = (session: Session) => void;

/** One connected client and what it receives. */
export class Session {
  readonly id: string;
  readonly connection: ClientConnection;
  /** Headers forwarded upstream for this client's requests (a `refresh` renews its bearer). */
  forwardedHeaders: Readonly<Record<string, string>>;
  /** The verified user id (JWT `sub`, the connect check's `userId`, or `onConnect`'s), if any. */
  readonly userId: string | undefined;
  /** When the client connected (ms since the epoch). */
  readonly connectedAt = Date.now();
  /** What the application's `onConnect` hook attached to this client, if anything. */
  data: Readonly<Record<string, unknown>> | undefined;
  /** What the client's credentials allow, and until when; made only for credentials that say so. */
  private credentials: SessionCredentials | undefined;
  private readonly host: SessionHost;
  /** Usually the opener's one listener: an array only when there are more (idle memory). */
  private closeListeners: CloseListener | CloseListener[] | undefined;
  /** What the client's activity needs, made at its first use (see {@link ActiveParts}). */
  private activeParts: ActiveParts | undefined;
  private closed = false;

  constructor(
    host: SessionHost,
    connection: ClientConnection,
    forwardedHeaders: Readonly<Record<string, string>>,
    userId?: string,
  ) {
    this.id = newId();
    this.host = host;
    this.connection = connection;
    this.forwardedHeaders = forwardedHeaders;
    this.userId = userId;
  }

  /** Who owns the streams this client starts (`stream-ownership.ts`); made when asked for. */
  get owner(): string {
    return toStreamOwner(this.userId, this.id);
  }

  /** When the client last sent a message (ms since the epoch); its connect time before that. */
  get lastActiveAt(): number {
    return this.activeParts?.lastMessageAt ?? this.connectedAt;
  }

  private get active(): ActiveParts {
    return (this.activeParts ??= new ActiveParts());
  }
  private get delivery(): Delivery {
    return (this.active.delivery ??= new Delivery(this.host, this));
  }
  private get conversations(): Conversations {
    return (this.active.conversations ??= new Conversations(this.host, this));
  }
  private get chat(): ChatStreams {
    return (this.active.chat ??= new ChatStreams(
      this.host,
      this,
      this.delivery,
      this.conversations,
    ));
  }

  /** What the client's credentials say about conversations and their lifetime. */
  get grant(): ConversationGrant {
    return this.credentials?.grant ?? {};
  }

  /** Set the client's credentials (at connect, and on `refresh`); watches their end. */
  set grant(grant: ConversationGrant) {
    if (this.closed) return;
    if (!this.credentials && grant.expiresAt === undefined && grant.conversations === undefined) {
      return;
    }
    this.credentials ??= new SessionCredentials({
      notify: (expiresAt) => {
        if (!this.closed) {
          this.connection.send('token_expiring', withTimestamp({ expires_at: expiresAt }));
        }
      },
      expire: () => this.expire(),
    });
    this.credentials.grant = grant;
  }

  /** The token ran out without a refresh: the connection ends (its streams stay resumable). */
  private expire(): void {
    if (this.closed) return;
    const error = new BridgeError('token_expired');
    this.connection.send('error', withTimestamp(error.toPayload()));
    this.connection.close?.(ERROR_TABLE.token_expired.close, 'token_expired');
    this.close();
  }

  /** Called once when the session closes. */
  onClose(listener: CloseListener): void {
    if (this.closed) {
      listener(this);
      return;
    }
    const listeners = this.closeListeners;
    if (listeners === undefined) this.closeListeners = listener;
    else if (typeof listeners === 'function') this.closeListeners = [listeners, listener];
    else listeners.push(listener);
  }

  /** Whether the client is gone. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The conversations this client is a member of. */
  get conversationIds(): string[] {
    return this.activeParts?.conversations?.ids() ?? [];
  }

  /** Running streams this client started. */
  get runningStreams(): number {
    return this.activeParts?.chat?.running ?? 0;
  }

  /** Deliver a message from a topic the client listens to besides its streams and conversations. */
  deliver(message: TopicMessage): void {
    this.onTopicMessage(message);
  }

  /** Handle one client event. Events are handled one after another, in arrival order. */
  receive(event: string, data: unknown, reply?: Reply): void {
    if (this.closed) return;
    // Rights end at exp, whether or not the timer has fired yet.
    if (this.credentials?.expired) return this.expire();
    const active = this.active;
    active.lastMessageAt = Date.now();
    const { options } = this.host;
    active.rateLimit ??= new RateLimit(options.rateLimit, options.rateLimitBurst);
    const admission = active.rateLimit.admit(options.rateLimitBurst);
    if (admission === 'cut-off') {
      this.connection.close?.(ERROR_TABLE.rate_limited.close, 'rate limit exceeded');
      this.close();
      return;
    }
    if (admission === 'refuse') {
      this.fail(new BridgeError('rate_limited'), reply);
      return;
    }
    const stamped = reply && toStampedReply(reply);
    active.queue = (active.queue ?? Promise.resolve()).then(async () => {
      if (this.closed) return;
      try {
        const message = await this.applyMessageHook({ event, data });
        await this.dispatch(message.event, message.data, stamped);
      } catch (error) {
        this.fail(error, stamped);
      }
    });
  }

  /** Resolves once every event received so far has been handled. */
  settled(): Promise<void> {
    return this.activeParts?.queue ?? Promise.resolve();
  }

  /** Report an error that belongs to no stream: to the reply when there is one, else as `error`. */
  fail(error: unknown, reply?: Reply): void {
    const bridgeError =
      error instanceof BridgeError ? error : new BridgeError('internal_error', undefined);
    const payload = bridgeError.toPayload();
    if (reply) reply({ error: payload });
    else if (!this.closed) this.connection.send('error', withTimestamp(payload));
  }

  /** The client went away: leave conversations and stop receiving streams. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.credentials?.stop();
    const parts = this.activeParts;
    parts?.delivery?.stop();
    const listeners = this.closeListeners;
    this.closeListeners = undefined;
    if (typeof listeners === 'function') listeners(this);
    else for (const listener of listeners ?? []) listener(this);
    const requestIds = parts?.delivery?.streamKeys() ?? [];
    const conversationIds = parts?.conversations?.ids() ?? [];
    const active = this.active;
    active.queue = (active.queue ?? Promise.resolve()).then(async () => {
      // A store outage must not fail a departure: shared entries expire with their TTL.
      await Promise.allSettled([
        ...requestIds.map((id) => this.delivery.unsubscribe(id)),
        ...conversationIds.map((id) => this.conversations.leave(id)),
      ]);
      this.host.audienceChanged(requestIds, conversationIds);
    });
  }

  /** The application's `onMessage` may replace or refuse a message. */
  private applyMessageHook(message: ClientMessage): Promise<ClientMessage> {
    if (!this.host.hooks?.onMessage) return Promise.resolve(message);
    const { id, userId, data } = this;
    const client = { id, protocol: this.connection.protocol, userId, data };
    return applyMessageHook(this.host.hooks, message, client);
  }

  private async dispatch(event: string, data: unknown, reply?: Reply): Promise<void> {
    switch (event) {
      case 'chat_message':
        return this.chat.message(toEventData(data, event), reply);
      case 'chat_resume': {
        const d = toEventData(data, event);
        const token = toOptionalResumeToken(d);
        return this.chat.resume(toRequestId(d), toAfterSeq(d), reply, token);
      }
      case 'chat_cancel': {
        const d = toEventData(data, event);
        return this.chat.cancel(toRequestId(d), toOptionalResumeToken(d), reply);
      }
      case 'join':
        return this.conversations.onJoin(toConversationId(toEventData(data, event)), reply);
      case 'leave':
        return this.conversations.onLeave(toConversationId(toEventData(data, event)), reply);
      case 'refresh':
        return this.onRefresh(toEventData(data, event).token, reply);
      case 'ping':
        if (reply) reply({ event: 'pong' });
        else this.connection.send('pong', withTimestamp(undefined));
        return;
      default:
        throw new BridgeError('unknown_event', `unknown event "${event}"`);
    }
  }

  /** A new token for the same user: new conversations claim, new end, new upstream bearer. */
  private async onRefresh(token: unknown, reply?: Reply): Promise<void> {
    const refreshed = await verifyRefresh(this.host.refreshCheck, token, this.userId);
    if (this.forwardedHeaders.authorization?.startsWith('Bearer ')) {
      this.forwardedHeaders = { ...this.forwardedHeaders, authorization: `Bearer ${token}` };
    }
    this.grant = refreshed;
    reply?.({ data: { expires_at: refreshed.expiresAt ?? null } });
  }

  private onTopicMessage(message: TopicMessage): void {
    if (this.closed) return;
    if (message.kind === 'event') {
      if (message.exceptSession !== this.id) {
        this.connection.send(message.event, withTimestamp(message.data));
      }
      return;
    }
    const key = message.key ?? message.frame.request_id;
    if (message.frame.type === 'stop') this.activeParts?.chat?.stopped(key);
    this.delivery.receive(message.frame, key);
  }
}
