/**
 * The dialect of one stream: configured, from the response headers, or (`auto`) detected from its
 * events. While undecided, events are held (never dropped) and replayed through the dialect once
 * one decides.
 */
import type { Frame } from '../protocol/frame.ts';
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
import { isKeepAlive, type SseEvent } from './sse-event.ts';

/** What a relay tells about its stream besides frames (for logs and metrics). */
export interface RelayReport extends DialectReport {
  /** The dialect was chosen (configured, from the headers, or detected from the events). */
  detected(detection: Detection): void;
}

/** What a chooser works with: where frames go, and the stream's state (called as methods). */
export interface DialectChoice {
  /** Receives the mapped frames in order. */
  forward: (frame: Frame) => void;
  /** An event that is not a keep-alive arrived (held or mapped). */
  started: () => void;
  /** Whether the stream has sent its stop: nothing more is mapped then. */
  isCompleted: () => boolean;
  report: RelayReport;
  format: UpstreamFormat;
  /** A response header, or null. */
  header: (name: string) => string | null;
}

/** One stream's dialect choice. */
export interface DialectChooser {
  /** The dialect, once decided. */
  readonly current: Dialect | undefined;
  /** Map one event, or hold it while the dialect is undecided. */
  onEvent(event: SseEvent): void;
  /** Whether `end` events without data may still matter (the named-event dialect, or undecided). */
  wantsDatalessEnd(): boolean;
  /** The body ended (or failed) undecided: what was held goes out by the legacy rules. */
  settle(why: string): Dialect;
}

/** A chooser for one stream; decides at once when configured or when the headers say. */
export function createDialectChooser(choice: DialectChoice): DialectChooser {
  return new Chooser(choice);
}

/** A class, not closures: one per running stream. */
class Chooser implements DialectChooser {
  current: Dialect | undefined;
  readonly #held: SseEvent[] = [];

  constructor(readonly choice: DialectChoice) {
    if (choice.format !== 'auto') this.decide({ dialect: choice.format, reason: 'configured' });
    else {
      // Called as a method: the choice may be an object whose state it reads.
      const fromHeaders = detectFromHeaders((name) => choice.header(name));
      if (fromHeaders) this.decide(fromHeaders);
    }
  }

  #mapEvent(event: SseEvent): void {
    for (const frame of (this.current as Dialect).map(event)) {
      this.choice.forward(frame);
      if (this.choice.isCompleted()) return;
    }
  }

  decide(detection: Detection): Dialect {
    const { choice } = this;
    const chosen = createDialect(detection.dialect, choice.report);
    this.current = chosen;
    choice.report.detected(detection);
    for (const event of this.#held.splice(0)) {
      if (choice.isCompleted()) break;
      this.#mapEvent(event);
    }
    return chosen;
  }

  onEvent(event: SseEvent): void {
    const { choice } = this;
    // Keep-alives are consumed like comments in every dialect (their bytes reset the idle timer).
    if (choice.isCompleted() || isKeepAlive(event)) return;
    choice.started();
    if (this.current === undefined) {
      const detection = detectFromEvent(event);
      if (detection === undefined) {
        this.#held.push(event);
        if (this.#held.length >= DEFAULT_MAX_UNDECIDED_EVENTS) {
          this.decide({
            dialect: 'legacy',
            reason: `undecided after ${DEFAULT_MAX_UNDECIDED_EVENTS} events`,
          });
        }
        return;
      }
      this.decide(detection);
      if (choice.isCompleted()) return;
    }
    this.#mapEvent(event);
  }

  wantsDatalessEnd(): boolean {
    const dialect = this.current;
    return dialect === undefined ? this.choice.format === 'auto' : dialect.name === 'event';
  }

  settle(why: string): Dialect {
    return this.current ?? this.decide({ dialect: 'legacy', reason: why });
  }
}
