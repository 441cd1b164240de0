/**
 * The portable Socket.IO server (src/core/transport/socketio.ts) behind a real `ws` server, with a
 * real bridge session and a fake SSE upstream, driven by the real socket.io-client and by raw
 * WebSocket peers that speak Engine.IO by hand.
 */
import type { AddressInfo } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import { describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createLocalBridge } from '../../src/core/bridge.ts';
import { BridgeError } from '../../src/core/internal/errors.ts';
import { toClientPort } from '../../src/core/transport/client-port.ts';
import { acceptSocketIo } from '../../src/core/transport/socketio.ts';
import type {
  SocketIoProtocolOptions,
  SocketIoReceiver,
} from '../../src/core/transport/socketio-contracts.ts';
import { createFetchUpstream } from '../../src/core/upstream/client.ts';
import { onCleanup, testOptions } from '../helpers/bridge.ts';
import { assertWellFormed, connectSio, Inbox } from '../helpers/clients.ts';
import {
  type FakeUpstream,
  sleep,
  sseBody,
  sseFrames,
  startFakeUpstream,
} from '../helpers/fake-upstream.ts';

const ANSWER = sseFrames(
  { type: 'text', content: { data: 'Hel' } },
  { type: 'text', content: { data: 'lo' } },
  { type: 'stop' },
);

/** What the server side of one WebSocket connection did. */
interface ServerConnection {
  sent: string[];
  closeCalls: Array<{ code: number | undefined; reason: string | undefined }>;
  /** Calls of the receiver's close() (the bridge session's close). */
  receiverCloses: number;
  /** onClose() was called: the peer's close reached the protocol. */
  peerClosed: boolean;
}

interface Rig {
  /** `http://host:port`, as socket.io-client takes it. */
  url: string;
  /** The Engine.IO WebSocket URL, for raw peers. */
  rawUrl: string;
  upstream: FakeUpstream;
  /** The `auth` of every connect to "/", in order. */
  auths: Array<Record<string, unknown>>;
  connections: ServerConnection[];
}

/**
 * A `ws` server routing `/socket.io/` through acceptSocketIo into a real bridge; `refuse` may throw
 * from onConnect, or return a Promise that makes onConnect async (rejecting refuses). Everything is
 * closed after the test.
 */
async function startRig(
  protocol: Partial<SocketIoProtocolOptions> = {},
  refuse?: (auth: Record<string, unknown>) => void | Promise<void>,
): Promise<Rig> {
  const upstream = await startFakeUpstream(sseBody(ANSWER));
  onCleanup(() => upstream.close());
  const options = testOptions();
  const bridge = createLocalBridge({
    options,
    upstreamUrl: upstream.url,
    upstream: createFetchUpstream(fetch),
  });
  onCleanup(() => bridge.close());
  const settings: SocketIoProtocolOptions = {
    pingIntervalMs: options.heartbeatIntervalMs,
    pingTimeoutMs: options.heartbeatTimeoutMs,
    maxPayloadBytes: options.maxMessageBytes,
    ...protocol,
  };
  const auths: Array<Record<string, unknown>> = [];
  const connections: ServerConnection[] = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/socket.io/' });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  );
  wss.on('connection', (ws) => {
    const record: ServerConnection = {
      sent: [],
      closeCalls: [],
      receiverCloses: 0,
      peerClosed: false,
    };
    connections.push(record);
    const listener = acceptSocketIo(
      {
        send(text) {
          record.sent.push(text);
          if (ws.readyState === WebSocket.OPEN) ws.send(text);
        },
        close(code, reason) {
          record.closeCalls.push({ code, reason });
          ws.close(code, reason);
        },
      },
      settings,
      (auth, connection) => {
        auths.push(auth);
        const gate = refuse?.(auth);
        const open = (): SocketIoReceiver => {
          const token = typeof auth.token === 'string' ? auth.token : undefined;
          const port = toClientPort(bridge.openSession(connection, { headers: {}, token }));
          const { session } = port;
          return {
            receive: (event, data, answer) => port.receive(event, data, answer),
            close() {
              record.receiverCloses++;
              session.close();
            },
          };
        };
        return gate instanceof Promise ? gate.then(open) : open();
      },
    );
    ws.on('message', (raw, isBinary) => {
      if (isBinary) listener.onBinary();
      else listener.onText(String(raw));
    });
    ws.on('close', () => {
      record.peerClosed = true;
      listener.onClose();
    });
  });
  const { port } = wss.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    rawUrl: `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`,
    upstream,
    auths,
    connections,
  };
}

