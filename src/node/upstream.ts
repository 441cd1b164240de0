/**
 * The Node upstream client: undici's `request` over one keep-alive Agent (pooled connections, no
 * WHATWG stream overhead per chunk). Redirects are not followed: only configuration picks the host.
 */
import { Agent, request } from 'undici';
import { toConnectError, type UpstreamClient } from '../core/index.ts';

/** Idle pooled sockets are kept this long; SSE backends usually allow 5 s or more. */
export const DEFAULT_KEEP_ALIVE_MS = 4_000;

/** An undici-backed {@link UpstreamClient} and the Agent that pools its connections. */
export interface NodeUpstream {
  client: UpstreamClient;
  close(): Promise<void>;
}

/** Create the pooled upstream client. */
export function createNodeUpstream(options: { connectTimeoutMs: number }): NodeUpstream {
  const agent = new Agent({
    connect: { timeout: options.connectTimeoutMs },
    keepAliveTimeout: DEFAULT_KEEP_ALIVE_MS,
    // The relay enforces the first-frame and idle timeouts itself, with its own error codes.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  const client: UpstreamClient = async (req) => {
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(req.url, {
        dispatcher: agent,
        method: req.method,
        headers: req.headers,
        body: req.body ?? null,
        signal: req.signal,
      });
    } catch (error) {
      if (req.signal.aborted) throw error;
      throw toConnectError(error);
    }
    const contentType = response.headers['content-type'];
    return {
      status: response.statusCode,
      contentType: Array.isArray(contentType) ? (contentType[0] ?? null) : (contentType ?? null),
      header: (name) => {
        const value = response.headers[name];
        return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
      },
      body: response.body,
    };
  };
  return { client, close: () => agent.close() };
}
