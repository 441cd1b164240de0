/**
 * B / B' / BR: sse2ws itself, as the CLI would run it, tuned so no limit is what gets measured.
 * With `BENCH_REDIS_URL` set (arm BR) streams and conversations go through Redis, under
 * `BENCH_REDIS_PREFIX` so a shared redis-server keeps the run's keys apart.
 */
import type * as Resolve from '../src/core/config/resolve.ts';
import type * as Server from '../src/node/server.ts';
import { reportReady, upstreamUrlFromEnv } from './child-ipc.ts';

/**
 * `BENCH_BRIDGE_DIST=1`: run the compiled package (dist/, `npm run build` first) instead of the
 * sources through tsx, whose esbuild `keepNames` gives every arrow function made per stream a
 * property array that compiled JavaScript does not have (see bench/README.md, bench:memory).
 */
const fromDist = process.env['BENCH_BRIDGE_DIST'] === '1';
const [root, ext] = fromDist ? ['../dist', '.js'] : ['../src', '.ts'];
const { defaultOptions } = (await import(`${root}/core/config/resolve${ext}`)) as typeof Resolve;
const { startNodeServer } = (await import(`${root}/node/server${ext}`)) as typeof Server;

/** Far above any load the harness makes: the limits are not what is measured. */
const UNLIMITED = 1_000_000;

const defaults = defaultOptions();
const redisUrl = process.env['BENCH_REDIS_URL'];
const server = await startNodeServer(
  {
    ...defaults,
    port: 0,
    host: '127.0.0.1',
    playground: false,
    logLevel: 'silent',
    rateLimit: 0,
    maxConnections: UNLIMITED,
    maxStreamsPerConnection: UNLIMITED,
    maxStreams: UNLIMITED,
    maxStreamsPerUser: UNLIMITED,
    ...(redisUrl === undefined
      ? {}
      : { redisUrl, redisPrefix: process.env['BENCH_REDIS_PREFIX'] ?? defaults.redisPrefix }),
  },
  { upstreamUrl: upstreamUrlFromEnv() },
);
reportReady(server.port);
// Exit normally on SIGTERM so that `--cpu-prof` (bench/profile.ts) gets to write its profile.
process.once('SIGTERM', () => process.exit(0));
