/**
 * Replays recorded answers through a real bridge and records, byte for byte, the text its clients
 * receive: a raw TCP upstream that writes a recording's head and body at chosen chunk boundaries,
 * and raw `/ws` and Socket.IO clients (Engine.IO v4 spoken by hand over `ws`, so what is recorded
 * is each WebSocket message as sent, not what a client library decoded).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import type { UpstreamFormat } from '../../src/core/config/upstream-format.ts';
import { type NodeBridgeServer, startNodeServer } from '../../src/node/server.ts';
import { onCleanup, testOptions } from './bridge.ts';
import { loadAllPeerFixtures } from './peer-fixtures.ts';
import type { RefAnswer } from './reference-mapping.ts';

/** How the body is framed on the wire, as the recording framed it. */
type Framing = 'chunked' | 'content-length' | 'close';

/** One recorded answer the upstream can replay. */
export interface WireFixture {
  /** `flask-legacy-answer` (peer capture) or `dialect-openai` (test/fixtures/dialects/). */
  id: string;
  /** The formats it runs under: legacy, auto, and the dialect the recording speaks. */
  formats: UpstreamFormat[];
  /** Status line and headers, CRLF-terminated, `Connection: close` (see {@link startReplayUpstream}). */
  head: Uint8Array;
  framing: Framing;
  body: Uint8Array;
  /** The server died mid-answer: the connection is reset after the body, the framing left open. */
  abrupt: boolean;
  /** What the bridge's HTTP client sees, for the reference mapping. */
  answer: RefAnswer;
}

const DIALECT_FIXTURES: Record<string, { format: UpstreamFormat; headers?: string[] }> = {
  'ai-sdk': { format: 'ai-sdk', headers: ['x-vercel-ai-ui-message-stream: v1'] },
  anthropic: { format: 'anthropic' },
  langserve: { format: 'event' },
  legacy: { format: 'legacy' },
  openai: { format: 'openai' },
};

const PEER_DIALECTS: Record<string, UpstreamFormat> = {
  'ai-sdk': 'ai-sdk',
  'openai-mock-llm': 'openai',
};

const latin1 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));

/** The formats a recording in `dialect` runs under. */
const formatsFor = (dialect: UpstreamFormat): UpstreamFormat[] =>
  dialect === 'legacy' ? ['legacy', 'auto'] : ['legacy', 'auto', dialect];

/**
 * Every recording: the peer captures (test/fixtures/peers/) and the dialect fixtures
 * (test/fixtures/dialects/, served as a chunked 200 `text/event-stream`).
 */
export function loadWireFixtures(): WireFixture[] {
  const out: WireFixture[] = [];
  for (const fixture of loadAllPeerFixtures()) {
    const headers: Record<string, string> = {};
    fixture.head.headers.forEach((value, name) => (headers[name] = value));
    const framing: Framing =
      headers['transfer-encoding'] !== undefined
        ? 'chunked'
        : headers['content-length'] !== undefined
          ? 'content-length'
          : 'close';
    // Each response ends its connection (the recording's own keep-alive would invite the pool to
    // reuse a socket this upstream is closing); nothing in the mapping reads that header.
    const lines = fixture.head.rawHeaders
      .filter(([name]) => !/^(connection|keep-alive)$/i.test(name))
      .map(([name, value]) => `${name}: ${value}\r\n`);
    const head = `HTTP/1.1 ${fixture.head.status} ${fixture.head.statusText}\r\n${lines.join('')}Connection: close\r\n\r\n`;
    out.push({
      id: fixture.name.replace(/\.capture$/, ''),
      formats: formatsFor(PEER_DIALECTS[fixture.meta.server] ?? 'legacy'),
      head: latin1(head),
      framing,
      body: fixture.body,
      abrupt: fixture.abrupt,
      answer: {
        status: fixture.head.status,
        headers,
        body: fixture.body,
        // A close-delimited body ends the same whether the server finished or died.
        failed: fixture.abrupt && framing !== 'close',
      },
    });
  }
  for (const [name, { format, headers = [] }] of Object.entries(DIALECT_FIXTURES)) {
    const body = new Uint8Array(
      readFileSync(new URL(`../fixtures/dialects/${name}.sse`, import.meta.url)),
    );
    const headerLines = ['content-type: text/event-stream', ...headers];
    const head = `HTTP/1.1 200 OK\r\n${headerLines.map((l) => `${l}\r\n`).join('')}transfer-encoding: chunked\r\nConnection: close\r\n\r\n`;
    const answerHeaders: Record<string, string> = { 'transfer-encoding': 'chunked' };
    for (const line of headerLines) {
      const [key = '', value = ''] = line.split(': ');
      answerHeaders[key] = value;
    }
    out.push({
      id: `dialect-${name}`,
      formats: formatsFor(format),
      head: latin1(head),
      framing: 'chunked',
      body,
      abrupt: false,
      answer: { status: 200, headers: answerHeaders, body, failed: false },
    });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** A chunking of a body: the byte offsets it is cut at. */
export interface Chunking {
  name: string;
  cuts: number[];
}

/** A small seeded generator (mulberry32), so the random splits are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Up to `max` distinct cut points in (0, length), from `random`. */
export function randomCuts(length: number, random: () => number, max = 8): number[] {
  if (length < 2) return [];
  const count = 1 + Math.floor(random() * Math.min(max, length - 1));
  const cuts = new Set<number>();
  while (cuts.size < count) cuts.add(1 + Math.floor(random() * (length - 1)));
  return [...cuts].sort((a, b) => a - b);
}

/** The body in pieces at `cuts`. */
export function piecesOf(body: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...cuts, body.length]) {
    if (cut > from) pieces.push(body.subarray(from, cut));
    from = Math.max(from, cut);
  }
  return pieces;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A raw TCP upstream: each request's JSON body names `{fixture, cuts}`; the answer is that
 * recording's head and its body written piece by piece (one write per piece, a turn of the event
 * loop between, no Nagle), framed as the recording was (re-chunked at the same cuts when chunked).
 * An abrupt recording is reset after its last piece, without the framing's end.
 */
