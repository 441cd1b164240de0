/** An upstream that streams a text frame every `everyMs` until the bridge hangs up. */
import { onCleanup } from '../helpers/bridge.ts';
import { type FakeUpstream, sleep, sseHead, startFakeUpstream } from '../helpers/fake-upstream.ts';

export async function startSlowUpstream(everyMs = 20): Promise<FakeUpstream> {
  const upstream = await startFakeUpstream(async (_req, res) => {
    sseHead(res);
    for (let i = 0; !res.destroyed && !res.writableEnded; i++) {
      res.write(`data: ${JSON.stringify({ type: 'text', content: { data: `t${i} ` } })}\n\n`);
      await sleep(everyMs);
    }
  });
  onCleanup(() => upstream.close());
  return upstream;
}

/** Resolves true if `p` settles within `ms`, false otherwise. */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const result = await Promise.race([p.then(() => true as const), timeout]);
  clearTimeout(timer);
  return result;
}
