/**
 * The Redis stream store's scripts against the shared Redis: one claim wins, appends are ordered
 * and refuse gaps, and the `upstream_lost` end is appended once however many instances watch.
 */
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { BridgeError } from '../../src/core/internal/errors.ts';
import type { ChatResponse } from '../../src/core/protocol/frame.ts';
import { silentLogger } from '../../src/core/internal/logger.ts';
import { createRedisConnections } from '../../src/node/redis/connection.ts';
import { createRedisKeys } from '../../src/node/redis/keys.ts';
import {
  createRedisStreamStore,
  type RedisStreamStore,
} from '../../src/node/redis/stream-store.ts';
import { onCleanup } from '../helpers/bridge.ts';
import { sleep } from '../helpers/fake-upstream.ts';
import { describeRedis, SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';

const LEASE_TTL_MS = 1_000;

/** `count` stores as on `count` instances, each with its own connection. */
function createStores(count: number): RedisStreamStore[] {
  const keys = createRedisKeys(testPrefix());
  return Array.from({ length: count }, () => {
    const redis = new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: 1 });
    onCleanup(() => {
      redis.disconnect();
    });
    return createRedisStreamStore({
      redis,
      keys,
      instanceId: crypto.randomUUID(),
      resumeBufferBytes: 10_000,
      resumeRetentionMs: 5_000,
      leaseTtlMs: LEASE_TTL_MS,
    });
  });
}

const frame = (requestId: string, seq: number, type = 'text'): ChatResponse => ({
  type,
  content: { data: `f${seq}` },
  request_id: requestId,
  seq,
  timestamp: Date.now(),
});
const append = (store: RedisStreamStore, f: ChatResponse) =>
  store.append({ requestId: f.request_id }, f, JSON.stringify(f));

async function rejection(promise: Promise<unknown>): Promise<BridgeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BridgeError);
  return error as BridgeError;
}

