/** BridgeEventSource: the EventSource interface over one bridged chat. */
import { type AddressInfo, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BridgeEventSource, type BridgeMessageEvent, EventSource } from '../../src/client/index.ts';
import { startCountingUpstream } from '../contract/counting-upstream.ts';
import { onCleanup, startBridge } from '../helpers/bridge.ts';
import { sseFrames, sseHead, startFakeUpstream } from '../helpers/fake-upstream.ts';
import { PROTOCOLS, waitUntil } from './client-helpers.ts';

function open(url: string, protocol: 'ws' | 'socketio', data: Record<string, unknown>) {
  const source = new BridgeEventSource(url, { protocol, data, WebSocket, reconnectDelayMs: 20 });
  onCleanup(() => source.close());
  return source;
}

describe.each(PROTOCOLS)('BridgeEventSource over %s', (protocol) => {
  it('onopen, onmessage, named listeners and readyState, closing after the stop', async () => {
    const upstream = await startFakeUpstream((_req, res) => {
      sseHead(res);
      res.end(
        sseFrames(
          { type: 'agent_status', content: { status: 'thinking', message: 'hm' } },
          { type: 'text', content: { data: 'Hel' } },
          { type: 'text', content: { data: 'lo' } },
        ),
      );
    });
    onCleanup(() => upstream.close());
    const bridge = await startBridge(upstream.url);

    const source = open(bridge.url, protocol, { current_text: 'hi' });
    const log: string[] = [];
    expect(source.readyState).toBe(EventSource.CONNECTING);
    source.onopen = () => log.push(`open ${source.readyState}`);
    source.onmessage = (e) => log.push(`message ${e.type} ${e.data} #${e.lastEventId}`);
    source.addEventListener('text', (e) => log.push(`text ${e.data}`));
    source.addEventListener('agent_status', {
      handleEvent: (e: BridgeMessageEvent) => log.push(`agent_status ${e.data}`),
    });
    source.addEventListener('stop', () => log.push(`stop ${source.readyState}`));

    await waitUntil(() => source.readyState === EventSource.CLOSED, 'the stop');

    expect(log).toEqual([
      'open 1',
      'message message {"type":"agent_status","content":{"status":"thinking","message":"hm"}} #0',
      'agent_status {"status":"thinking","message":"hm"}',
      'message message {"type":"text","content":{"data":"Hel"}} #1',
      'text Hel',
      'message message {"type":"text","content":{"data":"lo"}} #2',
      'text lo',
      'message message {"type":"stop","content":{"reason":"complete"}} #3',
      'stop 1',
    ]);
    expect(JSON.parse((await upstream.request(0)).body)).toMatchObject({ current_text: 'hi' });
    await waitUntil(() => bridge.bridge.sessions.size === 0, 'the connection to close');
  });

  it('close() cancels the chat upstream and dispatches nothing more', async () => {
    const upstream = await startCountingUpstream(1_000, 10);
    const bridge = await startBridge(upstream.url);
    const source = open(bridge.url, protocol, { current_text: 'long' });
    const texts: string[] = [];
    source.addEventListener('text', (e) => {
      texts.push(e.data ?? '');
      if (texts.length === 3) source.close();
    });

    await (
      await upstream.request(0)
    ).closed;
    await waitUntil(() => bridge.bridge.sessions.size === 0, 'the connection to close');

    expect(texts).toEqual(['f0', 'f1', 'f2']);
    expect(source.readyState).toBe(EventSource.CLOSED);
  });

  it('error frames reach onerror with data; removeEventListener stops a listener', async () => {
    const upstream = await startFakeUpstream((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('boom');
    });
    onCleanup(() => upstream.close());
    const bridge = await startBridge(upstream.url);
    const source = open(bridge.url, protocol, { current_text: 'hi' });
    const errors: BridgeMessageEvent[] = [];
    const stops: string[] = [];
    source.onerror = (e) => errors.push(e);
    const onStop = (e: BridgeMessageEvent) => stops.push(e.data ?? '');
    source.addEventListener('stop', onStop);
    source.removeEventListener('stop', onStop);

    await waitUntil(() => source.readyState === EventSource.CLOSED, 'the stop');

    expect(errors).toHaveLength(1);
    expect(JSON.parse(errors[0]?.data ?? '')).toMatchObject({
      code: 'upstream_status',
      status: 500,
    });
    expect(stops).toEqual([]);
  });
});

it('a connection that cannot open fires error events while CONNECTING, then close() ends it', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  const source = new BridgeEventSource(`http://127.0.0.1:${port}`, {
    protocol: 'ws',
    data: {},
    WebSocket,
    reconnectDelayMs: 10,
    reconnectDelayMaxMs: 20,
  });
  onCleanup(() => source.close());
  const errors: BridgeMessageEvent[] = [];
  source.onerror = (e) => errors.push(e);

  await waitUntil(() => errors.length >= 2, 'two failed attempts');
  expect(source.readyState).toBe(EventSource.CONNECTING);
  expect(errors[0]).toMatchObject({ type: 'error', error: { code: 'connect_failed' } });
  expect(errors[0]?.data).toBeUndefined();
  source.close();
  expect(source.readyState).toBe(EventSource.CLOSED);
});
