/**
 * Runs the real relay over a body given as bytes or text, split into chunks of `chunkBytes`, with
 * the core's injected UpstreamClient contract (the transport is tested elsewhere on real sockets).
 */
import type { Detection, UpstreamFormat } from '../../src/core/upstream/dialects/index.ts';
import type { Frame } from '../../src/core/protocol/frame.ts';
import type { SseEvent } from '../../src/core/upstream/sse-event.ts';
import type { UpstreamClient } from '../../src/core/upstream/client.ts';
import { relayUpstream } from '../../src/core/upstream/relay.ts';

/** What a relay run produced besides its frames. */
export interface RelayRun {
  frames: Frame[];
  detected: Detection[];
  unmapped: Array<{ dialect: string; event: SseEvent }>;
  dropped: Array<{ dialect: string; event: SseEvent }>;
}

/** Relay `body` (split every `chunkBytes`, or at the given offsets) and collect what came out. */
export async function relayBody(
  body: string | Uint8Array,
  format: UpstreamFormat,
  options: {
    headers?: Record<string, string>;
    chunkBytes?: number;
    splits?: readonly number[];
    /** The body fails (connection reset) after its last byte instead of ending. */
    abrupt?: boolean;
    /** @default 200 */
    status?: number;
  } = {},
): Promise<RelayRun> {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const headers = options.headers ?? {};
  const cuts = options.splits ?? [];
  const step = options.chunkBytes ?? 13;
  const client: UpstreamClient = async () => ({
    status: options.status ?? 200,
    contentType: headers['content-type'] ?? 'text/event-stream',
    header: (name) => headers[name] ?? null,
    body: (async function* () {
      if (options.splits) {
        let from = 0;
        for (const cut of [...cuts, bytes.length]) {
          if (cut > from) yield bytes.subarray(from, cut);
          from = Math.max(from, cut);
        }
      } else {
        for (let i = 0; i < bytes.length; i += step) yield bytes.subarray(i, i + step);
      }
      if (options.abrupt)
        throw Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    })(),
  });
  const run: RelayRun = { frames: [], detected: [], unmapped: [], dropped: [] };
  await relayUpstream({
    client,
    url: 'http://upstream.test/chat',
    body: '{}',
    headers: {},
    timeouts: { firstFrameTimeoutMs: 5_000, idleTimeoutMs: 5_000 },
    signal: new AbortController().signal,
    emit: (frame) => run.frames.push(frame),
    format,
    report: {
      detected: (detection) => run.detected.push(detection),
      unmapped: (dialect, event) => run.unmapped.push({ dialect, event }),
      dropped: (dialect, event) => run.dropped.push({ dialect, event }),
    },
  });
  return run;
}

/** The frames only. */
export async function relayFrames(
  body: string,
  format: UpstreamFormat,
  headers: Record<string, string> = {},
): Promise<Frame[]> {
  return (await relayBody(body, format, { headers })).frames;
}
