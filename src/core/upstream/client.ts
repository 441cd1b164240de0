/**
 * The upstream contract: how the core asks a runtime to open the SSE request. Node wires undici,
 * Workers the global fetch; both turn connection failures into BridgeErrors.
 */
import { BridgeError } from '../internal/errors.ts';
import type { UpstreamBody } from './push-body.ts';
import type { UpstreamMethod } from './request-config.ts';

/** One upstream request as the core builds it. */
export interface UpstreamRequest {
  url: string;
  /** POST unless the config's `request.method` says GET. */
  method: UpstreamMethod;
  /** JSON text: the chat_message data unchanged, or the config's body template filled; none for GET. */
  body?: string | undefined;
  headers: Record<string, string>;
  /** Aborting it must abort the request and end the body (its iteration, or a push body's `error`). */
  signal: AbortSignal;
}

/** The response head plus a body the core reads chunk by chunk, pulled or pushed. */
export interface UpstreamResponse {
  status: number;
  /** The Content-Type header, or null. */
  contentType: string | null;
  /** Any response header by lower-case name, or null (dialect detection reads it). */
  header?: (name: string) => string | null;
  body: UpstreamBody;
}

/**
 * Opens upstream requests. Rejects with a BridgeError coded `upstream_unavailable` (refused,
 * reset, unresolvable) or `upstream_timeout` (connect timeout) when no response arrives.
 */
export type UpstreamClient = (request: UpstreamRequest) => Promise<UpstreamResponse>;

/** Connection error codes (Node/undici `code`, also seen in Workers' messages) that mean a timeout. */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT']);

/** Walk an error's `cause` chain for a string `code`. */
export function errorCodeOf(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Classify a failure to get a response at all. */
export function toConnectError(error: unknown): BridgeError {
  const code = errorCodeOf(error);
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new BridgeError('upstream_timeout', 'upstream connect timed out', { cause: error });
  }
  const detail = code ?? (error instanceof Error ? error.message : 'connection failed');
  return new BridgeError('upstream_unavailable', `upstream could not be reached (${detail})`, {
    cause: error,
  });
}

async function* iterateReadable(body: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** An {@link UpstreamClient} over a WHATWG `fetch` (Workers, tests, any runtime). */
export function createFetchUpstream(fetchFn: typeof fetch): UpstreamClient {
  return async (request) => {
    let response: Response;
    try {
      response = await fetchFn(request.url, {
        method: request.method,
        ...(request.body === undefined ? {} : { body: request.body }),
        headers: request.headers,
        signal: request.signal,
        // Only configuration chooses the upstream host.
        redirect: 'manual',
      });
    } catch (error) {
      if (request.signal.aborted) throw error;
      throw toConnectError(error);
    }
    const body = response.body;
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      header: (name) => response.headers.get(name),
      body: body ? iterateReadable(body) : emptyBody(),
    };
  };
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}