describeRedis('Redis stream store', () => {
  it('lets exactly one of many simultaneous claims of a request id win', async () => {
    const stores = createStores(5);
    const results = await Promise.all(stores.map((s) => s.claim({ requestId: 'same' })));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('stores frames in seq order and refuses a gap instead of storing it', async () => {
    const [store] = createStores(1) as [RedisStreamStore];
    await store.claim({ requestId: 'r' });
    await append(store, frame('r', 0));
    await append(store, frame('r', 1));
    // A resent frame is already stored: accepted without a second copy.
    await append(store, frame('r', 1));
    expect((await rejection(append(store, frame('r', 3)))).code).toBe('store_unavailable');
    const replay = await store.read('r', -1);
    expect(replay).toMatchObject({ status: 'ok', done: false });
    expect(replay.status === 'ok' && replay.frames.map((f) => f.seq)).toEqual([0, 1]);
  });

  it('stores the frames streams make in one tick with one script call, in order', async () => {
    const keys = createRedisKeys(testPrefix());
    const redis = new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: 1 });
    onCleanup(() => {
      redis.disconnect();
    });
    // Counted at the client: the shared Redis's own command stats see other tests' calls too.
    let scriptCalls = 0;
    const evalsha = redis.evalsha.bind(redis);
    redis.evalsha = ((...args: Parameters<typeof evalsha>) => {
      scriptCalls++;
      return evalsha(...args);
    }) as typeof redis.evalsha;
    const store = createRedisStreamStore({
      redis,
      keys,
      instanceId: 'one',
      resumeBufferBytes: 10_000,
      resumeRetentionMs: 5_000,
      leaseTtlMs: LEASE_TTL_MS,
    });
    await store.claim({ requestId: 'a' });
    await store.claim({ requestId: 'b' });
    scriptCalls = 0;
    // One upstream chunk each: three frames of `a`, two of `b`, pushed in the same tick.
    await Promise.all([
      append(store, frame('a', 0)),
      append(store, frame('b', 0)),
      append(store, frame('a', 1)),
      append(store, frame('b', 1, 'stop')),
      append(store, frame('a', 2)),
    ]);
    expect(scriptCalls).toBe(1);
    const a = await store.read('a', -1);
    expect(a.status === 'ok' && a.frames.map((f) => f.seq)).toEqual([0, 1, 2]);
    const b = await store.read('b', -1);
    expect(b).toMatchObject({ status: 'ok', done: true });
    expect(b.status === 'ok' && b.frames.map((f) => f.seq)).toEqual([0, 1]);
  });

  it("stores the frames of several streams' chunks handled in one event-loop turn with one script call, in one write", async () => {
    // The bridge's own command connection. Paced, each upstream chunk holds one frame, so one
    // script call per stream per chunk was a round trip, a socket write and a script run per frame.
    const connections = createRedisConnections(SHARED_REDIS_URL, silentLogger);
    onCleanup(() => connections.close());
    await connections.connected();
    const redis = connections.command;
    const store = createRedisStreamStore({
      redis,
      keys: createRedisKeys(testPrefix()),
      instanceId: 'one',
      resumeBufferBytes: 10_000,
      resumeRetentionMs: 5_000,
      leaseTtlMs: LEASE_TTL_MS,
    });
    const ids = ['a', 'b', 'c'];
    await Promise.all(ids.map((id) => store.claim({ requestId: id })));
    let writes = 0;
    const { stream } = redis;
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((...args: unknown[]) => {
      writes++;
      return write(...args);
    }) as typeof stream.write;
    // Three upstream chunks of one turn, each handled in its own callback (microtasks apart).
    const stored = [append(store, frame('a', 0))];
    await null;
    stored.push(append(store, frame('b', 0)));
    await null;
    stored.push(append(store, frame('c', 0, 'stop')));
    await Promise.all(stored);
    stream.write = write as typeof stream.write;
    expect(writes).toBe(1);
    for (const id of ids) {
      const replay = await store.read(id, -1);
      expect(replay).toMatchObject({ status: 'ok', done: id === 'c' });
      expect(replay.status === 'ok' && replay.frames.map((f) => f.seq)).toEqual([0]);
    }
  });

  it('splits a turn of many streams into calls of at most maxAppendArgs arguments, in order', async () => {
    const redis = new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: 1 });
    onCleanup(() => {
      redis.disconnect();
    });
    const store = createRedisStreamStore({
      redis,
      keys: createRedisKeys(testPrefix()),
      instanceId: 'one',
      resumeBufferBytes: 10_000,
      resumeRetentionMs: 5_000,
      leaseTtlMs: LEASE_TTL_MS,
      // Room for two one-frame streams (3 + 5 arguments each) per call.
      maxAppendArgs: 16,
    });
    const ids = ['a', 'b', 'c', 'd', 'e'];
    await Promise.all(ids.map((id) => store.claim({ requestId: id })));
    const calls: number[] = [];
    const evalsha = redis.evalsha.bind(redis);
    redis.evalsha = ((...args: Parameters<typeof evalsha>) => {
      calls.push(Number(args[1]) / 3);
      return evalsha(...args);
    }) as typeof redis.evalsha;
    // A stream's frames stay in one call even past the bound: `a` has three (3 + 15 arguments).
    await Promise.all([
      ...[0, 1, 2].map((seq) => append(store, frame('a', seq))),
      ...ids.slice(1).map((id) => append(store, frame(id, 0))),
    ]);
    expect(calls).toEqual([1, 2, 2]);
    for (const id of ids) {
      const replay = await store.read(id, -1);
      expect(replay.status === 'ok' && replay.frames.length).toBe(id === 'a' ? 3 : 1);
    }
  });

  it('runs a call made after an append after it in Redis (the waiting frames go first)', async () => {
    const [store] = createStores(1) as [RedisStreamStore];
    await store.claim({ requestId: 'order' });
    // Not awaited: the append waits for the end of the turn, the read asks at once.
    const stored = append(store, frame('order', 0));
    const replay = await store.read('order', -1);
    await stored;
    expect(replay.status === 'ok' && replay.frames.map((f) => f.seq)).toEqual([0]);
  });

  it('ends an orphaned stream once, however many instances watch it, and refuses the owner after', async () => {
    const [owner, ...watchers] = createStores(4) as [RedisStreamStore, ...RedisStreamStore[]];
    await owner.claim({ requestId: 'lost' });
    await append(owner, frame('lost', 0));
    // A live lease: nobody may end it.
    expect(await Promise.all(watchers.map((w) => w.loseIfOrphaned('lost')))).toEqual([0, 0, 0]);
    await sleep(LEASE_TTL_MS * 2);
    const results = await Promise.all(watchers.map((w) => w.loseIfOrphaned('lost')));
    expect(results.sort()).toEqual([-1, -1, 1]);
    const replay = await watchers[0]?.read('lost', -1);
    expect(replay?.status === 'ok' && replay.frames.map((f) => [f.seq, f.type])).toEqual([
      [0, 'text'],
      [1, 'error'],
      [2, 'stop'],
    ]);
    expect(replay?.status === 'ok' && replay.frames[1]?.content).toMatchObject({
      code: 'upstream_lost',
    });
    // Like every server message, the synthetic end carries a timestamp (Redis's clock, ms).
    for (const f of replay?.status === 'ok' ? replay.frames.slice(1) : []) {
      expect(Math.abs(f.timestamp - Date.now())).toBeLessThan(60_000);
    }
    // The owner comes back (a long pause, a partition): its frames are refused, not interleaved.
    expect((await rejection(append(owner, frame('lost', 1)))).code).toBe('upstream_lost');
    expect(await owner.renew('lost')).toBe(false);
  });

  it('a resume of an orphaned stream nobody watched ends it first (never a silent hang)', async () => {
    const [owner, other] = createStores(2) as [RedisStreamStore, RedisStreamStore];
    await owner.claim({ requestId: 'quiet' });
    await sleep(LEASE_TTL_MS * 2);
    const replay = await other.read('quiet', -1);
    expect(replay).toMatchObject({ status: 'ok', done: true });
    expect(replay.status === 'ok' && replay.frames.map((f) => f.type)).toEqual(['error', 'stop']);
  });

  it('a renewed lease keeps the stream alive past its TTL', async () => {
    const [owner, watcher] = createStores(2) as [RedisStreamStore, RedisStreamStore];
    await owner.claim({ requestId: 'alive' });
    for (let i = 0; i < 4; i++) {
      await sleep(LEASE_TTL_MS / 3);
      expect(await owner.renew('alive')).toBe(true);
    }
    expect(await watcher.loseIfOrphaned('alive')).toBe(0);
    await append(owner, frame('alive', 0, 'stop'));
    expect(await watcher.loseIfOrphaned('alive')).toBe(-1);
  });
});
