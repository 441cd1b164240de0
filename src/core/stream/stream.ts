/**
 * A Stream is one answer in flight on the instance that runs its upstream request: it numbers the
 * frames, hands them to the registry (which keeps them for resume and fans them out to every
 * subscribed socket), guarantees exactly one final stop, and owns the resume grace timer.
 */
import {
  type ChatResponse,
  type Frame,
  LocalFrame,
  type StopReason,
  toStopFrame,
  UpstreamJsonFrame,
} from '../protocol/frame.ts';
import type { StreamInfo } from '../registry/registry.ts';
import { cancelTimer, type Timer } from '../internal/timers.ts';

/** Lifecycle: running until a stop frame has been numbered, then done for good. */
export type StreamState = 'running' | 'done';

/** Where numbered frames go (the registry, in seq order). */
export type FrameSink = (frame: ChatResponse) => void;

/** One answer in flight, numbered 0, 1, 2, ... with exactly one final stop. */
export class Stream {
  readonly info: StreamInfo;
  private nextSeq = 0;
  private stateValue: StreamState = 'running';
  private readonly doneListeners: Array<(stream: Stream) => void> = [];
  private readonly sink: FrameSink | undefined;
  private graceTimer: Timer | undefined;
  private paused: { promise: Promise<void>; resolve: () => void } | undefined;
  /** `,"request_id":"…","seq":` — appended to passed-through upstream JSON, before the seq. */
  private readonly membersHead: string;
  /** The request id frames carry (the client's; `info.requestId` is the registry key). */
  readonly clientRequestId: string;

  /** Without `sink`, a subclass overrides {@link Stream.deliver}. */
  constructor(info: StreamInfo, sink?: FrameSink) {
    this.info = info;
    this.sink = sink;
    this.clientRequestId = info.clientRequestId ?? info.requestId;
    this.membersHead = `,"request_id":${JSON.stringify(this.clientRequestId)},"seq":`;
  }

  get requestId(): string {
    return this.info.requestId;
  }

  get state(): StreamState {
    return this.stateValue;
  }

  /** The seq the next frame will get (the count of frames so far). */
  get seq(): number {
    return this.nextSeq;
  }

  /** Whether the grace timer runs (nobody receives this stream right now). */
  get orphaned(): boolean {
    return this.graceTimer !== undefined;
  }

  /** Called once, after the stop frame went out. */
  onDone(listener: (stream: Stream) => void): void {
    if (this.stateValue === 'done') listener(this);
    else this.doneListeners.push(listener);
  }

  /** Number a frame and hand it on. Frames after the stop are dropped. */
  push(frame: Frame): void {
    if (this.stateValue === 'done') return;
    const isStop = frame.type === 'stop';
    if (isStop) {
      this.stateValue = 'done';
      this.endGrace();
      this.resume();
    }
    const seq = this.nextSeq++;
    // Numbered now, once: a replayed frame keeps this time.
    const timestamp = Date.now();
    this.deliver(
      new LocalFrame(
        frame.type,
        frame.content,
        this.clientRequestId,
        seq,
        timestamp,
        this.passThrough(frame, seq, timestamp),
      ),
    );
    if (isStop) for (const listener of this.doneListeners.splice(0)) listener(this);
  }

  /** Hand a numbered frame on (to the sink given at construction). */
  protected deliver(frame: ChatResponse): void {
    (this.sink as FrameSink)(frame);
  }

  /** The frame's JSON made from its upstream text, when it has one that ends its object. */
  private passThrough(frame: Frame, seq: number, timestamp: number): string | undefined {
    const upstream = UpstreamJsonFrame.jsonOf(frame)?.trimEnd();
    if (upstream === undefined || upstream.charCodeAt(upstream.length - 1) !== 0x7d)
      return undefined;
    return `${upstream.slice(0, -1)}${this.membersHead}${seq},"timestamp":${timestamp}}`;
  }

  /** End the stream now with a stop of this reason and stop its upstream request. */
  cancel(reason: StopReason = 'cancelled'): void {
    this.push(toStopFrame(reason));
    this.cancelled();
  }

  /** After {@link Stream.cancel}: a subclass stops its upstream request here. */
  protected cancelled(): void {}

  /** Nobody receives the stream: keep it running for `graceMs`, then abandon it. */
  startGrace(graceMs: number): void {
    if (this.stateValue === 'done' || this.graceTimer !== undefined) return;
    this.graceTimer = setTimeout(() => {
      this.graceTimer = undefined;
      this.cancel('abandoned');
    }, graceMs);
  }

  /** Every receiver's send buffer is full: stop reading the upstream until one drains. */
  pause(): void {
    if (this.paused || this.stateValue === 'done') return;
    let resolve: () => void = () => {};
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    this.paused = { promise, resolve };
  }

  /** A receiver has room again (or the stream ends): read the upstream again. */
  resume(): void {
    this.paused?.resolve();
    this.paused = undefined;
  }

  /** Resolves when the upstream may be read; undefined when it may be read now. */
  whenFlowing(): Promise<void> | undefined {
    return this.paused?.promise;
  }

  /** Somebody receives the stream again. */
  endGrace(): void {
    cancelTimer(this.graceTimer);
    this.graceTimer = undefined;
  }
}
