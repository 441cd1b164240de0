/**
 * The fault matrix: every way the upstream, a client or the process can fail. For each one the
 * client gets its coded `error` frame (where one applies) and its `stop` within a generous bound,
 * the process keeps serving, a healthy stream on the same connection and a healthy Socket.IO client
 * running at the same time both complete well-formed, and afterwards no socket, timer or listener
 * is left: resources are counted by type against a baseline taken with the bridge and the upstream
 * already running.
 */
import { once } from 'node:events';
import { get } from 'node:http';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { BridgeOptions } from '../../src/core/config/types.ts';
import type { NodeBridgeServer } from '../../src/node/server.ts';
import { onCleanup, startBridge } from '../helpers/bridge.ts';
import { toPairs } from '../helpers/chat.ts';
import { spawnCli } from '../helpers/cli-process.ts';
import {
  assertWellFormed,
  type ChatResponse,
  connectSio,
  connectWs,
  type SioClient,
  type WsClient,
} from '../helpers/clients.ts';
import {
  drained,
  endlessStream,
  finiteStream,
  firehose,
  type ScenarioUpstream,
  startScenarioUpstream,
  textEvent,
} from '../helpers/fault-upstream.ts';
import { sleep, sseHead, type UpstreamHandler } from '../helpers/fake-upstream.ts';
import {
  type ListenerProbe,
  processProbes,
  type Snapshot,
  settleToBaseline,
  takeSnapshot,
  waitUntilNone,
} from '../helpers/resources.ts';

/** Small timeouts, so every fault resolves in well under a second. */
const MATRIX_OPTIONS: Partial<BridgeOptions> = {
  firstFrameTimeoutMs: 400,
  idleTimeoutMs: 400,
  // The leak checks want the upstream request gone as soon as its client is.
  resumeGraceMs: 0,
  // Finished streams hold a retention timer; short, so the counts settle quickly.
  resumeRetentionMs: 500,
};
/** The bound every stop must arrive within (far above the timeouts: no timing is asserted). */
const STOP_BOUND_MS = 5_000;
/**
 * How long resources get to come back to the baseline after the clients closed. Above the
 * upstream pool's keep-alive (DEFAULT_KEEP_ALIVE_MS, 4 s): after an aborted upstream request,
 * undici 7 still connects once for it (the aborted request is still queued), and that idle
 * connection lives as long as the keep-alive; it must be gone by then, like everything else.
 */
const SETTLE_MS = 7_000;
/** Bridge memory for the big-input faults: bounded, whatever the upstream sends. */
const MAX_RSS_GROWTH_BYTES = 200 * 1024 * 1024;

const HEALTHY_FRAMES = 8;
const HEALTHY = finiteStream(HEALTHY_FRAMES, 60);
const HEALTHY_PAIRS = [
  ...Array.from({ length: HEALTHY_FRAMES }, (_, i) => ['text', { data: `h${i}` }]),
  ['stop', {}],
];

interface Rig {
  upstream: ScenarioUpstream;
  bridge: NodeBridgeServer;
  probes: ListenerProbe[];
  baseline: Snapshot;
}

/** Start the upstream (healthy plus `scenarios`) and a bridge, then take the baseline. */
async function startRig(
  scenarios: Record<string, UpstreamHandler>,
  overrides: Partial<BridgeOptions> = {},
): Promise<Rig> {
  const upstream = await startScenarioUpstream({ healthy: HEALTHY, ...scenarios });
  onCleanup(() => upstream.close());
  const bridge = await startBridge(upstream.url, { ...MATRIX_OPTIONS, ...overrides });
  const probes: ListenerProbe[] = [
    ...processProbes(),
    ...['upgrade', 'request', 'connection', 'close', 'error'].map((event) => ({
      label: `bridge server ${event}`,
      emitter: bridge.server,
      event,
    })),
  ];
  // Nothing is connected yet, so no TCP socket should be open (an earlier test's may still close).
  await waitUntilNone();
  return { upstream, bridge, probes, baseline: takeSnapshot(probes) };
}

let nextRequest = 0;
/** The resume token of each stream started here (another connection resumes with it). */
const resumeTokens = new Map<string, string>();

