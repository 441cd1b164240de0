/**
 * The portable admission (src/core/admission.ts) on its own: the Origin rule, what a refusal
 * reports and logs, the connection count while credentials are checked, draining, and that a
 * header value with CR/LF never leaves the bridge. The auth URL is a real node:http server.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  type AdmissionHost,
  createAdmission,
  isOriginAllowed,
} from '../../src/core/http/admission.ts';
import { toPresentedToken } from '../../src/core/auth/credentials.ts';
import { toForwardedHeaders } from '../../src/core/protocol/handshake.ts';
import type { Logger } from '../../src/core/internal/logger.ts';
import { silentObserver } from '../../src/core/internal/observer.ts';
import { type BridgeOptions } from '../../src/core/config/types.ts';
import { OptionError } from '../../src/core/config/option-error.ts';
import { onCleanup, testOptions } from '../helpers/bridge.ts';

/** An auth endpoint that records headers and answers 204 once `release` is called (or at once). */
async function startAuthServer(hold = false) {
  const requests: IncomingHttpHeaders[] = [];
  const waiting: ServerResponse[] = [];
  const server = createServer((req, res) => {
    requests.push(req.headers);
    if (hold) waiting.push(res);
    else res.writeHead(204).end();
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
  return {
    url: `http://127.0.0.1:${port}/check`,
    requests,
    arrived: async (n: number) => {
      while (requests.length < n) await new Promise((r) => setTimeout(r, 5));
    },
    release: () => {
      for (const res of waiting.splice(0)) res.writeHead(204).end();
    },
  };
}

/** An admission over an empty session set, with a recording logger and observer. */
function rig(overrides: Partial<BridgeOptions> = {}) {
  const refused: string[] = [];
  const logs: Array<{ fields: Record<string, unknown>; message: string }> = [];
  const record = (fields: Record<string, unknown>, message: string) =>
    void logs.push({ fields, message });
  const logger: Logger = { debug: record, info: record, warn: record, error: record };
  const sessions = new Set<never>();
  const host: AdmissionHost = {
    options: testOptions(overrides),
    sessions,
    logger,
    observer: { ...silentObserver, handshakeRefused: (code) => void refused.push(code) },
  };
  return { admission: createAdmission(host, { fetch }), refused, logs };
}

describe('isOriginAllowed', () => {
  it.each([
    [undefined, 'bridge.example', undefined, true],
    ['https://bridge.example', 'bridge.example', undefined, true],
    ['https://bridge.example', 'bridge.example:443', undefined, true],
    ['http://bridge.example:8080', 'bridge.example:8080', undefined, true],
    ['HTTP://Bridge.Example:8080', 'bridge.example:8080', undefined, true],
    ['http://bridge.example:8081', 'bridge.example:8080', undefined, false],
    ['https://evil.example', 'bridge.example', undefined, false],
    ['https://bridge.example.evil.example', 'bridge.example', undefined, false],
    ['null', 'bridge.example', undefined, false],
    ['', 'bridge.example', undefined, false],
    ['https://bridge.example', undefined, undefined, false],
    ['https://app.example', 'bridge.example', ['https://app.example'], true],
    ['https://app.example:443', 'bridge.example', ['https://app.example'], true],
    ['http://app.example', 'bridge.example', ['https://app.example'], false],
    ['https://bridge.example', 'bridge.example', ['https://app.example'], false],
    [undefined, 'bridge.example', ['https://app.example'], true],
    ['https://evil.example', 'bridge.example', ['*'], true],
    ['null', 'bridge.example', ['*'], true],
  ] as const)('origin %s, host %s, allowed %j -> %s', (origin, host, allowed, expected) => {
    expect(isOriginAllowed(origin, host, allowed)).toBe(expected);
  });
});

describe('createAdmission', () => {
  it('reports and logs every refusal at info, without the token or the cookie', async () => {
    const { admission, refused, logs } = rig({ jwtSecret: 'a-test-secret-of-at-least-32-bytes!' });
    const result = await admission.admit({
      protocol: 'ws',
      headers: { host: 'bridge.example', cookie: 'session=s3cr3t', authorization: 'Bearer t0k3n' },
      token: 'q7ery',
    });
    expect(result).toMatchObject({ ok: false, status: 401, error: { code: 'unauthorized' } });
    const other = await admission.admit({
      protocol: 'socketio',
      headers: { host: 'bridge.example', origin: 'https://evil.example' },
    });
    expect(other).toMatchObject({ ok: false, status: 403, error: { code: 'forbidden_origin' } });
    expect(refused).toEqual(['unauthorized', 'forbidden_origin']);
    expect(logs.map((l) => [l.message, l.fields.code])).toEqual([
      ['connection refused', 'unauthorized'],
      ['connection refused', 'forbidden_origin'],
    ]);
    const logged = JSON.stringify(logs);
    for (const secret of ['s3cr3t', 't0k3n', 'q7ery']) expect(logged).not.toContain(secret);
  });

  it('takes the user id from the JWT sub', async () => {
    const secret = 'a-test-secret-of-at-least-32-bytes!';
    const { admission } = rig({ jwtSecret: secret });
    const token = await new SignJWT({ sub: 'user-42' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret));
    const result = await admission.admit({ protocol: 'ws', headers: {}, token });
    expect(result.ok && result.handshake).toEqual({
      headers: {},
      token,
      userId: 'user-42',
      expiresAt: expect.any(Number),
    });
  });

  it('counts connections whose credentials are still being checked against maxConnections', async () => {
    const auth = await startAuthServer(true);
    const { admission } = rig({ authUrl: auth.url, maxConnections: 2 });
    const request = { protocol: 'ws' as const, headers: {} };
    const first = admission.admit(request);
    const second = admission.admit(request);
    const third = await admission.admit(request);
    expect(third).toMatchObject({ ok: false, status: 503, error: { code: 'server_busy' } });
    await auth.arrived(2);
    auth.release();
    expect((await first).ok).toBe(true);
    expect((await second).ok).toBe(true);
    // Their checks ended: the slots are free again (no session was opened with them here).
    const fourth = admission.admit(request);
    await auth.arrived(3);
    auth.release();
    expect((await fourth).ok).toBe(true);
  });

  it('refuses with server_shutdown once draining, also a connect whose check was running', async () => {
    const auth = await startAuthServer(true);
    const { admission, refused } = rig({ authUrl: auth.url });
    const request = { protocol: 'socketio' as const, headers: {} };
    const running = admission.admit(request);
    await auth.arrived(1);
    admission.startDraining();
    expect(admission.draining).toBe(true);
    expect(await admission.admit(request)).toMatchObject({
      ok: false,
      status: 503,
      error: { code: 'server_shutdown' },
    });
    auth.release();
    expect(await running).toMatchObject({ ok: false, error: { code: 'server_shutdown' } });
    expect(refused).toEqual(['server_shutdown', 'server_shutdown']);
  });

  it('never sends a header value with CR/LF to the auth URL (nor upstream)', async () => {
    const auth = await startAuthServer();
    const { admission } = rig({ authUrl: auth.url });
    const headers = {
      cookie: 'a=1\r\nx-injected: 1',
      'accept-language': 'fr\nx-injected: 2',
      authorization: 'Bearer ok',
    };
    expect((await admission.admit({ protocol: 'ws', headers })).ok).toBe(true);
    const smuggledToken = { protocol: 'ws' as const, headers: {}, token: 'ok\r\nx-injected: 3' };
    expect((await admission.admit(smuggledToken)).ok).toBe(true);
    expect(auth.requests).toHaveLength(2);
    expect(auth.requests[0]?.authorization).toBe('Bearer ok');
    expect(auth.requests[0]?.cookie).toBeUndefined();
    expect(auth.requests[0]?.['accept-language']).not.toContain('fr');
    expect(auth.requests[1]?.authorization).toBeUndefined();
    for (const seen of auth.requests) expect(seen['x-injected']).toBeUndefined();
    expect(toForwardedHeaders({ headers }, ['cookie', 'accept-language', 'authorization'])).toEqual(
      { authorization: 'Bearer ok' },
    );
  });

  it('refuses to start with an empty JWT secret', () => {
    expect(() => rig({ jwtSecret: '' })).toThrow(OptionError);
  });
});

describe('toPresentedToken', () => {
  it('prefers a Bearer Authorization header, then the handshake token', () => {
    expect(toPresentedToken({ headers: { authorization: 'Bearer a.b.c' }, token: 'x' })).toBe(
      'a.b.c',
    );
    expect(toPresentedToken({ headers: { authorization: 'bearer  a.b.c ' } })).toBe('a.b.c');
    expect(toPresentedToken({ headers: { authorization: 'Basic dXNlcg==' }, token: 'x' })).toBe(
      'x',
    );
    expect(toPresentedToken({ headers: {}, token: '' })).toBeUndefined();
    expect(toPresentedToken({ headers: {} })).toBeUndefined();
  });
});
