/**
 * Soak: many concurrent streaming clients (half `/ws`, half socket.io-client over WebSocket)
 * against an in-process bridge and a fake SSE upstream, for minutes; each client sends its next
 * chat_message as soon as its stream stops. Afterwards every client closes and the script prints
 * baseline / peak / after for RSS and open handles, plus frames and errors. It exits 1 when memory
 * or handles did not come back (or any stream broke the frame contract), so it can gate a release.
 *
 *   npm run soak                                  # 500 clients for 5 minutes
 *   SOAK_SECONDS=20 SOAK_CLIENTS=100 npm run soak # a quick check
 *
 * Outside the default test run: it takes minutes and measures the machine as much as the code.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { defaultOptions } from '../src/core/config/resolve.ts';
import { startNodeServer } from '../src/node/server.ts';

/** How long the clients stream. */
const SECONDS = envNumber('SOAK_SECONDS', 300);
/** Concurrent clients, alternately `/ws` and Socket.IO. */
const CLIENTS = envNumber('SOAK_CLIENTS', 500);
/** Upstream pace: a token every 50 ms is a brisk LLM. */
const FRAME_MS = envNumber('SOAK_FRAME_MS', 50);
/** Frames per answer (then the upstream's stop): 100 x 50 ms = 5 s answers. */
const STREAM_FRAMES = envNumber('SOAK_STREAM_FRAMES', 100);
/** Finished streams stay resumable this long; short, so "after" is not their retention. */
const RETENTION_MS = envNumber('SOAK_RETENTION_MS', 5_000);
/** Longest wait for handles to come back after the clients closed (keep-alive, retention). */
const SETTLE_SECONDS = envNumber('SOAK_SETTLE_SECONDS', 30);
/** Clients connect in batches of this many, so the accept queue is not the thing measured. */
const CONNECT_BATCH = 50;
/** RSS after must be within FACTOR x baseline + SLACK: a leak grows with streams served. */
const RSS_FACTOR = 1.5;
const RSS_SLACK_MB = 50;
/** Handles after may exceed the baseline by this many (a timer of the runtime, a stray GC). */
const HANDLE_SLACK = 2;

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}: "${raw}" is not a number`);
  return n;
}

/** A full GC when V8 allows one (flag set at runtime), so RSS figures are not garbage. */
const gc: () => void = (() => {
  setFlagsFromString('--expose-gc');
  const fn = runInNewContext('gc') as (() => void) | undefined;
  return typeof fn === 'function' ? fn : () => {};
})();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number) => bytes / (1024 * 1024);
const handles = () => process.getActiveResourcesInfo().length;

async function sample(): Promise<{ rssMb: number; heapMb: number; handles: number }> {
  gc();
  await sleep(100);
  gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rssMb: mb(rss), heapMb: mb(heapUsed), handles: handles() };
}

/** The SSE backend: every request streams STREAM_FRAMES text frames FRAME_MS apart, then stop. */
async function startUpstream(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      let i = 0;
      const timer = setInterval(() => {
        if (i < STREAM_FRAMES) {
          const frame = { type: 'text', content: { data: `token ${i} ` } };
          res.write(`data: ${JSON.stringify(frame)}\n\n`);
          i++;
        } else {
          clearInterval(timer);
          res.end('data: {"type":"stop"}\n\n');
        }
      }, FRAME_MS);
      res.on('close', () => clearInterval(timer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/chat` };
}

interface ChatResponse {
  type: string;
  content: unknown;
  request_id: string;
  seq: number;
}

const totals = { frames: 0, streams: 0, errors: 0 };
const errorSamples: string[] = [];
let stopping = false;

function recordError(what: string): void {
  totals.errors++;
  if (errorSamples.length < 10) errorSamples.push(what);
}