/** Send a chat_message for `scenario` on `/ws` and wait for its ack; the request id. */
async function startChat(client: WsClient, scenario: string): Promise<string> {
  const requestId = `${scenario}-${nextRequest++}`;
  client.send({ event: 'chat_message', id: requestId, data: { request_id: requestId, scenario } });
  const ack = await client.inbox.waitFor((m) => m.id === requestId, STOP_BOUND_MS, 'ack');
  expect(ack).toMatchObject({ event: 'ack', data: { request_id: requestId } });
  resumeTokens.set(requestId, ack.data.resume_token);
  return requestId;
}

/** Run `scenario` on `/ws` to its stop (within the bound), checked well-formed. */
async function chatUntilStop(client: WsClient, scenario: string): Promise<ChatResponse[]> {
  const startedAt = Date.now();
  const frames = await client.frames(await startChat(client, scenario), STOP_BOUND_MS);
  expect(Date.now() - startedAt).toBeLessThan(STOP_BOUND_MS);
  assertWellFormed(frames);
  return frames;
}

/** The stream failed with `code`: one error frame, then `stop {reason: "error"}`. */
function expectFailure(frames: ChatResponse[], code: string): Record<string, unknown> {
  expect(frames.filter((f) => f.type === 'error')).toHaveLength(1);
  const error = frames.at(-2);
  expect(error?.type).toBe('error');
  expect(error?.content).toMatchObject({ code, message: expect.any(String) });
  expect(frames.at(-1)?.content).toEqual({ reason: 'error' });
  return error?.content as Record<string, unknown>;
}

/** Healthy streams started now: one on `ws`, one on a new Socket.IO client. */
async function startNeighbours(rig: Rig, ws: WsClient) {
  const sio = await connectSio(rig.bridge.url, { transports: ['websocket'] });
  const wsRequest = await startChat(ws, 'healthy');
  const sioRequest = `sio-healthy-${nextRequest++}`;
  expect(await sio.request('chat_message', { request_id: sioRequest })).toEqual({
    request_id: sioRequest,
    resume_token: expect.any(String),
  });
  return {
    sio,
    /** Both are under way (their upstream connections are open). */
    async started() {
      await ws.inbox.waitFor((m) => m.data?.request_id === wsRequest, STOP_BOUND_MS);
      await sio.inbox.waitFor((m) => m.args[0]?.request_id === sioRequest, STOP_BOUND_MS);
    },
    /** Both completed, every frame in order, with the upstream's own stop. */
    async expectHealthy() {
      for (const frames of [await ws.frames(wsRequest), await sio.frames(sioRequest)]) {
        assertWellFormed(frames);
        expect(toPairs(frames)).toEqual(HEALTHY_PAIRS);
      }
    },
  };
}

/** GET /healthz on a connection of its own (no keep-alive socket left behind). */
function healthz(baseUrl: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(`${baseUrl}/healthz`, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

type AnyClient = WsClient | SioClient | WebSocket;

async function closeClient(client: AnyClient): Promise<void> {
  if (client instanceof WebSocket) {
    if (client.readyState === WebSocket.CLOSED) return;
    const closed = once(client, 'close');
    client.close();
    await closed;
  } else if ('socket' in client) {
    client.socket.close();
  } else {
    client.ws.close();
    await client.closed;
  }
}

/** What the bridge and the upstream still hold that they should not. */
function bridgeLeftovers(rig: Rig): string[] {
  const { bridge } = rig.bridge;
  const registry = bridge.registry as { stats?: { streams: number } };
  const problems: string[] = [];
  if (bridge.sessions.size > 0) problems.push(`${bridge.sessions.size} sessions`);
  if (bridge.runningStreams > 0) problems.push(`${bridge.runningStreams} running streams`);
  if ((registry.stats?.streams ?? 0) > 0) problems.push(`${registry.stats?.streams} retained`);
  const open = rig.upstream.requests.filter((r) => !r.isClosed()).length;
  if (open > 0) problems.push(`${open} upstream requests still open`);
  if (rig.upstream.openSockets() > 0)
    problems.push(`${rig.upstream.openSockets()} upstream sockets`);
  return problems;
}

/** The process still serves; then close the clients and expect everything back to the baseline. */
async function expectNoLeaks(rig: Rig, clients: AnyClient[]): Promise<void> {
  expect(await healthz(rig.bridge.url)).toBe(200);
  await Promise.all(clients.map(closeClient));
  const leftovers = await settleToBaseline(rig.baseline, rig.probes, {
    timeoutMs: SETTLE_MS,
    extra: () => bridgeLeftovers(rig),
  });
  expect(leftovers).toEqual([]);
}

/** Resolves within `ms` or fails naming `what`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The reason of the Socket.IO client's next disconnect. */
function disconnectOf(client: SioClient): Promise<string> {
  return new Promise((resolve) => client.socket.once('disconnect', (reason) => resolve(reason)));
}

/** Sample this process's RSS until stopped; resolves with the peak growth over the start. */
function watchRss(): { stop(): number } {
  const start = process.memoryUsage.rss();
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss()) - start;
    },
  };
}

