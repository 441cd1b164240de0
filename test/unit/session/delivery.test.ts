/**
 * What one connection receives of its streams (src/core/session/delivery.ts, reached the way topic
 * messages reach it, through `Session.deliver`): each (request_id, seq) at most once and never
 * out of order, live frames held back behind a replay, and a congested client paused, caught up
 * from the registry in order, or dropped. In-process only: a real memory registry, a recording
 * connection, fake timers for the drain poll and the slow-client timeout.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type BridgeOptions,
  type ChatResponse,
  createMemoryRegistry,
  defaultOptions,
  type Registry,
  silentObserver,
  type StreamInfo,
  type TopicMessage,
} from '../../../src/core/index.ts';
import type { ClientConnection, SessionHost } from '../../../src/core/session/contracts.ts';
import {
  DEFAULT_DRAIN_POLL_MS,
  DEFAULT_TRACKED_REQUESTS,
  Delivery,
  type DeliveryClient,
} from '../../../src/core/session/delivery.ts';
import { Session } from '../../../src/core/session/session.ts';

const frame = (requestId: string, seq: number, type = 'text'): ChatResponse => ({
  type,
  content: type === 'stop' ? { reason: 'complete' } : { data: `${requestId}#${seq}` },
  request_id: requestId,
  seq,
  timestamp: 0,
});

const info = (key: string): StreamInfo => ({
  requestId: key,
  conversationId: undefined,
  clientRequestId: key,
  owner: 'owner',
  resumeTokenHash: 'hash',
});

interface Fixture {
  registry: Registry & { close(): Promise<void> };
  host: SessionHost;
  connection: ClientConnection;
  /** Every event the connection was sent, in order. */
  sent: Array<{ event: string; data: unknown }>;
  closes: Array<{ code: number; reason: string }>;
  pressure: Array<{ key: string; congested: boolean }>;
  counts: { relayed: number; slow: number; resumed: number };
  /** What the connection reports as queued, not yet written. */
  buffered: { bytes: number };
}

const sessions: Session[] = [];
const registries: Registry[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) session.close();
  for (const registry of registries.splice(0)) await registry.close();
  vi.useRealTimers();
});

function fixture(overrides: Partial<BridgeOptions> = {}): Fixture {
  const options = { ...defaultOptions(), ...overrides };
  const registry = createMemoryRegistry({
    resumeBufferBytes: options.resumeBufferBytes,
    resumeRetentionMs: options.resumeRetentionMs,
  });
  registries.push(registry);
  const sent: Fixture['sent'] = [];
  const closes: Fixture['closes'] = [];
  const pressure: Fixture['pressure'] = [];
  const counts = { relayed: 0, slow: 0, resumed: 0 };
  const buffered = { bytes: 0 };
  const host: SessionHost = {
    options,
    registry,
    observer: {
      ...silentObserver,
      frameRelayed: () => void counts.relayed++,
      slowClientDisconnected: () => void counts.slow++,
      resumed: () => void counts.resumed++,
    },
    startStream: () => Promise.reject(new Error('no upstream in this test')),
    findRunning: () => Promise.resolve(undefined),
    cancelStream: () => Promise.resolve(false),
    audienceChanged: () => {},
    reportPressure: (key, _sessionId, congested) => void pressure.push({ key, congested }),
  };
  const connection: ClientConnection = {
    protocol: 'ws',
    send: (event, data) => void sent.push({ event, data }),
    bufferedBytes: () => buffered.bytes,
    close: (code, reason) => void closes.push({ code, reason }),
  };
  return { registry, host, connection, sent, closes, pressure, counts, buffered };
}

function sessionOf(f: Fixture): Session {
  const session = new Session(f.host, f.connection, {});
  sessions.push(session);
  return session;
}

/** The frames the connection received, as "request_id:seq". */
const received = (f: Fixture): string[] =>
  f.sent
    .filter((e) => e.event === 'chat_response')
    .map((e) => e.data as ChatResponse)
    .map((c) => `${c.request_id}:${c.seq}`);

const topicFrame = (requestId: string, seq: number, key?: string): TopicMessage => ({
  kind: 'frame',
  frame: frame(requestId, seq),
  ...(key === undefined ? {} : { key }),
});

