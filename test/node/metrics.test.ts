/** `GET /metrics`: Prometheus text from a real bridge after real streams, errors and clients. */
import { describe, expect, it } from 'vitest';
import { onCleanup, startBridge } from '../helpers/bridge.ts';
import { assertWellFormed, connectSio, connectWs, type WsClient } from '../helpers/clients.ts';
import { sseBody, sseFrames, startFakeUpstream } from '../helpers/fake-upstream.ts';
import { DEFAULT_LAG_SAMPLE_EVERY } from '../../src/node/metrics.ts';

/** One sample of the exposition: `name{labels} value`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key as string] = value as string;
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Scrape a bridge; `get(name, labels)` reads one sample (undefined when absent). */
async function scrape(baseUrl: string) {
  const res = await fetch(`${baseUrl}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  const samples = parseExposition(text);
  return {
    text,
    contentType: res.headers.get('content-type'),
    get(name: string, labels: Record<string, string> = {}): number | undefined {
      return samples.find(
        (s) =>
          s.name === name &&
          Object.keys(labels).length === Object.keys(s.labels).length &&
          Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      )?.value;
    },
  };
}

/** Scrape until `ok` holds (metrics of a disconnect land when the server notices it). */
async function scrapeUntil(
  baseUrl: string,
  ok: (m: Awaited<ReturnType<typeof scrape>>) => boolean,
  what: string,
) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const m = await scrape(baseUrl);
    if (ok(m)) return m;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${m.text}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let nextId = 1;
async function chat(client: WsClient, data: Record<string, unknown>) {
  const id = nextId++;
  client.send({ event: 'chat_message', data, id });
  const ack = await client.inbox.waitFor((m) => m.id === id, 10_000, `ack ${id}`);
  const requestId = ack.data?.request_id as string;
  const frames = await client.frames(requestId);
  assertWellFormed(frames);
  return { requestId, frames };
}

describe('GET /metrics', () => {
  it('counts streams, frames, errors, first frames and resumes after real streams', async () => {
    const upstream = await startFakeUpstream((req, res, recorded) => {
      if (JSON.parse(recorded.body).current_text === 'fail') {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
        return;
      }
      return sseBody(
        sseFrames(
          { type: 'text', content: { data: 'a' } },
          { type: 'text', content: { data: 'b' } },
          { type: 'text', content: { data: 'c' } },
          { type: 'stop' },
        ),
      )(req, res, recorded);
    });
    onCleanup(() => upstream.close());
    const bridge = await startBridge(upstream.url);
    const client = await connectWs(bridge.url);

    const ok = await chat(client, { current_text: 'hi' });
    expect(ok.frames.map((f) => f.type)).toEqual(['text', 'text', 'text', 'stop']);
    const failed = await chat(client, { current_text: 'fail' });
    expect(failed.frames.map((f) => f.type)).toEqual(['error', 'stop']);
    client.send({
      event: 'chat_resume',
      data: { request_id: ok.requestId, after_seq: 1 },
      id: 'r',
    });
    await client.inbox.waitFor((m) => m.id === 'r' && m.event === 'ack', 10_000, 'resume ack');
    // The replayed frames (seq 2 and 3) count as relayed too.
    const relayed = ok.frames.length + failed.frames.length + 2;

    const m = await scrapeUntil(
      bridge.url,
      (s) => s.get('sse2ws_frames_relayed_total') === relayed,
      `${relayed} relayed frames`,
    );
    expect(m.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.get('sse2ws_streams_finished_total', { outcome: 'complete' })).toBe(1);
    expect(m.get('sse2ws_streams_finished_total', { outcome: 'upstream_status' })).toBe(1);
    expect(m.get('sse2ws_upstream_errors_total', { code: 'upstream_status' })).toBe(1);
    expect(m.get('sse2ws_streams_active')).toBe(0);
    expect(m.get('sse2ws_resumes_total')).toBe(1);
    expect(m.get('sse2ws_first_frame_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(m.get('sse2ws_first_frame_seconds_sum')).toBeGreaterThan(0);
    expect(m.get('sse2ws_first_frame_seconds_bucket', { le: '+Inf' })).toBe(
      m.get('sse2ws_first_frame_seconds_count'),
    );
    // Sampled: the first frame relayed and every DEFAULT_LAG_SAMPLE_EVERY-th after it.
    expect(m.get('sse2ws_frame_lag_seconds_count')).toBe(
      Math.ceil(relayed / DEFAULT_LAG_SAMPLE_EVERY),
    );
    expect(m.get('sse2ws_slow_clients_disconnected_total')).toBe(0);
    // Process metrics ride along (unprefixed, the names standard dashboards use).
    expect(m.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(m.text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('tracks connections per protocol and drops back to 0 after they disconnect', async () => {
    const upstream = await startFakeUpstream(sseBody(sseFrames({ type: 'stop' })));
    onCleanup(() => upstream.close());
    const bridge = await startBridge(upstream.url);
    const before = await scrape(bridge.url);
    expect(before.get('sse2ws_connections', { protocol: 'ws' })).toBe(0);
    expect(before.get('sse2ws_connections', { protocol: 'socketio' })).toBe(0);

    const ws = await connectWs(bridge.url);
    const sio = await connectSio(bridge.url);
    await scrapeUntil(
      bridge.url,
      (m) =>
        m.get('sse2ws_connections', { protocol: 'ws' }) === 1 &&
        m.get('sse2ws_connections', { protocol: 'socketio' }) === 1,
      'one connection per protocol',
    );

    ws.ws.close();
    sio.socket.disconnect();
    await scrapeUntil(
      bridge.url,
      (m) =>
        m.get('sse2ws_connections', { protocol: 'ws' }) === 0 &&
        m.get('sse2ws_connections', { protocol: 'socketio' }) === 0,
      'no connections',
    );
  });

  it('counts refused handshakes by reason', async () => {
    const upstream = await startFakeUpstream(sseBody(sseFrames({ type: 'stop' })));
    onCleanup(() => upstream.close());
    const bridge = await startBridge(upstream.url);
    await expect(
      connectWs(bridge.url, { headers: { origin: 'https://elsewhere.example' } }),
    ).rejects.toThrow(/403/);
    const m = await scrape(bridge.url);
    expect(m.get('sse2ws_handshakes_refused_total', { reason: 'forbidden_origin' })).toBe(1);
    expect(m.get('sse2ws_connections', { protocol: 'ws' })).toBe(0);
  });

  it('keeps each server in its own registry', async () => {
    const upstream = await startFakeUpstream(
      sseBody(sseFrames({ type: 'text', content: { data: 'x' } }, { type: 'stop' })),
    );
    onCleanup(() => upstream.close());
    const busy = await startBridge(upstream.url);
    const idle = await startBridge(upstream.url);
    await chat(await connectWs(busy.url), { current_text: 'hi' });
    await scrapeUntil(
      busy.url,
      (m) => m.get('sse2ws_streams_finished_total', { outcome: 'complete' }) === 1,
      'the stream on the busy server',
    );
    const other = await scrape(idle.url);
    expect(other.get('sse2ws_frames_relayed_total')).toBe(0);
    expect(other.get('sse2ws_streams_finished_total', { outcome: 'complete' })).toBeUndefined();
  });
});