/** A WebSocket peer that speaks Engine.IO by hand (and answers nothing unless told). */
interface RawPeer {
  ws: WebSocket;
  texts: Inbox<string>;
  closed: Promise<{ code: number; reason: string }>;
  /** The data of every root-namespace EVENT packet received so far. */
  events(): unknown[][];
}

async function connectRaw(url: string): Promise<RawPeer> {
  const ws = new WebSocket(url);
  onCleanup(() => ws.terminate());
  const texts = new Inbox<string>();
  ws.on('message', (raw) => texts.push(String(raw)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await texts.waitFor((t) => t.startsWith('0'), 10_000, 'Engine.IO OPEN');
  return {
    ws,
    texts,
    closed,
    events: () =>
      texts.items.filter((t) => t.startsWith('42')).map((t) => JSON.parse(t.slice(2)) as unknown[]),
  };
}

/** Connect a raw peer to "/" and wait for the CONNECT reply. */
async function joinRaw(url: string): Promise<RawPeer> {
  const peer = await connectRaw(url);
  peer.ws.send('40');
  await peer.texts.waitFor((t) => t.startsWith('40{'), 10_000, 'Socket.IO CONNECT');
  return peer;
}

/** socket.io-client over WebSocket only, without auto-connect handling; closed after the test. */
function openSio(url: string, auth?: Record<string, unknown>): Socket {
  const socket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...(auth ? { auth } : {}),
  });
  onCleanup(() => {
    socket.close();
  });
  return socket;
}

function connectError(socket: Socket): Promise<Error & { data?: unknown }> {
  return new Promise((resolve, reject) => {
    socket.once('connect_error', resolve);
    socket.once('connect', () => reject(new Error('connected, expected connect_error')));
  });
}

