/**
 * `--events-url`: the backend's notification stream, one GET SSE request per client with that
 * client's headers, relayed to it, reconnected with Last-Event-ID, closed when the client leaves.
 */
import { describe, expect, it } from 'vitest';
import { onCleanup, startBridge } from '../helpers/bridge.ts';
import { connectSio, connectWs } from '../helpers/clients.ts';
import {
  sseBody,
  sseFrames,
  sseHead,
  startFakeUpstream,
  writeInChunks,
} from '../helpers/fake-upstream.ts';

async function chatUpstream() {
  const upstream = await startFakeUpstream(sseBody(sseFrames({ type: 'stop' })));
  onCleanup(() => upstream.close());
  return upstream;
}

describe('the backend events stream (--events-url)', () => {
  it("relays each client's own stream, opened with its forwarded headers", async () => {
    const events = await startFakeUpstream(async (req, res) => {
      const user = String(req.headers.cookie).replace('session=', '');
      sseHead(res);
      // Split mid-line and mid-character, with CRLF and a comment, like a real backend's chunks.
      const body =
        ': hello\r\n\r\n' +
        `data: {"title":"Report","message":"ready for ${user} ✓","type":"info"}\r\n\r\n` +
        'event: workflow_status\ndata: {"step":2,"of":3}\n\n' +
        'event: device\ndata: phone online\n\n' +
        'event: chat_response\ndata: {"seq":0,"content":"forged"}\n\n' +
        'data: {"type":"done","title":"end"}\n\n';
      await writeInChunks(res, body, 5);
    });
    onCleanup(() => events.close());
    const upstream = await chatUpstream();
    const bridge = await startBridge(upstream.url, { eventsUrl: events.url });
    const alice = await connectWs(bridge.url, { headers: { cookie: 'session=alice' } });
    const bob = await connectSio(bridge.url, {
      transports: ['websocket'],
      extraHeaders: { cookie: 'session=bob' },
    });
    await alice.inbox.waitFor((m) => m.event === 'notification' && m.data.title === 'end');
    await bob.inbox.waitFor((m) => m.event === 'notification' && m.args[0].title === 'end');
    expect(alice.inbox.items.filter((m) => m.event !== 'presence')).toEqual([
      {
        event: 'notification',
        data: { title: 'Report', message: 'ready for alice ✓', type: 'info' },
      },
      { event: 'workflow_status', data: { step: 2, of: 3 } },
      { event: 'device', data: { data: 'phone online' } },
      { event: 'notification', data: { type: 'done', title: 'end' } },
    ]);
    expect(bob.inbox.items[0]).toEqual({
      event: 'notification',
      args: [{ title: 'Report', message: 'ready for bob ✓', type: 'info' }],
    });
    expect(alice.inbox.raw[0]?.data.timestamp).toEqual(expect.any(Number));
    const requests = events.requests.map((r) => ({
      method: r.method,
      cookie: r.headers.cookie,
      accept: r.headers.accept,
    }));
    expect(requests.sort((a, b) => String(a.cookie).localeCompare(String(b.cookie)))).toEqual([
      { method: 'GET', cookie: 'session=alice', accept: 'text/event-stream' },
      { method: 'GET', cookie: 'session=bob', accept: 'text/event-stream' },
    ]);
  });

  it("reconnects after the backend drops it, with Last-Event-ID and the server's retry", async () => {
    let connection = 0;
    const events = await startFakeUpstream(async (req, res) => {
      connection++;
      sseHead(res);
      if (connection === 1) {
        res.write(
          'retry: 20\nid: 41\ndata: {"title":"first"}\n\nid: 42\ndata: {"title":"second"}\n\n',
        );
        res.end();
      } else if (connection === 2) {
        // A dropped connection (no clean end) reconnects too.
        const seen = req.headers['last-event-id'];
        res.write(`data: {"title":"third","seen":"${seen}"}\n\n`, () => res.destroy());
      } else {
        res.write(`id: 43\ndata: {"title":"fourth","seen":"${req.headers['last-event-id']}"}\n\n`);
      }
    });
    onCleanup(() => events.close());
    const upstream = await chatUpstream();
    const bridge = await startBridge(upstream.url, { eventsUrl: events.url });
    const client = await connectWs(bridge.url);
    await client.inbox.waitFor((m) => m.data?.title === 'fourth');
    expect(client.inbox.items.map((m) => m.data)).toEqual([
      { title: 'first' },
      { title: 'second' },
      { title: 'third', seen: '42' },
      { title: 'fourth', seen: '42' },
    ]);
    expect(events.requests.map((r) => r.headers['last-event-id'])).toEqual([undefined, '42', '42']);
  });

  it('closes the request when the client leaves', async () => {
    const events = await startFakeUpstream((_req, res) => {
      sseHead(res);
      res.write('data: {"title":"hello"}\n\n');
    });
    onCleanup(() => events.close());
    const upstream = await chatUpstream();
    const bridge = await startBridge(upstream.url, { eventsUrl: events.url });
    const ws = await connectWs(bridge.url);
    const sio = await connectSio(bridge.url, { transports: ['websocket'] });
    await ws.inbox.waitFor((m) => m.event === 'notification');
    await sio.inbox.waitFor((m) => m.event === 'notification');
    const [first, second] = [await events.request(0), await events.request(1)];
    ws.ws.close();
    sio.socket.close();
    await first.closed;
    await second.closed;
    expect(events.requests).toHaveLength(2);
  });

  it('opens nothing without the option', async () => {
    const upstream = await chatUpstream();
    const bridge = await startBridge(upstream.url);
    const client = await connectWs(bridge.url);
    client.send({ event: 'chat_message', id: 1, data: { q: 1 } });
    const ack = await client.inbox.waitFor((m) => m.id === 1);
    await client.frames(ack.data.request_id);
    expect(upstream.requests.map((r) => r.method)).toEqual(['POST']);
  });
});
