/**
 * The connection admission contract, for any runtime: the Origin policy, JWT (HS256 and JWKS) and
 * auth-URL checks at connect, and the connection limit, on `/ws` (HTTP status of the upgrade) and
 * Socket.IO (`connect_error` with `data.code`). Real servers only: the JWKS and the auth URL are
 * node:http servers on port 0.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { io, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { BridgeOptions } from '../../src/core/config/types.ts';
import type { StartBridge } from './start-bridge.ts';
import { onCleanup } from '../helpers/bridge.ts';
import { assertWellFormed, connectSio, connectWs, type WsClient } from '../helpers/clients.ts';
import {
  type FakeUpstream,
  sleep,
  sseBody,
  sseFrames,
  startFakeUpstream,
} from '../helpers/fake-upstream.ts';

const ANSWER = sseFrames({ type: 'text', content: { data: 'ok' } }, { type: 'stop' });
export const SECRET = 'a-test-secret-of-at-least-32-bytes!';
export const OTHER_ORIGIN = 'http://evil.example';
const WEBSOCKET_ONLY = { transports: ['websocket'] };

async function answerUpstream(): Promise<FakeUpstream> {
  const upstream = await startFakeUpstream(sseBody(ANSWER));
  onCleanup(() => upstream.close());
  return upstream;
}

/** A real HTTP server on port 0 answering every request with `answer`; closed after the test. */
async function startHttpServer(
  answer: (req: IncomingMessage) => { status: number; body?: string; headers?: object },
): Promise<{ url: string; requests: IncomingHttpHeaders[] }> {
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    requests.push(req.headers);
    const { status, body, headers } = answer(req);
    res.writeHead(status, { ...headers });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests };
}

/** The outcome of a `/ws` upgrade: 'open' (then closed again) or the refusal's HTTP status. */
export async function wsOutcome(
  baseUrl: string,
  options: { query?: string; headers?: Record<string, string> } = {},
): Promise<number | 'open'> {
  const url = `${baseUrl.replace(/^http/, 'ws')}/ws${options.query ? `?${options.query}` : ''}`;
  const ws = new WebSocket(url, { headers: options.headers ?? {} });
  onCleanup(() => ws.terminate());
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    ws.once('error', reject);
  });
}

/** The outcome of a Socket.IO connect: 'connected' (then closed) or the connect_error's data.code. */
export async function sioOutcome(
  baseUrl: string,
  options: Partial<ManagerOptions & SocketOptions> = {},
): Promise<string> {
  const socket = io(baseUrl, {
    reconnection: false,
    forceNew: true,
    ...WEBSOCKET_ONLY,
    ...options,
  });
  onCleanup(() => {
    socket.close();
  });
  return new Promise((resolve) => {
    socket.once('connect', () => {
      socket.close();
      resolve('connected');
    });
    socket.once('connect_error', (error: Error & { data?: { code?: string }; context?: any }) => {
      resolve(error.data?.code ?? handshakeRefusal(error));
    });
  });
}

/**
 * A refusal of the Engine.IO handshake itself (Node admits there, before any session): long-polling
 * answers 403 with `{code: 4, message: "<our code>: …"}`, which names the code; a WebSocket
 * handshake's refusal body does not reach the client, so it reads `handshake_refused`.
 */
function handshakeRefusal(error: Error & { context?: any }): string {
  const text = error.context?.responseText;
  if (typeof text === 'string') {
    try {
      const code = /^([a-z_]+): /.exec(JSON.parse(text).message)?.[1];
      if (code !== undefined) return code;
    } catch {
      // not an Engine.IO refusal body
    }
  }
  return error.message === 'websocket error' ? 'handshake_refused' : `no code: ${error.message}`;
}

/**
 * The runtimes differ in where a Socket.IO refusal happens: Workers at the namespace CONNECT
 * (`connect_error` with the code), Node at the Engine.IO handshake as well, whose WebSocket
 * refusal carries no readable code.
 */
export function refusedAs(code: string): string[] {
  return [code, 'handshake_refused'];
}

/** A URL on a port that was listening a moment ago and is closed now: connection refused. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/check`;
}

/** Retry `attempt` until it resolves (generous deadline; no timing is asserted). */
async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}

/** One chat round trip on an admitted `/ws` client. */
export async function chatOnce(client: WsClient): Promise<void> {
  const id = Math.floor(Math.random() * 1e9);
  client.send({ event: 'chat_message', id, data: { current_text: 'hi' } });
  const ack = await client.inbox.waitFor((m) => m.id === id && m.event === 'ack');
  assertWellFormed(await client.frames(ack.data.request_id));
}

/** An HS256 token over `claims` (sub user-1, valid 5 minutes unless overridden). */
export function hs256(claims: JWTPayload = {}, secret = SECRET): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: 'user-1', iat: now, exp: now + 300, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(secret));
}