/** Poll until `check` holds (generous deadline; no timing is asserted). */
async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('Socket.IO over one WebSocket (portable core)', () => {
  it('opens with the Engine.IO settings the client engine then uses', async () => {
    const rig = await startRig({ pingIntervalMs: 4_000, pingTimeoutMs: 3_000 });
    const client = await connectSio(rig.url, { transports: ['websocket'] });
    const engine = client.socket.io.engine as unknown as {
      transport: { name: string };
      _pingInterval: number;
      _pingTimeout: number;
      _maxPayload: number;
    };
    expect(engine.transport.name).toBe('websocket');
    expect(engine._pingInterval).toBe(4_000);
    expect(engine._pingTimeout).toBe(3_000);
    expect(engine._maxPayload).toBe(testOptions().maxMessageBytes);
    expect(typeof client.socket.id).toBe('string');
    const open = JSON.parse(rig.connections[0]?.sent[0]?.slice(1) ?? 'null');
    expect(open).toEqual({
      sid: expect.any(String),
      upgrades: [],
      pingInterval: 4_000,
      pingTimeout: 3_000,
      maxPayload: testOptions().maxMessageBytes,
    });
  });

  it('acks a chat_message with its request id and streams chat_response frames to the stop', async () => {
    const rig = await startRig();
    const client = await connectSio(rig.url, {
      transports: ['websocket'],
      auth: { token: 'secret-token' },
    });
    expect(rig.auths).toEqual([{ token: 'secret-token' }]);
    const data = { history: [], current_text: 'hi', current_image_paths: [] };
    const ack = await client.request('chat_message', data);
    expect(typeof ack.request_id).toBe('string');
    const frames = await client.frames(ack.request_id);
    assertWellFormed(frames);
    expect(frames.map((f) => [f.type, f.content])).toEqual([
      ['text', { data: 'Hel' }],
      ['text', { data: 'lo' }],
      ['stop', {}],
    ]);
    const req = await rig.upstream.request(0);
    expect(JSON.parse(req.body)).toEqual(data);
    expect(req.headers['x-request-id']).toBe(ack.request_id);
    // auth.token reached onConnect and became the upstream Authorization header.
    expect(req.headers.authorization).toBe('Bearer secret-token');
  });

  it('streams a chat_message emitted without an ack', async () => {
    const rig = await startRig();
    const client = await connectSio(rig.url, { transports: ['websocket'] });
    client.socket.emit('chat_message', { current_text: 'no ack' });
    const first = await client.inbox.waitFor((m) => m.event === 'chat_response');
    const frames = await client.frames(first.args[0].request_id);
    assertWellFormed(frames);
    expect(frames).toHaveLength(3);
    expect(JSON.parse((await rig.upstream.request(0)).body)).toEqual({ current_text: 'no ack' });
  });

  it('answers errors through the ack and an error event, and stays usable', async () => {
    const rig = await startRig();
    const client = await connectSio(rig.url, { transports: ['websocket'] });
    expect(await client.request('fly_away', {})).toEqual({
      error: { code: 'unknown_event', message: expect.any(String), timestamp: expect.any(Number) },
    });
    expect(await client.request('chat_message', 'just text')).toMatchObject({
      error: { code: 'bad_request' },
    });
    client.socket.emit('bogus_event', {});
    await until(
      () => client.inbox.items.filter((m) => m.event === 'error').length >= 3,
      'three error events',
    );
    const errors = client.inbox.items.filter((m) => m.event === 'error').map((m) => m.args[0].code);
    expect(errors).toEqual(['unknown_event', 'bad_request', 'unknown_event']);
    // ping's ack carries only its timestamp (the helper compares without it).
    expect(await client.request('ping')).toEqual({});
    const ack = await client.request('chat_message', { current_text: 'still here' });
    assertWellFormed(await client.frames(ack.request_id));
    expect(client.socket.connected).toBe(true);
  });

  it('keeps a client that answers pings connected across several heartbeats', async () => {
    // Several pings fit in neither the pong deadline nor the (cleared) connect deadline.
    const rig = await startRig({ pingIntervalMs: 40, pingTimeoutMs: 150, connectTimeoutMs: 50 });
    const client = await connectSio(rig.url, { transports: ['websocket'] });
    const server = rig.connections[0] as ServerConnection;
    await until(() => server.sent.filter((t) => t === '2').length >= 8, 'eight PINGs');
    expect(client.socket.connected).toBe(true);
    expect(server.closeCalls).toEqual([]);
    expect(server.receiverCloses).toBe(0);
  });

  it('closes a peer that never answers PING after pingInterval + pingTimeout', async () => {
    const rig = await startRig({ pingIntervalMs: 100, pingTimeoutMs: 100 });
    const started = Date.now();
    const peer = await joinRaw(rig.rawUrl);
    const { code, reason } = await peer.closed;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(peer.texts.items).toContain('2');
    expect(code).toBe(1008);
    expect(reason).toBe('ping timeout');
    const server = rig.connections[0] as ServerConnection;
    await until(() => server.peerClosed, 'the close to reach the server');
    expect(server.receiverCloses).toBe(1);
  });

  it('closes a peer that never connects to a namespace', async () => {
    const rig = await startRig({ connectTimeoutMs: 100 });
    const peer = await connectRaw(rig.rawUrl);
    expect(await peer.closed).toEqual({ code: 1008, reason: 'connect timeout' });
    expect(rig.auths).toEqual([]);
  });

  it('refuses a namespace other than "/" with connect_error', async () => {
    const rig = await startRig();
    const error = await connectError(openSio(`${rig.url}/admin`));
    expect(error.message).toBe('Invalid namespace');
    expect(rig.auths).toEqual([]);
  });

  it('sends a refusal thrown by onConnect as connect_error with its code', async () => {
    const rig = await startRig({}, (auth) => {
      if (auth.token === 'crash') throw new Error('secret internals');
      if (auth.token !== 'good') throw new BridgeError('bad_request', 'a valid token is required');
    });
    const refused = await connectError(openSio(rig.url, { token: 'bad' }));
    expect(refused.message).toBe('a valid token is required');
    expect(refused.data).toEqual({ code: 'bad_request' });
    const crashed = await connectError(openSio(rig.url, { token: 'crash' }));
    expect(crashed.message).toBe('internal bridge error');
    expect(crashed.data).toEqual({ code: 'internal_error' });
    const client = await connectSio(rig.url, {
      transports: ['websocket'],
      auth: { token: 'good' },
    });
    expect(client.socket.connected).toBe(true);
  });

  describe('async connect handler', () => {
    /** A gate the test opens (or fails) by hand. */
    function gate() {
      let open: () => void = () => {};
      let fail: (error: unknown) => void = () => {};
      const promise = new Promise<void>((resolve, reject) => {
        open = resolve;
        fail = reject;
      });
      return { promise, open, fail };
    }

    it('holds the client packets until it resolves, then answers CONNECT first and the rest in order', async () => {
      const pending = gate();
      const rig = await startRig({}, () => pending.promise);
      const peer = await connectRaw(rig.rawUrl);
      peer.ws.send('40');
      peer.ws.send('42["ping"]');
      peer.ws.send('421["ping"]');
      await until(() => rig.auths.length === 1, 'the connect to reach the handler');
      // Engine.IO keeps working meanwhile; nothing of namespace "/" is answered yet.
      peer.ws.send('3');
      await sleep(50);
      expect(peer.texts.items.filter((t) => t.startsWith('4'))).toEqual([]);
      pending.open();
      await peer.texts.waitFor((t) => t.startsWith('431['), 10_000, 'ack of the held ping');
      const socketIo = peer.texts.items.filter((t) => t.startsWith('4'));
      expect(socketIo).toEqual([
        expect.stringMatching(/^40\{"sid":/),
        expect.stringMatching(/^42\["pong",\{"timestamp":\d+\}\]$/),
        expect.stringMatching(/^431\[\{"timestamp":\d+\}\]$/),
      ]);
    });

    it('sends a rejection as connect_error with its code and admits a later connect', async () => {
      const rig = await startRig({}, async (auth) => {
        await sleep(5);
        if (auth.token !== 'good') throw new BridgeError('unauthorized');
      });
      const refused = await connectError(openSio(rig.url, { token: 'bad' }));
      expect(refused.message).toBe('missing, invalid or expired credentials');
      expect(refused.data).toEqual({ code: 'unauthorized' });
      const client = await connectSio(rig.url, {
        transports: ['websocket'],
        auth: { token: 'good' },
      });
      const ack = await client.request('chat_message', { current_text: 'hi' });
      assertWellFormed(await client.frames(ack.request_id));
    });

    it('closes the receiver it resolves with when the transport closed meanwhile', async () => {
      const pending = gate();
      const rig = await startRig({}, () => pending.promise);
      const peer = await connectRaw(rig.rawUrl);
      peer.ws.send('40');
      await until(() => rig.auths.length === 1, 'the connect to reach the handler');
      peer.ws.close();
      const server = rig.connections[0] as ServerConnection;
      await until(() => server.peerClosed, 'the close to reach the server');
      expect(server.receiverCloses).toBe(0);
      pending.open();
      await until(() => server.receiverCloses === 1, 'the late receiver to be closed');
      expect(server.sent.filter((t) => t.startsWith('4'))).toEqual([]);
    });

    it('does not leak a rejection when the transport closed meanwhile', async () => {
      const pending = gate();
      const rig = await startRig({}, () => pending.promise);
      const peer = await connectRaw(rig.rawUrl);
      peer.ws.send('40');
      await until(() => rig.auths.length === 1, 'the connect to reach the handler');
      peer.ws.close();
      const server = rig.connections[0] as ServerConnection;
      await until(() => server.peerClosed, 'the close to reach the server');
      pending.fail(new BridgeError('unauthorized'));
      await sleep(20);
      expect(server.sent.filter((t) => t.startsWith('4'))).toEqual([]);
      expect(server.receiverCloses).toBe(0);
    });
  });

  it('closes with 1009 when a message exceeds maxPayloadBytes', async () => {
    const rig = await startRig({ maxPayloadBytes: 1_024 });
    const peer = await joinRaw(rig.rawUrl);
    peer.ws.send(`42${JSON.stringify(['chat_message', { current_text: 'x'.repeat(2_000) }])}`);
    const { code } = await peer.closed;
    expect(code).toBe(1009);
    const server = rig.connections[0] as ServerConnection;
    await until(() => server.peerClosed, 'the close to reach the server');
    expect(server.receiverCloses).toBe(1);
    expect(rig.upstream.requests).toEqual([]);
  });

  it('answers undecodable and binary input with bad_message and stays open', async () => {
    const rig = await startRig();
    const peer = await joinRaw(rig.rawUrl);
    const inputs: Array<string | Buffer> = [
      '9', // no such Engine.IO packet type
      '4{', // no such Socket.IO packet type
      '42"not an array"', // an EVENT whose payload is not [name, ...]
      '42[7]', // an event name that is not a string
      '451-["upload",{"_placeholder":true,"num":0}]', // binary attachments
      'bAQID', // a base64 binary Engine.IO message
      Buffer.from([1, 2, 3]), // a binary WebSocket frame
      '43[1]', // an ACK the server never asked for
    ];
    for (const input of inputs) peer.ws.send(input);
    await until(() => peer.events().length >= inputs.length, 'one error per input');
    for (const [name, payload] of peer.events()) {
      expect(name).toBe('error');
      expect(payload).toEqual({
        code: 'bad_message',
        message: expect.any(String),
        timestamp: expect.any(Number),
      });
    }
    peer.ws.send('421["ping"]');
    await peer.texts.waitFor((t) => /^431\[\{"timestamp":\d+\}\]$/.test(t), 10_000, 'ack of ping');
    peer.ws.send('42["ping"]');
    await peer.texts.waitFor((t) => /^42\["pong",\{"timestamp":\d+\}\]$/.test(t), 10_000, 'pong');
    expect(peer.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('closes the session once on DISCONNECT, and the transport on an Engine.IO CLOSE', async () => {
    const rig = await startRig();
    const client = await connectSio(rig.url, { transports: ['websocket'] });
    client.socket.disconnect();
    const first = rig.connections[0] as ServerConnection;
    await until(() => first.peerClosed, 'the client to close its engine');
    expect(first.receiverCloses).toBe(1);

    const peer = await joinRaw(rig.rawUrl);
    peer.ws.send('41');
    const second = rig.connections[1] as ServerConnection;
    await until(() => second.receiverCloses === 1, 'the session to close');
    // The engine stays open: the client may connect to "/" again.
    peer.ws.send('40');
    await until(() => rig.auths.length === 3, 'a second connect');
    peer.ws.send('1');
    expect((await peer.closed).code).toBe(1000);
    await until(() => second.peerClosed, 'the close to reach the server');
    expect(second.receiverCloses).toBe(2);
    expect(second.closeCalls).toEqual([{ code: 1000, reason: 'client closed' }]);
  });

  describe('timers (fake clock, in-memory transport)', () => {
    /** A transport that only records; the protocol needs nothing else from it here. */
    function recordingTransport() {
      const sent: string[] = [];
      const closeCalls: Array<{ code: number | undefined; reason: string | undefined }> = [];
      return {
        sent,
        closeCalls,
        send: (text: string) => void sent.push(text),
        close: (code?: number, reason?: string) => void closeCalls.push({ code, reason }),
      };
    }
    const refuseAll = (): never => {
      throw new BridgeError('bad_request', 'not in this test');
    };

    it('pings every pingInterval and closes when a PONG is pending longer than pingTimeout', () => {
      vi.useFakeTimers();
      onCleanup(() => void vi.useRealTimers());
      const transport = recordingTransport();
      const listener = acceptSocketIo(
        transport,
        { pingIntervalMs: 100, pingTimeoutMs: 50, maxPayloadBytes: 1_000, connectTimeoutMs: 1e6 },
        refuseAll,
      );
      const pings = () => transport.sent.filter((t) => t === '2').length;
      vi.advanceTimersByTime(99);
      expect(pings()).toBe(0);
      vi.advanceTimersByTime(1);
      expect(pings()).toBe(1);
      vi.advanceTimersByTime(49);
      listener.onText('3');
      vi.advanceTimersByTime(99);
      expect(pings()).toBe(1);
      vi.advanceTimersByTime(1);
      expect(pings()).toBe(2);
      expect(transport.closeCalls).toEqual([]);
      vi.advanceTimersByTime(50);
      expect(transport.closeCalls).toEqual([{ code: 1008, reason: 'ping timeout' }]);
      expect(vi.getTimerCount()).toBe(0);
    });

    it.each([
      ['waiting for a PONG', false],
      ['waiting to PING', true],
    ])('clears every timer when the peer closes while %s', (_name, answered) => {
      vi.useFakeTimers();
      onCleanup(() => void vi.useRealTimers());
      const transport = recordingTransport();
      const listener = acceptSocketIo(
        transport,
        { pingIntervalMs: 100, pingTimeoutMs: 50, maxPayloadBytes: 1_000, connectTimeoutMs: 500 },
        refuseAll,
      );
      vi.advanceTimersByTime(100);
      if (answered) listener.onText('3');
      expect(vi.getTimerCount()).toBe(2);
      listener.onClose();
      expect(vi.getTimerCount()).toBe(0);
      const sent = transport.sent.length;
      vi.advanceTimersByTime(10_000);
      expect(transport.sent.length).toBe(sent);
      expect(transport.closeCalls).toEqual([]);
    });
  });
});
