/**
 * What one stream tells the logs, the metrics and the application's `onStreamEnd`: the dialect
 * its upstream speaks, the errors it sent, and how it ended.
 */
import type { Logger } from '../internal/logger.ts';
import type { BridgeObserver } from '../internal/observer.ts';
import type { Frame } from '../protocol/frame.ts';
import type { StreamInfo } from '../registry/registry.ts';
import type { RelayReport } from '../upstream/dialect-chooser.ts';
import type { Detection } from '../upstream/dialects/index.ts';
import type { DialectName } from '../upstream/dialects/types.ts';
import type { SseEvent } from '../upstream/sse-event.ts';
import { toHookErrorLogger } from './frame-hook.ts';
import type { BridgeHooks } from './hooks.ts';

/** The dialect fields of a stream's log lines: which one, and why. */
const toDialectLog = (detection: Detection | undefined) =>
  detection ? { dialect: detection.dialect, dialectReason: detection.reason } : {};

/** One stream's account, fed as its frames go out. */
export interface StreamOutcome {
  /** Given to the relay: the dialect, and events passed on without a mapping. */
  readonly report: RelayReport;
  /** `performance.now()` when the stream started. */
  readonly startedAt: number;
  /** The stop went out: its reason is the outcome unless an error came first. */
  stopped(stop: Frame): void;
  /** An error frame went out: counted by code, and the outcome is that code. */
  failed(error: Frame): void;
  /** The stream is done after `frames` frames: log, count and tell `onStreamEnd`. */
  finished(frames: number): void;
}

/** What a stream's account is kept with. */
export interface StreamOutcomeDeps {
  /** The client's request id (what the application and the logs see). */
  requestId: string;
  info: StreamInfo;
  /** `performance.now()` when the stream started. */
  startedAt: number;
  logger: Logger;
  observer: BridgeObserver;
  hooks: BridgeHooks | undefined;
}

/** Start the account of one stream. */
export function createStreamOutcome(deps: StreamOutcomeDeps): StreamOutcome {
  return new Outcome(deps);
}

/** A class, not closures: one per running stream; it is its own relay report. */
class Outcome implements StreamOutcome, RelayReport {
  #errorCode: string | undefined;
  #stopReason = 'complete';
  #detected: Detection | undefined;

  constructor(readonly deps: StreamOutcomeDeps) {}

  get report(): RelayReport {
    return this;
  }

  get startedAt(): number {
    return this.deps.startedAt;
  }

  detected(detection: Detection): void {
    this.#detected = detection;
    this.deps.logger.debug(
      { requestId: this.deps.requestId, ...toDialectLog(detection) },
      'upstream dialect',
    );
  }

  unmapped(dialect: DialectName, event: SseEvent): void {
    const { requestId, logger, observer } = this.deps;
    observer.unmappedEvent(dialect);
    logger.debug({ requestId, dialect, event: event.event }, 'unmapped upstream event');
  }

  dropped(dialect: DialectName, event: SseEvent): void {
    const { requestId, logger } = this.deps;
    logger.debug({ requestId, dialect, event: event.event }, 'named event without JSON data');
  }

  stopped(stop: Frame): void {
    const reason = (stop.content as { reason?: unknown } | undefined)?.reason;
    if (typeof reason === 'string') this.#stopReason = reason;
  }

  failed(error: Frame): void {
    const { requestId, logger, observer } = this.deps;
    const code = (error.content as { code?: unknown }).code;
    this.#errorCode = typeof code === 'string' ? code : 'upstream_error';
    observer.upstreamError(this.#errorCode);
    logger.warn({ requestId, code: this.#errorCode }, 'stream error');
  }

  finished(frames: number): void {
    const { requestId, logger, observer } = this.deps;
    const durationMs = Math.round(performance.now() - this.deps.startedAt);
    const outcome = this.#errorCode ?? this.#stopReason;
    observer.streamFinished({ requestId, durationMs, frames, outcome });
    logger.info(
      { requestId, durationMs, frames, outcome, ...toDialectLog(this.#detected) },
      'stream finished',
    );
    const onStreamEnd = this.deps.hooks?.onStreamEnd;
    if (onStreamEnd) {
      const { conversationId } = this.deps.info;
      const summary = { requestId, conversationId, durationMs, frames, outcome };
      // Off the frame path: a slow or failing hook holds nothing back.
      Promise.resolve()
        .then(() => onStreamEnd(summary))
        .catch(toHookErrorLogger(logger, 'onStreamEnd', requestId));
    }
  }
}
