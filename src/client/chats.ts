/**
 * The chats of one client across its connections: each is sent once per connection (chat_message
 * until the bridge acked it, then chat_resume after the last seq received), cancelled on request,
 * and fed the frames of its request id.
 */
import { ChatStream } from './chat-stream.ts';
import { ClientError } from './errors.ts';
import { type ChatResponse, toConversationId } from './protocol.ts';
import type { Transport } from './transport.ts';

/** Finished request ids remembered, so their late duplicates are not reported as foreign frames. */
export const DEFAULT_FINISHED_MEMORY = 256;

/** What the chats need from their client. */
export interface ChatsHost {
  /** The open transport, if any. */
  readonly transport: Transport | undefined;
  /** The bridge is draining: move to another connection. */
  replace(): void;
  /** Run `fn` a little later on `transport` if it is still open (`rate_limited`). */
  retryLater(transport: Transport, fn: (transport: Transport) => void): void;
  /** The bridge accepted a chat_message naming this conversation, which joined the sender to it. */
  joinedBy(conversationId: string): void;
  /** A frame of a request this client is not following. */
  foreignFrame(frame: ChatResponse): void;
}

/** What is kept about one chat. */
interface ChatRecord {
  stream: ChatStream;
  /** The chat_message data; absent for a resume. */
  message: Record<string, unknown> | undefined;
  conversationId: string | undefined;
  /** The bridge acked it once, so a later connection resumes rather than re-sends. */
  accepted: boolean;
  /** The chat_message left the client at least once. */
  sent: boolean;
  /** Set once cancelled: the error a stream that never reached the bridge ends with. */
  cancelReason: unknown;
  /** The connection a chat_message / chat_resume of it is waiting on. */
  syncingOn: Transport | undefined;
  dispose: () => void;
}

/** `resume_token` for a chat_resume / chat_cancel, when the bridge gave one. */
function withResumeToken(stream: ChatStream): { resume_token?: string } {
  return stream.resumeToken === undefined ? {} : { resume_token: stream.resumeToken };
}

/** The code of a {@link ClientError}, if it is one. */
export function codeOf(error: unknown): string | undefined {
  return error instanceof ClientError ? error.code : undefined;
}

/** The running chats of a client. */
export class Chats {
  private readonly records = new Map<string, ChatRecord>();
  private readonly finishedIds = new Set<string>();

  constructor(private readonly host: ChatsHost) {}

