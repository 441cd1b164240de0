/**
 * The one way in (src/core/http/entry.ts): a refused request opens nothing; an admitted client
 * opens its session only when its transport calls `open`, and its port answers an acked message.
 * Real bridge, real upstream over HTTP (the answer-once rule: test/unit/transport/client-port).
 */
import { describe, expect, it } from 'vitest';
import { createLocalBridge } from '../../../src/core/bridge.ts';
import { createAdmission } from '../../../src/core/http/admission.ts';
import { createClientEntry } from '../../../src/core/http/entry.ts';
import type { ClientConnection, ReplyOutcome } from '../../../src/core/session/session.ts';
import { createFetchUpstream } from '../../../src/core/upstream/client.ts';
import { onCleanup, testOptions } from '../../helpers/bridge.ts';
import { sleep, sseBody, sseFrames, startFakeUpstream } from '../../helpers/fake-upstream.ts';

async function rig() {
  const upstream = await startFakeUpstream(
    sseBody(sseFrames({ type: 'text', content: { data: 'hi' } })),
  );
  onCleanup(() => upstream.close());
  const bridge = createLocalBridge({
    options: testOptions({ allowedOrigins: ['https://app.example'] }),
    upstreamUrl: upstream.url,
    upstream: createFetchUpstream(fetch),
  });
  onCleanup(() => bridge.close());
  const entry = createClientEntry(bridge, createAdmission(bridge, { fetch }));
  const sent: Array<[string, unknown]> = [];
  const connection: ClientConnection = {
    protocol: 'ws',
    send: (event, data) => void sent.push([event, data]),
    close: () => {},
  };
  return { bridge, entry, sent, connection };
}

describe('createClientEntry', () => {
  it('refuses a request admission refuses, without opening a session', async () => {
    const { bridge, entry } = await rig();
    const result = await entry.enter({
      protocol: 'ws',
      headers: { origin: 'https://evil.example', host: 'bridge.example' },
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('forbidden_origin');
    expect(bridge.sessions.size).toBe(0);
  });

  it('opens the session only when the transport opens the admitted client', async () => {
    const { bridge, entry, connection } = await rig();
    const result = await entry.enter({ protocol: 'ws', headers: { host: 'bridge.example' } });
    if (!result.ok) throw result.error;
    expect(bridge.sessions.size).toBe(0);
    const port = result.client.open(connection);
    expect([...bridge.sessions]).toEqual([port.session]);
    port.session.close();
    expect(bridge.sessions.size).toBe(0);
  });

  it('answers an acked message through the port', async () => {
    const { entry, connection } = await rig();
    const result = await entry.enter({ protocol: 'ws', headers: { host: 'bridge.example' } });
    if (!result.ok) throw result.error;
    const port = result.client.open(connection);
    const answers: ReplyOutcome[] = [];
    port.receive('chat_message', { q: 'hi' }, (outcome) => void answers.push(outcome));
    await sleep(200);
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ data: { request_id: expect.any(String) } });
  });
});
