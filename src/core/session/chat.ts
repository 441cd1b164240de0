/**
 * The streams one client starts, resumes and cancels (`chat_message`, `chat_resume`,
 * `chat_cancel`), and how many of those it started are still running.
 */
import { BridgeError } from '../internal/errors.ts';
import {
  toOptionalConversationId,
  toOptionalRequestId,
  toUpstreamBody,
} from '../protocol/client-data.ts';
import type { StreamInfo } from '../registry/registry.ts';
import { newResumeToken, resolveStreamKey, toStreamKey } from '../registry/stream-ownership.ts';
import type { Reply, SessionHost } from './contracts.ts';
import type { Conversations } from './conversations.ts';
import type { Delivery } from './delivery.ts';
import { assertStreamCaps } from './stream-caps.ts';

/** The client a {@link ChatStreams} acts for (a `Session`). */
export interface ChatClient {
  readonly owner: string;
  readonly forwardedHeaders: Readonly<Record<string, string>>;
}

/** One client's chat requests. */
export class ChatStreams {
  private readonly host: SessionHost;
  private readonly client: ChatClient;
  private readonly delivery: Delivery;
  private readonly conversations: Conversations;
  /** Running streams this client started (the per-connection limit counts them). */
  private readonly started = new Set<string>();

  constructor(
    host: SessionHost,
    client: ChatClient,
    delivery: Delivery,
    conversations: Conversations,
  ) {
    this.host = host;
    this.client = client;
    this.delivery = delivery;
    this.conversations = conversations;
  }

  /** Running streams this client started. */
  get running(): number {
    return this.started.size;
  }

  /** The stream under registry key `key` stopped. */
  stopped(key: string): void {
    this.started.delete(key);
  }

  /** `chat_message`: start a stream, or attach to the one already running under its id. */
  async message(data: Record<string, unknown>, reply?: Reply): Promise<void> {
    const { owner } = this.client;
    const requestId = toOptionalRequestId(data) ?? crypto.randomUUID();
    // Another owner's stream under the same id is another stream: no attach, no pre-claim.
    const key = toStreamKey(requestId, owner);
    const conversationId = toOptionalConversationId(data);
    if (conversationId !== undefined) await this.conversations.join(conversationId);
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
      owner,
    };
    // Attaching to an existing stream (an idempotent retry) costs no upstream call: allowed.
    await assertStreamCaps(caps, async () => {
      const existing = await registry.readFrames(key, Number.MAX_SAFE_INTEGER);
      return existing.status === 'unknown';
    });
    const resume = await newResumeToken(owner);
    const info: StreamInfo = {
      requestId: key,
      conversationId,
      clientRequestId: requestId,
      owner,
      resumeTokenHash: resume.hash,
    };
    if (!(await this.host.registry.claimStream(info))) {
      // Idempotent retry: attach to the stream that already runs (or is retained), from its first
      // frame, minus what this socket already received of it.
      return this.resume(requestId, this.delivery.lastSeqOf(key) ?? -1, reply);
    }
    // Members of the conversation receive the stream through it; others subscribe directly.
    if (conversationId === undefined) await this.delivery.subscribe(key);
    this.started.add(key);
    // Ack first: with a remote host, frames can arrive before the start call returns.
    reply?.({ data: { request_id: requestId, resume_token: resume.token } });
    try {
      await this.host.startStream(info, body, { ...this.client.forwardedHeaders });
    } catch {
      this.started.delete(key);
      // The stream was claimed but could not start: end it here so the client is not left hanging.
      const error = new BridgeError('internal_error', 'the stream could not be started');
      const timestamp = Date.now();
      const content = error.toPayload();
      this.delivery.emit({ type: 'error', content, request_id: requestId, seq: 0, timestamp }, key);
      const stop = { reason: 'error' };
      this.delivery.emit(
        { type: 'stop', content: stop, request_id: requestId, seq: 1, timestamp },
        key,
      );
      return;
    }
    if (conversationId !== undefined) {
      await this.conversations.publishUserMessage(conversationId, requestId, data, key);
    }
  }

  /** `chat_resume`: the stream's frames after `afterSeq`, then its live ones. */
  async resume(requestId: string, afterSeq: number, reply?: Reply, token?: string): Promise<void> {
    const key = await resolveStreamKey(this.host.registry, requestId, this.client.owner, token);
    if (key === undefined) {
      throw new BridgeError('resume_unavailable', `request "${requestId}" is unknown or expired`);
    }
    await this.delivery.replay(key, afterSeq, requestId, () => {
      reply?.({ data: { request_id: requestId } });
      this.host.observer.resumed();
    });
    this.host.audienceChanged([key], []);
  }

  /** `chat_cancel`: only the stream's owner, or whoever holds its resume token, may cancel it. */
  async cancel(requestId: string, token?: string, reply?: Reply): Promise<void> {
    const key = await resolveStreamKey(this.host.registry, requestId, this.client.owner, token);
    const info = key === undefined ? undefined : await this.host.findRunning(key);
    if (key === undefined || !info || !(await this.host.cancelStream(key))) {
      throw new BridgeError('unknown_request', `no running request "${requestId}"`);
    }
    reply?.({ data: { request_id: requestId } });
  }
}
