/**
 * Runs one upstream request and turns its answer into frames, ending with exactly one stop.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { BridgeError, toBridgeError } from '../internal/errors.ts';
import { type Frame, toStopFrame } from '../protocol/frame.ts';
import {
  createDialect,
  type Detection,
  type Dialect,
  type DialectReport,
  detectFromEvent,
  detectFromHeaders,
  type UpstreamFormat,
} from './dialects/index.ts';
import { DEFAULT_MAX_UNDECIDED_EVENTS } from './dialects/detect.ts';
import { DONE, toFrame } from './dialects/legacy.ts';
import { isKeepAlive, type SseEvent } from './sse-event.ts';
import type { UpstreamMethod } from './request-shape.ts';
import type { UpstreamClient } from './client.ts';
import { cancelTimer, type Timer } from '../internal/timers.ts';

/** Bytes of a non-2xx body kept in the error frame: enough for a message, not a whole HTML page. */
export const DEFAULT_ERROR_BODY_PREVIEW_BYTES = 512;
/** Largest non-SSE (JSON or text) answer read into memory. */
export const DEFAULT_MAX_BUFFERED_BODY_BYTES = 8 * 1024 * 1024;
/** Largest single SSE event (characters): bounds memory against a data line that never ends. */
export const DEFAULT_MAX_EVENT_CHARS = 8 * 1024 * 1024;
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

/** What a relay tells about its stream besides frames (for logs and metrics). */
export interface RelayReport extends DialectReport {
  /** The dialect was chosen (configured, from the headers, or detected from the events). */
  detected(detection: Detection): void;
}

const silentRelayReport: RelayReport = {
  detected: () => {},
  unmapped: () => {},
  dropped: () => {},
};

type BodyKind = 'sse' | 'json' | 'text';

function toBodyKind(contentType: string | null): BodyKind | undefined {
  if (contentType === null) return undefined;
  const media = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (media === 'text/event-stream') return 'sse';
  if (media === 'application/json' || media.endsWith('+json')) return 'json';
  if (media.startsWith('text/')) return 'text';
  return undefined;
}

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

interface SseReading {
  forward: (frame: Frame) => void;
  started: () => void;
  report: RelayReport;
  onBytes: () => void;
  isCompleted: () => boolean;
  waitForRoom: () => Promise<void> | undefined;
  format: UpstreamFormat;
  header: (name: string) => string | null;
}

/**
 * The dialect of one stream: configured, from the headers, or detected from its events. While
 * undecided, events are held (never dropped) and replayed through the dialect once one decides.
 */
function createDialectChooser(reading: SseReading) {
  const { forward, isCompleted, report } = reading;
  let dialect: Dialect | undefined;
  const held: SseEvent[] = [];
  const mapEvent = (event: SseEvent): void => {
    for (const frame of (dialect as Dialect).map(event)) {
      forward(frame);
      if (isCompleted()) return;
    }
  };
  const decide = (detection: Detection): Dialect => {
    const chosen = createDialect(detection.dialect, report);
    dialect = chosen;
    report.detected(detection);
    for (const event of held.splice(0)) {
      if (isCompleted()) break;
      mapEvent(event);
    }
    return chosen;
  };
  if (reading.format !== 'auto') decide({ dialect: reading.format, reason: 'configured' });
  else {
    const fromHeaders = detectFromHeaders(reading.header);
    if (fromHeaders) decide(fromHeaders);
  }
  return {
    get current(): Dialect | undefined {
      return dialect;
    },
    onEvent(event: SseEvent): void {
      // Keep-alives are consumed like comments in every dialect (their bytes reset the idle timer).
      if (isCompleted() || isKeepAlive(event)) return;
      reading.started();
      if (dialect === undefined) {
        const detection = detectFromEvent(event);
        if (detection === undefined) {
          held.push(event);
          if (held.length >= DEFAULT_MAX_UNDECIDED_EVENTS) {
            decide({
              dialect: 'legacy',
              reason: `undecided after ${DEFAULT_MAX_UNDECIDED_EVENTS} events`,
            });
          }
          return;
        }
        decide(detection);
        if (isCompleted()) return;
      }
      mapEvent(event);
    },
    /** The body ended (or failed) undecided: what was held goes out by the legacy rules. */
    settle(why: string): Dialect {
      return dialect ?? decide({ dialect: 'legacy', reason: why });
    },
  };
}

