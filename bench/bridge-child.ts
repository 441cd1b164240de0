/** B / B': sse2ws itself, as the CLI would run it, tuned so no limit is what gets measured. */
import { defaultOptions } from '../src/core/config/resolve.ts';
import { startNodeServer } from '../src/node/server.ts';
import { reportReady, upstreamUrlFromEnv } from './child-ipc.ts';

/** Far above any load the harness makes: the limits are not what is measured. */
const UNLIMITED = 1_000_000;

const server = await startNodeServer(
  {
    ...defaultOptions(),
    port: 0,
    host: '127.0.0.1',
    playground: false,
    logLevel: 'silent',
    rateLimit: 0,
    maxConnections: UNLIMITED,
    maxStreamsPerConnection: UNLIMITED,
    maxStreams: UNLIMITED,
    maxStreamsPerUser: UNLIMITED,
  },
  { upstreamUrl: upstreamUrlFromEnv() },
);
reportReady(server.port);
// Exit normally on SIGTERM so that `--cpu-prof` (bench/profile.ts) gets to write its profile.
process.once('SIGTERM', () => process.exit(0));
