/** Start a real Node bridge on port 0 for a test, and close everything it opened afterwards. */
import { afterEach } from 'vitest';
import { type BridgeOptions } from '../../src/core/config/types.ts';
import { defaultOptions } from '../../src/core/config/resolve.ts';
import { type NodeBridgeServer, startNodeServer } from '../../src/node/server.ts';

const cleanups: Array<() => Promise<void> | void> = [];

/** Register something to close after the current test. */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

afterEach(async () => {
  while (cleanups.length > 0) {
    const fn = cleanups.pop();
    await fn?.();
  }
});

/**
 * Options for tests: port 0, loopback, silent logs. The per-connection rate and stream limits are
 * lifted (tests fire many messages at once); the limit tests set them explicitly.
 */
export function testOptions(overrides: Partial<BridgeOptions> = {}): BridgeOptions {
  return {
    ...defaultOptions(),
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    rateLimit: 0,
    maxStreamsPerConnection: 10_000,
    maxStreamsPerUser: 10_000,
    ...overrides,
  };
}

/** A bridge pointed at `upstreamUrl`, closed after the test. */
export async function startBridge(
  upstreamUrl: string,
  overrides: Partial<BridgeOptions> = {},
): Promise<NodeBridgeServer> {
  const server = await startNodeServer(testOptions(overrides), { upstreamUrl });
  onCleanup(() => server.close());
  return server;
}
