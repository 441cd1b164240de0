/**
 * Options of the table the Workers entry cannot honour, with what to use instead: set as `[vars]`
 * they are refused (a `bad_config` answer naming the var), never silently dropped.
 */
import type { UnsupportedOptions } from '../core/index.ts';

/** What a Worker refuses, and why. */
export const WORKERS_UNSUPPORTED = {
  port: 'the platform listens (wrangler.toml routes / `wrangler dev --port`)',
  host: 'the platform listens (wrangler.toml routes / `wrangler dev --ip`)',
  playground: 'the playground page is served by the Node sidecar only',
  connectTimeoutMs:
    "the platform's fetch has no connect timeout: use SSE2WS_FIRST_FRAME_TIMEOUT_MS",
  eventsUrl: 'the events stream needs the Node sidecar',
  adminToken: 'POST /publish and GET /clients need the Node sidecar',
  redisUrl: 'Durable Objects already share streams and conversations between isolates',
  redisPrefix: 'Durable Objects already share streams and conversations between isolates',
  redisLeaseTtlMs: 'Durable Objects already share streams and conversations between isolates',
  drainTimeoutMs: 'the platform drains a Worker itself',
  logFormat: 'Workers Logs take JSON on the console',
} as const satisfies UnsupportedOptions;
