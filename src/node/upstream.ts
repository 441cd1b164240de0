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
  return new Promise((resolve, reject) => {
    const { signal } = req;
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const dispatch = new UpstreamDispatch(signal, resolve, reject);
    signal.addEventListener('abort', dispatch, { once: true });
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
        dispatch,
      );
    } catch (error) {
      dispatch.failed(toConnectError(error));
    }
  });
}

/**
 * One upstream request: undici's dispatch handler, the push body of its response and the
 * listener of its abort signal, in one object. A class rather than closures: its methods are
 * shared by every request, where a closure apiece cost each of thousands of running streams.
 */
class UpstreamDispatch
  implements Dispatcher.DispatchHandler, PushBody, UpstreamResponse, EventListenerObject
{
  status = 0;
  contentType: string | null = null;
  /** The response head, until the body is attached (the dialect is chosen before that). */
  #headers: IncomingHttpHeaders | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  responded = false;
  #sink: BodySink | undefined;
  /** Only if undici delivered before `attach` (the parser is paused at the head, so it should not). */
  #early: Uint8Array[] | undefined;
  #ended = false;
  #failure: { error: unknown } | undefined;

  /** The response promise's resolvers, let go once it settled (they would outlive the head). */
  #resolve: ((response: UpstreamResponse) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;

  constructor(
    private readonly signal: AbortSignal,
    resolve: (response: UpstreamResponse) => void,
    reject: (error: unknown) => void,
  ) {
    this.#resolve = resolve;
    this.#reject = reject;
  }

  /** Settle the response promise (once: `responded` is set first by every caller). */
  #respond(response: UpstreamResponse | undefined, error?: unknown): void {
    const resolve = this.#resolve;
    const reject = this.#reject;
    this.#resolve = undefined;
    this.#reject = undefined;
    if (response) resolve?.(response);
    else reject?.(error);
  }

  /** The request could not be made at all. */
  failed(error: unknown): void {
    this.settle();
    this.responded = true;
    this.#respond(undefined, error);
  }

  /** The signal aborted. */
  handleEvent(): void {
    this.#controller?.abort(this.signal.reason as Error);
    // A request still waiting for a connection gets no controller until it has one; the relay
    // need not wait for it (it is aborted in onRequestStart then).
    if (!this.responded) {
      this.responded = true;
      this.#respond(undefined, this.signal.reason);
    }
  }

  settle(): void {
    this.signal.removeEventListener('abort', this);
  }

  /** A response header; read before the body is attached, when the head is let go. */
  header(name: string): string | null {
    return this.#headers === undefined ? null : firstValue(this.#headers[name]);
  }

  /** The response is its own push body. */
  get body(): PushBody {
    return this;
  }

  attach(target: BodySink): void {
    this.#headers = undefined;
    this.#sink = target;
    if (this.#early) for (const chunk of this.#early) target.data(chunk);
    this.#early = undefined;
    if (this.#failure) target.error(this.#failure.error);
    else if (this.#ended) target.end();
    else this.#controller?.resume();
  }

  pause(): void {
    this.#controller?.pause();
  }

  resume(): void {
    this.#controller?.resume();
  }

  onRequestStart(started: Dispatcher.DispatchController): void {
    this.#controller = started;
    if (this.signal.aborted) started.abort(this.signal.reason as Error);
  }

  onResponseStart(
    started: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    // 1xx informational heads (103 Early Hints) are not the answer.
    if (statusCode < 200 || this.responded) return;
    this.responded = true;
    // undici keeps the raw head (a Buffer per name and value, views of the socket's read) on the
    // controller for the whole response; the parsed `headers` are all that is read.
    started.rawHeaders = null;
    // Held until the core attaches its reader.
    started.pause();
    this.status = statusCode;
    this.contentType = firstValue(headers['content-type']);
    this.#headers = headers;
    this.#respond(this);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#sink) this.#sink.data(chunk);
    else (this.#early ??= []).push(chunk);
  }

  onResponseEnd(): void {
    this.settle();
    if (this.#sink) this.#sink.end();
    else this.#ended = true;
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.settle();
    if (!this.responded) {
      this.responded = true;
      this.#respond(undefined, this.signal.aborted ? error : toConnectError(error));
    } else if (this.#sink) {
      this.#sink.error(error);
    } else {
      this.#failure = { error };
    }
  }
}
