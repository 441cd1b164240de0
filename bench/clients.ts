/**
 * One client per arm, all with the same shape: open a connection, then run streams on it and get
 * every text frame's content with its receive time (process.hrtime, ns, taken before parsing).
 */
import { createParser } from 'eventsource-parser';
import { io } from 'socket.io-client';
import { request } from 'undici';
import WebSocket from 'ws';
import type { FrameContent, StreamRequest } from './upstream.ts';

/** The arms of the benchmark (BR: sse2ws over `/ws` with its registry in Redis). */
export type Arm = 'A0' | 'A1' | 'A2' | 'A3' | 'B' | "B'" | 'BR';

/** Called for every text frame of a stream. */
export type OnFrame = (content: FrameContent, recvNs: number) => void;

/** An open client of one arm. */
export interface ArmClient {
  /** Run one stream; resolves at its stop. */
  stream(spec: StreamRequest, onFrame: OnFrame): Promise<void>;
  close(): void;
}

interface ChatResponse {
  type: string;
  content: FrameContent;
  request_id: string;
}

const now = () => Number(process.hrtime.bigint());
let nextRequest = 0;

/** Streams of one connection by request id, each with its frame callback and stop. */
function createDispatch() {
  const open = new Map<string, { onFrame: OnFrame; done: () => void }>();
  return {
    start(onFrame: OnFrame): { id: string; done: Promise<void> } {
      const id = `r${nextRequest++}`;
      const done = new Promise<void>((resolve) => open.set(id, { onFrame, done: resolve }));
      return { id, done };
    },
    deliver(frame: ChatResponse, recvNs: number): void {
      const entry = open.get(frame.request_id);
      if (entry === undefined) return;
      if (frame.type === 'text') entry.onFrame(frame.content, recvNs);
      else if (frame.type === 'stop' || frame.type === 'error') {
        open.delete(frame.request_id);
        entry.done();
      }
    },
  };
}

/** A0: the floor, the client reads the SSE upstream itself. */
function connectDirect(upstreamUrl: string): ArmClient {
  return {
    async stream(spec, onFrame) {
      const parser = createParser({
        onEvent(event) {
          const recvNs = now();
          const frame = JSON.parse(event.data) as { type: string; content: FrameContent };
          if (frame.type === 'text') onFrame(frame.content, recvNs);
        },
      });
      const res = await request(upstreamUrl, { method: 'POST', body: JSON.stringify(spec) });
      const decoder = new TextDecoder();
      for await (const chunk of res.body)
        parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
    },
    close() {},
  };
}

/** A1, B and BR: plain WebSocket at `/ws` with the JSON envelope. */
async function connectWs(baseUrl: string): Promise<ArmClient> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`);
  const dispatch = createDispatch();
  ws.on('message', (raw) => {
    const recvNs = now();
    const message = JSON.parse(String(raw)) as { event: string; data: ChatResponse };
    if (message.event === 'chat_response') dispatch.deliver(message.data, recvNs);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    stream(spec, onFrame) {
      const { id, done } = dispatch.start(onFrame);
      ws.send(JSON.stringify({ event: 'chat_message', data: { ...spec, request_id: id } }));
      return done;
    },
    close: () => ws.terminate(),
  };
}

/** A2, A3 and B': socket.io-client over the websocket transport only. */
async function connectSio(baseUrl: string): Promise<ArmClient> {
  const socket = io(baseUrl, { transports: ['websocket'], reconnection: false, forceNew: true });
  const dispatch = createDispatch();
  socket.on('chat_response', (frame: ChatResponse) => dispatch.deliver(frame, now()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return {
    stream(spec, onFrame) {
      const { id, done } = dispatch.start(onFrame);
      socket.emit('chat_message', { ...spec, request_id: id });
      return done;
    },
    close: () => socket.close(),
  };
}

/** Open a client of `arm` against `url` (the upstream's for A0, the relay's otherwise). */
export function connectArm(arm: Arm, url: string): Promise<ArmClient> {
  if (arm === 'A0') return Promise.resolve(connectDirect(`${url}/chat`));
  if (arm === 'A1' || arm === 'B' || arm === 'BR') return connectWs(url);
  return connectSio(url);
}

/** Open `n` clients in batches, so the accept queue is not what is measured. */
export async function connectMany(arm: Arm, url: string, n: number): Promise<ArmClient[]> {
  const clients: ArmClient[] = [];
  for (let i = 0; i < n; i += 100) {
    const batch = Array.from({ length: Math.min(100, n - i) }, () => connectArm(arm, url));
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}
