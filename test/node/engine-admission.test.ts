/**
 * Admission before any session exists (issue 16, item 4): a flood of Engine.IO handshakes (no
 * token needed, no namespace CONNECT ever sent) used to make a session each, ignoring
 * --max-connections. Now every handshake is admitted in allowRequest and counts from then on, and
 * a session that does not CONNECT to the namespace in time is let go.
 */
import { describe, expect, it } from 'vitest';
import { hs256, SECRET } from '../contract/admission-contract.ts';
import { startBridge } from '../helpers/bridge.ts';
import { connectSio, connectWs } from '../helpers/clients.ts';

const handshake = (url: string, query = '') =>
  fetch(`${url}/socket.io/?EIO=4&transport=polling${query}`).then(async (res) => ({
    status: res.status,
    body: await res.text(),
  }));

describe('Engine.IO admission (node)', () => {
  it('a polling handshake flood never holds more than --max-connections sessions', async () => {
    const server = await startBridge('http://127.0.0.1:9/chat', {
      maxConnections: 3,
      handshakeTimeoutMs: 500,
    });
    const answers = await Promise.all(Array.from({ length: 30 }, () => handshake(server.url)));
    const opened = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status !== 200);
    expect(opened).toHaveLength(3);
    expect(refused).toHaveLength(27);
    expect(refused.every((a) => a.status === 403 && a.body.includes('server_busy'))).toBe(true);
    expect(server.io.engine.clientsCount).toBe(3);
    // The slots are taken by sessions that never connected to a namespace: /ws is full too.
    await expect(connectWs(server.url)).rejects.toThrow(/503/);
    // They never send a namespace CONNECT: let go after the handshake timeout, and a real client
    // gets in again.
    await expect.poll(() => server.io.engine.clientsCount, { timeout: 10_000 }).toBe(0);
    const client = await connectSio(server.url);
    expect(client.socket.connected).toBe(true);
  });

  it('checks a token carried by the handshake there; auth.token still works at the CONNECT', async () => {
    const server = await startBridge('http://127.0.0.1:9/chat', { jwtSecret: SECRET });
    const bad = await handshake(server.url, '&token=not-a-jwt');
    expect(bad.status).toBe(403);
    expect(bad.body).toContain('unauthorized');
    const good = await handshake(server.url, `&token=${await hs256({ sub: 'alice' })}`);
    expect(good.status).toBe(200);
    const client = await connectSio(server.url, { auth: { token: await hs256({ sub: 'bob' }) } });
    expect(client.socket.connected).toBe(true);
    expect(server.io.engine.clientsCount).toBe(2);
  });
});
