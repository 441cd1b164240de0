/**
 * The core's own cost per frame, without sockets: an in-memory upstream body (chunks of `--batch`
 * frames each) goes through the real relay, stream, in-memory registry and session, and every
 * `chat_response` is serialised as `/ws` would send it, then dropped. Single process, so it is far
 * steadier than the socket benchmarks; use it to compare hot-path changes.
 *
 *   npm run bench:micro -- [--frames 200000] [--batch 32] [--streams 4] [--rounds 5] [--push]
 *
 * The body is an async iterable, as fetch gives (one promise per chunk); with `--push` it is a
 * push body, as the Node client gives: 64 chunks per event-loop turn, each one a call into the
 * relay. `--batch 1 --push` against `--batch 1` shows the per-chunk cost of the two reads.
 */
import { createLocalBridge } from '../src/core/bridge.ts';
import { defaultOptions } from '../src/core/config/resolve.ts';
import type { UpstreamClient } from '../src/core/upstream/client.ts';
import type { BodySink, PushBody } from '../src/core/upstream/push-body.ts';
import { toWsText } from '../src/core/transport/ws.ts';
import { createNodeMetrics } from '../src/node/metrics.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const frames = arg('frames', 200_000);
const batch = arg('batch', 32);
const streams = arg('streams', 4);
const rounds = arg('rounds', 5);
const push = process.argv.includes('--push');

const encoder = new TextEncoder();
const frameText = (seq: number): string =>
  `data: {"type":"text","content":{"data":"token ${seq} of the answer, ~64 B"}}\n\n`;

/** The body's chunks: `frames` text frames, `batch` per chunk, then a stop. */
function* chunks(): Generator<Uint8Array> {
  for (let seq = 0; seq < frames; seq += batch) {
    let chunk = '';
    for (let i = seq; i < Math.min(frames, seq + batch); i++) chunk += frameText(i);
    yield encoder.encode(chunk);
  }
  yield encoder.encode('data: {"type":"stop","content":{}}\n\n');
}

/** The same chunks pushed, a socket read's worth (64 chunks) per event-loop turn. */
function pushBody(): PushBody {
  const source = chunks();
  let sink: BodySink | undefined;
  let paused = false;
  let scheduled = false;
  const turn = (): void => {
    scheduled = false;
    for (let n = 0; n < 64 && !paused; n++) {
      const next = source.next();
      if (next.done) return sink?.end();
      sink?.data(next.value);
    }
    if (!paused) schedule();
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(turn);
  };
  return {
    attach(target) {
      sink = target;
      schedule();
    },
    pause: () => (paused = true),
    resume() {
      paused = false;
      schedule();
    },
  };
}

/** An upstream whose body is the chunks above, iterated or pushed. */
const upstream: UpstreamClient = async () => ({
  status: 200,
  contentType: 'text/event-stream',
  body: push
    ? pushBody()
    : (async function* () {
        for (let seq = 0; seq < frames; seq += batch) {
          let chunk = '';
          for (let i = seq; i < Math.min(frames, seq + batch); i++) chunk += frameText(i);
          yield encoder.encode(chunk);
        }
        yield encoder.encode('data: {"type":"stop","content":{}}\n\n');
      })(),
});

async function round(): Promise<number> {
  const bridge = createLocalBridge({
    options: {
      ...defaultOptions(),
      rateLimit: 0,
      maxStreamsPerConnection: 1_000_000,
      maxStreams: 1_000_000,
      maxStreamsPerUser: 1_000_000,
    },
    upstreamUrl: 'http://upstream.invalid/chat',
    upstream,
    observer: createNodeMetrics().observer,
  });
  let bytes = 0;
  let stops = 0;
  let allStopped: () => void = () => {};
  const done = new Promise<void>((resolve) => (allStopped = resolve));
  const session = bridge.openSession(
    {
      protocol: 'ws',
      send(event, data) {
        bytes += toWsText(event, data).length;
        if (event === 'chat_response' && (data as { type: string }).type === 'stop') {
          if (++stops === streams) allStopped();
        }
      },
      bufferedBytes: () => 0,
    },
    { headers: {} },
  );
  const t0 = process.hrtime.bigint();
  for (let s = 0; s < streams; s++) session.receive('chat_message', { request_id: `r${s}` });
  await done;
  const ns = Number(process.hrtime.bigint() - t0);
  session.close();
  await bridge.close();
  if (bytes === 0) throw new Error('nothing was sent');
  return ns / (frames * streams);
}

const results: number[] = [];
await round(); // warm-up
for (let r = 0; r < rounds; r++) results.push(await round());
results.sort((a, b) => a - b);
console.log(
  `core: ${(results[Math.floor(results.length / 2)] as number).toFixed(0)} ns/frame median ` +
    `(${(results[0] as number).toFixed(0)}–${(results[results.length - 1] as number).toFixed(0)}), ` +
    `${frames} frames x ${streams} streams, ${batch} frames per chunk, ${push ? 'pushed' : 'iterated'}`,
);
