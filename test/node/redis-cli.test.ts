/**
 * The CLI with `--redis-url` pointing at no Redis: it starts (not ready), answers
 * `store_unavailable`, never logs the URL's password, and still shuts down cleanly.
 */
import { expect, it } from 'vitest';
import { connectWs } from '../helpers/clients.ts';
import { freePort, spawnCli } from '../helpers/cli-process.ts';

it('starts without Redis, reports it, keeps the password out of the logs, and exits 0 on SIGTERM', async () => {
  const port = await freePort();
  const cli = spawnCli(['--port', '0', '--no-playground'], {
    SSE2WS_REDIS_URL: `redis://:hunter2@127.0.0.1:${port}`,
  });
  const url = await cli.listeningUrl();
  const readyz = await fetch(`${url}/readyz`);
  expect(readyz.status).toBe(503);
  expect(await readyz.json()).toMatchObject({ reason: expect.stringMatching(/^store: /) });
  const client = await connectWs(url);
  client.send({ event: 'chat_message', id: 1, data: { current_text: 'hi' } });
  const answer = await client.inbox.waitFor((m) => m.id === 1);
  expect(answer).toMatchObject({ event: 'error', data: { code: 'store_unavailable' } });
  expect(await cli.waitForLog('redis unavailable; reconnecting')).toMatchObject({
    redis: `redis://:redacted@127.0.0.1:${port}`,
  });
  expect(await cli.stop()).toEqual({ code: 0, signal: null });
  expect(cli.stdout() + cli.stderr()).not.toContain('hunter2');
});
