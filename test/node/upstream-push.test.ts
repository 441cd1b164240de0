/**
 * The Node upstream client pushes each body chunk from undici's parser callback into the relay
 * (no async iterator). These run the real relay over the real client against real HTTP servers:
 * no room pauses the socket (the upstream's writes block, no frame is emitted), and a cancel
 * mid-chunk or while paused ends with exactly one stop and closes the upstream request.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/core/protocol/frame.ts';
import { relayUpstream, type RelayInput } from '../../src/core/upstream/relay.ts';
import { createNodeUpstream } from '../../src/node/upstream.ts';
import { onCleanup } from '../helpers/bridge.ts';
import { sleep, sseHead, startFakeUpstream } from '../helpers/fake-upstream.ts';

const text = (i: number, pad = 0) =>
  `data: ${JSON.stringify({ type: 'text', content: { data: `${i}${'x'.repeat(pad)}` } })}\n\n`;

function startClient() {
  const upstream = createNodeUpstream({ connectTimeoutMs: 5_000 });
  onCleanup(() => upstream.close());
  return upstream.client;
}

function relay(url: string, overrides: Partial<RelayInput> & { emit: RelayInput['emit'] }) {
  return relayUpstream({
    client: startClient(),
    url,
    body: '{}',
    headers: { 'content-type': 'application/json' },
    timeouts: { firstFrameTimeoutMs: 5_000, idleTimeoutMs: 5_000 },
    signal: new AbortController().signal,
    format: 'legacy',
    ...overrides,
  });
}

/** Resolves when `res` drains or closes (one listener each, removed after). */
const writable = (res: ServerResponse) =>
  new Promise<void>((resolve) => {
    const go = (): void => {
      res.off('drain', go);
      res.off('close', go);
      resolve();
    };
    res.on('drain', go);
    res.on('close', go);
  });

const stops = (frames: Frame[]) => frames.filter((f) => f.type === 'stop');

describe('node upstream push body', () => {
  it('pauses the upstream socket while there is no room, then relays every frame in order', async () => {
    const total = 2_000;
    // 16 KB frames: 32 MB in all, far beyond what the loopback buffers hold.
    const written = { bytes: 0, frames: 0 };
    const upstream = await startFakeUpstream(async (_req, res: ServerResponse) => {
      sseHead(res);
      for (let i = 0; i < total && !res.destroyed; i++) {
        const chunk = text(i, 16 * 1024);
        written.bytes += chunk.length;
        written.frames++;
        if (!res.write(chunk)) await writable(res);
      }
      if (!res.destroyed) res.end('data: {"type":"stop"}\n\n');
    });
    onCleanup(() => upstream.close());

    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    let flowing = false;
    const frames: Frame[] = [];
    const done = relay(upstream.url, {
      emit: (frame) => frames.push(frame),
      whenFlowing: () => (flowing ? undefined : gate),
    });

    await upstream.request(0);
    let last = -1;
    while (written.bytes !== last) {
      last = written.bytes;
      await sleep(300);
    }
    const emittedWhilePaused = frames.length;
    await sleep(300);
    // The upstream is blocked on its socket, and nothing more was read meanwhile.
    expect(written.frames).toBeLessThan(total);
    expect(frames.length).toBe(emittedWhilePaused);
    expect(emittedWhilePaused).toBeLessThan(written.frames);

    flowing = true;
    open();
    await done;
    expect(frames).toHaveLength(total + 1);
    frames.slice(0, total).forEach((frame, i) => {
      expect(frame.type).toBe('text');
      expect((frame.content as { data: string }).data.startsWith(`${i}x`)).toBe(true);
    });
    // The upstream's own stop, forwarded as it is.
    expect(stops(frames)).toEqual([{ type: 'stop', content: {} }]);
  });

  it('a cancel in the middle of a chunk ends with exactly one stop and closes the request', async () => {
    const upstream = await startFakeUpstream(async (_req, res: ServerResponse) => {
      sseHead(res);
      // Three events per chunk, until the bridge goes away.
      for (let i = 0; !res.destroyed; i += 3) {
        res.write(text(i) + text(i + 1) + text(i + 2));
        await sleep(10);
      }
    });
    onCleanup(() => upstream.close());
    const cancel = new AbortController();
    const frames: Frame[] = [];
    await relay(upstream.url, {
      signal: cancel.signal,
      emit: (frame) => {
        frames.push(frame);
        // The second event of the third chunk: the abort runs inside undici's data callback.
        if (frames.length === 8) cancel.abort();
      },
    });
    expect(stops(frames)).toEqual([{ type: 'stop', content: { reason: 'cancelled' } }]);
    expect(frames.at(-1)?.type).toBe('stop');
    await (
      await upstream.request(0)
    ).closed;
  });

  it('a cancel while the body is paused ends with exactly one stop and closes the request', async () => {
    const upstream = await startFakeUpstream(async (_req, res: ServerResponse) => {
      sseHead(res);
      for (let i = 0; !res.destroyed; i++) {
        res.write(text(i));
        await sleep(5);
      }
    });
    onCleanup(() => upstream.close());
    const cancel = new AbortController();
    const frames: Frame[] = [];
    const done = relay(upstream.url, {
      signal: cancel.signal,
      emit: (frame) => frames.push(frame),
      // Never any room: the body stays paused after its first chunk.
      whenFlowing: () => new Promise<void>(() => {}),
    });
    await upstream.request(0);
    await sleep(100);
    const before = frames.length;
    cancel.abort();
    await done;
    expect(frames.length).toBe(before + 1);
    expect(stops(frames)).toEqual([{ type: 'stop', content: { reason: 'cancelled' } }]);
    await (
      await upstream.request(0)
    ).closed;
  });

  it('a cancel before the response head ends with one stop without waiting for it', async () => {
    const upstream = await startFakeUpstream(() => {
      // Never answers.
    });
    onCleanup(() => upstream.close());
    const cancel = new AbortController();
    const frames: Frame[] = [];
    const done = relay(upstream.url, {
      signal: cancel.signal,
      emit: (frame) => frames.push(frame),
    });
    await upstream.request(0);
    cancel.abort();
    await done;
    expect(frames).toEqual([{ type: 'stop', content: { reason: 'cancelled' } }]);
    await (
      await upstream.request(0)
    ).closed;
  });

  it('an upstream silent past the idle timeout fails the stream once', async () => {
    const upstream = await startFakeUpstream((_req, res: ServerResponse) => {
      sseHead(res);
      res.write(text(0));
    });
    onCleanup(() => upstream.close());
    const frames: Frame[] = [];
    await relay(upstream.url, {
      timeouts: { firstFrameTimeoutMs: 5_000, idleTimeoutMs: 200 },
      emit: (frame) => frames.push(frame),
    });
    expect(frames.map((f) => f.type)).toEqual(['text', 'error', 'stop']);
    expect(frames[1]?.content).toMatchObject({ code: 'upstream_timeout' });
    expect(stops(frames)).toEqual([{ type: 'stop', content: { reason: 'error' } }]);
  });
});
