/**
 * What one client receives of its streams: each (request_id, seq) at most once and in order, held
 * back while a replay is read, and paused while the client's send buffer is full (the registry
 * keeps the frames; the client catches up from there once it drains, or is dropped).
 */
import { BridgeError, ERROR_TABLE } from '../internal/errors.ts';
import { cancelTimer, type Timer } from '../internal/timers.ts';
import { type ChatResponse, LocalFrame } from '../protocol/frame.ts';
import { streamTopic, type TopicMessage, type Unsubscribe } from '../registry/registry.ts';
import type { ClientConnection, SessionHost } from './contracts.ts';

/** Requests whose last delivered seq a session remembers (for de-duplication); oldest go first. */
export const DEFAULT_TRACKED_REQUESTS = 1_000;
/** How often a congested client's send buffer is checked for room again. */
export const DEFAULT_DRAIN_POLL_MS = 50;

/** The client a {@link Delivery} sends to (a `Session`). */
export interface DeliveryClient {
  readonly id: string;
  readonly connection: ClientConnection;
  readonly isClosed: boolean;
  /** Where the stream topics' messages go (they may carry more than frames). */
  deliver(message: TopicMessage): void;
  /** Let go of the client (it was too slow). */
  close(): void;
}

/** The streams one client follows and what it has received of each. */
export class Delivery {
  private readonly host: SessionHost;
  private readonly client: DeliveryClient;
  // Made on first use, like the session's own collections: most connections never need them.
  // Streams are keyed by their registry key (the request id scoped to its owner).
  private lastSeqs: Map<string, number> | undefined;
  private replays: Map<string, ChatResponse[]> | undefined;
  private subscriptions: Map<string, Promise<Unsubscribe>> | undefined;
  /** Set while the client's send buffer is over the high-water mark. */
  private congestion:
    { behind: Set<string>; stuck: Timer; poll: ReturnType<typeof setInterval> } | undefined;

  constructor(host: SessionHost, client: DeliveryClient) {
    this.host = host;
    this.client = client;
  }

  private get lastSeq(): Map<string, number> {
    return (this.lastSeqs ??= new Map());
  }
  private get replaying(): Map<string, ChatResponse[]> {
    return (this.replays ??= new Map());
  }
  private get subs(): Map<string, Promise<Unsubscribe>> {
    return (this.subscriptions ??= new Map());
  }

  /** The streams this client is subscribed to. */
  streamKeys(): string[] {
    return [...(this.subscriptions?.keys() ?? [])];
  }

  /** The last seq this client received of stream `key`, if it is tracked. */
  lastSeqOf(key: string): number | undefined {
    return this.lastSeqs?.get(key);
  }

  /** Follow stream `key` (once); resolves when subscribed. */
  async subscribe(key: string): Promise<void> {
    if (!this.subs.has(key)) {
      const topic = streamTopic(key);
      this.subs.set(
        key,
        this.host.registry.subscribe(topic, (m) => this.client.deliver(m)),
      );
    }
    await this.subs.get(key);
  }

  /** Stop following stream `key`. */
  async unsubscribe(key: string): Promise<void> {
    const subscription = this.subs.get(key);
    this.subs.delete(key);
    if (subscription) await (await subscription)();
  }

  /**
   * Send stream `key`'s frames after `afterSeq` from the registry, then the live ones that came
   * meanwhile, in order. `ready` runs once the replay is known to exist, before its first frame.
   */
  async replay(key: string, afterSeq: number, requestId: string, ready: () => void): Promise<void> {
    const { registry } = this.host;
    // Live frames that arrive while the replay is read wait here, so order holds.
    const pending: ChatResponse[] = [];
    this.replaying.set(key, pending);
    try {
      await this.subscribe(key);
      const replay = await registry.readFrames(key, afterSeq);
      if (replay.status !== 'ok') {
        await this.unsubscribe(key);
        const details = replay.status === 'truncated' ? { first_seq: replay.firstSeq } : {};
        const message =
          replay.status === 'truncated'
            ? `frames after ${afterSeq} were dropped; the oldest held is ${replay.firstSeq}`
            : `request "${requestId}" is unknown or expired`;
        throw new BridgeError('resume_unavailable', message, { details });
      }
      this.lastSeq.delete(key);
      this.lastSeq.set(key, afterSeq);
      ready();
      for (const frame of replay.frames) this.emit(frame, key);
    } finally {
      this.replaying.delete(key);
    }
    for (const frame of pending) this.emit(frame, key);
  }

