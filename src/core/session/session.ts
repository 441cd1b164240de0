/**
 * One connected client, whatever its protocol: turns its events into stream and conversation
 * operations and delivers frames back to it, each (request_id, seq) at most once and in order.
 */
import {
  assertMayJoin,
  type ConversationAccessCheck,
  type ConversationGrant,
} from '../auth/conversation-access.ts';
import type { CredentialCheck } from '../auth/credentials.ts';
import { BridgeError, type ErrorPayload } from '../internal/errors.ts';
import { SessionCredentials, verifyRefresh } from '../auth/token-lifetime.ts';
import { newId } from '../internal/ids.ts';
import type { BridgeHooks, ClientMessage } from '../stream/hooks.ts';
import { type ChatResponse, LocalFrame } from '../protocol/frame.ts';
import type { BridgeObserver } from '../internal/observer.ts';
import type { BridgeOptions } from '../config/options.ts';
import { cancelTimer, type Timer } from '../internal/timers.ts';
import { withTimestamp } from '../internal/timestamp.ts';
import { TokenBucket } from './token-bucket.ts';
import { assertStreamCaps } from './stream-caps.ts';
import {
  newResumeToken,
  resolveStreamKey,
  toOptionalResumeToken,
  toStreamKey,
  toStreamOwner,
} from '../registry/stream-ownership.ts';
import {
  conversationTopic,
  type Presence,
  type Registry,
  type StreamInfo,
  streamTopic,
  type TopicMessage,
  type Unsubscribe,
} from '../registry/registry.ts';
import {
  toAfterSeq,
  toConversationId,
  toEventData,
  toOptionalConversationId,
  toOptionalRequestId,
  toRequestId,
  toUpstreamBody,
} from '../protocol/client-data.ts';

/** Requests whose last delivered seq a session remembers (for de-duplication); oldest go first. */
export const DEFAULT_TRACKED_REQUESTS = 1_000;
/** How often a congested client's send buffer is checked for room again. */
export const DEFAULT_DRAIN_POLL_MS = 50;
/** WebSocket close codes the session itself uses. */
const CLOSE_POLICY = 1008;
const CLOSE_TRY_AGAIN_LATER = 1013;

export type { ClientProtocol } from '../internal/client-protocol.ts';
import type { ClientProtocol } from '../internal/client-protocol.ts';

/** What a transport adapter provides for one connected client. */
export interface ClientConnection {
  readonly protocol: ClientProtocol;
  /** Send one event to the client (Socket.IO emit, or a `{event, data}` text frame). */
  send(event: string, data?: unknown): void;
  /** Bytes queued for the client and not yet written to its socket; absent where unknown. */
  bufferedBytes?(): number;
  /** Close the connection with a WebSocket close code (Socket.IO: disconnect). */
  close?(code: number, reason: string): void;
  /** The peer's IP address, where the transport knows it (`GET /clients`). */
  readonly remoteAddress?: string | undefined;
}

/** The answer to one client message that asked for one (Socket.IO ack, `/ws` `id`). */
export type ReplyOutcome = { event?: string; data?: unknown } | { error: ErrorPayload };

/** Called at most once per client message. */
export type Reply = (outcome: ReplyOutcome) => void;

export type { StreamHost } from '../stream/stream-host.ts';
import type { StreamHost } from '../stream/stream-host.ts';

/** What a session needs: the registry, where streams run, and where to report. */
export interface SessionHost extends StreamHost {
  readonly options: BridgeOptions;
  readonly registry: Registry;
  readonly observer: BridgeObserver;
  /** While true (graceful shutdown), new streams are refused with `server_shutdown`. */
  readonly draining?: () => boolean;
  /** The application's hooks (`onMessage` runs here). */
  readonly hooks?: BridgeHooks | undefined;
  /** Who may join a conversation; anyone when absent. */
  readonly conversationAccess?: ConversationAccessCheck | undefined;
  /** Streams running on this instance, orphaned ones included (`--max-streams`). */
  readonly runningStreams?: (() => number) | undefined;
  /** Verifies a `refresh` token (the JWT check); refresh is refused when absent. */
  readonly refreshCheck?: CredentialCheck | undefined;
}

/** A reply whose acks and errors carry `timestamp` like every other server message. */
function toStampedReply(reply: Reply): Reply {
  return (outcome) => {
    const now = Date.now();
    if ('error' in outcome) reply({ error: withTimestamp(outcome.error, now) as ErrorPayload });
    else reply({ ...outcome, data: withTimestamp(outcome.data, now) });
  };
}