/** One client's stream loop: checks seq order and the single stop, starts the next on stop. */
function createStreamer(name: string, send: (data: Record<string, unknown>) => void) {
  let count = 0;
  let current: string | undefined;
  let nextSeq = 0;
  const start = (): void => {
    if (stopping) {
      current = undefined;
      return;
    }
    current = `${name}-${count++}`;
    nextSeq = 0;
    send({ request_id: current, current_text: 'soak', history: [] });
  };
  const onFrame = (frame: ChatResponse): void => {
    if (frame.request_id !== current) {
      recordError(`${name}: frame of ${frame.request_id} while on ${current}`);
      return;
    }
    if (frame.seq !== nextSeq) recordError(`${name}: seq ${frame.seq}, expected ${nextSeq}`);
    nextSeq = frame.seq + 1;
    totals.frames++;
    if (frame.type === 'error')
      recordError(`${name}: error frame ${JSON.stringify(frame.content)}`);
    if (frame.type === 'stop') {
      totals.streams++;
      start();
    }
  };
  return {
    start,
    onFrame,
    get busy() {
      return current !== undefined;
    },
  };
}

interface SoakClient {
  readonly busy: boolean;
  close(): Promise<void>;
}

async function connectWsClient(baseUrl: string, name: string): Promise<SoakClient> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`);
  const streamer = createStreamer(name, (data) =>
    ws.send(JSON.stringify({ event: 'chat_message', data })),
  );
  let closing = false;
  const closed = new Promise<void>((resolve) =>
    ws.once('close', (code) => {
      if (!closing) recordError(`${name}: closed by the bridge (${code})`);
      resolve();
    }),
  );
  ws.on('message', (raw) => {
    const message = JSON.parse(String(raw)) as { event: string; data?: unknown };
    if (message.event === 'chat_response') streamer.onFrame(message.data as ChatResponse);
    else if (message.event === 'error') recordError(`${name}: ${JSON.stringify(message.data)}`);
  });
  ws.on('error', (error) => recordError(`${name}: ${error.message}`));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  streamer.start();
  return {
    get busy() {
      return streamer.busy;
    },
    async close() {
      closing = true;
      ws.close();
      await closed;
    },
  };
}

async function connectSioClient(baseUrl: string, name: string): Promise<SoakClient> {
  const socket = io(baseUrl, { transports: ['websocket'], reconnection: false, forceNew: true });
  const streamer = createStreamer(name, (data) => socket.emit('chat_message', data));
  let closing = false;
  socket.on('chat_response', (frame: ChatResponse) => streamer.onFrame(frame));
  socket.on('error', (payload: unknown) => recordError(`${name}: ${JSON.stringify(payload)}`));
  socket.on('disconnect', (reason) => {
    if (!closing) recordError(`${name}: disconnected (${reason})`);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  streamer.start();
  return {
    get busy() {
      return streamer.busy;
    },
    async close() {
      closing = true;
      socket.close();
    },
  };
}

async function main(): Promise<number> {
  const upstream = await startUpstream();
  const bridge = await startNodeServer(
    {
      ...defaultOptions(),
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      resumeRetentionMs: RETENTION_MS,
      maxConnections: Math.max(CLIENTS * 2, 5_000),
      maxStreams: Math.max(CLIENTS * 2, 10_000),
    },
    { upstreamUrl: upstream.url },
  );
  const lag = monitorEventLoopDelay();
  const baseline = await sample();
  const peak = { ...baseline };
  const watch = (): void => {
    const { rss, heapUsed } = process.memoryUsage();
    peak.rssMb = Math.max(peak.rssMb, mb(rss));
    peak.heapMb = Math.max(peak.heapMb, mb(heapUsed));
    peak.handles = Math.max(peak.handles, handles());
  };
  console.log(
    `sse2ws soak: ${CLIENTS} clients (${Math.ceil(CLIENTS / 2)} ws, ${Math.floor(CLIENTS / 2)} socket.io)` +
      ` for ${SECONDS} s; a frame every ${FRAME_MS} ms, ${STREAM_FRAMES} frames per answer`,
  );

  const clients: SoakClient[] = [];
  for (let i = 0; i < CLIENTS; i += CONNECT_BATCH) {
    const batch = [];
    for (let j = i; j < Math.min(i + CONNECT_BATCH, CLIENTS); j++) {
      batch.push(
        j % 2 === 0
          ? connectWsClient(bridge.url, `ws${j}`)
          : connectSioClient(bridge.url, `sio${j}`),
      );
    }
    clients.push(...(await Promise.all(batch)));
  }
  lag.enable();
  const startedAt = Date.now();
  const sampler = setInterval(watch, 250);
  let lastReport = startedAt;
  while (Date.now() - startedAt < SECONDS * 1000) {
    await sleep(Math.min(1_000, SECONDS * 1000 - (Date.now() - startedAt)));
    if (Date.now() - lastReport >= 10_000) {
      lastReport = Date.now();
      const elapsed = Math.round((lastReport - startedAt) / 1000);
      console.log(
        `  ${elapsed} s: ${totals.frames} frames, ${totals.streams} streams, ${totals.errors} errors,` +
          ` RSS ${mb(process.memoryUsage.rss()).toFixed(1)} MB, ${handles()} handles`,
      );
    }
  }
  // No new streams; let the running ones end with their stop, then close every client.
  stopping = true;
  const drainBy = Date.now() + (STREAM_FRAMES * FRAME_MS + 10_000);
  while (clients.some((c) => c.busy) && Date.now() < drainBy) await sleep(100);
  const unfinished = clients.filter((c) => c.busy).length;
  if (unfinished > 0) recordError(`${unfinished} streams had no stop after the run`);
  const streamedSeconds = (Date.now() - startedAt) / 1000;
  lag.disable();
  clearInterval(sampler);
  watch();
  await Promise.all(clients.map((c) => c.close()));

  const settleBy = Date.now() + SETTLE_SECONDS * 1000;
  while (handles() > baseline.handles + HANDLE_SLACK && Date.now() < settleBy) await sleep(500);
  const after = await sample();

  const rssLimit = baseline.rssMb * RSS_FACTOR + RSS_SLACK_MB;
  const handleLimit = baseline.handles + HANDLE_SLACK;
  const row = (label: string, a: string, b: string, c: string) =>
    `${label.padEnd(16)}${a.padStart(10)}${b.padStart(10)}${c.padStart(10)}`;
  console.log('');
  console.log(row('', 'baseline', 'peak', 'after'));
  console.log(
    row('RSS (MB)', baseline.rssMb.toFixed(1), peak.rssMb.toFixed(1), after.rssMb.toFixed(1)),
  );
  // Heap after a full GC is the sharper leak signal; RSS also holds pages the allocator kept.
  console.log(
    row(
      'heap used (MB)',
      baseline.heapMb.toFixed(1),
      peak.heapMb.toFixed(1),
      after.heapMb.toFixed(1),
    ),
  );
  console.log(
    row('open handles', String(baseline.handles), String(peak.handles), String(after.handles)),
  );
  console.log('');
  console.log(
    `frames received ${totals.frames} (${Math.round(totals.frames / streamedSeconds)}/s),` +
      ` streams completed ${totals.streams}, errors ${totals.errors}`,
  );
  console.log(
    `event loop delay p50 ${(lag.percentile(50) / 1e6).toFixed(1)} ms,` +
      ` p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms, max ${(lag.max / 1e6).toFixed(1)} ms`,
  );
  for (const error of errorSamples) console.log(`  error: ${error}`);

  const failures: string[] = [];
  if (after.rssMb > rssLimit) {
    failures.push(`RSS after ${after.rssMb.toFixed(1)} MB > ${rssLimit.toFixed(1)} MB`);
  }
  if (after.handles > handleLimit) {
    failures.push(`handles after ${after.handles} > ${handleLimit}`);
  }
  if (totals.errors > 0) failures.push(`${totals.errors} errors`);
  if (totals.streams === 0) failures.push('no stream completed');
  console.log(
    failures.length === 0
      ? `result: OK (RSS after <= ${rssLimit.toFixed(1)} MB, handles after <= ${handleLimit})`
      : `result: FAIL: ${failures.join('; ')}`,
  );

  await bridge.close();
  upstream.server.closeAllConnections();
  await new Promise<void>((resolve) => upstream.server.close(() => resolve()));
  return failures.length === 0 ? 0 : 1;
}

process.exit(await main());