  /** A live frame of stream `key`: sent now, or held while a replay of that stream is read. */
  receive(frame: ChatResponse, key: string): void {
    const pending = this.replays?.get(key);
    if (pending) pending.push(frame);
    else this.emit(frame, key);
  }

  /** Send a frame (of the stream under registry key `key`) unless this client already has it. */
  emit(frame: ChatResponse, key: string): void {
    const last = this.lastSeq.get(key);
    if (last !== undefined && frame.seq <= last) return;
    if (this.congestion || this.overHighWater()) {
      // Not sent: the registry keeps it, and the client catches up once its buffer drains.
      this.fallBehind(key, last ?? frame.seq - 1);
      return;
    }
    // Known requests are updated in place; new ones go last, so the oldest request goes first.
    const isNew = last === undefined;
    this.lastSeq.set(key, frame.seq);
    if (isNew && this.lastSeq.size > DEFAULT_TRACKED_REQUESTS) {
      const oldest = this.lastSeq.keys().next().value as string;
      this.lastSeq.delete(oldest);
    }
    if (!this.client.isClosed) {
      this.client.connection.send('chat_response', frame);
      this.host.observer.frameRelayed(LocalFrame.ageMs(frame));
    }
    if (frame.type === 'stop' && this.subscriptions?.has(key)) void this.unsubscribe(key);
  }

  /** The client is gone: stop watching its buffer. */
  stop(): void {
    this.endCongestion();
  }

  private overHighWater(): boolean {
    const buffered = this.client.connection.bufferedBytes?.();
    return buffered !== undefined && buffered > this.host.options.sendHighWaterBytes;
  }

  /** The client's buffer is full: stop sending, watch it drain, drop it if it stays stuck. */
  private fallBehind(key: string, lastSeq: number): void {
    if (!this.lastSeq.has(key)) this.lastSeq.set(key, lastSeq);
    if (!this.congestion) {
      const { options } = this.host;
      this.congestion = {
        behind: new Set(),
        stuck: setTimeout(
          () => this.dropSlowClient('stayed over its send buffer limit'),
          options.slowClientTimeoutMs,
        ),
        poll: setInterval(() => {
          const buffered = this.client.connection.bufferedBytes?.() ?? 0;
          if (buffered <= options.sendHighWaterBytes / 2) void this.catchUp();
        }, DEFAULT_DRAIN_POLL_MS),
      };
    }
    if (!this.congestion.behind.has(key)) {
      this.congestion.behind.add(key);
      this.host.reportPressure(key, this.client.id, true);
    }
  }

  private endCongestion(): string[] {
    const congestion = this.congestion;
    if (!congestion) return [];
    this.congestion = undefined;
    cancelTimer(congestion.stuck);
    clearInterval(congestion.poll);
    const behind = [...congestion.behind];
    for (const key of behind) this.host.reportPressure(key, this.client.id, false);
    return behind;
  }

  /** The buffer drained: send what was held back, from the registry, in order. */
  private async catchUp(): Promise<void> {
    const behind = this.endCongestion();
    for (const key of behind) {
      if (this.client.isClosed) return;
      const pending: ChatResponse[] = [];
      this.replaying.set(key, pending);
      try {
        const replay = await this.host.registry.readFrames(key, this.lastSeq.get(key) ?? -1);
        if (replay.status !== 'ok') {
          // What the client missed is gone from the bounded buffer; it must resume and decide.
          this.dropSlowClient('fell behind further than the resume buffer');
          return;
        }
        for (const frame of replay.frames) this.emit(frame, key);
      } finally {
        this.replaying.delete(key);
      }
      for (const frame of pending) this.emit(frame, key);
    }
  }

  private dropSlowClient(why: string): void {
    if (this.client.isClosed) return;
    this.host.observer.slowClientDisconnected();
    this.client.connection.close?.(ERROR_TABLE.slow_consumer.close, `slow consumer: ${why}`);
    // The close frame waits behind what the client has not read: let go of the session now.
    this.client.close();
  }
}