export async function startReplayUpstream(
  fixtures: readonly WireFixture[],
): Promise<{ url: string; server: Server }> {
  const byId = new Map(fixtures.map((f) => [f.id, f]));
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const socket = res.socket;
      if (socket === null) return;
      res.detachSocket(socket);
      const { fixture: id, cuts } = JSON.parse(text) as { fixture: string; cuts: number[] };
      const fixture = byId.get(id);
      if (fixture === undefined) return void socket.destroy();
      socket.setNoDelay(true);
      void (async () => {
        socket.write(fixture.head);
        for (const piece of piecesOf(fixture.body, cuts)) {
          await tick();
          if (socket.destroyed) return;
          if (fixture.framing === 'chunked') {
            socket.write(`${piece.length.toString(16)}\r\n`);
            socket.write(piece);
            socket.write('\r\n');
          } else {
            socket.write(piece);
          }
        }
        await tick();
        if (fixture.abrupt) {
          socket.write('', () => socket.resetAndDestroy());
        } else {
          if (fixture.framing === 'chunked') socket.write('0\r\n\r\n');
          socket.end();
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/chat`, server };
}

/** A bridge under `profile` and `format`, with a way to wait for a stream's end. */
export interface ReplayBridge {
  server: NodeBridgeServer;
  /** Resolves once the bridge has pushed the stop of `requestId`. */
  ended(requestId: string): Promise<void>;
}

export async function startReplayBridge(
  upstreamUrl: string,
  profile: string,
  format: UpstreamFormat,
): Promise<ReplayBridge> {
  const waiting = new Map<string, () => void>();
  const done = new Set<string>();
  const server = await startNodeServer(testOptions({ profile, upstreamFormat: format }), {
    upstreamUrl,
    hooks: {
      onStreamEnd: ({ requestId }) => {
        done.add(requestId);
        waiting.get(requestId)?.();
      },
    },
  });
  onCleanup(() => server.close());
  return {
    server,
    ended: (requestId) =>
      done.has(requestId)
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiting.set(requestId, resolve)),
  };
}

/** The client protocols recorded. */
export type WireProtocol = 'ws' | 'socketio';

/** The event a profile's clients ask for an answer with. */
export const CHAT_EVENT: Record<string, string> = {
  default: 'chat_message',
  'socket-module': 'chat_request',
  consultation: 'sendMessage',
};

/** The Socket.IO namespace a profile's clients connect to. */
const NAMESPACE: Record<string, string> = { consultation: '/chat' };

/** How long one exchange may take before the test gives up on it. */
const EXCHANGE_TIMEOUT_MS = 10_000;

/** A raw client that records every message the bridge sends it, as text. */
export interface RawClient {
  /**
   * Ask for one answer and resolve with the messages of that exchange: everything received from
   * the request until the bridge ended the stream and a `ping` round trip came back (that reply
   * itself not included).
   */
  exchange(event: string, data: Record<string, unknown>, requestId: string): Promise<string[]>;
}

interface MessageQueue {
  messages: string[];
  /** Wait for a message matching `match`, at or after index `from`; resolve with its index. */
  waitFor(match: (text: string) => boolean, from: number, what: string): Promise<number>;
}

function queueOf(ws: WebSocket, skip: (text: string) => boolean): MessageQueue {
  const messages: string[] = [];
  let wake: (() => void) | undefined;
  ws.on('message', (data, isBinary) => {
    const text = isBinary
      ? `<binary ${Buffer.from(data as Buffer).toString('hex')}>`
      : String(data);
    if (skip(text)) return;
    messages.push(text);
    wake?.();
  });
  return {
    messages,
    async waitFor(match, from, what) {
      const deadline = Date.now() + EXCHANGE_TIMEOUT_MS;
      for (;;) {
        const at = messages.findIndex((m, i) => i >= from && match(m));
        if (at !== -1) return at;
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(`timed out waiting for ${what}; got ${messages.slice(from).join('\n')}`);
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
  };
}

/** Open a WebSocket whose messages are queued from the first one (they may come with the upgrade). */
async function open(
  url: string,
  skip: (ws: WebSocket, text: string) => boolean,
): Promise<{ ws: WebSocket; queue: MessageQueue }> {
  const ws = new WebSocket(url);
  onCleanup(() => ws.terminate());
  const queue = queueOf(ws, (text) => skip(ws, text));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, queue };
}

/** Resolves when `ended` does, or after the exchange timeout (a refused request never ends). */
const endedOrTimeout = (ended: Promise<void>): Promise<void> =>
  Promise.race([ended, new Promise<void>((r) => setTimeout(r, EXCHANGE_TIMEOUT_MS).unref())]);

/** Connect a raw client of `protocol` under `profile` to `bridge`. */
export async function connectRawClient(
  bridge: ReplayBridge,
  protocol: WireProtocol,
  profile: string,
): Promise<RawClient> {
  const base = bridge.server.url.replace(/^http/, 'ws');
  if (protocol === 'ws') {
    const { ws, queue } = await open(`${base}/ws`, () => false);
    const hasId = (id: number) => (text: string) => {
      try {
        return (JSON.parse(text) as { id?: unknown }).id === id;
      } catch {
        return false;
      }
    };
    return {
      async exchange(event, data, requestId) {
        const from = queue.messages.length;
        ws.send(JSON.stringify({ event, data, id: 1 }));
        await endedOrTimeout(bridge.ended(requestId));
        ws.send(JSON.stringify({ event: 'ping', data: {}, id: 2 }));
        const barrier = await queue.waitFor(hasId(2), from, `ping reply after ${requestId}`);
        return queue.messages.slice(from, barrier);
      },
    };
  }
  // Engine.IO heartbeats ("2" ping, answered "3") are not part of what is recorded.
  const { ws, queue } = await open(
    `${base}/socket.io/?EIO=4&transport=websocket`,
    (socket, text) => {
      if (text !== '2') return false;
      socket.send('3');
      return true;
    },
  );
  await queue.waitFor((m) => m.startsWith('0'), 0, 'Engine.IO open');
  const namespace = NAMESPACE[profile] ?? '/';
  const prefix = namespace === '/' ? '' : `${namespace},`;
  ws.send(`40${prefix}`);
  await queue.waitFor((m) => m.startsWith(`40${prefix}`), 0, 'Socket.IO connect');
  return {
    async exchange(event, data, requestId) {
      const from = queue.messages.length;
      ws.send(`42${prefix}1${JSON.stringify([event, data])}`);
      await endedOrTimeout(bridge.ended(requestId));
      ws.send(`42${prefix}2${JSON.stringify(['ping', {}])}`);
      const barrier = await queue.waitFor(
        (m) => m.startsWith(`43${prefix}2[`),
        from,
        `ping ack after ${requestId}`,
      );
      return queue.messages.slice(from, barrier);
    },
  };
}

/**
 * What may differ between two runs of the same exchange, replaced by placeholders: the request
 * id (chosen per run by the test), the numeric `timestamp` every server message carries (the
 * clock when a frame was numbered), an ISO `timestamp` a profile fills from `$now`, and the random
 * `resume_token` of an ack. Nothing else is touched: every other byte must stay as it is.
 */
export function normalizeWire(text: string, requestId: string): string {
  return text
    .replaceAll(JSON.stringify(requestId).slice(1, -1), '<request_id>')
    .replace(/"timestamp":\d+/g, '"timestamp":0')
    .replace(/"timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"/g, '"timestamp":"<now>"')
    .replace(/"resume_token":"[^"\\]*"/g, '"resume_token":"<resume_token>"');
}
