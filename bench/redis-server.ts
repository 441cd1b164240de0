/**
 * The Redis arm's other process: finding the redis-server behind a URL, reading its CPU time from
 * /proc, and removing the run's keys afterwards. The server may be shared with other programs, so
 * its CPU is taken as a delta over each run and includes whatever else it served meanwhile.
 */
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import type { ChildStats } from './child-ipc.ts';
import { procStats } from './children.ts';

/** How long to wait for Redis to answer before the arm is skipped. */
const CONNECT_TIMEOUT_MS = 2_000;

/** A reachable redis-server on this host. */
export interface RedisServer {
  url: string;
  pid: number;
  /** Its CPU time and RSS from /proc. */
  stats(): Promise<ChildStats>;
  /** Delete every key under `prefix` (the run's own). */
  removeKeys(prefix: string): Promise<number>;
}

/** A one-shot client: no retries, and its socket errors kept (not printed as unhandled). */
function connect(url: string): { client: Redis; lastError: () => Error | undefined } {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  let last: Error | undefined;
  client.on('error', (error: Error) => (last = error));
  return { client, lastError: () => last };
}

/** The pid `INFO server` names, else the only `redis-server` pgrep finds. */
function serverPid(info: string): number {
  const fromInfo = Number(/process_id:(\d+)/.exec(info)?.[1]);
  if (Number.isInteger(fromInfo) && fromInfo > 0) return fromInfo;
  const pids = execFileSync('pgrep', ['-x', 'redis-server'], { encoding: 'utf8' })
    .trim()
    .split('\n');
  if (pids.length !== 1) throw new Error(`pgrep found ${pids.length} redis-server processes`);
  return Number(pids[0]);
}

/**
 * The redis-server at `url` if it answers and its process can be read from /proc (it must run on
 * this host and in this pid namespace); otherwise why the Redis arm is skipped.
 */
export async function findRedisServer(url: string): Promise<RedisServer | string> {
  const { client, lastError } = connect(url);
  try {
    await client.connect();
    const info = await client.info('server');
    const pid = serverPid(info);
    procStats(pid);
    return {
      url,
      pid,
      stats: async () => procStats(pid),
      async removeKeys(prefix) {
        const { client: c } = connect(url);
        await c.connect();
        let removed = 0;
        for await (const keys of c.scanStream({ match: `${prefix}*`, count: 1_000 })) {
          const batch = keys as string[];
          if (batch.length > 0) removed += await c.unlink(...batch);
        }
        c.disconnect();
        return removed;
      },
    };
  } catch (error) {
    const cause = lastError() ?? (error as Error);
    return `skipped: Redis at ${url} is unreachable or its process unreadable (${cause.message})`;
  } finally {
    client.disconnect();
  }
}
