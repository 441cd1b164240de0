/**
 * Issue 15: every recorded peer fixture (test/fixtures/peers/) written byte for byte, head and
 * transfer framing included, by a real TCP server to a real bridge, read by a real Socket.IO
 * client. The frames must equal the in-process replay of the same body (test/core/peer-replay),
 * which holds the hand-written expectations; here the HTTP client, the pool and the transport are
 * real. The raw bytes go out in two writes, split in the middle of the body.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { onCleanup, startBridge } from '../helpers/bridge.ts';
import { assertWellFormed, connectSio, withoutTimestamp } from '../helpers/clients.ts';
import { loadAllPeerFixtures } from '../helpers/peer-fixtures.ts';
import { relayBody } from '../helpers/relay.ts';

const fixtures = loadAllPeerFixtures();

/** Answers each request with the raw bytes of the fixture its JSON body names. */
async function startRawUpstream(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const fixture = fixtures.find((f) => f.name === JSON.parse(body).fixture);
      const socket = req.socket;
      // The response is the recording itself: node's own writer stays out of it.
      res.detachSocket(socket);
      if (!fixture) return void socket.destroy();
      const half = fixture.raw.length - Math.floor(fixture.body.length / 2);
      socket.write(fixture.raw.subarray(0, half));
      setTimeout(() => {
        socket.write(fixture.raw.subarray(half), () => {
          if (fixture.abrupt) socket.resetAndDestroy();
          else socket.end();
        });
      }, 5);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/chat`, server };
}

describe('peer fixtures through a real bridge (node)', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s', async (name, fixture) => {
    const upstream = await startRawUpstream();
    onCleanup(
      () =>
        new Promise<void>((resolve) => {
          upstream.server.closeAllConnections();
          upstream.server.close(() => resolve());
        }),
    );
    const bridge = await startBridge(upstream.url);
    const client = await connectSio(bridge.url, { transports: ['websocket'] });
    const ack = await client.request('chat_message', { fixture: name });
    const frames = await client.frames(ack.request_id);
    assertWellFormed(frames);
    const headers: Record<string, string> = {};
    fixture.head.headers.forEach((value, key) => (headers[key] = value));
    // A body delimited by the connection's close (nchan: neither chunked nor a Content-Length)
    // ends the same way whether the server finished or died: HTTP/1.1 gives no way to tell, and
    // undici reports a reset after it as the end. Only framed bodies can show an abrupt end.
    const framed =
      headers['transfer-encoding'] !== undefined || headers['content-length'] !== undefined;
    const expected = await relayBody(fixture.body, 'auto', {
      headers,
      status: fixture.head.status,
      abrupt: fixture.abrupt && framed,
    });
    if (fixture.abrupt && !framed) expect(name).toBe('nchan-abrupt.capture');
    expect(frames.map(({ type, content }) => withoutTimestamp({ type, content }))).toEqual(
      expected.frames.map(({ type, content }) => ({ type, content })),
    );
  });
});
