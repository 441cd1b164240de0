import { describe, expect, it } from 'vitest';
import {
  admissionContractTests,
  hs256,
  OTHER_ORIGIN,
  SECRET,
  refusedAs,
  sioOutcome,
  wsOutcome,
} from '../contract/admission-contract.ts';
import { onCleanup, startBridge } from '../helpers/bridge.ts';
import { connectSio, connectWs, wsRequest } from '../helpers/clients.ts';
import { sseBody, sseFrames, startFakeUpstream } from '../helpers/fake-upstream.ts';

admissionContractTests('node', startBridge);

async function startRig(overrides: Parameters<typeof startBridge>[1] = {}) {
  const upstream = await startFakeUpstream(sseBody(sseFrames({ type: 'stop' })));
  onCleanup(() => upstream.close());
  return { upstream, server: await startBridge(upstream.url, overrides) };
}

describe('admission on Node only', () => {
  it('checks Socket.IO long-polling connects too', async () => {
    const { server, upstream } = await startRig();
    const polling = { transports: ['polling'] };
    // Refused at the Engine.IO handshake: the 403 body names the code.
    expect(
      await sioOutcome(server.url, { ...polling, extraHeaders: { origin: OTHER_ORIGIN } }),
    ).toBe('forbidden_origin');
    // Default transports start with long-polling.
    expect(refusedAs('forbidden_origin')).toContain(
      await sioOutcome(server.url, {
        transports: ['polling', 'websocket'],
        extraHeaders: { origin: OTHER_ORIGIN },
      }),
    );
    expect(await sioOutcome(server.url, polling)).toBe('connected');
    expect(await sioOutcome(server.url, { ...polling, extraHeaders: { origin: server.url } })).toBe(
      'connected',
    );
    expect(upstream.requests).toEqual([]);
  });

  it('answers long-polling from an allowed other origin with CORS (credentials), and no other', async () => {
    const app = 'http://app.example';
    const { server } = await startRig({ allowedOrigins: [app] });
    const handshake = `${server.url}/socket.io/?EIO=4&transport=polling`;
    const allowed = await fetch(handshake, { headers: { origin: app } });
    await allowed.arrayBuffer();
    expect(allowed.headers.get('access-control-allow-origin')).toBe(app);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    const other = await fetch(handshake, { headers: { origin: OTHER_ORIGIN } });
    await other.arrayBuffer();
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(
      await sioOutcome(server.url, { transports: ['polling'], extraHeaders: { origin: app } }),
    ).toBe('connected');
  });

  it('gives the session the JWT sub as its userId', async () => {
    const { server } = await startRig({ jwtSecret: SECRET });
    await connectWs(server.url, { query: `token=${await hs256({ sub: 'alice' })}` });
    await connectSio(server.url, {
      transports: ['websocket'],
      auth: { token: await hs256({ sub: 'bob' }) },
    });
    const users = [...server.bridge.sessions].map((s) => s.userId).sort();
    expect(users).toEqual(['alice', 'bob']);
  });

  // One lifecycle (issue 18): admission, the bridge and readiness share the drain, so a draining
  // bridge also refuses new streams on the connections it keeps.
  it('refuses new clients with 503 / server_shutdown once draining, and keeps the connected ones', async () => {
    const { server, upstream } = await startRig();
    const connected = await connectWs(server.url);
    expect(server.admission.draining).toBe(false);
    server.admission.startDraining();
    expect(server.admission.draining).toBe(true);
    expect(await wsOutcome(server.url)).toBe(503);
    expect(refusedAs('server_shutdown')).toContain(
      await sioOutcome(server.url, { transports: ['websocket'] }),
    );
    expect(await sioOutcome(server.url, { transports: ['polling'] })).toBe('server_shutdown');
    expect(server.bridge.lifecycle.draining).toBe(true);
    const refused = await wsRequest(connected, 'chat_message', { current_text: 'late' });
    expect(refused).toMatchObject({ error: { code: 'server_shutdown' } });
    expect(await wsRequest(connected, 'ping', {})).not.toHaveProperty('error');
    expect(upstream.requests).toHaveLength(0);
  });
});
