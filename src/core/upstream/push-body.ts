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

/**
 * Feed a push body to `take` until it ends. `take` runs synchronously per chunk and returns a
 * promise when there is no room for more: the body is paused until it settles. Resolves when the
 * body ends; rejects with the body's error, or with what `take` threw (the body is then paused and
 * left for the caller to abort).
 */
export function drivePushBody(
  body: PushBody,
  take: (chunk: Uint8Array) => Promise<void> | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let waiting = 0;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    const roomMade = (): void => {
      if (--waiting === 0 && !settled) body.resume();
    };
    body.attach({
      data(chunk) {
        if (settled) return;
        let room: Promise<void> | undefined;
        try {
          room = take(chunk);
        } catch (error) {
          body.pause();
          fail(error);
          return;
        }
        if (room === undefined) return;
        if (waiting++ === 0) body.pause();
        room.then(roomMade, fail);
      },
      end() {
        if (settled) return;
        settled = true;
        resolve();
      },
      error: fail,
    });
  });
}
