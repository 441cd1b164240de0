/** A deterministic upstream: `n` text frames `f0 f1 …` every `everyMs` (0: all at once), then stop. */
import { onCleanup } from '../helpers/bridge.ts';
import { type FakeUpstream, sleep, sseHead, startFakeUpstream } from '../helpers/fake-upstream.ts';

export async function startCountingUpstream(n: number, everyMs: number): Promise<FakeUpstream> {
  const upstream = await startFakeUpstream(async (_req, res) => {
    sseHead(res);
    if (everyMs === 0) {
      // As fast as the socket takes it: one write.
      const all = Array.from(
        { length: n },
        (_, i) => `data: {"type":"text","content":{"data":"f${i}"}}\n\n`,
      );
      res.end(`${all.join('')}data: {"type":"stop"}\n\n`);
      return;
    }
    for (let i = 0; i < n && !res.destroyed; i++) {
      res.write(`data: ${JSON.stringify({ type: 'text', content: { data: `f${i}` } })}\n\n`);
      await sleep(everyMs);
    }
    if (!res.destroyed) res.end('data: {"type":"stop"}\n\n');
  });
  onCleanup(() => upstream.close());
  return upstream;
}

/** The frames an uninterrupted run of {@link startCountingUpstream} produces. */
export function expectedFrames(n: number, requestId: string) {
  const frames = Array.from({ length: n }, (_, i) => ({
    type: 'text',
    content: { data: `f${i}` },
    request_id: requestId,
    seq: i,
  }));
  return [...frames, { type: 'stop', content: {}, request_id: requestId, seq: n }];
}
