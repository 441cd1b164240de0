/** Real socket clients for tests (ws and socket.io-client) with message queues to await on. */
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import WebSocket from 'ws';
import { onCleanup } from './bridge.ts';

/** A chat_response as clients receive it. */
export interface ChatResponse {
  type: string;
  content: any;
  request_id: string;
  seq: number;
}

/**
 * Every server message carries a numeric `timestamp` (ms since the epoch). Inboxes keep what the
 * client received in `raw`, and in `items` the same without that field, so content assertions
 * stay exact; the timestamp tests read `raw`.
 */
export function withoutTimestamp<T>(data: T): T {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return data;
  if (typeof (data as { timestamp?: unknown }).timestamp !== 'number') return data;
  const { timestamp: _timestamp, ...rest } = data as Record<string, unknown>;
  return rest as T;
}

/** Everything a client received, in order, with a way to wait for more. */
export class Inbox<T> {
  readonly items: T[] = [];
  /** The messages as received (with their `timestamp`s). */
  readonly raw: T[] = [];
  private waiters: Array<() => void> = [];

  push(item: T, raw: T = item): void {
    this.items.push(item);
    this.raw.push(raw);
    for (const w of this.waiters.splice(0)) w();
  }

  /** Wait until some item matches, returning the first match. */
  async waitFor(match: (item: T) => boolean, timeoutMs = 10_000, what = 'message'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.items.find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting for ${what}; got ${JSON.stringify(this.items).slice(0, 2000)}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

/** A `/ws` client speaking the JSON envelope. */
export interface WsClient {
  ws: WebSocket;
  inbox: Inbox<{ event: string; data?: any; id?: string | number }>;
  send(message: unknown): void;
  /** The frames of one request, once its stop arrived. */
  frames(requestId: string, timeoutMs?: number): Promise<ChatResponse[]>;
  closed: Promise<{ code: number; reason: string }>;
}

/** Open a `/ws` client; closed after the test. */
export async function connectWs(
  baseUrl: string,
  options: { query?: string; headers?: Record<string, string>; path?: string } = {},
): Promise<WsClient> {
  const path = options.path ?? '/ws';
  const url = `${baseUrl.replace(/^http/, 'ws')}${path}${options.query ? `?${options.query}` : ''}`;
  const ws = new WebSocket(url, { headers: options.headers ?? {} });
  onCleanup(() => ws.terminate());
  const inbox = new Inbox<{ event: string; data?: any; id?: string | number }>();
  ws.on('message', (text) => {
    const message = JSON.parse(String(text));
    inbox.push({ ...message, data: withoutTimestamp(message.data) }, message);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    inbox,
    closed,
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    async frames(requestId, timeoutMs) {
      await inbox.waitFor(
        (m) =>
          m.event === 'chat_response' &&
          m.data?.request_id === requestId &&
          m.data?.type === 'stop',
        timeoutMs,
        `stop of ${requestId}`,
      );
      return inbox.items
        .filter((m) => m.event === 'chat_response' && m.data?.request_id === requestId)
        .map((m) => m.data as ChatResponse);
    },
  };
}

let nextRequestId = 1;
/** Send an event with a fresh id over `/ws`; resolve with its ack data, or `{error}`. */
export async function wsRequest(client: WsClient, event: string, data: unknown): Promise<any> {
  const id = nextRequestId++;
  client.send({ event, data, id });
  const answer = await client.inbox.waitFor((m) => m.id === id && m.event !== 'chat_response');
  return answer.event === 'error' ? { error: answer.data } : answer.data;
}

/** A socket.io-client with an inbox of every event. */
export interface SioClient {
  socket: Socket;
  inbox: Inbox<{ event: string; args: any[] }>;
  frames(requestId: string, timeoutMs?: number): Promise<ChatResponse[]>;
  /** Emit with an ack and resolve with the ack payload. */
  request(event: string, data?: unknown): Promise<any>;
}

/** Connect socket.io-client (default transports unless given); closed after the test. */
export async function connectSio(
  baseUrl: string,
  options: Partial<ManagerOptions & SocketOptions> = {},
): Promise<SioClient> {
  const socket = io(baseUrl, { reconnection: false, forceNew: true, ...options });
  onCleanup(() => {
    socket.close();
  });
  const inbox = new Inbox<{ event: string; args: any[] }>();
  socket.onAny((event: string, ...args: any[]) =>
    inbox.push({ event, args: args.map(withoutTimestamp) }, { event, args }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return {
    socket,
    inbox,
    request: async (event, data) =>
      withoutTimestamp(await socket.timeout(10_000).emitWithAck(event, data)),
    async frames(requestId, timeoutMs) {
      await inbox.waitFor(
        (m) =>
          m.event === 'chat_response' &&
          m.args[0]?.request_id === requestId &&
          m.args[0]?.type === 'stop',
        timeoutMs,
        `stop of ${requestId}`,
      );
      return inbox.items
        .filter((m) => m.event === 'chat_response' && m.args[0]?.request_id === requestId)
        .map((m) => m.args[0] as ChatResponse);
    },
  };
}

/** Frames must be numbered 0..n-1 in order and end with exactly one stop. */
export function assertWellFormed(frames: ChatResponse[]): void {
  frames.forEach((f, i) => {
    if (f.seq !== i) throw new Error(`frame ${i} has seq ${f.seq}: ${JSON.stringify(frames)}`);
  });
  const stops = frames.filter((f) => f.type === 'stop');
  if (stops.length !== 1 || frames[frames.length - 1]?.type !== 'stop') {
    throw new Error(`expected exactly one final stop: ${JSON.stringify(frames)}`);
  }
}