describe('ordered at-most-once delivery per (request_id, seq)', () => {
  it('sends each seq once: duplicates of what the connection already has are dropped', () => {
    const f = fixture();
    const session = sessionOf(f);
    for (const seq of [0, 1, 1, 0, 2, 2, 3]) session.deliver(topicFrame('r', seq));
    expect(received(f)).toEqual(['r:0', 'r:1', 'r:2', 'r:3']);
    expect(f.counts.relayed).toBe(4);
  });

  it('never sends a frame after a later one: a frame that was overtaken is dropped, not sent late', () => {
    const f = fixture();
    const session = sessionOf(f);
    for (const seq of [0, 2, 1, 3, 1]) session.deliver(topicFrame('r', seq));
    expect(received(f)).toEqual(['r:0', 'r:2', 'r:3']);
  });

  it('keeps one count per stream registry key, not per bare request id', () => {
    const f = fixture();
    const session = sessionOf(f);
    // Two owners' streams under the same client request id are two streams.
    session.deliver(topicFrame('r', 0, 'r alice'));
    session.deliver(topicFrame('r', 0, 'r bob'));
    session.deliver(topicFrame('r', 1, 'r bob'));
    session.deliver(topicFrame('r', 1, 'r alice'));
    session.deliver(topicFrame('r', 0, 'r bob'));
    session.deliver(topicFrame('s', 0));
    session.deliver(topicFrame('s', 0));
    expect(received(f)).toEqual(['r:0', 'r:0', 'r:1', 'r:1', 's:0']);
  });

  it(`remembers at most ${DEFAULT_TRACKED_REQUESTS} requests, forgetting the oldest first`, () => {
    const f = fixture();
    const session = sessionOf(f);
    for (let i = 0; i <= DEFAULT_TRACKED_REQUESTS; i++) session.deliver(topicFrame(`r${i}`, 0));
    expect(received(f)).toHaveLength(DEFAULT_TRACKED_REQUESTS + 1);
    f.sent.length = 0;
    // The newest is still known; r0, the oldest, was forgotten, so its duplicate goes out again.
    session.deliver(topicFrame(`r${DEFAULT_TRACKED_REQUESTS}`, 0));
    session.deliver(topicFrame('r1', 0));
    session.deliver(topicFrame('r0', 0));
    expect(received(f)).toEqual(['r0:0']);
  });

  it('a late duplicate of a stopped stream is dropped too', () => {
    const f = fixture();
    const session = sessionOf(f);
    session.deliver({ kind: 'frame', frame: frame('r', 0) });
    session.deliver({ kind: 'frame', frame: frame('r', 1, 'stop') });
    session.deliver({ kind: 'frame', frame: frame('r', 1, 'stop') });
    session.deliver({ kind: 'frame', frame: frame('r', 0) });
    expect(received(f)).toEqual(['r:0', 'r:1']);
  });

  it('sends topic events to everyone but the session they exclude, stamped with a timestamp', () => {
    const f = fixture();
    const session = sessionOf(f);
    session.deliver({
      kind: 'event',
      event: 'presence',
      data: { n: 1 },
      exceptSession: session.id,
    });
    session.deliver({ kind: 'event', event: 'presence', data: { n: 2 }, exceptSession: 'other' });
    expect(f.sent).toEqual([
      { event: 'presence', data: { n: 2, timestamp: expect.any(Number) as number } },
    ]);
  });

  it('a closed session receives nothing', () => {
    const f = fixture();
    const session = sessionOf(f);
    session.close();
    session.deliver(topicFrame('r', 0));
    session.deliver({ kind: 'event', event: 'presence', data: {} });
    expect(f.sent).toEqual([]);
  });
});

/** A client for a {@link Delivery} on its own: topic messages go straight back to it. */
function clientOf(f: Fixture, delivery: () => Delivery): DeliveryClient & { closed: boolean } {
  return {
    id: 'client',
    connection: f.connection,
    closed: false,
    get isClosed() {
      return this.closed;
    },
    deliver(message) {
      if (message.kind === 'frame') {
        delivery().receive(message.frame, message.key ?? message.frame.request_id);
      }
    },
    close() {
      this.closed = true;
      delivery().stop();
    },
  };
}

function deliveryOf(f: Fixture, registry: Registry = f.registry) {
  const held: { delivery?: Delivery } = {};
  const client = clientOf(f, () => held.delivery as Delivery);
  const delivery = new Delivery({ ...f.host, registry }, client);
  held.delivery = delivery;
  return { delivery, client };
}