/** One connected client and what it receives. */
export class Session {
  readonly id: string;
  readonly connection: ClientConnection;
  /** Headers forwarded upstream for this client's requests (a `refresh` renews its bearer). */
  forwardedHeaders: Readonly<Record<string, string>>;
  /** The verified user id (JWT `sub`, the connect check's `userId`, or `onConnect`'s), if any. */
  readonly userId: string | undefined;
  /** Who owns the streams this client starts (`stream-ownership.ts`). */
  readonly owner: string;
  /** When the client connected (ms since the epoch). */
  readonly connectedAt = Date.now();
  /** When the client last sent a message (ms since the epoch); its connect time before that. */
  lastActiveAt = this.connectedAt;
  /** What the application's `onConnect` hook attached to this client, if anything. */
  data: Readonly<Record<string, unknown>> | undefined;
  /** What the client's credentials allow, and until when; made only for credentials that say so. */
  private credentials: SessionCredentials | undefined;
  /** Join check answers of this connection (conversation id -> valid until, ms). */
  private joinAnswers: Map<string, number> | undefined;
  private readonly host: SessionHost;
  private readonly closeListeners: Array<(session: Session) => void> = [];
  // The collections below are made on first use (see `lazy`): most connections sit idle, and
  // five empty Maps and Sets cost about 1 KB each connection. Streams are keyed by their registry
  // key (the request id scoped to its owner), never by the bare request id.
  private lastSeqs: Map<string, number> | undefined;
  private replays: Map<string, ChatResponse[]> | undefined;
  private streamSubscriptions: Map<string, Promise<Unsubscribe>> | undefined;
  private conversationSubscriptions: Map<string, Promise<Unsubscribe>> | undefined;
  /** Running streams this client started (the per-connection limit counts them). */
  private startedStreams: Set<string> | undefined;
  /** The chain of client events being handled, one after another. */
  private queue: Promise<void> | undefined;
  private closed = false;
  private readonly bucket: TokenBucket;
  private rejectedInARow = 0;
  /** Set while the client's send buffer is over the high-water mark. */
  private congestion:
    { behind: Set<string>; stuck: Timer; poll: ReturnType<typeof setInterval> } | undefined;

  constructor(
    host: SessionHost,
    connection: ClientConnection,
    forwardedHeaders: Record<string, string>,
    userId?: string,
  ) {
    this.id = newId();
    this.host = host;
    this.connection = connection;
    this.forwardedHeaders = forwardedHeaders;
    this.userId = userId;
    this.owner = toStreamOwner(userId, this.id);
    this.bucket = new TokenBucket(host.options.rateLimit, host.options.rateLimitBurst);
  }

  private get lastSeq(): Map<string, number> {
    return (this.lastSeqs ??= new Map());
  }
  private get replaying(): Map<string, ChatResponse[]> {
    return (this.replays ??= new Map());
  }
  private get streamSubs(): Map<string, Promise<Unsubscribe>> {
    return (this.streamSubscriptions ??= new Map());
  }
  private get conversations(): Map<string, Promise<Unsubscribe>> {
    return (this.conversationSubscriptions ??= new Map());
  }
  private get started(): Set<string> {
    return (this.startedStreams ??= new Set());
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
    this.connection.close?.(CLOSE_POLICY, 'token_expired');
    this.close();
  }

  /** Called once when the session closes. */
  onClose(listener: (session: Session) => void): void {
    if (this.closed) listener(this);
    else this.closeListeners.push(listener);
  }

  /** Whether the client is gone. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The conversations this client is a member of. */
  get conversationIds(): string[] {
    return [...(this.conversationSubscriptions?.keys() ?? [])];
  }

