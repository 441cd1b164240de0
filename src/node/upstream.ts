/**
 * The Node upstream client: undici's dispatcher handler API over one keep-alive Agent (pooled
 * connections). The body is a push body: each chunk goes from undici's parser callback straight
 * into the core's SSE reader, with no stream, promise or microtask per chunk; backpressure pauses
 * undici's parser (and so the socket). Redirects are not followed: only configuration picks the host.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher } from 'undici';
import {
  toConnectError,
  type BodySink,
  type PushBody,
  type UpstreamClient,
  type UpstreamRequest,
  type UpstreamResponse,
} from '../core/index.ts';

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
  const client: UpstreamClient = (req) => dispatchUpstream(agent, req);
  return { client, close: () => agent.close() };
}

const firstValue = (value: string | string[] | undefined): string | null =>
  Array.isArray(value) ? (value[0] ?? null) : (value ?? null);

/** One request through `agent.dispatch`; resolves at the response head, with a push body. */
function dispatchUpstream(agent: Agent, req: UpstreamRequest): Promise<UpstreamResponse> {
  const { signal } = req;
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let responded = false;
    let sink: BodySink | undefined;
    // Only if undici delivered before `attach` (the parser is paused at the head, so it should not).
    let early: Uint8Array[] | undefined;
    let ended = false;
    let failure: { error: unknown } | undefined;

    const onAbort = (): void => {
      controller?.abort(signal.reason as Error);
      // A request still waiting for a connection gets no controller until it has one; the relay
      // need not wait for it (it is aborted in onRequestStart then).
      if (!responded) {
        responded = true;
        reject(signal.reason);
      }
    };
    const settle = (): void => signal.removeEventListener('abort', onAbort);

    const body: PushBody = {
      attach(target) {
        sink = target;
        if (early) for (const chunk of early) target.data(chunk);
        early = undefined;
        if (failure) target.error(failure.error);
        else if (ended) target.end();
        else controller?.resume();
      },
      pause: () => controller?.pause(),
      resume: () => controller?.resume(),
    };

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(started) {
        controller = started;
        if (signal.aborted) started.abort(signal.reason as Error);
      },
      onResponseStart(started, statusCode, headers: IncomingHttpHeaders) {
        // 1xx informational heads (103 Early Hints) are not the answer.
        if (statusCode < 200 || responded) return;
        responded = true;
        // Held until the core attaches its reader.
        started.pause();
        resolve({
          status: statusCode,
          contentType: firstValue(headers['content-type']),
          header: (name) => firstValue(headers[name]),
          body,
        });
      },
      onResponseData(_controller, chunk) {
        if (sink) sink.data(chunk);
        else (early ??= []).push(chunk);
      },
      onResponseEnd() {
        settle();
        if (sink) sink.end();
        else ended = true;
      },
      onResponseError(_controller, error) {
        settle();
        if (!responded) {
          responded = true;
          reject(signal.aborted ? error : toConnectError(error));
        } else if (sink) {
          sink.error(error);
        } else {
          failure = { error };
        }
      },
    };

    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const url = new URL(req.url);
      agent.dispatch(
        {
          origin: url.origin,
          path: url.pathname + url.search,
          method: req.method,
          headers: req.headers,
          body: req.body ?? null,
        },
        handler,
      );
    } catch (error) {
      settle();
      responded = true;
      reject(toConnectError(error));
    }
  });
}
