/**
 * Reconnect and transparent resume: the connection is cut under a running answer and the
 * iterable still yields every frame exactly once, in order, up to the stop.
 */
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ClientError } from '../../src/client/index.ts';
import { hs256, SECRET } from '../contract/admission-contract.ts';
import { expectedFrames, startCountingUpstream } from '../contract/counting-upstream.ts';
import { startBridge } from '../helpers/bridge.ts';
import { collect, connectClient, PROTOCOLS, waitUntil } from './client-helpers.ts';

type Bridge = Awaited<ReturnType<typeof startBridge>>;

/** Every TCP socket the bridge accepts from now on. */
function trackSockets(bridge: Bridge): Set<Socket> {
  const sockets = new Set<Socket>();
  bridge.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return sockets;
}

describe.each(PROTOCOLS)('reconnect over %s', (protocol) => {
  it('a server-side close mid-answer loses and repeats nothing', async () => {
    const upstream = await startCountingUpstream(60, 10);
    const bridge = await startBridge(upstream.url);
    const { client, states } = connectClient(bridge.url, { protocol });

    const stream = client.chat({ current_text: 'long' });
    const result = collect(stream);
    for (const at of [5, 30]) {
      await waitUntil(() => stream.lastSeq >= at, `frame ${at}`);
      for (const session of bridge.bridge.sessions) session.connection.close?.(1012, 'test');
    }

    expect(await result).toEqual(expectedFrames(60, stream.requestId));
    expect(states.filter((s) => s === 'reconnecting')).toHaveLength(2);
    expect(upstream.requests).toHaveLength(1);
  });

  it('an abrupt TCP drop mid-answer loses and repeats nothing', async () => {
    const upstream = await startCountingUpstream(60, 10);
    const bridge = await startBridge(upstream.url);
    const sockets = trackSockets(bridge);
    const { client } = connectClient(bridge.url, { protocol });

    const stream = client.chat({ current_text: 'long' });
    const result = collect(stream);
    await waitUntil(() => stream.lastSeq >= 10, 'frame 10');
    for (const socket of sockets) socket.destroy();

    expect(await result).toEqual(expectedFrames(60, stream.requestId));
    expect(upstream.requests).toHaveLength(1);
  });

  it('a chat sent while disconnected goes out once the connection is back', async () => {
    const upstream = await startCountingUpstream(3, 0);
    const bridge = await startBridge(upstream.url);
    const { client } = connectClient(bridge.url, { protocol, reconnectDelayMs: 300 });
    await waitUntil(() => client.state === 'open', 'open');
    for (const session of bridge.bridge.sessions) session.connection.close?.(1012, 'test');
    await waitUntil(() => client.state === 'reconnecting', 'reconnecting');

    const stream = client.chat({ current_text: 'later' });

    expect(await collect(stream)).toEqual(expectedFrames(3, stream.requestId));
  });

  it('server_shutdown: a new connection takes over before the old one is dropped', async () => {
    const upstream = await startCountingUpstream(40, 10);
    const bridge = await startBridge(upstream.url);
    const { client, states } = connectClient(bridge.url, { protocol });

    const stream = client.chat({ current_text: 'long' });
    const result = collect(stream);
    await waitUntil(() => stream.lastSeq >= 5, 'frame 5');
    const [first] = bridge.bridge.sessions;
    first?.connection.send('server_shutdown', { code: 'server_shutdown', message: 'test' });

    await waitUntil(() => first?.isClosed === true, 'the old connection to close');
    expect(await result).toEqual(expectedFrames(40, stream.requestId));
    expect([...bridge.bridge.sessions]).toHaveLength(1);
    expect(states).toEqual(['open']);
  });

  it('a real drain: reconnects are refused, the answer completes on the old connection', async () => {
    const upstream = await startCountingUpstream(30, 10);
    const bridge = await startBridge(upstream.url, { drainTimeoutMs: 10_000 });
    const { client } = connectClient(bridge.url, { protocol });
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));

    const stream = client.chat({ current_text: 'long' });
    const result = collect(stream);
    await waitUntil(() => stream.lastSeq >= 3, 'frame 3');
    const drained = bridge.drain();

    expect(await result).toEqual(expectedFrames(30, stream.requestId));
    await drained;
    expect(errors.length).toBeGreaterThan(0);
    await waitUntil(() => client.state === 'reconnecting', 'reconnecting after the drain');
  });

  it('frames dropped from the resume buffer end the stream with resume_unavailable', async () => {
    const upstream = await startCountingUpstream(100, 5);
    const bridge = await startBridge(upstream.url, { resumeBufferBytes: 300 });
    const { client } = connectClient(bridge.url, {
      protocol,
      // Long enough for more frames than the 300-byte buffer holds to go by.
      reconnectDelayMs: 500,
      reconnectDelayMaxMs: 500,
      reconnectJitter: 0,
    });

    const stream = client.chat({ current_text: 'long' });
    const result = collect(stream).catch((e: unknown) => e);
    await waitUntil(() => stream.lastSeq >= 1, 'frame 1');
    for (const session of bridge.bridge.sessions) session.connection.close?.(1012, 'test');

    const error = await result;
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: 'resume_unavailable' });
    expect((error as ClientError).details.first_seq).toBeGreaterThan(stream.lastSeq + 1);
  });

  it('sends auth.token and reports a refused handshake as an error event', async () => {
    const upstream = await startCountingUpstream(2, 0);
    const bridge = await startBridge(upstream.url, { jwtSecret: SECRET });
    const { client: refused } = connectClient(bridge.url, { protocol });
    const errors: ClientError[] = [];
    refused.on('error', (error) => errors.push(error));
    const { client } = connectClient(bridge.url, { protocol, auth: { token: await hs256() } });

    const stream = client.chat({ current_text: 'hi' });

    expect(await collect(stream)).toEqual(expectedFrames(2, stream.requestId));
    await waitUntil(() => errors.length >= 2, 'two refused attempts');
    expect(refused.state).toBe('connecting');
    // socket.io-client sees the bridge's code; a browser WebSocket never sees the 401.
    expect(errors[0]?.code).toBe(protocol === 'socketio' ? 'unauthorized' : 'connect_failed');
  });

  it('reconnect: false closes the client when the connection is lost', async () => {
    const upstream = await startCountingUpstream(1_000, 10);
    const bridge = await startBridge(upstream.url);
    const { client, states } = connectClient(bridge.url, { protocol, reconnect: false });

    const stream = client.chat({ current_text: 'long' });
    const result = collect(stream).catch((e: unknown) => e);
    await waitUntil(() => stream.lastSeq >= 1, 'frame 1');
    for (const session of bridge.bridge.sessions) session.connection.close?.(1012, 'test');

    expect(await result).toMatchObject({ code: 'connection_lost' });
    expect(states).toEqual(['open', 'closed']);
  });
});
