/** client.chat() over both protocols against a real bridge and a real SSE upstream. */
import { describe, expect, it } from 'vitest';
import { ClientError } from '../../src/client/index.ts';
import { expectedFrames, startCountingUpstream } from '../contract/counting-upstream.ts';
import { startBridge } from '../helpers/bridge.ts';
import { settleToBaseline, takeSnapshot, waitUntilNone } from '../helpers/resources.ts';
import { collect, connectClient, PROTOCOLS, waitUntil } from './client-helpers.ts';

describe.each(PROTOCOLS)('client.chat over %s', (protocol) => {
  it('yields every frame in order, ending after the stop', async () => {
    const upstream = await startCountingUpstream(5, 0);
    const bridge = await startBridge(upstream.url);
    const { client, states } = connectClient(bridge.url, { protocol });

    const stream = client.chat({ current_text: 'hi' });
    const frames = await collect(stream);

    expect(frames).toEqual(expectedFrames(5, stream.requestId));
    expect(stream.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse((await upstream.request(0)).body)).toEqual({
      current_text: 'hi',
      request_id: stream.requestId,
    });
    expect(states).toEqual(['open']);
  });

  it('keeps a request_id the data already has', async () => {
    const upstream = await startCountingUpstream(2, 0);
    const bridge = await startBridge(upstream.url);
    const { client } = connectClient(bridge.url, { protocol });

    const frames = await collect(client.chat({ current_text: 'hi', request_id: 'mine-1' }));

    expect(frames).toEqual(expectedFrames(2, 'mine-1'));
  });

  it('runs several chats at once, each with its own frames', async () => {
    const upstream = await startCountingUpstream(10, 2);
    const bridge = await startBridge(upstream.url);
    const { client } = connectClient(bridge.url, { protocol });

    const streams = [1, 2, 3].map((i) => client.chat({ current_text: `q${i}` }));
    const results = await Promise.all(streams.map(collect));

    results.forEach((frames, i) =>
      expect(frames).toEqual(expectedFrames(10, streams[i]?.requestId ?? '')),
    );
  });

  it('aborting the signal sends chat_cancel: the stream ends with stop cancelled', async () => {
    const upstream = await startCountingUpstream(1_000, 10);
    const bridge = await startBridge(upstream.url);
    const { client } = connectClient(bridge.url, { protocol });
    const controller = new AbortController();

    const frames = [];
    for await (const frame of client.chat(
      { current_text: 'long' },
      { signal: controller.signal },
    )) {
      frames.push(frame);
      if (frame.seq === 2) controller.abort();
    }

    const last = frames[frames.length - 1];
    expect(last).toMatchObject({ type: 'stop', content: { reason: 'cancelled' } });
    expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i));
    expect(frames.length).toBeLessThan(1_000);
    await (
      await upstream.request(0)
    ).closed;
  });

  it('leaving the loop early cancels the request upstream', async () => {
    const upstream = await startCountingUpstream(1_000, 10);
    const bridge = await startBridge(upstream.url);
    const { client } = connectClient(bridge.url, { protocol });

    for await (const frame of client.chat({ current_text: 'long' })) {
      if (frame.seq === 1) break;
    }

    await (
      await upstream.request(0)
    ).closed;
    await waitUntil(() => bridge.bridge.runningStreams === 0, 'the stream to stop');
  });

  it('a signal aborted before the chat was sent ends it with that reason, sending nothing', async () => {
    const upstream = await startCountingUpstream(1, 0);
    const bridge = await startBridge(upstream.url);
    const { client } = connectClient(bridge.url, { protocol });
    const controller = new AbortController();
    controller.abort(new Error('never mind'));

    await expect(
      collect(client.chat({ current_text: 'x' }, { signal: controller.signal })),
    ).rejects.toThrow('never mind');
    await collect(client.chat({ current_text: 'y' }));
    expect(upstream.requests.map((r) => JSON.parse(r.body).current_text)).toEqual(['y']);
  });

  it('resume of an unknown request ends with a resume_unavailable ClientError', async () => {
    const upstream = await startCountingUpstream(1, 0);
    const bridge = await startBridge(upstream.url);
    const { client } = connectClient(bridge.url, { protocol });

    const error = await collect(client.resume('no-such-request')).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: 'resume_unavailable' });
  });

  it('resume follows a stream another client started, from afterSeq on', async () => {
    const upstream = await startCountingUpstream(20, 5);
    const bridge = await startBridge(upstream.url);
    const { client: first } = connectClient(bridge.url, { protocol });
    const { client: second } = connectClient(bridge.url, { protocol });

    const stream = first.chat({ current_text: 'hi' });
    // The ack's resume token lets a client with no verified user follow another's stream.
    await waitUntil(() => stream.resumeToken !== undefined, 'the ack');
    const { resumeToken } = stream;
    const followed = await collect(
      second.resume(stream.requestId, { afterSeq: 3, ...(resumeToken ? { resumeToken } : {}) }),
    );
    const all = await collect(stream);

    expect(all).toEqual(expectedFrames(20, stream.requestId));
    expect(followed).toEqual(all.slice(4));
  });

  it('close() ends running chats with a closed ClientError', async () => {
    const upstream = await startCountingUpstream(1_000, 10);
    const bridge = await startBridge(upstream.url);
    const { client, states } = connectClient(bridge.url, { protocol });

    const stream = client.chat({ current_text: 'long' });
    const result = collect(stream).catch((e: unknown) => e);
    await waitUntil(() => stream.lastSeq >= 1, 'two frames');
    client.close();

    expect(await result).toMatchObject({ code: 'closed' });
    expect(states).toEqual(['open', 'closed']);
    expect(() => client.chat({})).toThrow(ClientError);
  });

  it('a refused chat_message ends the stream with the bridge error', async () => {
    const upstream = await startCountingUpstream(1, 0);
    const bridge = await startBridge(upstream.url);
    const { client } = connectClient(bridge.url, { protocol });

    const error = await collect(client.chat({ current_text: 'x', request_id: 'bad id' })).catch(
      (e: unknown) => e,
    );

    expect(error).toMatchObject({ code: 'bad_request' });
  });

  it('close() leaves no socket or timer behind, mid-answer included', async () => {
    const upstream = await startCountingUpstream(1_000, 10);
    // No grace and no retention: the bridge keeps no timer of its own for the abandoned stream.
    const bridge = await startBridge(upstream.url, { resumeGraceMs: 0, resumeRetentionMs: 0 });
    await waitUntilNone();
    const baseline = takeSnapshot();
    const { client } = connectClient(bridge.url, { protocol, heartbeatIntervalMs: 50 });

    const stream = client.chat({ current_text: 'long' });
    const result = collect(stream).catch(() => undefined);
    await waitUntil(() => stream.lastSeq >= 2, 'three frames');
    client.close();
    await result;

    // The bridge ends the abandoned stream, which closes its upstream request.
    await (
      await upstream.request(0)
    ).closed;
    expect(await settleToBaseline(baseline, [])).toEqual([]);
  });
});
