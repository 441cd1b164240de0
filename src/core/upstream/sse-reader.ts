/**
 * The one SSE reader: bytes in, parsed events out. Used by the relay (answers) and by the events
 * stream (notifications), so both read `text/event-stream` the same way: UTF-8 across chunk
 * boundaries, CR / LF / CRLF line ends, comments, `retry:`, and a bound on one event's size.
 */
import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';
import { BridgeError } from '../internal/errors.ts';

/** Largest single SSE event (characters): bounds memory against a data line that never ends. */
export const DEFAULT_MAX_EVENT_CHARS = 8 * 1024 * 1024;

/** What a reader reports to, and how it treats an event over the size limit. */
export interface SseReaderOptions {
  /** Every event, in order, as the SSE algorithm dispatches it. */
  onEvent: (event: EventSourceMessage) => void;
  /** The server's `retry:` value, in milliseconds. */
  onRetry?: (ms: number) => void;
  /**
   * Asked once per chunk: whether `end` events without a `data:` line should reach `onEvent` too
   * (the SSE algorithm drops them; LangServe ends its streams with one).
   * @default never
   */
  watchDataless?: () => boolean;
  /**
   * An event over `maxEventChars`: when true, {@link SseReader.push} throws
   * `upstream_bad_response` once the chunk is parsed; when false, the parser stops and the next
   * push throws eventsource-parser's own error.
   * @default true
   */
  throwOnOversized?: boolean;
  /**
   * Characters of one event held between chunks (eventsource-parser's `maxBufferSize`: checked
   * after each chunk, on what it leaves pending).
   * @default DEFAULT_MAX_EVENT_CHARS
   */
  maxEventChars?: number;
}

/** Reads one SSE body, chunk by chunk. */
export interface SseReader {
  /**
   * Read one chunk of the body.
   * @throws BridgeError `upstream_bad_response` when an event exceeded the limit
   *   (`throwOnOversized`); the events before it in the chunk have been reported.
   */
  push(chunk: Uint8Array): void;
  /** The body ended: read what the decoder still holds (a cut character becomes U+FFFD). */
  end(): void;
}

/** A reader for one body; the callbacks are made once, nothing is allocated per event. */
export function createSseReader(options: SseReaderOptions): SseReader {
  return new Reader(options);
}

/** A class, not closures: the relay makes one per running stream. */
class Reader implements SseReader {
  readonly #options: SseReaderOptions;
  readonly #decoder = new TextDecoder();
  readonly #parser: EventSourceParser;
  readonly #lineEnds = new LineEnds();
  /** Made when `watchDataless` first says yes (it is asked before any text is read by it). */
  #dataless: DatalessEventWatcher | undefined;
  #tooBig = false;

  constructor(options: SseReaderOptions) {
    this.#options = options;
    this.#parser = createParser({
      onEvent: options.onEvent,
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
      onError: (error) => {
        if (error.type === 'max-buffer-size-exceeded') this.#tooBig = true;
      },
      maxBufferSize: options.maxEventChars ?? DEFAULT_MAX_EVENT_CHARS,
    });
    // eventsource-parser strips a "BOM" by comparing the first three decoded characters of its
    // first chunk with 0xEF 0xBB 0xBF (text "ï»¿"); TextDecoder already removed any real BOM, so
    // that check would only ever eat real upstream text, and only when unsplit. A blank first line
    // disarms it.
    this.#parser.feed('\n');
  }

  push(chunk: Uint8Array): void {
    this.#feed(this.#lineEnds.normalise(this.#decoder.decode(chunk, { stream: true })));
    if (this.#tooBig && (this.#options.throwOnOversized ?? true)) {
      throw new BridgeError('upstream_bad_response', 'an upstream event exceeds the size limit');
    }
  }

  end(): void {
    this.#feed(this.#lineEnds.normalise(this.#decoder.decode()));
  }

  #feed(text: string): void {
    const parser = this.#parser;
    // Called as a method: the options may be an object whose state it reads.
    if (!this.#options.watchDataless?.()) {
      parser.feed(text);
      return;
    }
    this.#dataless ??= new DatalessEventWatcher();
    // The parser reads up to the blank line that ends each dataless `end`, then the `end` is
    // reported: events before it come first and events after it after, however the body is cut.
    let from = 0;
    for (const cut of this.#dataless.cuts(text)) {
      parser.feed(text.slice(from, cut));
      this.#options.onEvent({ event: 'end', data: '' });
      from = cut;
    }
    parser.feed(from === 0 ? text : text.slice(from));
  }
}

/** Only the start of each line matters; keeping a bounded head keeps long lines linear. */
const DATALESS_HEAD = 64;

/**
 * Finds `end` events that have no `data:` line (LF line ends only: the text has been normalised):
 * for each chunk, the offsets just past the blank lines that end them. State carries across
 * chunks, so an event cut anywhere is still found once.
 */
class DatalessEventWatcher {
  #head = '';
  #empty = true;
  #name: string | undefined;
  #hasData = false;

  /** Whether the line just ended completes a dataless `end` event. */
  #endLine(): boolean {
    let ended = false;
    const head = this.#head;
    if (this.#empty) {
      ended = this.#name === 'end' && !this.#hasData;
      this.#name = undefined;
      this.#hasData = false;
    } else if (head.startsWith('event:')) {
      this.#name = head.slice(head[6] === ' ' ? 7 : 6);
    } else if (head.startsWith('data')) {
      this.#hasData = true;
    }
    this.#head = '';
    this.#empty = true;
    return ended;
  }

  cuts(text: string): number[] {
    const cuts: number[] = [];
    let from = 0;
    for (;;) {
      const newline = text.indexOf('\n', from);
      const to = newline === -1 ? text.length : newline;
      if (to > from) {
        this.#empty = false;
        const room = DATALESS_HEAD - this.#head.length;
        if (room > 0) this.#head += text.slice(from, Math.min(to, from + room));
      }
      if (newline === -1) return cuts;
      if (this.#endLine()) cuts.push(newline + 1);
      from = newline + 1;
    }
  }
}

/**
 * Rewrites CR and CRLF line ends to LF across chunk boundaries. The parser holds a chunk-final CR
 * back until it sees whether an LF follows, so an event ended by CR CR would wait for the next
 * bytes (forever, if the upstream stays open after its stop). A CR is a line end at once; an LF
 * starting the next chunk just completes it.
 */
class LineEnds {
  #afterCr = false;

  normalise(text: string): string {
    if (text === '') return text;
    const rest = this.#afterCr && text.charCodeAt(0) === 10 ? text.slice(1) : text;
    this.#afterCr = rest.endsWith('\r');
    return rest.includes('\r') ? rest.replace(/\r\n?/g, '\n') : rest;
  }
}

/** {@link LineEnds} as a function (one per body). */
export function createLineEndNormaliser(): (text: string) => string {
  const lineEnds = new LineEnds();
  return (text) => lineEnds.normalise(text);
}