/** A `/ws` client that files frames by request as they come (no scan per message). */
async function connectCountingWs(baseUrl: string) {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`);
  onCleanup(() => ws.terminate());
  const streams = new Map<string, { frames: ChatResponse[]; stopped: () => void }>();
  const stops = new Map<string, Promise<void>>();
  const track = (requestId: string) => {
    let stream = streams.get(requestId);
    if (!stream) {
      let stopped: () => void = () => {};
      stops.set(requestId, new Promise<void>((resolve) => (stopped = resolve)));
      stream = { frames: [], stopped };
      streams.set(requestId, stream);
    }
    return stream;
  };
  ws.on('message', (raw) => {
    const message = JSON.parse(String(raw)) as { event: string; data?: ChatResponse };
    if (message.event !== 'chat_response' || !message.data) return;
    const stream = track(message.data.request_id);
    stream.frames.push(message.data);
    if (message.data.type === 'stop') stream.stopped();
  });
  await once(ws, 'open');
  return {
    ws,
    start(requestId: string, scenario: string) {
      track(requestId);
      ws.send(JSON.stringify({ event: 'chat_message', data: { request_id: requestId, scenario } }));
    },
    async frames(requestId: string, timeoutMs: number): Promise<ChatResponse[]> {
      track(requestId);
      await within(stops.get(requestId) as Promise<void>, timeoutMs, `stop of ${requestId}`);
      return streams.get(requestId)?.frames ?? [];
    },
  };
}

describe('fault matrix: the upstream', () => {
  it('refuses the connection: upstream_unavailable, streams already running carry on', async () => {
    const rig = await startRig({});
    const ws = await connectWs(rig.bridge.url);
    const neighbours = await startNeighbours(rig, ws);
    await neighbours.started();
    // Nothing listens any more: the next connect is refused, the two open ones keep streaming.
    rig.upstream.stopListening();
    const frames = await chatUntilStop(ws, 'healthy');
    expect(frames).toHaveLength(2);
    expectFailure(frames, 'upstream_unavailable');
    await neighbours.expectHealthy();
    await expectNoLeaks(rig, [ws, neighbours.sio]);
  });

  it('answers 500: upstream_status with the status', async () => {
    const rig = await startRig({
      status500: (_req, res) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
      },
    });
    const ws = await connectWs(rig.bridge.url);
    const neighbours = await startNeighbours(rig, ws);
    const content = expectFailure(await chatUntilStop(ws, 'status500'), 'upstream_status');
    expect(content).toMatchObject({ status: 500, body: 'boom' });
    await neighbours.expectHealthy();
    await expectNoLeaks(rig, [ws, neighbours.sio]);
  });

  it('answers 401: upstream_status with status 401', async () => {
    const rig = await startRig({
      status401: (_req, res) => {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"no token"}');
      },
    });
    const ws = await connectWs(rig.bridge.url);
    const neighbours = await startNeighbours(rig, ws);
    const content = expectFailure(await chatUntilStop(ws, 'status401'), 'upstream_status');
    expect(content).toMatchObject({ status: 401, body: '{"error":"no token"}' });
    await neighbours.expectHealthy();
    await expectNoLeaks(rig, [ws, neighbours.sio]);
  });

  it('hangs before the headers: upstream_timeout, and the request is given up', async () => {
    const rig = await startRig({ hang: () => {} });
    const ws = await connectWs(rig.bridge.url);
    const neighbours = await startNeighbours(rig, ws);
    const frames = await chatUntilStop(ws, 'hang');
    expect(frames).toHaveLength(2);
    expectFailure(frames, 'upstream_timeout');
    await within(
      rig.upstream.requestFor(frames[0]?.request_id ?? '').then((r) => r.closed),
      STOP_BOUND_MS,
      'upstream request closed',
    );
    await neighbours.expectHealthy();
    await expectNoLeaks(rig, [ws, neighbours.sio]);
  });

  it('hangs mid-stream: upstream_timeout through the idle timeout', async () => {
    const rig = await startRig({
      hangMidStream: (_req, res) => {
        sseHead(res);
        res.write(textEvent('before the silence'));
      },
    });
    const ws = await connectWs(rig.bridge.url);
    const neighbours = await startNeighbours(rig, ws);
    const frames = await chatUntilStop(ws, 'hangMidStream');
    expect(toPairs(frames.slice(0, 1))).toEqual([['text', { data: 'before the silence' }]]);
    expect(expectFailure(frames, 'upstream_timeout').message).toMatch(/silent/);
    await neighbours.expectHealthy();
    await expectNoLeaks(rig, [ws, neighbours.sio]);
  });

  it('drops the connection mid-frame: upstream_closed, the partial frame is not sent', async () => {
    const rig = await startRig({
      drop: async (_req, res) => {
        sseHead(res);
        res.write(`${textEvent('whole')}data: {"type":"text","content":{"da`);
        await sleep(50);
        res.socket?.destroy();
      },
    });
    const ws = await connectWs(rig.bridge.url);
    const neighbours = await startNeighbours(rig, ws);
    const frames = await chatUntilStop(ws, 'drop');
    expect(frames).toHaveLength(3);
    expect(toPairs(frames.slice(0, 1))).toEqual([['text', { data: 'whole' }]]);
    expectFailure(frames, 'upstream_closed');
    await neighbours.expectHealthy();
    await expectNoLeaks(rig, [ws, neighbours.sio]);
  });

  it('sends invalid UTF-8: U+FFFD in the frames, exactly one stop, no crash', async () => {
    const rig = await startRig({
      badUtf8: (_req, res) => {
        sseHead(res);
        res.write(
          Buffer.concat([
            Buffer.from('data: {"type":"text","content":{"data":"a'),
            Buffer.from([0xff, 0xfe]),
            Buffer.from('b"}}\n\ndata: '),
            // A lead byte whose continuation never comes.
            Buffer.from([0xc3]),
            Buffer.from(' plain\n\n'),
          ]),
        );
        // The body ends inside a character, with no line end: no event, a clean end.
        res.end(Buffer.from([0xe4, 0xbd]));
      },
    });
    const ws = await connectWs(rig.bridge.url);
    const neighbours = await startNeighbours(rig, ws);
    const frames = await chatUntilStop(ws, 'badUtf8');
    expect(toPairs(frames)).toEqual([
      ['text', { data: 'a\uFFFD\uFFFDb' }],
      ['text', { data: '\uFFFD plain' }],
      ['stop', { reason: 'complete' }],
    ]);
    await neighbours.expectHealthy();
    await expectNoLeaks(rig, [ws, neighbours.sio]);
  });

  it('sends a 10 MB line: upstream_bad_response (over the 8 MiB event cap), memory bounded', async () => {
    const TEN_MB = 10 * 1024 * 1024;
    const rig = await startRig(
      {
        hugeLine: async (_req, res) => {
          sseHead(res);
          res.write('data: ');
          const piece = 'x'.repeat(64 * 1024);
          for (let sent = 0; sent < TEN_MB && !res.destroyed; sent += piece.length) {
            if (!res.write(piece)) await drained(res);
          }
          if (!res.destroyed) res.end(`\n\n${textEvent('after')}data: {"type":"stop"}\n\n`);
        },
      },
      // The 8 MiB cap must decide, not the first-frame timer. (Reading the line once cost
      // quadratic time in `auto` format and the timeout won the race; see the regression test in
      // sse-mapping.property.test.ts.)
      { firstFrameTimeoutMs: 5_000 },
    );
    const ws = await connectWs(rig.bridge.url);
    const neighbours = await startNeighbours(rig, ws);
    const rss = watchRss();
    const frames = await chatUntilStop(ws, 'hugeLine');
    expect(rss.stop()).toBeLessThan(MAX_RSS_GROWTH_BYTES);
    expect(frames).toHaveLength(2);
    expect(expectFailure(frames, 'upstream_bad_response').message).toMatch(/size limit/);
    await neighbours.expectHealthy();
    await expectNoLeaks(rig, [ws, neighbours.sio]);
  });

  it('sends 100,000 frames as fast as it can: all arrive in order, memory bounded', async () => {
    const COUNT = 100_000;
    const rig = await startRig(
      {
        flood: async (_req, res) => {
          sseHead(res);
          const BATCH = 500;
          for (let i = 0; i < COUNT && !res.destroyed; i += BATCH) {
            let chunk = '';
            for (let j = i; j < Math.min(i + BATCH, COUNT); j++) chunk += textEvent(String(j));
            if (!res.write(chunk)) await drained(res);
          }
          if (!res.destroyed) res.end('data: {"type":"stop"}\n\n');
        },
      },
      // The flood's client parses 100,000 frames in this same process: since the bridge batches
      // its writes, it reads them in bursts that can hold this process's timers past 400 ms, and
      // the healthy neighbours' 400 ms upstream timeouts would measure the test, not the bridge.
      { firstFrameTimeoutMs: 5_000, idleTimeoutMs: 5_000 },
    );
    const client = await connectCountingWs(rig.bridge.url);
    const sio = await connectSio(rig.bridge.url, { transports: ['websocket'] });
    const rss = watchRss();
    client.start('flood', 'flood');
    client.start('flood-neighbour', 'healthy');
    expect(await sio.request('chat_message', { request_id: 'sio-neighbour' })).toEqual({
      request_id: 'sio-neighbour',
      resume_token: expect.any(String),
    });
    const frames = await client.frames('flood', 30_000);
    expect(rss.stop()).toBeLessThan(MAX_RSS_GROWTH_BYTES);
    expect(frames).toHaveLength(COUNT + 1);
    assertWellFormed(frames);
    const outOfOrder = frames.slice(0, COUNT).findIndex((f, i) => f.content?.data !== String(i));
    expect(outOfOrder).toBe(-1);
    expect(frames.at(-1)?.content).toEqual({});
    for (const healthy of [
      await client.frames('flood-neighbour', STOP_BOUND_MS),
      await sio.frames('sio-neighbour', STOP_BOUND_MS),
    ]) {
      assertWellFormed(healthy);
      expect(toPairs(healthy)).toEqual(HEALTHY_PAIRS);
    }
    await expectNoLeaks(rig, [client.ws, sio]);
  }, 40_000);
});

