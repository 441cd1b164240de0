/**
 * How the Worker and the Durable Objects talk: JSON requests on an internal origin, and WebSockets
 * for topic subscriptions (ordered, pushed).
 */
import type { Env } from './env.ts';

/** Never resolved: Durable Object stubs only look at the path. */
const ORIGIN = 'https://object.sse2ws.invalid';

/** The stream's object (one per request id). */
export const streamObject = (env: Env, requestId: string): DurableObjectStub =>
  env.STREAMS.get(env.STREAMS.idFromName(requestId));

/** The conversation's object (one per conversation id). */
export const conversationObject = (env: Env, conversationId: string): DurableObjectStub =>
  env.CONVERSATIONS.get(env.CONVERSATIONS.idFromName(conversationId));

/** POST (with a body) or GET a JSON endpoint of an object. */
export async function callObject<T>(
  stub: DurableObjectStub,
  path: string,
  body?: unknown,
): Promise<T> {
  const init: RequestInit =
    body === undefined
      ? {}
      : {
          method: 'POST',
          body: JSON.stringify(body),
          headers: { 'content-type': 'application/json' },
        };
  const response = await stub.fetch(`${ORIGIN}${path}`, init);
  if (!response.ok)
    throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** Open a WebSocket to an object's endpoint. */
export async function openObjectSocket(stub: DurableObjectStub, path: string): Promise<WebSocket> {
  const response = await stub.fetch(`${ORIGIN}${path}`, { headers: { Upgrade: 'websocket' } });
  const socket = response.webSocket;
  if (!socket) throw new Error(`${path} did not upgrade (${response.status})`);
  socket.accept();
  return socket;
}

/** Accept a WebSocket inside an object; resolves the Response to return and the server side. */
export function acceptObjectSocket(): { response: Response; socket: WebSocket } {
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  server.accept();
  return { response: new Response(null, { status: 101, webSocket: client }), socket: server };
}

/** A JSON response. */
export const json = (value: unknown): Response => Response.json(value);

/** The `id` query parameter every object endpoint carries (objects do not know their name). */
export function requireId(url: URL): string {
  const id = url.searchParams.get('id');
  if (id === null || id === '') throw new Error('missing id');
  return id;
}
