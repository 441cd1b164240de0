/**
 * A fake upstream answering like the demo backend (an agent_status, then the demo answer word by
 * word, then stop) at a chosen pace, so a test can cut a connection while words are still coming.
 */
import { toDemoAnswer } from '../../src/core/http/demo-backend.ts';
import { onCleanup } from '../helpers/bridge.ts';
import {
  type FakeUpstream,
  sleep,
  sseFrames,
  sseHead,
  startFakeUpstream,
} from '../helpers/fake-upstream.ts';

/** The status line the upstream sends first. */
export const WORD_UPSTREAM_STATUS = 'Thinking slowly…';

/** Start it; closed after the test. */
export async function startWordUpstream(wordDelayMs: number): Promise<FakeUpstream> {
  const upstream = await startFakeUpstream(async (_req, res, recorded) => {
    const body = JSON.parse(recorded.body) as { current_text?: unknown };
    const words = toDemoAnswer(String(body.current_text ?? '')).split(' ');
    sseHead(res);
    res.write(
      sseFrames({
        type: 'agent_status',
        content: { status: 'running', message: WORD_UPSTREAM_STATUS },
      }),
    );
    for (const [i, word] of words.entries()) {
      await sleep(wordDelayMs);
      if (res.destroyed) return;
      res.write(sseFrames({ type: 'text', content: { data: i === 0 ? word : ` ${word}` } }));
    }
    res.end(sseFrames({ type: 'stop' }));
  });
  onCleanup(() => upstream.close());
  return upstream;
}
