/**
 * Runs one upstream request and turns its answer into frames, ending with exactly one stop.
 */
import { BridgeError, toBridgeError } from '../internal/errors.ts';
import { type Frame, toStopFrame } from '../protocol/frame.ts';
import type { Dialect, UpstreamFormat } from './dialects/index.ts';
import { DONE, toFrame } from './dialects/legacy.ts';
import {
  createDialectChooser,
  type DialectChoice,
  type DialectChooser,
  type RelayReport,
} from './dialect-chooser.ts';
import type { UpstreamResponse } from './client.ts';
import { type ChunkTaker, drivePushBody, isPushBody } from './push-body.ts';
import { createSseReader, type SseReader, type SseReaderOptions } from './sse-reader.ts';
import type { EventSourceMessage } from 'eventsource-parser';
import { readText, toBodyKind } from './text-body.ts';
import { cancelTimer, type Timer } from '../internal/timers.ts';
import {
  DEFAULT_DRAIN_MS,
  DEFAULT_ERROR_BODY_PREVIEW_BYTES,
  DEFAULT_MAX_BUFFERED_BODY_BYTES,
  type RelayInput,
  silentRelayReport,
  type UpstreamRelay,
} from './relay-contract.ts';

export type { RelayInput, RelayTimeouts, UpstreamRelay } from './relay-contract.ts';

/** A relay of one upstream request, to run and perhaps cancel. */
export function createRelay(input: RelayInput): UpstreamRelay {
  return new Relay(input);
}

/** Relay one upstream request into frames. Never throws; always emits a final stop. */
export function relayUpstream(input: RelayInput): Promise<void> {
  return new Relay(input).run();
}

/**
 * One relay run. Its state is fields and its steps are methods (timer callbacks static, with the
 * run as argument): thousands of streams run at once, and a closure apiece per step was a good
 * part of what each one cost.
 */