describe('replay (a resume): registry frames first, live ones held back behind them', () => {
  it('sends the frames after afterSeq, then the live frames that came during the read, once each', async () => {
    const f = fixture();
    const key = 'r owner';
    await f.registry.claimStream(info(key));
    for (const seq of [0, 1, 2]) f.registry.appendFrame(info(key), frame('r', seq));
    const { delivery } = deliveryOf(f, {
      ...f.registry,
      // While the replay is read, frame 3 goes live and a duplicate of frame 2 arrives.
      readFrames: async (requestId, afterSeq) => {
        const replay = await f.registry.readFrames(requestId, afterSeq);
        f.registry.appendFrame(info(key), frame('r', 3));
        delivery.receive(frame('r', 2), key);
        return replay;
      },
    });
    const order: string[] = [];
    await delivery.replay(key, 0, 'r', () => order.push(`ready before ${received(f).length}`));
    expect(order).toEqual(['ready before 0']);
    expect(received(f)).toEqual(['r:1', 'r:2', 'r:3']);
    expect(delivery.lastSeqOf(key)).toBe(3);
    // Still subscribed: later live frames go out; a stop ends the subscription.
    f.registry.appendFrame(info(key), frame('r', 4, 'stop'));
    expect(received(f)).toEqual(['r:1', 'r:2', 'r:3', 'r:4']);
    await Promise.resolve();
    expect(delivery.streamKeys()).toEqual([]);
  });

  it('a resume from an earlier seq than the connection has sends the frames again', async () => {
    const f = fixture();
    const key = 'r owner';
    await f.registry.claimStream(info(key));
    for (const seq of [0, 1]) f.registry.appendFrame(info(key), frame('r', seq));
    const { delivery } = deliveryOf(f);
    await delivery.replay(key, -1, 'r', () => {});
    await delivery.replay(key, 0, 'r', () => {});
    expect(received(f)).toEqual(['r:0', 'r:1', 'r:1']);
  });

  it('refuses with resume_unavailable (and the first seq held) when frames were dropped', async () => {
    const f = fixture({ resumeBufferBytes: 1 });
    const key = 'r owner';
    await f.registry.claimStream(info(key));
    for (const seq of [0, 1, 2]) f.registry.appendFrame(info(key), frame('r', seq));
    const { delivery } = deliveryOf(f);
    const ready = vi.fn();
    await expect(delivery.replay(key, 0, 'r', ready)).rejects.toMatchObject({
      code: 'resume_unavailable',
      details: { first_seq: 2 },
    });
    await expect(delivery.replay('gone', 0, 'gone', ready)).rejects.toMatchObject({
      code: 'resume_unavailable',
    });
    expect(ready).not.toHaveBeenCalled();
    expect(f.sent).toEqual([]);
    expect(delivery.streamKeys()).toEqual([]);
  });
});

describe('congestion: a full send buffer pauses delivery; the registry fills the gap', () => {
  it('holds frames while over the high-water mark, then sends the missed ones in order', async () => {
    vi.useFakeTimers();
    const f = fixture({ sendHighWaterBytes: 1_000 });
    const key = 'r owner';
    await f.registry.claimStream(info(key));
    const session = sessionOf(f);
    const live = (seq: number): void => {
      f.registry.appendFrame(info(key), frame('r', seq));
      session.deliver({ kind: 'frame', frame: frame('r', seq), key });
    };
    live(0);
    f.buffered.bytes = 5_000;
    live(1);
    live(2);
    expect(received(f)).toEqual(['r:0']);
    expect(f.pressure).toEqual([{ key, congested: true }]);
    // Drained below half the high-water mark: the next poll catches up from the registry.
    f.buffered.bytes = 400;
    live(3);
    await vi.advanceTimersByTimeAsync(DEFAULT_DRAIN_POLL_MS);
    expect(received(f)).toEqual(['r:0', 'r:1', 'r:2', 'r:3']);
    expect(f.pressure).toEqual([
      { key, congested: true },
      { key, congested: false },
    ]);
    live(4);
    live(3);
    expect(received(f)).toEqual(['r:0', 'r:1', 'r:2', 'r:3', 'r:4']);
    expect(f.closes).toEqual([]);
  });

  it('drops a client that stays over the limit past the slow-client timeout (1013)', async () => {
    vi.useFakeTimers();
    const f = fixture({ sendHighWaterBytes: 1_000, slowClientTimeoutMs: 10_000 });
    const session = sessionOf(f);
    f.buffered.bytes = 5_000;
    session.deliver(topicFrame('r', 0));
    await vi.advanceTimersByTimeAsync(9_000);
    expect(session.isClosed).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(session.isClosed).toBe(true);
    expect(f.closes).toEqual([
      { code: 1013, reason: 'slow consumer: stayed over its send buffer limit' },
    ]);
    expect(f.counts.slow).toBe(1);
    expect(f.pressure).toEqual([
      { key: 'r', congested: true },
      { key: 'r', congested: false },
    ]);
    expect(received(f)).toEqual([]);
  });

  it('drops a client whose missed frames are gone from the resume buffer', async () => {
    vi.useFakeTimers();
    const f = fixture({ sendHighWaterBytes: 1_000, resumeBufferBytes: 1 });
    const key = 'r owner';
    await f.registry.claimStream(info(key));
    const session = sessionOf(f);
    f.buffered.bytes = 5_000;
    for (const seq of [0, 1, 2]) {
      f.registry.appendFrame(info(key), frame('r', seq));
      session.deliver({ kind: 'frame', frame: frame('r', seq), key });
    }
    f.buffered.bytes = 0;
    await vi.advanceTimersByTimeAsync(DEFAULT_DRAIN_POLL_MS);
    expect(session.isClosed).toBe(true);
    expect(f.closes).toEqual([
      { code: 1013, reason: 'slow consumer: fell behind further than the resume buffer' },
    ]);
    expect(received(f)).toEqual([]);
  });
});