describe('fault matrix: a client', () => {
  it('disconnects mid-stream (no resume grace): its upstream request is closed, the stream stopped once', async () => {
    const rig = await startRig({ endless: endlessStream(30) });
    const leaving = await connectWs(rig.bridge.url);
    const ws = await connectWs(rig.bridge.url);
    const neighbours = await startNeighbours(rig, ws);
    const requestId = await startChat(leaving, 'endless');
    await leaving.inbox.waitFor((m) => m.data?.request_id === requestId && m.data.seq === 2);
    const upstreamRequest = await rig.upstream.requestFor(requestId);
    leaving.ws.close();
    await within(upstreamRequest.closed, STOP_BOUND_MS, 'upstream request closed');
    // The stream ended with exactly one stop, `abandoned`: a resume (while retained) shows it.
    const resume_token = resumeTokens.get(requestId);
    const data = { request_id: requestId, after_seq: -1, resume_token };
    ws.send({ event: 'chat_resume', id: 'resume', data });
    expect(await ws.inbox.waitFor((m) => m.id === 'resume')).toMatchObject({ event: 'ack' });
    const frames = await ws.frames(requestId, STOP_BOUND_MS);
    assertWellFormed(frames);
    expect(frames.at(-1)?.content).toEqual({ reason: 'abandoned' });
    await neighbours.expectHealthy();
    await expectNoLeaks(rig, [leaving, ws, neighbours.sio]);
  });

  it('never reads: its stream stops being read, then it is dropped with 1013', async () => {
    const rig = await startRig(
      { firehose: firehose(1_000) },
      { sendHighWaterBytes: 16 * 1024, slowClientTimeoutMs: 1_000 },
    );
    const stuck = await connectWs(rig.bridge.url);
    const ws = await connectWs(rig.bridge.url);
    const neighbours = await startNeighbours(rig, ws);
    const requestId = await startChat(stuck, 'firehose');
    await stuck.inbox.waitFor((m) => m.data?.request_id === requestId);
    (stuck.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const sessions = rig.bridge.bridge.sessions;
    const deadline = Date.now() + 10_000;
    while (sessions.size > 2 && Date.now() < deadline) await sleep(50);
    expect(sessions.size).toBe(2);
    (stuck.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await within(stuck.closed, STOP_BOUND_MS, 'close')).code).toBe(1013);
    // With no resume grace, the stream nobody receives is abandoned and its request closed.
    await within((await rig.upstream.requestFor(requestId)).closed, STOP_BOUND_MS, 'upstream');
    await neighbours.expectHealthy();
    await expectNoLeaks(rig, [stuck, ws, neighbours.sio]);
  });

  it('floods messages: rate_limited, then closed with 1008; others are fine', async () => {
    const rig = await startRig({ endless: endlessStream(30) }, { rateLimit: 5, rateLimitBurst: 5 });
    const flooder = await connectWs(rig.bridge.url);
    const ws = await connectWs(rig.bridge.url);
    const neighbours = await startNeighbours(rig, ws);
    const requestId = await startChat(flooder, 'endless');
    for (let i = 0; i < 60; i++) flooder.send({ event: 'ping', id: i });
    expect((await within(flooder.closed, STOP_BOUND_MS, 'close')).code).toBe(1008);
    const codes = flooder.inbox.items.filter((m) => m.event === 'error').map((m) => m.data?.code);
    expect(codes.length).toBeGreaterThan(0);
    expect(new Set(codes)).toEqual(new Set(['rate_limited']));
    await within((await rig.upstream.requestFor(requestId)).closed, STOP_BOUND_MS, 'upstream');
    await neighbours.expectHealthy();
    await expectNoLeaks(rig, [flooder, ws, neighbours.sio]);
  });

  it('sends malformed messages: bad_message / bad_request, the connection keeps streaming', async () => {
    const rig = await startRig({});
    const ws = await connectWs(rig.bridge.url);
    const neighbours = await startNeighbours(rig, ws);
    ws.send('not json');
    ws.send('[1,2]');
    ws.send('{"event":5,"id":"no-event"}');
    ws.send({ event: 'chat_message', id: 'not-object', data: 'text' });
    ws.ws.send(Buffer.from([0xff, 0x00, 0x01]));
    await ws.inbox.waitFor((m) => m.id === 'not-object');
    await ws.inbox.waitFor((m) => m.event === 'error' && m.data?.message?.includes('binary'));
    // Envelope errors are answered at once, event-data errors after the session's queue: compare
    // without order.
    const errors = ws.inbox.items.filter((m) => m.event === 'error');
    expect(errors.map((m) => `${m.id ?? '-'} ${m.data?.code}`).sort()).toEqual([
      '- bad_message',
      '- bad_message',
      '- bad_message',
      'no-event bad_message',
      'not-object bad_request',
    ]);
    await neighbours.expectHealthy();
    expect(toPairs(await chatUntilStop(ws, 'healthy'))).toEqual(HEALTHY_PAIRS);
    await expectNoLeaks(rig, [ws, neighbours.sio]);
  });

  it('sends a message over --max-message-bytes: /ws closes 1009, Socket.IO disconnects', async () => {
    const rig = await startRig({ endless: endlessStream(30) }, { maxMessageBytes: 4_096 });
    const big = await connectWs(rig.bridge.url);
    const bigSio = await connectSio(rig.bridge.url, { transports: ['websocket'] });
    const ws = await connectWs(rig.bridge.url);
    const neighbours = await startNeighbours(rig, ws);
    const requestId = await startChat(big, 'endless');
    big.send({ event: 'chat_message', data: { current_text: 'x'.repeat(5_000) } });
    expect((await within(big.closed, STOP_BOUND_MS, 'close')).code).toBe(1009);
    await within((await rig.upstream.requestFor(requestId)).closed, STOP_BOUND_MS, 'upstream');
    const disconnected = disconnectOf(bigSio);
    bigSio.socket.emit('chat_message', { current_text: 'x'.repeat(5_000) });
    expect(await within(disconnected, STOP_BOUND_MS, 'disconnect')).toBe('transport close');
    await neighbours.expectHealthy();
    await expectNoLeaks(rig, [big, bigSio, ws, neighbours.sio]);
  });

  it('goes half-open (no pongs): it is terminated and its upstream request closed', async () => {
    const rig = await startRig(
      { endless: endlessStream(30) },
      // Client and bridge share one event loop: a timeout well above one loop stall under a
      // parallel test run, so only the silent client is dropped.
      { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 300 },
    );
    const silent = new WebSocket(`${rig.bridge.url.replace(/^http/, 'ws')}/ws`, {
      autoPong: false,
    });
    onCleanup(() => silent.terminate());
    const closed = once(silent, 'close');
    await once(silent, 'open');
    const requestId = 'half-open';
    silent.send(
      JSON.stringify({
        event: 'chat_message',
        data: { request_id: requestId, scenario: 'endless' },
      }),
    );
    const upstreamRequest = await rig.upstream.requestFor(requestId);
    const ws = await connectWs(rig.bridge.url);
    const neighbours = await startNeighbours(rig, ws);
    // Terminated, not closed: no close frame.
    expect((await within(closed, STOP_BOUND_MS, 'terminated'))[0]).toBe(1006);
    await within(upstreamRequest.closed, STOP_BOUND_MS, 'upstream request closed');
    await neighbours.expectHealthy();
    await expectNoLeaks(rig, [silent, ws, neighbours.sio]);
  });
});