  /** Follow `requestId` from `afterSeq` on; with `message`, start it with that chat_message. */
  track(
    requestId: string,
    afterSeq: number,
    message: Record<string, unknown> | undefined,
    signal: AbortSignal | undefined,
    resumeToken?: string,
  ): ChatStream {
    if (this.records.has(requestId)) {
      throw new TypeError(`request "${requestId}" is already running on this client`);
    }
    const stream = new ChatStream(requestId, afterSeq, () =>
      this.cancel(record, new DOMException('the chat loop was left', 'AbortError')),
    );
    stream.resumeToken = resumeToken;
    const record: ChatRecord = {
      stream,
      message,
      conversationId: toConversationId(message),
      accepted: message === undefined,
      sent: message === undefined,
      cancelReason: undefined,
      syncingOn: undefined,
      dispose: () => {},
    };
    if (signal?.aborted) {
      stream.fail(signal.reason);
      return stream;
    }
    if (signal) {
      const onAbort = (): void => this.cancel(record, signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      record.dispose = () => signal.removeEventListener('abort', onAbort);
    }
    this.records.set(requestId, record);
    const transport = this.host.transport;
    if (transport) this.sync(record, transport);
    return stream;
  }

  /** A new connection opened: send every unfinished chat on it. */
  syncAll(transport: Transport): void {
    for (const record of this.records.values()) this.sync(record, transport);
  }

  /** Route a `chat_response`. */
  onFrame(frame: ChatResponse): void {
    const record = this.records.get(frame.request_id);
    if (!record) {
      if (!this.finishedIds.has(frame.request_id)) this.host.foreignFrame(frame);
      return;
    }
    const outcome = record.stream.push(frame);
    // A gap can only come before this connection's resume was handled (e.g. a conversation's live
    // frame): the resume in flight fills it, or a new one is asked for.
    const transport = this.host.transport;
    if (outcome === 'gap' && transport && record.syncingOn !== transport) {
      this.sync(record, transport);
    }
    if (record.stream.finished) this.finish(record);
  }

  /** End every chat with `error`. */
  failAll(error: ClientError): void {
    for (const record of [...this.records.values()]) this.finish(record, error);
  }

  private sync(record: ChatRecord, transport: Transport): void {
    const { stream } = record;
    if (stream.finished) return;
    // Never acked: the chat_message again (the bridge attaches a known request_id instead of
    // starting it twice). A cancelled one is only looked for, never started.
    const resume = record.accepted || stream.lastSeq >= 0 || record.cancelReason !== undefined;
    const request =
      resume || record.message === undefined
        ? transport.request('chat_resume', {
            request_id: stream.requestId,
            after_seq: stream.lastSeq,
            ...withResumeToken(stream),
          })
        : transport.request('chat_message', record.message);
    record.sent = true;
    record.syncingOn = transport;
    request.then(
      (ack) => {
        const token = (ack as { resume_token?: unknown } | undefined)?.resume_token;
        if (typeof token === 'string') stream.resumeToken = token;
        if (record.syncingOn === transport) record.syncingOn = undefined;
        record.accepted = true;
        if (record.conversationId !== undefined) this.host.joinedBy(record.conversationId);
      },
      (error: unknown) => {
        if (record.syncingOn === transport) record.syncingOn = undefined;
        this.onRefused(record, transport, error);
      },
    );
    if (record.cancelReason !== undefined) this.sendCancel(record, transport);
  }

  private onRefused(record: ChatRecord, transport: Transport, error: unknown): void {
    if (record.stream.finished) return;
    switch (codeOf(error)) {
      case 'connection_lost':
        return; // the next connection syncs it again
      case 'server_shutdown':
        return this.host.replace();
      case 'rate_limited':
        return this.host.retryLater(transport, (t) => this.sync(record, t));
      case 'resume_unavailable':
        // Cancelled before the bridge ever accepted it: it never started, which is what was asked.
        if (record.cancelReason !== undefined && !record.accepted) {
          return this.finish(record, record.cancelReason);
        }
    }
    this.finish(record, error);
  }

  private cancel(record: ChatRecord, reason: unknown): void {
    if (record.stream.finished || record.cancelReason !== undefined) return;
    record.cancelReason = reason ?? new DOMException('the chat was cancelled', 'AbortError');
    if (!record.sent) return this.finish(record, record.cancelReason);
    const transport = this.host.transport;
    if (transport) this.sendCancel(record, transport);
  }

  private sendCancel(record: ChatRecord, transport: Transport): void {
    // unknown_request: it already stopped, and that stop is on its way. connection_lost: the next
    // connection resumes and cancels again.
    const { stream } = record;
    const data = { request_id: stream.requestId, ...withResumeToken(stream) };
    transport.request('chat_cancel', data).catch((error) => {
      if (codeOf(error) === 'rate_limited') {
        this.host.retryLater(transport, (t) => this.sendCancel(record, t));
      }
    });
  }

  private finish(record: ChatRecord, error?: unknown): void {
    if (error !== undefined) record.stream.fail(error);
    record.dispose();
    const id = record.stream.requestId;
    if (this.records.get(id) !== record) return;
    this.records.delete(id);
    this.finishedIds.add(id);
    if (this.finishedIds.size > DEFAULT_FINISHED_MEMORY) {
      this.finishedIds.delete(this.finishedIds.values().next().value as string);
    }
  }
}
