/**
 * Push bodies: an upstream body the runtime delivers chunk by chunk into a sink, synchronously from
 * its socket callbacks (Node: undici's dispatch handler). At paced load every chunk carries one
 * frame, and an async iterator costs a promise and its microtasks per chunk; a push costs a call.
 */

/** Receives a push body's chunks, in order, then exactly one of `end` or `error`. */
export interface BodySink {
  data(chunk: Uint8Array): void;
  end(): void;
  error(error: unknown): void;
}

/**
 * A body pushed into one sink. Aborting the request's signal must end it with `error` (also while
 * paused), as it ends an iterable body.
 */
export interface PushBody {
  /** Start delivery (at most once); until then nothing is lost, the runtime holds the body back. */
  attach(sink: BodySink): void;
  /**
   * Deliver nothing more until `resume`, so the upstream's TCP window closes instead of memory
   * growing. Called from `data`, it takes effect when `data` returns.
   */
  pause(): void;
  /** Undo `pause`; a no-op when not paused. Never called from inside `data`. */
  resume(): void;
}

/** What an upstream response's body can be: pulled (fetch, tests) or pushed (Node). */
export type UpstreamBody = AsyncIterable<Uint8Array> | PushBody;

/** Bytes the async adapter holds before it pauses a push body (a `Readable`'s high-water mark). */
export const DEFAULT_PUSH_QUEUE_BYTES = 64 * 1024;

/** Whether a body is pushed. */
export function isPushBody(body: UpstreamBody): body is PushBody {
  return typeof (body as Partial<PushBody>).attach === 'function';
}

/** Any body as an async iterable, for the readers that are not per-frame hot (text, previews). */
export function toChunks(body: UpstreamBody): AsyncIterable<Uint8Array> {
  return isPushBody(body) ? iteratePushBody(body) : body;
}

async function* iteratePushBody(body: PushBody): AsyncGenerator<Uint8Array> {
  const queue: Uint8Array[] = [];
  let queued = 0;
  let paused = false;
  let ended = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const woken = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  body.attach({
    data(chunk) {
      queue.push(chunk);
      queued += chunk.byteLength;
      if (queued >= DEFAULT_PUSH_QUEUE_BYTES && !paused) {
        paused = true;
        body.pause();
      }
      woken();
    },
    end() {
      ended = true;
      woken();
    },
    error(error) {
      failure = { error };
      woken();
    },
  });
  for (;;) {
    const chunk = queue.shift();
    if (chunk !== undefined) {
      queued -= chunk.byteLength;
      yield chunk;
      continue;
    }
    if (failure) throw failure.error;
    if (ended) return;
    if (paused) {
      paused = false;
      body.resume();
    }
    await new Promise<void>((resolve) => (wake = resolve));
  }
}

/** Takes a push body's chunks (see {@link drivePushBody}). */
export interface ChunkTaker {
  /** One chunk, synchronously; a promise when there is no room for more (called as a method). */
  take(chunk: Uint8Array): Promise<void> | undefined;
}

/**
 * Feed a push body to `taker.take` until it ends. `take` runs synchronously per chunk and returns
 * a promise when there is no room for more: the body is paused until it settles. Resolves when the
 * body ends; rejects with the body's error, or with what `take` threw (the body is then paused and
 * left for the caller to abort).
 */
export function drivePushBody(body: PushBody, taker: ChunkTaker): Promise<void> {
  return new Promise((resolve, reject) => body.attach(new PushDrive(body, taker, resolve, reject)));
}

/** One body's sink: a class, so a running stream holds one object instead of five closures. */
class PushDrive implements BodySink {
  #settled = false;
  /** Room promises not yet settled; the body resumes when the last one does. */
  #waiting = 0;

  constructor(
    readonly body: PushBody,
    readonly taker: ChunkTaker,
    readonly resolve: () => void,
    readonly reject: (error: unknown) => void,
  ) {}

  fail(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.reject(error);
  }

  roomMade(): void {
    if (--this.#waiting === 0 && !this.#settled) this.body.resume();
  }

  data(chunk: Uint8Array): void {
    if (this.#settled) return;
    let room: Promise<void> | undefined;
    try {
      room = this.taker.take(chunk);
    } catch (error) {
      this.body.pause();
      this.fail(error);
      return;
    }
    if (room === undefined) return;
    if (this.#waiting++ === 0) this.body.pause();
    room.then(
      () => this.roomMade(),
      (error: unknown) => this.fail(error),
    );
  }

  end(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.resolve();
  }

  error(error: unknown): void {
    this.fail(error);
  }
}