/** A JWKS server with one RS256 key, and a signer for it (or for a key it does not publish). */
async function startJwks() {
  const published = await generateKeyPair('RS256');
  const unpublished = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(published.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server = await startHttpServer(() => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ keys: [jwk] }),
  }));
  const sign = (trusted: boolean) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ sub: 'user-rs', iat: now, exp: now + 300 })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .sign(trusted ? published.privateKey : unpublished.privateKey);
  };
  return { url: `${server.url}/.well-known/jwks.json`, requests: server.requests, sign };
}

export function admissionContractTests(runtime: string, startBridge: StartBridge): void {
  /** A bridge in front of a fresh fake upstream. */
  const startRig = async (overrides: Partial<BridgeOptions> = {}) => {
    const upstream = await answerUpstream();
    const bridge = await startBridge(upstream.url, overrides);
    return { upstream, url: bridge.url };
  };

  describe(`Origin check (${runtime})`, () => {
    it('by default admits no Origin and the bridge own origin, and refuses any other', async () => {
      const { url, upstream } = await startRig();
      const own = new URL(url).origin;
      expect(await wsOutcome(url)).toBe('open');
      expect(await wsOutcome(url, { headers: { origin: own } })).toBe('open');
      expect(await wsOutcome(url, { headers: { origin: OTHER_ORIGIN } })).toBe(403);
      // Same host name, another port: another origin.
      const otherPort = own.replace(/:\d+$/, ':1');
      expect(await wsOutcome(url, { headers: { origin: otherPort } })).toBe(403);
      expect(await wsOutcome(url, { headers: { origin: 'null' } })).toBe(403);
      expect(await sioOutcome(url)).toBe('connected');
      expect(await sioOutcome(url, { extraHeaders: { origin: own } })).toBe('connected');
      expect(refusedAs('forbidden_origin')).toContain(
        await sioOutcome(url, { extraHeaders: { origin: OTHER_ORIGIN } }),
      );
      expect(upstream.requests).toEqual([]);
    });

    it('an explicit list admits exactly its origins (and no Origin), not even the bridge own', async () => {
      const { url } = await startRig({ allowedOrigins: ['https://app.example.com'] });
      const allowed = { origin: 'https://app.example.com' };
      expect(await wsOutcome(url, { headers: allowed })).toBe('open');
      expect(await wsOutcome(url)).toBe('open');
      expect(await wsOutcome(url, { headers: { origin: new URL(url).origin } })).toBe(403);
      expect(await wsOutcome(url, { headers: { origin: 'https://app.example.com.evil' } })).toBe(
        403,
      );
      expect(await sioOutcome(url, { extraHeaders: allowed })).toBe('connected');
      expect(refusedAs('forbidden_origin')).toContain(
        await sioOutcome(url, { extraHeaders: { origin: OTHER_ORIGIN } }),
      );
    });

    it('* admits any origin', async () => {
      const { url } = await startRig({
        allowedOrigins: ['*'],
        allowAnyOriginWithCredentials: true,
      });
      expect(await wsOutcome(url, { headers: { origin: OTHER_ORIGIN } })).toBe('open');
      expect(await sioOutcome(url, { extraHeaders: { origin: OTHER_ORIGIN } })).toBe('connected');
    });
  });

  describe(`JWT at connect (${runtime})`, () => {
    it('admits a valid HS256 token from the Authorization header, ?token= and auth.token', async () => {
      const { url, upstream } = await startRig({ jwtSecret: SECRET });
      const token = await hs256();
      const byHeader = await connectWs(url, { headers: { authorization: `Bearer ${token}` } });
      await chatOnce(byHeader);
      const byQuery = await connectWs(url, { query: `token=${token}` });
      await chatOnce(byQuery);
      const bySio = await connectSio(url, { ...WEBSOCKET_ONLY, auth: { token } });
      const ack = await bySio.request('chat_message', { current_text: 'hi' });
      assertWellFormed(await bySio.frames(ack.request_id));
      expect(upstream.requests).toHaveLength(3);
      for (const req of upstream.requests)
        expect(req.headers.authorization).toBe(`Bearer ${token}`);
    });

    it('refuses a missing, badly signed, expired, wrong-audience or wrong-issuer token', async () => {
      const { url, upstream } = await startRig({
        jwtSecret: SECRET,
        jwtAudience: 'sse2ws',
        jwtIssuer: 'https://issuer.example',
      });
      const good = { aud: 'sse2ws', iss: 'https://issuer.example' };
      const hourAgo = Math.floor(Date.now() / 1000) - 3600;
      const bad = {
        missing: undefined,
        'bad signature': await hs256(good, 'another-secret-of-at-least-32-bytes'),
        expired: await hs256({ ...good, iat: hourAgo - 60, exp: hourAgo }),
        'wrong audience': await hs256({ ...good, aud: 'someone-else' }),
        'wrong issuer': await hs256({ ...good, iss: 'https://evil.example' }),
        'not a JWT': 'not.a.jwt',
      };
      for (const [name, token] of Object.entries(bad)) {
        const query = token === undefined ? '' : `token=${token}`;
        expect([name, await wsOutcome(url, { query })]).toEqual([name, 401]);
        const headers = token === undefined ? {} : { authorization: `Bearer ${token}` };
        expect([name, await wsOutcome(url, { headers })]).toEqual([name, 401]);
        const auth = token === undefined ? {} : { auth: { token } };
        expect([name, await sioOutcome(url, auth)]).toEqual([name, 'unauthorized']);
      }
      // The same checks admit a good token: the refusals were the token's fault.
      expect(await wsOutcome(url, { query: `token=${await hs256(good)}` })).toBe('open');
      expect(upstream.requests).toEqual([]);
    });

    it('verifies RS256 tokens against a JWKS URL and refuses other keys and HS256', async () => {
      const jwks = await startJwks();
      const { url, upstream } = await startRig({ jwksUrl: jwks.url });
      const client = await connectWs(url, { query: `token=${await jwks.sign(true)}` });
      await chatOnce(client);
      expect(jwks.requests.length).toBeGreaterThanOrEqual(1);
      expect(await wsOutcome(url, { query: `token=${await jwks.sign(false)}` })).toBe(401);
      expect(await sioOutcome(url, { auth: { token: await jwks.sign(false) } })).toBe(
        'unauthorized',
      );
      expect(await sioOutcome(url, { auth: { token: await jwks.sign(true) } })).toBe('connected');
      // Only JWKS is configured: an HMAC token (whatever its secret) is never accepted.
      expect(await wsOutcome(url, { query: `token=${await hs256()}` })).toBe(401);
      expect(upstream.requests).toHaveLength(1);
    });

    it('refuses every token when the JWKS URL cannot be fetched', async () => {
      const jwks = await startHttpServer(() => ({ status: 500 }));
      const { url } = await startRig({ jwksUrl: `${jwks.url}/jwks.json` });
      expect(await wsOutcome(url, { query: `token=${await hs256()}` })).toBe(401);
    });
  });

  describe(`auth URL at connect (${runtime})`, () => {
    /** An auth endpoint admitting cookie session=good or Bearer good. */
    const startAuth = () =>
      startHttpServer((req) => {
        const ok =
          req.headers.cookie === 'session=good' || req.headers.authorization === 'Bearer good';
        if (req.url === '/redirect') return { status: 302, headers: { location: '/ok' } };
        return { status: ok ? 204 : 401 };
      });

    it('admits on 2xx and sends the forwarded cookie and token', async () => {
      const auth = await startAuth();
      const { url, upstream } = await startRig({ authUrl: `${auth.url}/check` });
      const client = await connectWs(url, { headers: { cookie: 'session=good' } });
      await chatOnce(client);
      expect(await sioOutcome(url, { auth: { token: 'good' } })).toBe('connected');
      expect(auth.requests[0]?.cookie).toBe('session=good');
      expect(auth.requests[1]?.authorization).toBe('Bearer good');
      expect(upstream.requests).toHaveLength(1);
      expect(upstream.requests[0]?.headers.cookie).toBe('session=good');
    });

    it('refuses on 401, on a redirect (not followed) and when unreachable', async () => {
      const auth = await startAuth();
      const { url, upstream } = await startRig({ authUrl: `${auth.url}/check` });
      expect(await wsOutcome(url, { headers: { cookie: 'session=bad' } })).toBe(401);
      expect(await sioOutcome(url, { auth: { token: 'bad' } })).toBe('unauthorized');
      expect(await sioOutcome(url)).toBe('unauthorized');

      const redirecting = await startRig({ authUrl: `${auth.url}/redirect` });
      const good = { headers: { cookie: 'session=good' } };
      expect(await wsOutcome(redirecting.url, good)).toBe(401);
      expect(auth.requests.filter((h) => h.cookie === 'session=good')).toHaveLength(1);

      const down = await startRig({ authUrl: await closedPortUrl() });
      expect(await wsOutcome(down.url, good)).toBe(401);
      expect(await sioOutcome(down.url, { extraHeaders: { cookie: 'session=good' } })).toBe(
        'unauthorized',
      );
      expect(upstream.requests).toEqual([]);
    });
  });

  describe(`connection limit (${runtime})`, () => {
    it('refuses the (n+1)th client with 503 / server_busy and admits again once one left', async () => {
      const { url } = await startRig({ maxConnections: 2 });
      const first = await connectWs(url);
      await chatOnce(first);
      const second = await connectSio(url, WEBSOCKET_ONLY);
      expect(second.socket.connected).toBe(true);
      expect(await wsOutcome(url)).toBe(503);
      expect(refusedAs('server_busy')).toContain(await sioOutcome(url));
      // Regression: on Workers a client's close after a chat went unanswered (1006 after ws's
      // 30 s close timeout), so the slot stayed taken that long.
      first.ws.close();
      expect((await first.closed).code).not.toBe(1006);
      // The server sees the close a little later: retry until a new client is admitted.
      const third = await eventually(() => connectWs(url));
      await chatOnce(third);
    });
  });
}
