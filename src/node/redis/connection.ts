/**
 * The two Redis connections of an instance (commands, and pub/sub, which a subscribed connection
 * cannot share) with fail-fast settings: while Redis is away, commands fail at once as
 * `store_unavailable` instead of queueing behind a reconnect, and ioredis keeps reconnecting.
 */
import { Redis } from 'ioredis';
import { BridgeError, type Logger, type ReadinessCheck } from '../../core/index.ts';
import { SCRIPTS } from './scripts.ts';

/** A healthy Redis answers in a millisecond; a command not answered in 2 s is treated as an outage. */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 2_000;
/** Reconnect backoff: 100 ms more per attempt, at most 2 s, so recovery shows within seconds. */
export const DEFAULT_REDIS_RETRY_STEP_MS = 100;
export const DEFAULT_REDIS_RETRY_MAX_MS = 2_000;
/** How long startup waits for a first connection before going on without one (and retrying). */
export const DEFAULT_REDIS_STARTUP_WAIT_MS = 3_000;

/** The connections of one instance. */
export interface RedisConnections {
  readonly command: Redis;
  readonly subscriber: Redis;
  /** Both connections are ready. */
  readonly available: boolean;
  /** `/readyz` check `store`: PING on the command connection, and the subscriber is up. */
  readonly readiness: ReadinessCheck;
  /** Wait (bounded) for the first connection; never rejects. */
  connected(): Promise<void>;
  /** Close both connections. */
  close(): Promise<void>;
}

/** Any Redis failure, as the bridge error clients receive. */
export function toStoreError(error: unknown): BridgeError {
  if (error instanceof BridgeError) return error;
  return new BridgeError('store_unavailable', undefined, { cause: error });
}

/** A Redis URL without its password, for logs. */
export function toLoggedRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = 'redacted';
    return parsed.href;
  } catch {
    return 'redis://(unparsable)';
  }
}

/** Open both connections to `url`; they connect in the background and reconnect forever. */
export function createRedisConnections(url: string, logger: Logger): RedisConnections {
  const options = {
    lazyConnect: true,
    // Fail fast: no queueing while disconnected, and in-flight commands fail on a disconnect
    // instead of being replayed later out of order with the frames written since.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
    retryStrategy: (times: number) =>
      Math.min(times * DEFAULT_REDIS_RETRY_STEP_MS, DEFAULT_REDIS_RETRY_MAX_MS),
  };
  const command = new Redis(url, { ...options, connectionName: 'sse2ws' });
  const subscriber = new Redis(url, { ...options, connectionName: 'sse2ws-sub' });
  const where = toLoggedRedisUrl(url);
  for (const [role, connection] of [
    ['command', command],
    ['subscriber', subscriber],
  ] as const) {
    let down = false;
    // Without a listener ioredis prints every failed reconnect; one line per outage is enough.
    connection.on('error', (error: Error) => {
      if (down) return;
      down = true;
      logger.warn({ redis: where, role, err: error.message }, 'redis unavailable; reconnecting');
    });
    connection.on('ready', () => {
      if (down) logger.info({ redis: where, role }, 'redis connection restored');
      down = false;
    });
  }
  // Scripts are loaded on every connect, so a restarted Redis knows them before frames go out.
  command.on('ready', () => {
    for (const s of SCRIPTS) command.script('LOAD', s.lua).catch(() => {});
  });

  const startup = Promise.allSettled([command.connect(), subscriber.connect()]);
  return {
    command,
    subscriber,
    get available() {
      return command.status === 'ready' && subscriber.status === 'ready';
    },
    readiness: {
      name: 'store',
      async probe() {
        if (subscriber.status !== 'ready') throw new Error(`redis subscriber ${subscriber.status}`);
        try {
          await command.ping();
        } catch (error) {
          throw new Error(`redis unavailable (${command.status})`, { cause: error });
        }
      },
    },
    async connected() {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        startup,
        new Promise((resolve) => {
          timer = setTimeout(resolve, DEFAULT_REDIS_STARTUP_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
    },
    async close() {
      // quit() lets the replies to writes already sent arrive; disconnect() if it cannot.
      await Promise.allSettled(
        [command, subscriber].map((c) =>
          c.status === 'ready' ? c.quit() : Promise.resolve(c.disconnect()),
        ),
      );
    },
  };
}
