/**
 * Real Redis for tests: the shared one at 127.0.0.1:6379 (skipped with a notice when nothing
 * answers, unless SSE2WS_REQUIRE_REDIS=1), a unique key prefix per test that is deleted afterwards,
 * and a private redis-server child process for the tests that stop and restart Redis.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { describe, it } from 'vitest';
import { onCleanup } from './bridge.ts';
import { freePort } from './cli-process.ts';
import { sleep } from './fake-upstream.ts';

/** The shared Redis the machines run. */
export const SHARED_REDIS_URL = process.env.SSE2WS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether a Redis answers PING at `url` within a second. */
export async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    retryStrategy: () => null,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

const sharedRedisUp = await redisAnswers(SHARED_REDIS_URL);
const serverInstalled = spawnSync('redis-server', ['--version']).status === 0;

/**
 * `describe` for suites that need the shared Redis (and, with `server`, the `redis-server`
 * command for private ones): skipped with a printed notice when it is missing, and failing
 * instead when SSE2WS_REQUIRE_REDIS=1 (CI).
 */
export function describeRedis(
  name: string,
  suite: () => void,
  needs: { server?: boolean } = {},
): void {
  const missing = !sharedRedisUp
    ? `no Redis answers at ${SHARED_REDIS_URL}`
    : needs.server && !serverInstalled
      ? 'the redis-server command is not installed'
      : undefined;
  if (missing === undefined) {
    describe(name, suite);
  } else if (process.env.SSE2WS_REQUIRE_REDIS === '1') {
    describe(name, () => {
      it('needs Redis', () => {
        throw new Error(`SSE2WS_REQUIRE_REDIS=1 but ${missing}`);
      });
    });
  } else {
    console.log(
      `notice: skipping "${name}": ${missing} (SSE2WS_REQUIRE_REDIS=1 makes this a failure)`,
    );
    describe.skip(name, suite);
  }
}

/** Every key under `prefix` in the Redis at `url`. */
export async function keysUnder(url: string, prefix: string): Promise<string[]> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
    return found;
  } finally {
    client.disconnect();
  }
}

/** A fresh key prefix for one test; its keys are deleted after the test. */
export function testPrefix(url = SHARED_REDIS_URL): string {
  const prefix = `sse2ws-test:${crypto.randomUUID().slice(0, 8)}:`;
  onCleanup(async () => {
    const found = await keysUnder(url, prefix).catch(() => []);
    if (found.length === 0) return;
    const client = new Redis(url, { maxRetriesPerRequest: 1 });
    await client.del(...found).catch(() => {});
    client.disconnect();
  });
  return prefix;
}

/** A private redis-server that a test can stop and start again on the same port. */
export interface RedisServerProcess {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * Start `redis-server` on a free port (no persistence), or only pick the port when `start` is
 * false; stopped after the test.
 */
export async function startRedisServer(
  options: { start?: boolean } = {},
): Promise<RedisServerProcess> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  const start = async (): Promise<void> => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 10_000;
    while (!(await redisAnswers(url))) {
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer`);
      await sleep(50);
    }
  };
  onCleanup(stop);
  if (options.start !== false) await start();
  return { url, port, stop, start };
}
