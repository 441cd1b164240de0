/**
 * `npx wrangler dev` on a free port serves a working bridge from wrangler.toml as committed: with
 * no upstream configured, the embedded demo backend answers over /ws and Socket.IO.
 */
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { onCleanup } from '../helpers/bridge.ts';
import { assertWellFormed, connectSio, connectWs } from '../helpers/clients.ts';
import { freePort, REPO_ROOT } from '../helpers/cli-process.ts';

async function waitForHealthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`wrangler dev did not come up at ${url}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

it('npx wrangler dev serves the bridge with the demo backend', { timeout: 90_000 }, async () => {
  const port = await freePort();
  const child = spawn('npx', ['wrangler', 'dev', '--port', String(port), '--ip', '127.0.0.1'], {
    cwd: REPO_ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c));
  child.stderr?.on('data', (c: Buffer) => (output += c));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  onCleanup(async () => {
    // wrangler starts workerd as a child: stop the whole group.
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    await exited;
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealthy(url, 60_000).catch((error: Error) => {
    throw new Error(`${error.message}\n${output}`);
  });

  const ws = await connectWs(url);
  ws.send({ event: 'chat_message', id: 1, data: { current_text: 'hello' } });
  const ack = await ws.inbox.waitFor((m) => m.id === 1);
  const frames = await ws.frames(ack.data.request_id, 20_000);
  assertWellFormed(frames);
  expect(frames[0]?.type).toBe('agent_status');
  expect(
    frames
      .filter((f) => f.type === 'text')
      .map((f) => f.content.data)
      .join(''),
  ).toContain('You said "hello"');

  const sio = await connectSio(url, { transports: ['websocket'] });
  const sioAck = await sio.request('chat_message', { current_text: 'hi' });
  assertWellFormed(await sio.frames(sioAck.request_id, 20_000));
});
