/**
 * Graceful shutdown of the real `sse2ws` process: SIGTERM while a `/ws` and a Socket.IO stream
 * run. Readiness turns 503, new clients are refused, connected ones get `server_shutdown`, the
 * streams end with exactly one stop (their own, or a cancel at the drain timeout), the sockets
 * close with 1001 and the process exits 0.
 */
import { describe, expect, it } from 'vitest';
import { onCleanup } from '../helpers/bridge.ts';
import { spawnCli } from '../helpers/cli-process.ts';
import {
  assertWellFormed,
  type ChatResponse,
  connectSio,
  connectWs,
  type SioClient,
  type WsClient,
} from '../helpers/clients.ts';
import { sleep, sseHead, startFakeUpstream } from '../helpers/fake-upstream.ts';

// Each test starts `node bin/sse2ws.js` (the built dist/): generous budgets, no timing.
const CLI_TIMEOUT_MS = 40_000;

const SHUTDOWN_NOTICE = {
  code: 'server_shutdown',
  message: 'the server is shutting down; reconnect',
};

const text = (data: string) => `data: ${JSON.stringify({ type: 'text', content: { data } })}\n\n`;

/**
 * HEAD (the readiness probe) gets 204. A chat with `current_text: "endless"` streams a frame every
 * 50 ms until the bridge hangs up; any other sends one frame, waits for `release()`, then sends
 * two more and its own stop.
 */
async function startDrainUpstream() {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const upstream = await startFakeUpstream(async (req, res, recorded) => {
    if (req.method === 'HEAD') {
      res.writeHead(204).end();
      return;
    }
    sseHead(res);
    res.write(text('first'));
    if (JSON.parse(recorded.body).current_text === 'endless') {
      for (let i = 0; !res.destroyed && !res.writableEnded; i++) {
        await sleep(50);
        res.write(text(`more ${i}`));
      }
      return;
    }
    await Promise.race([released, recorded.closed]);
    if (!res.destroyed) res.end(`${text('second')}${text('third')}data: {"type":"stop"}\n\n`);
  });
  onCleanup(() => upstream.close());
  return { url: upstream.url, release };
}

async function startWsStream(client: WsClient, data: Record<string, unknown>): Promise<string> {
  client.send({ event: 'chat_message', data, id: 'start' });
  const ack = await client.inbox.waitFor((m) => m.id === 'start', 10_000, 'ws ack');
  const requestId = ack.data?.request_id as string;
  await client.inbox.waitFor(
    (m) => m.event === 'chat_response' && m.data?.request_id === requestId,
    10_000,
    'first ws frame',
  );
  return requestId;
}

async function startSioStream(client: SioClient, data: Record<string, unknown>): Promise<string> {
  const ack = await client.request('chat_message', data);
  const requestId = ack.request_id as string;
  await client.inbox.waitFor(
    (m) => m.event === 'chat_response' && m.args[0]?.request_id === requestId,
    10_000,
    'first socket.io frame',
  );
  return requestId;
}

/** Every frame of the request a client got, however long after the stop it waited. */
function allWsFrames(client: WsClient, requestId: string): ChatResponse[] {
  return client.inbox.items
    .filter((m) => m.event === 'chat_response' && m.data?.request_id === requestId)
    .map((m) => m.data as ChatResponse);
}

function allSioFrames(client: SioClient, requestId: string): ChatResponse[] {
  return client.inbox.items
    .filter((m) => m.event === 'chat_response' && m.args[0]?.request_id === requestId)
    .map((m) => m.args[0] as ChatResponse);
}

/** Start the CLI against `upstreamUrl`, with one `/ws` and one Socket.IO client connected. */
async function startRig(upstreamUrl: string, drainTimeoutMs: number) {
  const cli = spawnCli([
    '--port',
    '0',
    '--upstream',
    upstreamUrl,
    '--drain-timeout',
    String(drainTimeoutMs),
  ]);
  const url = await cli.listeningUrl();
  const ws = await connectWs(url);
  const sio = await connectSio(url, { transports: ['websocket'] });
  const sioDisconnected = new Promise<string>((resolve) => sio.socket.once('disconnect', resolve));
  return { cli, url, ws, sio, sioDisconnected };
}

