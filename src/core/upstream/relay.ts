/**
 * Runs one upstream request and turns its answer into frames, ending with exactly one stop.
 */
import { BridgeError, toBridgeError } from '../internal/errors.ts';
import { type Frame, toStopFrame } from '../protocol/frame.ts';
import type { Dialect, UpstreamFormat } from './dialects/index.ts';
import { DONE, toFrame } from './dialects/legacy.ts';
import { createDialectChooser, type DialectChoice, type RelayReport } from './dialect-chooser.ts';
import type { UpstreamMethod } from './request-config.ts';
import type { UpstreamClient } from './client.ts';
import { drivePushBody, isPushBody, type UpstreamBody } from './push-body.ts';
import { createSseReader } from './sse-reader.ts';
import { readText, toBodyKind } from './text-body.ts';
import { cancelTimer, type Timer } from '../internal/timers.ts';

/** Bytes of a non-2xx body kept in the error frame: enough for a message, not a whole HTML page. */
export const DEFAULT_ERROR_BODY_PREVIEW_BYTES = 512;
/** Largest non-SSE (JSON or text) answer read into memory. */
export const DEFAULT_MAX_BUFFERED_BODY_BYTES = 8 * 1024 * 1024;
/** After the stream completes, keep reading this long so the pooled connection can be reused. */
export const DEFAULT_DRAIN_MS = 1_000;

/** The timeouts the relay enforces itself (the connect timeout belongs to the upstream client). */
export interface RelayTimeouts {
  firstFrameTimeoutMs: number;
  idleTimeoutMs: number;
}

/** Everything one relay run needs. */
export interface RelayInput {
  client: UpstreamClient;
  url: string;
  /** @default "POST" */
  method?: UpstreamMethod;
  /** JSON text; none for GET. */
  body?: string | undefined;
  headers: Record<string, string>;
  timeouts: RelayTimeouts;
  /** Aborted when the stream is cancelled; the relay then ends quietly. */
  signal: AbortSignal;
  /** Receives every frame in order; the last one is a stop. */
  emit: (frame: Frame) => void;
  /**
   * Backpressure: a promise while the frames cannot be taken (every receiver is congested); the
   * body is not read until it resolves, so the upstream's TCP window closes instead of memory
   * growing. The idle timeout does not run meanwhile.
   */
  whenFlowing?: () => Promise<void> | undefined;
  /** The upstream's SSE dialect, or `auto` to recognise it. @default "auto" */
  format?: UpstreamFormat;
  /** Told which dialect the stream speaks and why, and of events passed on without a mapping. */
  report?: RelayReport;
}

const silentRelayReport: RelayReport = {
  detected: () => {},
  unmapped: () => {},
  dropped: () => {},
};

