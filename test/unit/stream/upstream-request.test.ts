/**
 * A stream's upstream request (src/core/stream/upstream-request.ts): the shaped request plus the
 * bridge's headers, and what the application's onUpstreamRequest may change.
 */
import { describe, expect, it } from 'vitest';
import type { StreamInfo } from '../../../src/core/registry/registry.ts';
import {
  applyUpstreamRequestHook,
  toStreamRequest,
} from '../../../src/core/stream/upstream-request.ts';
import { parseBridgeConfig } from '../../../src/core/upstream/request-config.ts';

const UPSTREAM = 'http://upstream.test/chat';
const info = { requestId: 'key-1', conversationId: 'c-1' } as StreamInfo;

describe('a stream request', () => {
  it('without shaping, POSTs the message text unparsed with the bridge headers over the client ones', () => {
    const body = '{"current_text": "hi",  "n": 1}';
    const { request, headers } = toStreamRequest(
      undefined,
      UPSTREAM,
      body,
      { authorization: 'Bearer t', accept: 'text/html', 'x-request-id': 'forged' },
      'r-1',
    );
    expect(request).toEqual({ url: UPSTREAM, method: 'POST', body });
    expect(headers).toEqual({
      authorization: 'Bearer t',
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'x-request-id': 'r-1',
    });
  });

  it('sends no content type for a GET', () => {
    const config = parseBridgeConfig({ request: { method: 'GET' } }, 'test');
    const { request, headers } = toStreamRequest(config, UPSTREAM, '{}', {}, 'r-2');
    expect(request).toEqual({ url: UPSTREAM, method: 'GET' });
    expect(headers).toEqual({ accept: 'text/event-stream', 'x-request-id': 'r-2' });
  });

  it('lets the hook merge headers and replace the body, seeing the request as it stands', async () => {
    const shaped = toStreamRequest(undefined, UPSTREAM, '{"a":1}', { cookie: 'c' }, 'r-3');
    const seen: unknown[] = [];
    const changed = await applyUpstreamRequestHook(
      (request) => {
        seen.push(request);
        return { headers: { authorization: 'Bearer s', cookie: 'd' }, body: '{"b":2}' };
      },
      shaped,
      'r-3',
      info,
    );
    expect(seen).toEqual([
      {
        requestId: 'r-3',
        conversationId: 'c-1',
        url: UPSTREAM,
        method: 'POST',
        headers: shaped.headers,
        body: '{"a":1}',
      },
    ]);
    expect(changed.request).toEqual({ url: UPSTREAM, method: 'POST', body: '{"b":2}' });
    expect(changed.headers).toEqual({ ...shaped.headers, authorization: 'Bearer s', cookie: 'd' });
  });

  it('keeps the request as it was when the hook returns nothing', async () => {
    const shaped = toStreamRequest(undefined, UPSTREAM, '{}', {}, 'r-4');
    const changed = await applyUpstreamRequestHook(() => undefined, shaped, 'r-4', info);
    expect(changed.request).toBe(shaped.request);
    expect(changed.headers).toBe(shaped.headers);
  });
});
