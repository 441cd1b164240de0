/**
 * A Stream is one answer in flight: its request id, its numbering, its state and the sockets that
 * receive it. It is an object of its own so that it can outlive a socket and fan out to several.
 */
import { type ChatResponse, type Frame, toStopFrame } from './frame.ts';

/** Something that receives a stream's numbered frames (a client session, a conversation). */
export interface Subscriber {
  readonly id: string;
  deliver(frame: ChatResponse): void;
}

/** Lifecycle: running until a stop frame has been numbered, then done for good. */
export type StreamState = 'running' | 'done';

/** One answer in flight, numbered 0, 1, 2, ... with exactly one final stop. */
export class Stream {
  readonly requestId: string;
  private nextSeq = 0;
  private stateValue: StreamState = 'running';
  private readonly subscribers = new Set<Subscriber>();
  private readonly abort = new AbortController();
  private readonly doneListeners: Array<(stream: Stream) => void> = [];
  private readonly onDeliveryError: (error: unknown, subscriber: Subscriber) => void;

  constructor(
    requestId: string,
    onDeliveryError: (error: unknown, subscriber: Subscriber) => void = () => {},
  ) {
    this.requestId = requestId;
    this.onDeliveryError = onDeliveryError;
  }

  /** Aborted when the stream is cancelled; the upstream relay listens to it. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get state(): StreamState {
    return this.stateValue;
  }

  /** The seq the next frame will get (the count of frames so far). */
  get seq(): number {
    return this.nextSeq;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  subscribe(subscriber: Subscriber): void {
    this.subscribers.add(subscriber);
  }

  /** @returns how many subscribers remain. */
  unsubscribe(subscriber: Subscriber): number {
    this.subscribers.delete(subscriber);
    return this.subscribers.size;
  }

  /** Called once, after the stop frame went out. */
  onDone(listener: (stream: Stream) => void): void {
    if (this.stateValue === 'done') listener(this);
    else this.doneListeners.push(listener);
  }

  /** Number a frame and deliver it to every subscriber. Frames after the stop are dropped. */
  push(frame: Frame): void {
    if (this.stateValue === 'done') return;
    const response: ChatResponse = {
      type: frame.type,
      content: frame.content,
      request_id: this.requestId,
      seq: this.nextSeq++,
    };
    const isStop = frame.type === 'stop';
    if (isStop) this.stateValue = 'done';
    for (const subscriber of this.subscribers) {
      try {
        subscriber.deliver(response);
      } catch (error) {
        // One broken socket must not starve the others of this frame.
        this.onDeliveryError(error, subscriber);
      }
    }
    if (isStop) {
      for (const listener of this.doneListeners.splice(0)) listener(this);
    }
  }

  /** End the stream now with `stop {reason: "cancelled"}` and abort its upstream request. */
  cancel(): void {
    this.push(toStopFrame('cancelled'));
    this.abort.abort();
  }
}