/** Relay one upstream request into frames. Never throws; always emits a final stop. */
export async function relayUpstream(input: RelayInput): Promise<void> {
  const { timeouts, emit } = input;
  const abort = new AbortController();
  const onCancel = (): void => abort.abort();
  input.signal.addEventListener('abort', onCancel, { once: true });

  let timedOut: string | undefined;
  let completed = false;
  let sawError = false;
  let idleTimer: Timer | undefined;
  const expire = (what: string): void => {
    timedOut ??= what;
    abort.abort();
  };
  let firstFrameTimer: Timer | undefined = setTimeout(
    () => expire(`no upstream event within ${timeouts.firstFrameTimeoutMs} ms`),
    timeouts.firstFrameTimeoutMs,
  );
  // One idle timer per request, not one per chunk: activity only moves `lastActivity`, and the
  // timer, when it fires, sleeps again for whatever is left of the timeout.
  let lastActivity = 0;
  const checkIdle = (): void => {
    const quietMs = Date.now() - lastActivity;
    idleTimer =
      quietMs >= timeouts.idleTimeoutMs
        ? void expire(`upstream silent for ${timeouts.idleTimeoutMs} ms`)
        : setTimeout(checkIdle, timeouts.idleTimeoutMs - quietMs);
  };
  const touchIdle = (): void => {
    // Until the first frame, the first-frame timeout alone bounds the wait: a backend may send
    // its head at once and then think for longer than the idle timeout.
    if (completed || firstFrameTimer !== undefined) return;
    lastActivity = Date.now();
    idleTimer ??= setTimeout(checkIdle, timeouts.idleTimeoutMs);
  };
  // An upstream event arrived (it may be held while the dialect is undecided, or carry nothing
  // for the client): the first-frame timeout has done its job, the idle timeout takes over.
  const started = (): void => {
    if (firstFrameTimer === undefined) return;
    cancelTimer(firstFrameTimer);
    firstFrameTimer = undefined;
    touchIdle();
  };
  const forward = (frame: Frame): void => {
    if (completed) return;
    started();
    if (frame.type === 'error') sawError = true;
    emit(frame);
    if (frame.type === 'stop') complete();
  };
  const complete = (): void => {
    if (completed) return;
    completed = true;
    cancelTimer(idleTimer);
    // Drain briefly for connection reuse, then let go of the body whatever it does.
    idleTimer = setTimeout(() => abort.abort(), DEFAULT_DRAIN_MS);
  };

  let gotResponse = false;
  try {
    const response = await input.client({
      url: input.url,
      method: input.method ?? 'POST',
      body: input.body,
      headers: input.headers,
      signal: abort.signal,
    });
    gotResponse = true;
    if (response.status < 200 || response.status > 299) {
      const preview = await readText(response.body, DEFAULT_ERROR_BODY_PREVIEW_BYTES, touchIdle);
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
      const waitForRoom = (): Promise<void> | undefined => {
        const gate = input.whenFlowing?.();
        if (gate === undefined || completed) return undefined;
        // Paused on purpose: the idle timeout measures the upstream, not our receivers.
        cancelTimer(idleTimer);
        idleTimer = undefined;
        return gate.then(touchIdle);
      };
      const dialect = await readSse(response.body, {
        forward,
        started,
        report: input.report ?? silentRelayReport,
        onBytes: touchIdle,
        isCompleted: () => completed,
        waitForRoom,
        format: input.format ?? 'auto',
        header: response.header ?? (() => null),
      });
      if (dialect) forward(dialect.end());
    } else {
      const text = await readText(response.body, DEFAULT_MAX_BUFFERED_BODY_BYTES, touchIdle);
      const frame =
        kind === 'json' ? toFrame({ data: text }) : { type: 'text', content: { data: text } };
      if (frame !== DONE && frame !== undefined) forward(frame);
    }
    if (kind !== 'sse') forward(toStopFrame(sawError ? 'error' : 'complete'));
  } catch (error) {
    if (!completed) {
      const failure = toFailure(error, { cancelled: input.signal.aborted, timedOut, gotResponse });
      if (failure === 'cancelled') {
        forward(toStopFrame('cancelled'));
      } else {
        forward({ type: 'error', content: failure.toPayload() });
        forward(toStopFrame('error'));
      }
    }
  } finally {
    cancelTimer(firstFrameTimer);
    cancelTimer(idleTimer);
    input.signal.removeEventListener('abort', onCancel);
    abort.abort();
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

interface SseReading extends DialectChoice {
  onBytes: () => void;
  waitForRoom: () => Promise<void> | undefined;
}

/** Read an SSE body through its dialect; resolves with the dialect (undefined: completed). */
async function readSse(body: UpstreamBody, reading: SseReading): Promise<Dialect | undefined> {
  const { onBytes, isCompleted, waitForRoom } = reading;
  const chooser = createDialectChooser(reading);
  // Named events without a data line (LangServe's `event: end`) are not dispatched by the SSE
  // algorithm; the named-event dialect needs them, so they are watched for until it is ruled out.
  const reader = createSseReader({
    onEvent: (event) => chooser.onEvent(event),
    watchDataless: () => chooser.wantsDatalessEnd(),
  });
  // After the stop the body is still read (and dropped) so the connection can be reused.
  const take = (chunk: Uint8Array): Promise<void> | undefined => {
    onBytes();
    if (isCompleted()) return undefined;
    reader.push(chunk);
    return waitForRoom();
  };
  try {
    if (isPushBody(body)) {
      await drivePushBody(body, take);
    } else {
      for await (const chunk of body) {
        const room = take(chunk);
        if (room) await room;
      }
    }
  } catch (error) {
    // Whatever arrived before the failure reaches the client before the failure does.
    if (!isCompleted()) chooser.settle('stream failed before a dialect was decided');
    throw error;
  }
  if (!isCompleted()) reader.end();
  if (isCompleted()) return undefined;
  const dialect = chooser.settle('stream ended before a dialect was decided');
  return isCompleted() ? undefined : dialect;
}
