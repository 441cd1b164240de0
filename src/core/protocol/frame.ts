/** Frame types: what the client protocol carries in a chat_response. */

/** A frame before it is numbered: the `type` and `content` the seed frontends read. */
export interface Frame {
  type: string;
  content: unknown;
}

/**
 * A frame whose upstream JSON text is exactly `{"type": …, "content": …}`: the bridge sends that
 * text with `request_id` and `seq` appended instead of serialising the parsed object again. The
 * text sits in a private field, which JSON, object spread and structured clone all skip.
 */
export class UpstreamJsonFrame implements Frame {
  readonly #json: string;

  constructor(
    public type: string,
    public content: unknown,
    json: string,
  ) {
    this.#json = json;
  }

  /** The upstream text of a frame, if it has one. */
  static jsonOf(frame: Frame): string | undefined {
    return #json in frame ? (frame as UpstreamJsonFrame).#json : undefined;
  }
}

/** One `chat_response` payload as sent to clients. Plain JSON so registries can store it as is. */
export interface ChatResponse {
  type: string;
  content: unknown;
  request_id: string;
  /** 0, 1, 2, ... per request, no gaps. */
  seq: number;
  /** When the frame was numbered (ms since the epoch); a replayed frame keeps it. */
  timestamp: number;
}

/** The canonical text of the local frame last serialised with its upstream text (fan-out reuse). */
const lastCanonical: { frame: object | undefined; json: string } = { frame: undefined, json: '' };

/**
 * A frame numbered on this instance. Besides its JSON members it keeps, in private fields that
 * JSON, spreads and structured clone skip, its serialised text (made at most once: the registry
 * needs its size, every `/ws` receiver its text) and when it was numbered (for the lag metric).
 * Private fields rather than WeakMaps: with hundreds of thousands of frames alive, a WeakMap's
 * ephemeron table made every GC slower (a long stream went from 11 to 140 µs per frame in
 * bench/micro.ts).
 */
export class LocalFrame implements ChatResponse {
  #json: string | undefined;
  /** Whether `#json` is exactly `JSON.stringify(this)` (not the upstream text with its spacing). */
  #canonical: boolean;
  #numberedAt = performance.now();

  constructor(
    public type: string,
    public content: unknown,
    public request_id: string,
    public seq: number,
    /** When it was numbered (ms since the epoch); declared last, as the pass-through text has it. */
    public timestamp: number,
    json?: string,
  ) {
    this.#json = json;
    this.#canonical = json === undefined;
  }

  /** A frame's JSON text; serialised once per local frame, every time for any other object. */
  static jsonOf(frame: object): string {
    if (!(#json in frame)) return JSON.stringify(frame);
    const local = frame as LocalFrame;
    local.#json ??= JSON.stringify(local);
    return local.#json;
  }

  /**
   * `JSON.stringify(frame)` exactly (what socket.io-parser writes), without the upstream text's own
   * spacing. A local frame's is made once for the frame last asked about, so a conversation's
   * fan-out serialises it once; kept nowhere else, so the resume buffer holds one text per frame.
   */
  static canonicalJsonOf(frame: object): string {
    if (!(#json in frame)) return JSON.stringify(frame);
    const local = frame as LocalFrame;
    if (local.#canonical) return LocalFrame.jsonOf(local);
    if (frame !== lastCanonical.frame) {
      lastCanonical.frame = frame;
      lastCanonical.json = JSON.stringify(frame);
    }
    return lastCanonical.json;
  }

  /** Whether `frame` is a local frame (numbered here, never changed after). */
  static isLocal(frame: object): frame is LocalFrame {
    return #json in frame;
  }

  /**
   * When a local frame was numbered (`performance.now()`); NaN for frames from elsewhere. With
   * {@link LocalFrame.hasCanonicalJson} and the text, what the resume buffer keeps of a frame.
   */
  static numberedAtOf(frame: object): number {
    return #numberedAt in frame ? (frame as LocalFrame).#numberedAt : NaN;
  }

  /** Whether `jsonOf(frame)` is exactly `JSON.stringify(frame)` (any frame not local is). */
  static hasCanonicalJson(frame: object): boolean {
    return #json in frame ? (frame as LocalFrame).#canonical : true;
  }

  /**
   * The frame back from its text (`jsonOf`'s exact bytes) and the other two: a local frame as it
   * was numbered, or, for a frame from elsewhere (`numberedAt` NaN), the plain parsed object.
   */
  static fromJson(json: string, numberedAt: number, canonical: boolean): ChatResponse {
    const parsed = JSON.parse(json) as ChatResponse;
    if (Number.isNaN(numberedAt)) return parsed;
    const { type, content, request_id, seq, timestamp } = parsed;
    const frame = new LocalFrame(type, content, request_id, seq, timestamp, json);
    frame.#numberedAt = numberedAt;
    frame.#canonical = canonical;
    return frame;
  }

  /** Milliseconds since a local frame was numbered; 0 for frames from elsewhere. */
  static ageMs(frame: object): number {
    return #numberedAt in frame ? performance.now() - (frame as LocalFrame).#numberedAt : 0;
  }
}

/** Why a stream stopped; sent as `content.reason` of the bridge's own stop frames. */
export type StopReason = 'complete' | 'error' | 'cancelled' | 'abandoned';

/** The stop frame the bridge writes itself (an upstream stop is forwarded unchanged). */
export function toStopFrame(reason: StopReason): Frame {
  return { type: 'stop', content: { reason } };
}