describe('fault matrix: the process', () => {
  it('SIGTERM mid-stream: server_shutdown, exactly one stop, close 1001, exit 0', async () => {
    const upstream = await startScenarioUpstream({
      healthy: HEALTHY,
      endless: endlessStream(30),
    });
    onCleanup(() => upstream.close());
    const probes = processProbes();
    await waitUntilNone();
    const baseline = takeSnapshot(probes);
    const cli = spawnCli(['--port', '0', '--upstream', upstream.url, '--drain-timeout', '1500']);
    const url = await cli.listeningUrl();
    const ws = await connectWs(url);
    const sio = await connectSio(url, { transports: ['websocket'] });
    const sioDisconnected = disconnectOf(sio);
    const endless = await startChat(ws, 'endless');
    await ws.inbox.waitFor((m) => m.data?.request_id === endless);
    const healthy = await startChat(ws, 'healthy');
    expect(await sio.request('chat_message', { request_id: 'sio-healthy' })).toEqual({
      request_id: 'sio-healthy',
      resume_token: expect.any(String),
    });

    cli.child.kill('SIGTERM');
    const notice = await ws.inbox.waitFor((m) => m.event === 'server_shutdown', STOP_BOUND_MS);
    expect(notice.data).toEqual({ code: 'server_shutdown', message: expect.any(String) });
    // The short streams finish within the drain timeout; the endless one is cancelled at it.
    for (const frames of [await ws.frames(healthy), await sio.frames('sio-healthy')]) {
      assertWellFormed(frames);
      expect(toPairs(frames)).toEqual(HEALTHY_PAIRS);
    }
    expect((await within(ws.closed, STOP_BOUND_MS + 1_500, 'close')).code).toBe(1001);
    expect(await within(sioDisconnected, STOP_BOUND_MS, 'socket.io disconnect')).toBe(
      'io server disconnect',
    );
    expect(await within(cli.exited, STOP_BOUND_MS, 'exit')).toEqual({ code: 0, signal: null });
    const frames = ws.inbox.items
      .filter((m) => m.event === 'chat_response' && m.data?.request_id === endless)
      .map((m) => m.data as ChatResponse);
    assertWellFormed(frames);
    expect(frames.at(-1)?.content).toEqual({ reason: 'cancelled' });
    expect(cli.stderr()).toBe('');

    sio.socket.close();
    const leftovers = await settleToBaseline(baseline, probes, {
      timeoutMs: SETTLE_MS,
      extra: () => {
        const open = upstream.requests.filter((r) => !r.isClosed()).length;
        return [
          ...(open > 0 ? [`${open} upstream requests still open`] : []),
          ...(upstream.openSockets() > 0 ? [`${upstream.openSockets()} upstream sockets`] : []),
        ];
      },
    });
    expect(leftovers).toEqual([]);
  }, 30_000);
});