describe('SIGTERM drains the sse2ws process', () => {
  it(
    'refuses new clients, tells connected ones, lets running streams finish, then exits 0',
    async () => {
      const upstream = await startDrainUpstream();
      const { cli, url, ws, sio, sioDisconnected } = await startRig(upstream.url, 20_000);
      const wsRequest = await startWsStream(ws, { current_text: 'short' });
      const sioRequest = await startSioStream(sio, { current_text: 'short' });

      cli.child.kill('SIGTERM');
      await cli.waitForLog('drain: /readyz answers 503 and new connections are refused');

      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'draining' });
      await expect(connectWs(url)).rejects.toThrow(/503/);
      const refused: unknown = await connectSio(url, { transports: ['websocket'] }).then(
        () => 'connected',
        (error: { data?: unknown }) => error.data,
      );
      expect(refused).toEqual(SHUTDOWN_NOTICE);

      const wsNotice = await ws.inbox.waitFor((m) => m.event === 'server_shutdown');
      expect(wsNotice.data).toEqual(SHUTDOWN_NOTICE);
      const sioNotice = await sio.inbox.waitFor((m) => m.event === 'server_shutdown');
      expect(sioNotice.args).toEqual([SHUTDOWN_NOTICE]);

      // The streams are still running: they finish with their own stop.
      upstream.release();
      for (const frames of [await ws.frames(wsRequest), await sio.frames(sioRequest)]) {
        assertWellFormed(frames);
        expect(frames.map((f) => [f.type, f.content])).toEqual([
          ['text', { data: 'first' }],
          ['text', { data: 'second' }],
          ['text', { data: 'third' }],
          ['stop', {}],
        ]);
      }

      expect((await ws.closed).code).toBe(1001);
      expect(await sioDisconnected).toBe('io server disconnect');
      expect(await cli.exited).toEqual({ code: 0, signal: null });
      expect(cli.stderr()).toBe('');
      const messages = cli.logs.items.map((l) => l.msg);
      expect(messages).toContain('drain: every stream finished');
      expect(messages).toContain('drain: closing client connections');
      expect(messages).not.toContain('drain: timeout, cancelling the remaining streams');
      expect(messages).not.toContain('drain: cutting connections that did not close');
      expect(messages.at(-1)).toBe('shutdown complete');
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'cancels streams still running at the drain timeout, each with exactly one stop',
    async () => {
      const upstream = await startDrainUpstream();
      const { cli, ws, sio, sioDisconnected } = await startRig(upstream.url, 300);
      const wsRequest = await startWsStream(ws, { current_text: 'endless' });
      const sioRequest = await startSioStream(sio, { current_text: 'endless' });

      cli.child.kill('SIGTERM');
      const wsNotice = await ws.inbox.waitFor((m) => m.event === 'server_shutdown');
      expect(wsNotice.data).toEqual(SHUTDOWN_NOTICE);
      await sio.inbox.waitFor((m) => m.event === 'server_shutdown');

      expect((await ws.closed).code).toBe(1001);
      expect(await sioDisconnected).toBe('io server disconnect');
      expect(await cli.exited).toEqual({ code: 0, signal: null });

      // Everything has arrived now: exactly one stop each, the cancel, last.
      for (const frames of [allWsFrames(ws, wsRequest), allSioFrames(sio, sioRequest)]) {
        assertWellFormed(frames);
        expect(frames.length).toBeGreaterThan(1);
        expect(frames.at(-1)?.content).toEqual({ reason: 'cancelled' });
      }
      const timeout = await cli.waitForLog('drain: timeout, cancelling the remaining streams');
      expect(timeout.streams).toBe(2);
      expect(cli.stderr()).toBe('');
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'cuts the drain short on a second signal: the streams are cancelled at once',
    async () => {
      const upstream = await startDrainUpstream();
      // A drain timeout far beyond the test's budget: only the second signal can end the drain.
      const { cli, ws, sio, sioDisconnected } = await startRig(upstream.url, 600_000);
      const wsRequest = await startWsStream(ws, { current_text: 'endless' });
      const sioRequest = await startSioStream(sio, { current_text: 'endless' });

      cli.child.kill('SIGTERM');
      await ws.inbox.waitFor((m) => m.event === 'server_shutdown');
      cli.child.kill('SIGTERM');
      expect(await cli.waitForLog('second signal: cancelling running streams now')).toMatchObject({
        streams: 2,
      });

      expect((await ws.closed).code).toBe(1001);
      expect(await sioDisconnected).toBe('io server disconnect');
      expect(await cli.exited).toEqual({ code: 0, signal: null });
      for (const frames of [allWsFrames(ws, wsRequest), allSioFrames(sio, sioRequest)]) {
        assertWellFormed(frames);
        expect(frames.at(-1)?.content).toEqual({ reason: 'cancelled' });
      }
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'logs a stream and a shutdown at info without tokens, cookies or message bodies',
    async () => {
      const upstream = await startDrainUpstream();
      upstream.release();
      const secrets = {
        upstreamKey: 'UPSTREAM-KEY-SECRET',
        wsToken: 'WS-TOKEN-SECRET',
        cookie: 'COOKIE-SECRET',
        authorization: 'AUTH-HEADER-SECRET',
        sioToken: 'SIO-TOKEN-SECRET',
        body: 'BODY-SECRET',
      };
      const cli = spawnCli([
        '--port',
        '0',
        '--upstream',
        `${upstream.url}?key=${secrets.upstreamKey}`,
        '--log-level',
        'info',
      ]);
      const url = await cli.listeningUrl();
      const ws = await connectWs(url, {
        query: `token=${secrets.wsToken}`,
        headers: { cookie: `session=${secrets.cookie}` },
      });
      const sio = await connectSio(url, {
        transports: ['websocket'],
        auth: { token: secrets.sioToken },
        extraHeaders: { authorization: `Bearer ${secrets.authorization}` },
      });
      const wsRequest = await startWsStream(ws, { current_text: 'short', note: secrets.body });
      const sioRequest = await startSioStream(sio, { current_text: 'short', note: secrets.body });
      await ws.frames(wsRequest);
      await sio.frames(sioRequest);
      await cli.waitForLog('stream finished');

      expect(await cli.stop()).toEqual({ code: 0, signal: null });
      const finished = cli.logs.items.filter((l) => l.msg === 'stream finished');
      expect(finished.map((l) => l.requestId).sort()).toEqual([wsRequest, sioRequest].sort());
      for (const line of finished) {
        expect(line).toMatchObject({ level: 30, frames: 4, outcome: 'complete' });
        // Issue 15: the log line says which dialect was detected, and why.
        expect(line).toMatchObject({ dialect: 'legacy', dialectReason: expect.any(String) });
        expect(typeof line.durationMs).toBe('number');
      }
      const listening = cli.logs.items.find((l) => l.msg === 'sse2ws listening');
      expect(listening?.upstream).toBe(`${upstream.url}?key=redacted`);
      for (const secret of Object.values(secrets)) expect(cli.stdout()).not.toContain(secret);
    },
    CLI_TIMEOUT_MS,
  );
});
