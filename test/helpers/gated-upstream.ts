/** An SSE upstream the test releases by hand: the answer pauses until `release()`. */
import type { ServerResponse } from 'node:http';
import { onCleanup } from './bridge.ts';
import { sseHead, startFakeUpstream } from './fake-upstream.ts';

/**
 * An upstream that sends `before` text frames (`w0`, `w1`, …), waits for `release()`, then `after`
 * more and a stop; with `after` below 0 it never ends the answer. Closed (and released) after the
 * test.
 */
export async function startGatedUpstream(before: number, after: number) {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const write = (res: ServerResponse, i: number) =>
    res.write(`data: ${JSON.stringify({ type: 'text', content: { data: `w${i}` } })}\n\n`);
  const upstream = await startFakeUpstream(async (_req, res) => {
    sseHead(res);
    for (let i = 0; i < before; i++) write(res, i);
    await released;
    for (let i = before; i < before + after; i++) write(res, i);
    if (after >= 0) res.end(`data: ${JSON.stringify({ type: 'stop', content: {} })}\n\n`);
  });
  onCleanup(() => {
    release();
    return upstream.close();
  });
  return { upstream, release };
}
