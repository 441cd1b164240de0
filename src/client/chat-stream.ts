/**
 * One chat answer as the application sees it: an async iterable of its frames, each seq exactly
 * once and in order, ending after the stop. The client feeds it from whichever connection is open.
 */
import type { ChatResponse } from './protocol.ts';

/** What {@link ChatStream.push} did with a frame. */
export type PushOutcome = 'accepted' | 'duplicate' | 'gap';

/**
 * The frames of one request, from `client.chat()` or `client.resume()`. Iterate it once; leaving
 * the loop early cancels the request (like aborting its signal).
 */
export class ChatStream implements AsyncIterable<ChatResponse> {
  /** The request id: the one in the chat data, or a generated UUID. */
  readonly requestId: string;
  /**
   * The token the bridge acked the chat_message with: it proves the right to resume or cancel the
   * stream from another connection (sent with every chat_resume and chat_cancel of it). Keep it
   * to resume after a page reload.
   */
  resumeToken: string | undefined = undefined;
  private last: number;
  private readonly buffer: ChatResponse[] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;
  private iterated = false;
  /** The loop was left early: frames still arriving are not kept. */
  private detached = false;
  private readonly onEarlyReturn: () => void;

  /** @internal Made by the client. */
  constructor(requestId: string, afterSeq: number, onEarlyReturn: () => void) {
    this.requestId = requestId;
    this.last = afterSeq;
    this.onEarlyReturn = onEarlyReturn;
  }

  /** The seq of the last frame received; -1 before the first (or the `afterSeq` resumed from). */
  get lastSeq(): number {
    return this.last;
  }

  /** Whether the stop arrived or the stream failed. */
  get finished(): boolean {
    return this.ended;
  }

  /** @internal Take a frame: the next seq is queued, an old one dropped, a later one refused. */
  push(frame: ChatResponse): PushOutcome {
    if (this.ended || frame.seq <= this.last) return 'duplicate';
    if (frame.seq > this.last + 1) return 'gap';
    this.last = frame.seq;
    if (!this.detached) this.buffer.push(frame);
    if (frame.type === 'stop') this.ended = true;
    this.notify();
    return 'accepted';
  }

  /** @internal End with an error: frames already queued are yielded first, then it is thrown. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = { error };
    this.notify();
  }

  [Symbol.asyncIterator](): AsyncIterator<ChatResponse> {
    if (this.iterated) throw new TypeError('a chat stream can be iterated only once');
    this.iterated = true;
    return {
      next: async () => {
        for (;;) {
          const frame = this.buffer.shift();
          if (frame) return { value: frame, done: false };
          if (this.failure) {
            const { error } = this.failure;
            this.failure = undefined;
            throw error;
          }
          if (this.ended) return { value: undefined, done: true };
          await new Promise<void>((resolve) => (this.wake = resolve));
        }
      },
      return: async () => {
        this.detached = true;
        if (!this.ended) this.onEarlyReturn();
        this.buffer.length = 0;
        this.failure = undefined;
        return { value: undefined, done: true };
      },
    };
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