  /** Running streams this client started. */
  get runningStreams(): number {
    return this.startedStreams?.size ?? 0;
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
    this.lastActiveAt = Date.now();
    if (!this.bucket.take()) {
      // Past a burst of refusals the client is not listening to them: cut it off.
      if (++this.rejectedInARow > this.host.options.rateLimitBurst) {
        this.connection.close?.(CLOSE_POLICY, 'rate limit exceeded');
        this.close();
        return;
      }
      this.fail(new BridgeError('rate_limited'), reply);
      return;
    }
    this.rejectedInARow = 0;
    const stamped = reply && toStampedReply(reply);
    this.queue = (this.queue ?? Promise.resolve()).then(async () => {
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
    return this.queue ?? Promise.resolve();
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
    this.endCongestion();
    for (const listener of this.closeListeners.splice(0)) listener(this);
    const requestIds = [...(this.streamSubscriptions?.keys() ?? [])];
    const conversationIds = [...(this.conversationSubscriptions?.keys() ?? [])];
    this.queue = (this.queue ?? Promise.resolve()).then(async () => {
      // A store outage must not fail a departure: shared entries expire with their TTL.
      await Promise.allSettled([
        ...requestIds.map((id) => this.unsubscribeStream(id)),
        ...conversationIds.map((id) => this.leave(id)),
      ]);
      this.host.audienceChanged(requestIds, conversationIds);
    });
  }

  /** The application's `onMessage` may replace or refuse a message. */
  private async applyMessageHook(message: ClientMessage): Promise<ClientMessage> {
    const hook = this.host.hooks?.onMessage;
    if (!hook) return message;
    const client = {
      id: this.id,
      protocol: this.connection.protocol,
      userId: this.userId,
      data: this.data,
    };
    let replaced: ClientMessage | void | undefined;
    try {
      replaced = await hook(message, client);
    } catch (error) {
      if (error instanceof BridgeError) throw error;
      const reason = error instanceof Error ? error.message : 'the message was refused';
      throw new BridgeError('bad_request', reason, { cause: error });
    }
    return replaced ?? message;
  }

  private async dispatch(event: string, data: unknown, reply?: Reply): Promise<void> {
    switch (event) {
      case 'chat_message':
        return this.onChatMessage(toEventData(data, event), reply);
      case 'chat_resume': {
        const d = toEventData(data, event);
        const token = toOptionalResumeToken(d);
        return this.onResume(toRequestId(d), toAfterSeq(d), reply, token);
      }
      case 'chat_cancel': {
        const d = toEventData(data, event);
        return this.onCancel(toRequestId(d), toOptionalResumeToken(d), reply);
      }
      case 'join':
        return this.onJoin(toConversationId(toEventData(data, event)), reply);
      case 'leave':
        return this.onLeave(toConversationId(toEventData(data, event)), reply);
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

  private async onChatMessage(data: Record<string, unknown>, reply?: Reply): Promise<void> {
    const requestId = toOptionalRequestId(data) ?? crypto.randomUUID();
    // Another owner's stream under the same id is another stream: no attach, no pre-claim.
    const key = toStreamKey(requestId, this.owner);
    const conversationId = toOptionalConversationId(data);
    if (conversationId !== undefined) await this.join(conversationId);
    const body = toUpstreamBody(data);
    if (this.host.draining?.()) {
      // Resumes and idempotent re-sends still work; a new upstream call would outlive the drain.
      const existing = await this.host.registry.readFrames(key, Number.MAX_SAFE_INTEGER);
      if (existing.status === 'unknown') throw new BridgeError('server_shutdown');
    }
    const { options, registry } = this.host;
    const caps = {
      options,
      registry,
      connectionStreams: this.started.size,
      instanceStreams: this.host.runningStreams?.(),
      owner: this.owner,
    };
    // Attaching to an existing stream (an idempotent retry) costs no upstream call: allowed.
    await assertStreamCaps(caps, async () => {
      const existing = await registry.readFrames(key, Number.MAX_SAFE_INTEGER);
      return existing.status === 'unknown';
    });
    const resume = await newResumeToken(this.owner);
    const info: StreamInfo = {
      requestId: key,
      conversationId,
      clientRequestId: requestId,
      owner: this.owner,
      resumeTokenHash: resume.hash,
    };
    if (!(await this.host.registry.claimStream(info))) {
      // Idempotent retry: attach to the stream that already runs (or is retained), from its first
      // frame, minus what this socket already received of it.
      return this.onResume(requestId, this.lastSeq.get(key) ?? -1, reply);
    }
    // Members of the conversation receive the stream through it; others subscribe directly.
    if (conversationId === undefined) await this.subscribeStream(key);
    this.started.add(key);
    // Ack first: with a remote host, frames can arrive before the start call returns.
    reply?.({ data: { request_id: requestId, resume_token: resume.token } });
    try {
      await this.host.startStream(info, body, { ...this.forwardedHeaders });
    } catch {
      this.started.delete(key);
      // The stream was claimed but could not start: end it here so the client is not left hanging.
      const error = new BridgeError('internal_error', 'the stream could not be started');
      const timestamp = Date.now();
      const content = error.toPayload();
      this.emitFrame({ type: 'error', content, request_id: requestId, seq: 0, timestamp }, key);
      const stop = { reason: 'error' };
      this.emitFrame(
        { type: 'stop', content: stop, request_id: requestId, seq: 1, timestamp },
        key,
      );
      return;
    }
    if (conversationId !== undefined) {
      await this.host.registry.publish(conversationTopic(conversationId), {
        kind: 'event',
        event: 'user_message',
        data: {
          conversation_id: conversationId,
          request_id: requestId,
          // Who sent it: members see the verified user, never another member's credentials.
          ...(this.userId === undefined ? {} : { user_id: this.userId }),
          data,
          timestamp: Date.now(),
        },
        exceptSession: this.id,
        streamKey: key,
      });
    }
  }

  private async onResume(
    requestId: string,
    afterSeq: number,
    reply?: Reply,
    token?: string,
  ): Promise<void> {
    const { registry } = this.host;
    const key = await resolveStreamKey(registry, requestId, this.owner, token);
    if (key === undefined) {
      throw new BridgeError('resume_unavailable', `request "${requestId}" is unknown or expired`);
    }
    // Live frames that arrive while the replay is read wait here, so order holds.
    const pending: ChatResponse[] = [];
    this.replaying.set(key, pending);
    try {
      await this.subscribeStream(key);
      const replay = await registry.readFrames(key, afterSeq);
      if (replay.status !== 'ok') {
        await this.unsubscribeStream(key);
        const details = replay.status === 'truncated' ? { first_seq: replay.firstSeq } : {};
        const message =
          replay.status === 'truncated'
            ? `frames after ${afterSeq} were dropped; the oldest held is ${replay.firstSeq}`
            : `request "${requestId}" is unknown or expired`;
        throw new BridgeError('resume_unavailable', message, { details });
      }
      this.lastSeq.delete(key);
      this.lastSeq.set(key, afterSeq);
      reply?.({ data: { request_id: requestId } });
      this.host.observer.resumed();
      for (const frame of replay.frames) this.emitFrame(frame, key);
    } finally {
      this.replaying.delete(key);
    }
    for (const frame of pending) this.emitFrame(frame, key);
    this.host.audienceChanged([key], []);
  }

  /** Only the stream's owner, or whoever holds its resume token, may cancel it. */
  private async onCancel(requestId: string, token?: string, reply?: Reply): Promise<void> {
    const key = await resolveStreamKey(this.host.registry, requestId, this.owner, token);
    const info = key === undefined ? undefined : await this.host.findRunning(key);
    if (key === undefined || !info || !(await this.host.cancelStream(key))) {
      throw new BridgeError('unknown_request', `no running request "${requestId}"`);
    }
    reply?.({ data: { request_id: requestId } });
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

  private async onJoin(conversationId: string, reply?: Reply): Promise<void> {
    const presence = await this.join(conversationId);
    reply?.({ data: { conversation_id: conversationId, ...presence } });
  }

  private async onLeave(conversationId: string, reply?: Reply): Promise<void> {
    const presence = await this.leave(conversationId);
    reply?.({ data: { conversation_id: conversationId, ...presence } });
    this.host.audienceChanged([], [conversationId]);
  }

  /**
   * Subscribe to a conversation (once) and tell its members when the count changed. Joining (and
   * so sending into it) needs the access policy's yes, within the per-connection cap.
   */
  private async join(conversationId: string): Promise<Presence> {
    const { registry, options } = this.host;
    const alreadyMember = this.conversations.has(conversationId);
    if (!alreadyMember) {
      await assertMayJoin({
        options,
        access: this.host.conversationAccess,
        memberships: this.conversations.size,
        request: { conversationId, grant: this.grant, headers: this.forwardedHeaders },
        cache: (this.joinAnswers ??= new Map()),
      });
      const topic = conversationTopic(conversationId);
      this.conversations.set(
        conversationId,
        registry.subscribe(topic, (m) => this.onTopicMessage(m)),
      );
    }
    await this.conversations.get(conversationId);
    const presence = await registry.joinConversation(conversationId, this.id, this.userId);
    if (!alreadyMember) {
      await this.publishPresence(conversationId, presence);
      this.host.audienceChanged([], [conversationId]);
    }
    return presence;
  }

  private async leave(conversationId: string): Promise<Presence> {
    const { registry } = this.host;
    const subscription = this.conversations.get(conversationId);
    this.conversations.delete(conversationId);
    if (subscription) await (await subscription)();
    const presence = await registry.leaveConversation(conversationId, this.id);
    await this.publishPresence(conversationId, presence);
    return presence;
  }

  private publishPresence(conversationId: string, presence: Presence): Promise<void> {
    return this.host.registry.publish(conversationTopic(conversationId), {
      kind: 'event',
      event: 'presence',
      data: { conversation_id: conversationId, ...presence, timestamp: Date.now() },
    });
  }

  private async subscribeStream(requestId: string): Promise<void> {
    if (!this.streamSubs.has(requestId)) {
      const topic = streamTopic(requestId);
      this.streamSubs.set(
        requestId,
        this.host.registry.subscribe(topic, (m) => this.onTopicMessage(m)),
      );
    }
    await this.streamSubs.get(requestId);
  }

  private async unsubscribeStream(requestId: string): Promise<void> {
    const subscription = this.streamSubs.get(requestId);
    this.streamSubs.delete(requestId);
    if (subscription) await (await subscription)();
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
    if (message.frame.type === 'stop') this.startedStreams?.delete(key);
    const pending = this.replays?.get(key);
    if (pending) pending.push(message.frame);
    else this.emitFrame(message.frame, key);
  }

  private overHighWater(): boolean {
    const buffered = this.connection.bufferedBytes?.();
    return buffered !== undefined && buffered > this.host.options.sendHighWaterBytes;
  }

  /** The client's buffer is full: stop sending, watch it drain, drop it if it stays stuck. */
  private fallBehind(requestId: string, lastSeq: number): void {
    if (!this.lastSeq.has(requestId)) this.lastSeq.set(requestId, lastSeq);
    if (!this.congestion) {
      const { options } = this.host;
      this.congestion = {
        behind: new Set(),
        stuck: setTimeout(
          () => this.dropSlowClient('stayed over its send buffer limit'),
          options.slowClientTimeoutMs,
        ),
        poll: setInterval(() => {
          const buffered = this.connection.bufferedBytes?.() ?? 0;
          if (buffered <= options.sendHighWaterBytes / 2) void this.catchUp();
        }, DEFAULT_DRAIN_POLL_MS),
      };
    }
    if (!this.congestion.behind.has(requestId)) {
      this.congestion.behind.add(requestId);
      this.host.reportPressure(requestId, this.id, true);
    }
  }

  private endCongestion(): string[] {
    const congestion = this.congestion;
    if (!congestion) return [];
    this.congestion = undefined;
    cancelTimer(congestion.stuck);
    clearInterval(congestion.poll);
    const behind = [...congestion.behind];
    for (const id of behind) this.host.reportPressure(id, this.id, false);
    return behind;
  }

  /** The buffer drained: send what was held back, from the registry, in order. */
  private async catchUp(): Promise<void> {
    const behind = this.endCongestion();
    for (const requestId of behind) {
      if (this.closed) return;
      const pending: ChatResponse[] = [];
      this.replaying.set(requestId, pending);
      try {
        const replay = await this.host.registry.readFrames(
          requestId,
          this.lastSeq.get(requestId) ?? -1,
        );
        if (replay.status !== 'ok') {
          // What the client missed is gone from the bounded buffer; it must resume and decide.
          this.dropSlowClient('fell behind further than the resume buffer');
          return;
        }
        for (const frame of replay.frames) this.emitFrame(frame, requestId);
      } finally {
        this.replaying.delete(requestId);
      }
      for (const frame of pending) this.emitFrame(frame, requestId);
    }
  }

  private dropSlowClient(why: string): void {
    if (this.closed) return;
    this.host.observer.slowClientDisconnected();
    this.connection.close?.(CLOSE_TRY_AGAIN_LATER, `slow consumer: ${why}`);
    // The close frame waits behind what the client has not read: let go of the session now.
    this.close();
  }

  /** Send a frame (of the stream under registry key `id`) unless this client already has it. */
  private emitFrame(frame: ChatResponse, id: string): void {
    const last = this.lastSeq.get(id);
    if (last !== undefined && frame.seq <= last) return;
    if (this.congestion || this.overHighWater()) {
      // Not sent: the registry keeps it, and the client catches up once its buffer drains.
      this.fallBehind(id, last ?? frame.seq - 1);
      return;
    }
    // Known requests are updated in place; new ones go last, so the oldest request goes first.
    const isNew = last === undefined;
    this.lastSeq.set(id, frame.seq);
    if (isNew && this.lastSeq.size > DEFAULT_TRACKED_REQUESTS) {
      const oldest = this.lastSeq.keys().next().value as string;
      this.lastSeq.delete(oldest);
    }
    if (!this.closed) {
      this.connection.send('chat_response', frame);
      this.host.observer.frameRelayed(LocalFrame.ageMs(frame));
    }
    if (frame.type === 'stop' && this.streamSubscriptions?.has(id)) void this.unsubscribeStream(id);
  }
}