class Relay
  implements UpstreamRelay, DialectChoice, ChunkTaker, SseReaderOptions, EventListenerObject
{
  readonly abort = new AbortController();
  timedOut: string | undefined;
  completed = false;
  sawError = false;
  idleTimer: Timer | undefined;
  firstFrameTimer: Timer | undefined;
  /** One idle timer per request, not one per chunk: activity only moves this. */
  lastActivity = 0;
  gotResponse = false;
  cancelled = false;
  readonly report: RelayReport;
  readonly format: UpstreamFormat;
  /** The response while its dialect is chosen (`header` reads it), then let go. */
  head: UpstreamResponse | undefined;
  chooser: DialectChooser | undefined;
  reader: SseReader | undefined;

  constructor(readonly input: RelayInput) {
    this.report = input.report ?? silentRelayReport;
    this.format = input.format ?? 'auto';
  }

  async run(): Promise<void> {
    const { input } = this;
    input.signal?.addEventListener('abort', this, { once: true });
    this.firstFrameTimer = setTimeout(
      Relay.firstFrameTimedOut,
      input.timeouts.firstFrameTimeoutMs,
      this,
    );
    try {
      const response = await input.client({
        url: input.url,
        method: input.method ?? 'POST',
        body: input.body,
        headers: input.headers,
        signal: this.abort.signal,
      });
      this.gotResponse = true;
      if (response.status < 200 || response.status > 299) {
        const preview = await readText(response.body, DEFAULT_ERROR_BODY_PREVIEW_BYTES, () =>
          this.touchIdle(),
        );
        throw new BridgeError('upstream_status', `upstream answered HTTP ${response.status}`, {
          details: { status: response.status, body: preview },
        });
      }
      const kind = toBodyKind(response.contentType);
      if (kind === undefined) {
        throw new BridgeError(
          'upstream_bad_response',
          `upstream answered ${response.contentType ?? 'no content type'}, not SSE, JSON or text`,
        );
      }
      if (kind === 'sse') {
        const chooser = this.startSse(response);
        const { body } = response;
        try {
          // Awaited here, not in a helper: every async function suspended is memory per stream.
          await (isPushBody(body) ? drivePushBody(body, this) : this.pull(body));
        } catch (error) {
          // Whatever arrived before the failure reaches the client before the failure does.
          if (!this.completed) chooser.settle('stream failed before a dialect was decided');
          throw error;
        }
        const dialect = this.endSse(chooser);
        if (dialect) this.forward(dialect.end());
      } else {
        const text = await readText(response.body, DEFAULT_MAX_BUFFERED_BODY_BYTES, () =>
          this.touchIdle(),
        );
        const frame =
          kind === 'json' ? toFrame({ data: text }) : { type: 'text', content: { data: text } };
        if (frame !== DONE && frame !== undefined) this.forward(frame);
      }
      if (kind !== 'sse') this.forward(toStopFrame(this.sawError ? 'error' : 'complete'));
    } catch (error) {
      if (!this.completed) {
        const failure = toFailure(error, {
          cancelled: this.cancelled || input.signal?.aborted === true,
          timedOut: this.timedOut,
          gotResponse: this.gotResponse,
        });
        if (failure === 'cancelled') {
          this.forward(toStopFrame('cancelled'));
        } else {
          this.forward({ type: 'error', content: failure.toPayload() });
          this.forward(toStopFrame('error'));
        }
      }
    } finally {
      cancelTimer(this.firstFrameTimer);
      cancelTimer(this.idleTimer);
      input.signal?.removeEventListener('abort', this);
      this.abort.abort();
    }
  }

  /** The stream was cancelled (its signal aborted). */
  handleEvent(): void {
    this.cancel();
  }

  cancel(): void {
    this.cancelled = true;
    this.abort.abort();
  }

  expire(what: string): void {
    this.timedOut ??= what;
    this.abort.abort();
  }

  static firstFrameTimedOut(this: void, relay: Relay): void {
    relay.expire(`no upstream event within ${relay.input.timeouts.firstFrameTimeoutMs} ms`);
  }

  /** The idle timer fired: expire, or sleep again for whatever is left of the timeout. */
  static checkIdle(this: void, relay: Relay): void {
    const { idleTimeoutMs } = relay.input.timeouts;
    const quietMs = Date.now() - relay.lastActivity;
    relay.idleTimer =
      quietMs >= idleTimeoutMs
        ? void relay.expire(`upstream silent for ${idleTimeoutMs} ms`)
        : setTimeout(Relay.checkIdle, idleTimeoutMs - quietMs, relay);
  }

  static drained(this: void, relay: Relay): void {
    relay.abort.abort();
  }

  touchIdle(): void {
    // Until the first frame, the first-frame timeout alone bounds the wait: a backend may send
    // its head at once and then think for longer than the idle timeout.
    if (this.completed || this.firstFrameTimer !== undefined) return;
    this.lastActivity = Date.now();
    this.idleTimer ??= setTimeout(Relay.checkIdle, this.input.timeouts.idleTimeoutMs, this);
  }

  // An upstream event arrived (it may be held while the dialect is undecided, or carry nothing
  // for the client): the first-frame timeout has done its job, the idle timeout takes over.
  started(): void {
    if (this.firstFrameTimer === undefined) return;
    cancelTimer(this.firstFrameTimer);
    this.firstFrameTimer = undefined;
    this.touchIdle();
  }

  forward(frame: Frame): void {
    if (this.completed) return;
    this.started();
    if (frame.type === 'error') this.sawError = true;
    this.input.emit(frame);
    if (frame.type === 'stop') this.complete();
  }

  complete(): void {
    if (this.completed) return;
    this.completed = true;
    cancelTimer(this.idleTimer);
    // Drain briefly for connection reuse, then let go of the body whatever it does.
    this.idleTimer = setTimeout(Relay.drained, DEFAULT_DRAIN_MS, this);
  }

  isCompleted(): boolean {
    return this.completed;
  }

  /** Backpressure: a promise while the frames cannot be taken. */
  waitForRoom(): Promise<void> | undefined {
    const gate = this.input.whenFlowing?.();
    if (gate === undefined || this.completed) return undefined;
    // Paused on purpose: the idle timeout measures the upstream, not our receivers.
    cancelTimer(this.idleTimer);
    this.idleTimer = undefined;
    return gate.then(() => this.touchIdle());
  }

  /** One chunk of an SSE body; after the stop the body is still read (and dropped) for reuse. */
  take(chunk: Uint8Array): Promise<void> | undefined {
    this.touchIdle();
    if (this.completed) return undefined;
    (this.reader as SseReader).push(chunk);
    return this.waitForRoom();
  }

  /** The SSE reader's events go to the dialect chooser (called unbound by eventsource-parser). */
  readonly onEvent = (event: EventSourceMessage): void =>
    (this.chooser as DialectChooser).onEvent(event);

  watchDataless(): boolean {
    return (this.chooser as DialectChooser).wantsDatalessEnd();
  }

  header(name: string): string | null {
    return this.head?.header?.(name) ?? null;
  }

  /** Start reading an SSE body: its dialect chooser, and the reader that feeds it. */
  startSse(response: UpstreamResponse): DialectChooser {
    // Read by the chooser once, at its start: the response head need not live as long as the body.
    this.head = response;
    const chooser = createDialectChooser(this);
    this.head = undefined;
    this.chooser = chooser;
    // Named events without a data line (LangServe's `event: end`) are not dispatched by the SSE
    // algorithm; the named-event dialect needs them, so they are watched for until it is ruled out.
    this.reader = createSseReader(this);
    return chooser;
  }

  /** Read a pulled body (fetch) chunk by chunk. */
  async pull(body: AsyncIterable<Uint8Array>): Promise<void> {
    for await (const chunk of body) {
      const room = this.take(chunk);
      if (room) await room;
    }
  }

  /** The SSE body ended: the dialect, if the stream still needs its end (undefined: completed). */
  endSse(chooser: DialectChooser): Dialect | undefined {
    if (!this.completed) (this.reader as SseReader).end();
    if (this.isCompleted()) return undefined;
    const dialect = chooser.settle('stream ended before a dialect was decided');
    return this.isCompleted() ? undefined : dialect;
  }
}

function toFailure(
  error: unknown,
  state: { cancelled: boolean; timedOut: string | undefined; gotResponse: boolean },
): BridgeError | 'cancelled' {
  if (state.cancelled) return 'cancelled';
  if (state.timedOut !== undefined) {
    return new BridgeError('upstream_timeout', state.timedOut, { cause: error });
  }
  if (error instanceof BridgeError) return error;
  if (state.gotResponse) {
    return new BridgeError('upstream_closed', undefined, { cause: error });
  }
  return toBridgeError(error);
}
