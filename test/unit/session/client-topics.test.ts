/**
 * The holds an admitted client keeps on its publish topics before its session opens
 * (src/core/session/client-topics.ts `prepare`): the user's topic is listened to from the hold on,
 * shared with the session that follows, and let go when nothing needs it, also when the client
 * never opened. A real memory registry whose subscriptions are counted.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryRegistry, defaultOptions, type Registry } from '../../../src/core/index.ts';
import { silentLogger } from '../../../src/core/internal/logger.ts';
import { createClientTopics } from '../../../src/core/session/client-topics.ts';

/** A memory registry that counts the live subscriptions of each topic. */
function countingRegistry(): { registry: Registry; live: Map<string, number> } {
  const registry = createMemoryRegistry(defaultOptions());
  const live = new Map<string, number>();
  const subscribe = registry.subscribe.bind(registry);
  registry.subscribe = async (topic, listener) => {
    const unsubscribe = await subscribe(topic, listener);
    live.set(topic, (live.get(topic) ?? 0) + 1);
    return async () => {
      live.set(topic, (live.get(topic) ?? 0) - 1);
      await unsubscribe();
    };
  };
  return { registry, live };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

afterEach(() => {
  vi.useRealTimers();
});

describe('client topics: the hold before a session opens', () => {
  it("subscribes the user's topic and the instance's two before it resolves", async () => {
    const { registry, live } = countingRegistry();
    const topics = createClientTopics(registry, silentLogger, new Map());
    const release = await topics.prepare('alice', 60_000);
    expect(live.get('user:alice')).toBe(1);
    expect(live.get('broadcast')).toBe(1);
    release();
    await settle();
    expect(live.get('user:alice')).toBe(0);
    // The instance's topics stay for the clients to come.
    expect(live.get('broadcast')).toBe(1);
    await topics.close();
  });

  it('two holds of one user share one subscription, which ends with the last release', async () => {
    const { registry, live } = countingRegistry();
    const topics = createClientTopics(registry, silentLogger, new Map());
    const [a, b] = await Promise.all([
      topics.prepare('alice', 60_000),
      topics.prepare('alice', 60_000),
    ]);
    expect(live.get('user:alice')).toBe(1);
    a();
    a(); // a second release of the same hold changes nothing
    await settle();
    expect(live.get('user:alice')).toBe(1);
    b();
    await settle();
    expect(live.get('user:alice')).toBe(0);
    await topics.close();
  });

  it('lets go by itself after maxHoldMs when the client never opened', async () => {
    const { registry, live } = countingRegistry();
    const topics = createClientTopics(registry, silentLogger, new Map());
    vi.useFakeTimers();
    const release = topics.prepare('alice', 5_000);
    await vi.advanceTimersByTimeAsync(0);
    await release;
    expect(live.get('user:alice')).toBe(1);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(live.get('user:alice')).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(live.get('user:alice')).toBe(0);
    await topics.close();
  });

  it('rejects, holding nothing, when the registry cannot subscribe', async () => {
    const { registry, live } = countingRegistry();
    const subscribe = registry.subscribe.bind(registry);
    registry.subscribe = async (topic, listener) => {
      if (topic.startsWith('user:')) throw new Error('store down');
      return subscribe(topic, listener);
    };
    const topics = createClientTopics(registry, silentLogger, new Map());
    await expect(topics.prepare('alice', 60_000)).rejects.toThrow('store down');
    // The next client of the user subscribes again.
    registry.subscribe = subscribe;
    const release = await topics.prepare('alice', 60_000);
    expect(live.get('user:alice')).toBe(1);
    release();
    await topics.close();
  });
});
