/**
 * Every tunable's default, each with the reason for its value: the option table (spec.ts) and
 * the docs read them from here.
 */

/** Default listen port. @default 8080 */
export const DEFAULT_PORT = 8080;
/** Loopback by default: a sidecar should not be reachable from outside unless asked. */
export const DEFAULT_HOST = '127.0.0.1';
/** TCP/TLS connect budget for the upstream; a healthy sidecar peer connects in milliseconds. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** LLM backends may think for a long time before the first token. */
export const DEFAULT_FIRST_FRAME_TIMEOUT_MS = 60_000;
/** Longest silence between upstream bytes before the stream is considered dead. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/** Under the 30-60 s idle cut of common proxies and load balancers. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 25_000;
/** How long a ping may go unanswered before the peer is dropped. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 20_000;
/** Bounds memory per inbound client message (chat history with image paths fits easily). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_576;
/** Headers a legacy API typically authenticates and localises with. */
export const DEFAULT_FORWARD_HEADERS = ['authorization', 'cookie', 'accept-language'] as const;

/** Long enough for a phone to change networks or a tab to reload and resume. */
export const DEFAULT_RESUME_GRACE_MS = 30_000;
/** A finished answer stays resumable this long (a reconnect right after the stop still works). */
export const DEFAULT_RESUME_RETENTION_MS = 60_000;
/** Per-stream resume buffer: a long LLM answer is ~10-100 KB of frames; this bounds the worst. */
export const DEFAULT_RESUME_BUFFER_BYTES = 1_048_576;

/** Under the ~8-9k bridged sessions a 20k open-file limit allows (each holds 2+ sockets). */
export const DEFAULT_MAX_CONNECTIONS = 5_000;
/** A chat UI rarely has more than one or two answers in flight per tab. */
export const DEFAULT_MAX_STREAMS_PER_CONNECTION = 4;
/** Client messages per second per connection; chat UIs send a few per minute. */
export const DEFAULT_RATE_LIMIT = 10;
/** Burst of messages allowed above the rate (reconnect + resume of several streams at once). */
export const DEFAULT_RATE_LIMIT_BURST = 30;
/** Unsent bytes a client may hold before its streams stop being read for it. */
export const DEFAULT_SEND_HIGH_WATER_BYTES = 1_048_576;
/** How long a client may stay over the high-water mark before it is disconnected (1013). */
export const DEFAULT_SLOW_CLIENT_TIMEOUT_MS = 30_000;
/** Time running streams get to finish on SIGTERM/SIGINT before sockets close with 1001. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
/** Keys of several deployments can share one Redis under different prefixes. */
export const DEFAULT_REDIS_PREFIX = 'sse2ws:';
/**
 * How long a crashed instance's stream leases and presence entries outlive it: a Redis failover or
 * a long GC pause stays under it, and a user waits at most about this long for `upstream_lost`.
 */
export const DEFAULT_REDIS_LEASE_TTL_MS = 10_000;
/** Running streams per instance, orphaned ones included: each is an open (paid) upstream call. */
export const DEFAULT_MAX_STREAMS = 10_000;
/** A user rarely has more than a few answers in flight across all their tabs and devices. */
export const DEFAULT_MAX_STREAMS_PER_USER = 16;
/** A chat UI follows a handful of rooms; this bounds what one socket makes the registry hold. */
export const DEFAULT_MAX_CONVERSATIONS_PER_CONNECTION = 100;
/** The JWT claim listing the conversations a user may join (`token` conversation access). */
export const DEFAULT_CONVERSATIONS_CLAIM = 'conversations';
/**
 * How long a Socket.IO client may take from its Engine.IO handshake to its namespace CONNECT:
 * a real client sends it at once; a flood of bare handshakes is let go after this.
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5_000;