/** Read an SSE body through its dialect; resolves with the dialect (undefined: completed). */
async function readSse(
  body: AsyncIterable<Uint8Array>,
  reading: SseReading,
): Promise<Dialect | undefined> {
  const { onBytes, isCompleted, waitForRoom } = reading;
  const decoder = new TextDecoder();
  let tooBig = false;
  const chooser = createDialectChooser(reading);
  const onEvent = (event: EventSourceMessage): void => chooser.onEvent(event);
  const parser = createParser({
    onEvent,
    onError: (error) => {
      if (error.type === 'max-buffer-size-exceeded') tooBig = true;
    },
    maxBufferSize: DEFAULT_MAX_EVENT_CHARS,
  });
  // eventsource-parser strips a "BOM" by comparing the first three decoded characters of its first
  // chunk with 0xEF 0xBB 0xBF (text "ï»¿"); TextDecoder already removed any real BOM, so that check
  // would only ever eat real upstream text, and only when unsplit. A blank first line disarms it.
  parser.feed('\n');
  const lineEnds = createLineEndNormaliser();
  // Named events without a data line (LangServe's `event: end`) are not dispatched by the SSE
  // algorithm; the named-event dialect needs them, so they are watched for until it is ruled out.
  const dataless = createDatalessEventWatcher(onEvent);
  const watchDataless = (): boolean => {
    const dialect = chooser.current;
    return dialect === undefined ? reading.format === 'auto' : dialect.name === 'event';
  };
  const feed = (text: string): void => {
    const watch = watchDataless();
    parser.feed(text);
    if (watch && !isCompleted()) dataless(text);
  };
  try {
    for await (const chunk of body) {
      onBytes();
      if (isCompleted()) continue;
      feed(lineEnds(decoder.decode(chunk, { stream: true })));
      if (tooBig) {
        throw new BridgeError('upstream_bad_response', 'an upstream event exceeds the size limit');
      }
      const room = waitForRoom();
      if (room) await room;
    }
  } catch (error) {
    // Whatever arrived before the failure reaches the client before the failure does.
    if (!isCompleted()) chooser.settle('stream failed before a dialect was decided');
    throw error;
  }
  if (!isCompleted()) feed(lineEnds(decoder.decode()));
  if (isCompleted()) return undefined;
  const dialect = chooser.settle('stream ended before a dialect was decided');
  return isCompleted() ? undefined : dialect;
}

/**
 * Calls `onEvent` for an `end` event that has no `data:` line (LF line ends only: the text has
 * been normalised). It runs after the parser saw the same text, so events before it come first.
 */
function createDatalessEventWatcher(onEvent: (event: EventSourceMessage) => void) {
  // Only the start of each line matters; keeping a bounded head keeps long lines linear.
  const HEAD = 64;
  let head = '';
  let empty = true;
  let name: string | undefined;
  let hasData = false;
  const endLine = (): void => {
    if (empty) {
      if (name === 'end' && !hasData) onEvent({ event: name, data: '' });
      name = undefined;
      hasData = false;
    } else if (head.startsWith('event:')) {
      name = head.slice(head[6] === ' ' ? 7 : 6);
    } else if (head.startsWith('data')) {
      hasData = true;
    }
    head = '';
    empty = true;
  };
  return (text: string): void => {
    let from = 0;
    for (;;) {
      const newline = text.indexOf('\n', from);
      const to = newline === -1 ? text.length : newline;
      if (to > from) {
        empty = false;
        if (head.length < HEAD) head += text.slice(from, Math.min(to, from + HEAD - head.length));
      }
      if (newline === -1) return;
      endLine();
      from = newline + 1;
    }
  };
}

/**
 * Rewrites CR and CRLF line ends to LF across chunk boundaries. The parser holds a chunk-final CR
 * back until it sees whether an LF follows, so an event ended by CR CR would wait for the next
 * bytes (forever, if the upstream stays open after its stop). A CR is a line end at once; an LF
 * starting the next chunk just completes it.
 */
export function createLineEndNormaliser(): (text: string) => string {
  let afterCr = false;
  return (text) => {
    if (text === '') return text;
    const rest = afterCr && text.charCodeAt(0) === 10 ? text.slice(1) : text;
    afterCr = rest.endsWith('\r');
    return rest.includes('\r') ? rest.replace(/\r\n?/g, '\n') : rest;
  };
}

async function readText(
  body: AsyncIterable<Uint8Array>,
  limit: number,
  onBytes: () => void,
): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for await (const chunk of body) {
    onBytes();
    const room = limit - bytes;
    bytes += chunk.byteLength;
    text += decoder.decode(room < chunk.byteLength ? chunk.subarray(0, room) : chunk, {
      stream: true,
    });
    // Not flushed: a cut inside a character would end the text in U+FFFD, which the body lacks.
    if (bytes >= limit) return text;
  }
  return text + decoder.decode();
}
