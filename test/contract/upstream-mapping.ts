import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useChatRuntime } from '../helpers/chat.ts';
import type { StartBridge } from './start-bridge.ts';
import { onCleanup } from '../helpers/bridge.ts';
import { startChatRig, toPairs } from '../helpers/chat.ts';
import { assertWellFormed, connectSio } from '../helpers/clients.ts';
import {
  sseBody,
  sseFrames,
  sseHead,
  startFakeUpstream,
  type UpstreamHandler,
  writeInChunks,
} from '../helpers/fake-upstream.ts';

const TEXT = 'héllo ✓ 你好 🎉';
const COMPLETE: [string, unknown] = ['stop', { reason: 'complete' }];
const FAILED: [string, unknown] = ['stop', { reason: 'error' }];

/** Answer with `body` as `contentType`, written in small chunks. */
function answer(contentType: string, body: string, status = 200): UpstreamHandler {
  return async (_req, res) => {
    res.writeHead(status, { 'content-type': contentType });
    await writeInChunks(res, body, 5);
    res.end();
  };
}

/** The suite, on the runtime `startBridge` starts. */
export function upstreamMappingTests(runtime: string, startBridge: StartBridge): void {
  useChatRuntime(startBridge);
  describe(`${runtime}`, () => {
    describe('the upstream request', () => {
      it('is a POST of the chat_message data, unchanged, with the contract headers', async () => {
        const rig = await startChatRig(sseBody('data: [DONE]\n\n'));
        const data = {
          request_id: 'req-body-1',
          history: [{ role: 'user', text: TEXT }],
          current_text: TEXT,
          current_image_paths: ['/a.png'],
          nested: { n: 1.5, flag: false, none: null },
        };
        await rig.chat(data);
        const req = await rig.upstream.request(0);
        expect(req.method).toBe('POST');
        expect(req.url).toBe('/chat');
        expect(req.body).toBe(JSON.stringify(data));
        expect(req.headers['content-type']).toBe('application/json');
        expect(req.headers.accept).toBe('text/event-stream');
        expect(req.headers['x-request-id']).toBe('req-body-1');
      });

      it('carries a generated request id as X-Request-Id', async () => {
        const rig = await startChatRig(sseBody('data: [DONE]\n\n'));
        const requestId = await rig.start({ current_text: 'hi' });
        await rig.client.frames(requestId);
        expect((await rig.upstream.request(0)).headers['x-request-id']).toBe(requestId);
      });

      it('forwards the default handshake headers and no others', async () => {
        const rig = await startChatRig(
          sseBody('data: [DONE]\n\n'),
          {},
          {
            headers: {
              authorization: 'Basic dXNlcjpwdw==',
              cookie: 'session=abc; theme=dark',
              'accept-language': 'fr-CH, fr;q=0.9',
              'x-secret': 'do-not-forward',
            },
          },
        );
        await rig.chat();
        const { headers } = await rig.upstream.request(0);
        expect(headers.authorization).toBe('Basic dXNlcjpwdw==');
        expect(headers.cookie).toBe('session=abc; theme=dark');
        expect(headers['accept-language']).toBe('fr-CH, fr;q=0.9');
        expect(headers['x-secret']).toBeUndefined();
      });

      it('forwards exactly the headers named in forwardHeaders', async () => {
        const rig = await startChatRig(
          sseBody('data: [DONE]\n\n'),
          { forwardHeaders: ['x-tenant'] },
          { headers: { 'x-tenant': 'acme', cookie: 'session=abc', authorization: 'Basic eA==' } },
        );
        await rig.chat();
        const { headers } = await rig.upstream.request(0);
        expect(headers['x-tenant']).toBe('acme');
        expect(headers.cookie).toBeUndefined();
        expect(headers.authorization).toBeUndefined();
      });

      it('sends a /ws ?token= as Authorization: Bearer', async () => {
        const rig = await startChatRig(
          sseBody('data: [DONE]\n\n'),
          {},
          { query: 'token=t0k%2Ben' },
        );
        await rig.chat();
        expect((await rig.upstream.request(0)).headers.authorization).toBe('Bearer t0k+en');
      });

      it('does not let a ?token= override a real Authorization header', async () => {
        const rig = await startChatRig(
          sseBody('data: [DONE]\n\n'),
          {},
          {
            query: 'token=from-query',
            headers: { authorization: 'Bearer from-header' },
          },
        );
        await rig.chat();
        expect((await rig.upstream.request(0)).headers.authorization).toBe('Bearer from-header');
      });

      it('sends a Socket.IO auth.token as Authorization: Bearer, unless a header is given', async () => {
        const upstream = await startFakeUpstream(sseBody('data: [DONE]\n\n'));
        onCleanup(() => upstream.close());
        const bridge = await startBridge(upstream.url);
        const withToken = await connectSio(bridge.url, {
          transports: ['websocket'],
          auth: { token: 'sio-token' },
        });
        const withHeader = await connectSio(bridge.url, {
          transports: ['websocket'],
          auth: { token: 'sio-token' },
          extraHeaders: { authorization: 'Basic aGVhZGVy' },
        });
        await withToken.frames((await withToken.request('chat_message', { n: 1 })).request_id);
        await withHeader.frames((await withHeader.request('chat_message', { n: 2 })).request_id);
        const byN = (n: number) => upstream.requests.find((r) => JSON.parse(r.body).n === n);
        expect(byN(1)?.headers.authorization).toBe('Bearer sio-token');
        expect(byN(2)?.headers.authorization).toBe('Basic aGVhZGVy');
      });
    });

    describe('rule 1: JSON with a string type', () => {
      it('forwards type and content, or the object without type when there is no content', async () => {
        const rig = await startChatRig(
          sseBody(
            sseFrames(
              { type: 'agent_status', content: { status: 'running', message: 'Searching…' } },
              { type: 'text', content: { data: TEXT } },
              { type: 'usage', tokens: 3 },
              { type: 'text', content: 'bare' },
            ),
          ),
        );
        expect(toPairs(await rig.chat())).toEqual([
          ['agent_status', { status: 'running', message: 'Searching…' }],
          ['text', { data: TEXT }],
          ['usage', { tokens: 3 }],
          ['text', 'bare'],
          COMPLETE,
        ]);
      });
    });

    describe('rule 2: a named event with JSON data', () => {
      // Issue 15: a named event's non-JSON data (an sse-starlette `event: ping` timestamp) was
      // prepended to the answer; EventSource semantics: only `message` events are text.
      it('takes the event name as type; only the message event is text; named non-JSON and keep-alives are dropped', async () => {
        const body =
          'event: ping\ndata: 2026-12-07 00:00:15.000000\n\n' +
          'event: agent_status\ndata: {"status":"running"}\n\n' +
          'event: progress\ndata: 0.5\n\n' +
          'event: message\ndata: {"answer":42}\n\n' +
          'event: agent_status\ndata: not json\n\n' +
          'data: slow answer\n\n';
        const rig = await startChatRig(sseBody(body));
        expect(toPairs(await rig.chat())).toEqual([
          ['agent_status', { status: 'running' }],
          ['progress', 0.5],
          ['text', { data: '{"answer":42}' }],
          ['text', { data: 'slow answer' }],
          COMPLETE,
        ]);
      });
    });

    describe('rule 3: [DONE]', () => {
      it('completes the stream and ignores whatever follows', async () => {
        // One write, so anything after [DONE] reaches the bridge before the stop is even sent.
        const rig = await startChatRig(
          sseBody(
            `data: ${TEXT}\n\ndata: [DONE]\n\ndata: after\n\n${sseFrames({ type: 'x' })}`,
            4096,
          ),
        );
        expect(toPairs(await rig.chat({ request_id: 'done-1' }))).toEqual([
          ['text', { data: TEXT }],
          COMPLETE,
        ]);
        await rig.barrier();
        const responses = rig.client.inbox.items.filter((m) => m.event === 'chat_response');
        expect(responses).toHaveLength(2);
      });

      it('lets go of an upstream that stays open after [DONE]', async () => {
        const rig = await startChatRig(async (_req, res) => {
          sseHead(res);
          res.write('data: [DONE]\n\n');
        });
        expect(toPairs(await rig.chat())).toEqual([COMPLETE]);
        await (
          await rig.upstream.request(0)
        ).closed;
      });
    });

    describe('rule 4: anything else is text', () => {
      it('sends the data string unchanged as content.data', async () => {
        const rig = await startChatRig(
          sseBody(`data: ${TEXT}\n\ndata: {"answer":42}\n\ndata: [1,2]\n\ndata:\n\n`),
        );
        expect(toPairs(await rig.chat())).toEqual([
          ['text', { data: TEXT }],
          ['text', { data: '{"answer":42}' }],
          ['text', { data: '[1,2]' }],
          ['text', { data: '' }],
          COMPLETE,
        ]);
      });
    });

    describe('rule 5: an upstream stop', () => {
      it('is forwarded as the last frame, and later frames are ignored', async () => {
        const body = sseFrames(
          { type: 'text', content: { data: 'a' } },
          { type: 'stop', content: { reason: 'length', tokens: 9 } },
          { type: 'text', content: { data: 'after stop' } },
          { type: 'stop', content: { reason: 'second' } },
        );
        const rig = await startChatRig(sseBody(`${body}data: [DONE]\n\n`, 4096));
        expect(toPairs(await rig.chat())).toEqual([
          ['text', { data: 'a' }],
          ['stop', { reason: 'length', tokens: 9 }],
        ]);
        await rig.barrier();
        const responses = rig.client.inbox.items.filter((m) => m.event === 'chat_response');
        expect(responses).toHaveLength(2);
      });

      it('completes the stream although the upstream stays open, and lets go of it', async () => {
        const rig = await startChatRig(async (_req, res) => {
          sseHead(res);
          res.write(sseFrames({ type: 'stop', content: { reason: 'done' } }));
        });
        expect(toPairs(await rig.chat())).toEqual([['stop', { reason: 'done' }]]);
        await (
          await rig.upstream.request(0)
        ).closed;
      });

      it('takes a stop sent as a named event', async () => {
        const rig = await startChatRig(sseBody('event: stop\ndata: {"reason":"user"}\n\n'));
        expect(toPairs(await rig.chat())).toEqual([['stop', { reason: 'user' }]]);
      });
    });

    describe('rule 6 and upstream error frames', () => {
      it('maps an in-band error object to an upstream_error frame, then stop reason error', async () => {
        const rig = await startChatRig(
          sseBody(
            sseFrames({ type: 'text', content: { data: 'a' } }, { error: { message: 'quota' } }),
          ),
        );
        const frames = await rig.chat();
        expect(toPairs(frames).slice(0, 1)).toEqual([['text', { data: 'a' }]]);
        expect(frames[1]).toMatchObject({
          type: 'error',
          content: { code: 'upstream_error', message: 'quota' },
        });
        expect(toPairs(frames).slice(2)).toEqual([FAILED]);
      });

      it('gives an upstream error frame a code and a message', async () => {
        const rig = await startChatRig(
          sseBody(sseFrames({ type: 'error', content: { message: 'bad input', field: 'x' } })),
        );
        expect(toPairs(await rig.chat())).toEqual([
          ['error', { code: 'upstream_error', message: 'bad input', field: 'x' }],
          FAILED,
        ]);
      });

      it('keeps the code of an upstream error frame', async () => {
        const content = { code: 'rate_limited', message: 'slow down' };
        const rig = await startChatRig(sseBody(sseFrames({ type: 'error', content })));
        expect(toPairs(await rig.chat())).toEqual([['error', content], FAILED]);
      });

      it('maps an error event with non-JSON data to an error frame with that text', async () => {
        const rig = await startChatRig(sseBody(`event: error\ndata: ${TEXT}\n\n`));
        expect(toPairs(await rig.chat())).toEqual([
          ['error', { code: 'upstream_error', message: TEXT }],
          FAILED,
        ]);
      });
    });

    describe('non-SSE 2xx answers', () => {
      it('maps an application/json answer as one event, then stop', async () => {
        const rig = await startChatRig(
          answer(
            'application/json; charset=utf-8',
            JSON.stringify({ type: 'text', content: TEXT }),
          ),
        );
        expect(toPairs(await rig.chat())).toEqual([['text', TEXT], COMPLETE]);
      });

      it('maps a JSON answer without type as text, and a +json type as JSON', async () => {
        const rig = await startChatRig(answer('application/json', '{"answer":42}'));
        expect(toPairs(await rig.chat())).toEqual([['text', { data: '{"answer":42}' }], COMPLETE]);
        const vendor = await startChatRig(
          answer('application/vnd.acme+json', JSON.stringify({ type: 'usage', tokens: 1 })),
        );
        expect(toPairs(await vendor.chat())).toEqual([['usage', { tokens: 1 }], COMPLETE]);
      });

      it('maps a JSON upstream stop as the only stop', async () => {
        const rig = await startChatRig(
          answer(
            'application/json',
            JSON.stringify({ type: 'stop', content: { reason: 'cached' } }),
          ),
        );
        expect(toPairs(await rig.chat())).toEqual([['stop', { reason: 'cached' }]]);
      });

      it('maps a JSON in-band error to upstream_error, then stop reason error', async () => {
        const rig = await startChatRig(answer('application/json', '{"error":"invalid api key"}'));
        const frames = await rig.chat();
        expect(frames[0]).toMatchObject({
          type: 'error',
          content: { code: 'upstream_error', message: 'invalid api key' },
        });
        expect(toPairs(frames).slice(1)).toEqual([FAILED]);
      });

      it('maps a text/plain answer to one text frame with the whole body, then stop', async () => {
        const body = `${TEXT}\nsecond line\n\ndata: not sse\n`;
        const rig = await startChatRig(answer('text/plain; charset=utf-8', body));
        expect(toPairs(await rig.chat())).toEqual([['text', { data: body }], COMPLETE]);
      });

      it('does not map a text/plain answer by the JSON rules, even when it looks like JSON', async () => {
        const body = JSON.stringify({ type: 'stop', content: { reason: 'x' } });
        const rig = await startChatRig(answer('text/plain', body));
        expect(toPairs(await rig.chat())).toEqual([['text', { data: body }], COMPLETE]);
        const done = await startChatRig(answer('text/plain', '[DONE]'));
        expect(toPairs(await done.chat())).toEqual([['text', { data: '[DONE]' }], COMPLETE]);
      });

      it('accepts any 2xx status', async () => {
        const rig = await startChatRig(async (_req, res: ServerResponse) => {
          res.writeHead(201, { 'content-type': 'text/event-stream' });
          res.end(`data: ${TEXT}\n\n`);
        });
        expect(toPairs(await rig.chat())).toEqual([['text', { data: TEXT }], COMPLETE]);
      });
    });

    describe('a clean end of the body', () => {
      it('completes the stream with stop reason complete', async () => {
        const rig = await startChatRig(
          sseBody(sseFrames({ type: 'text', content: { data: 'a' } })),
        );
        const frames = await rig.chat();
        assertWellFormed(frames);
        expect(toPairs(frames)).toEqual([['text', { data: 'a' }], COMPLETE]);
      });

      it('completes an empty SSE body with only the stop', async () => {
        const rig = await startChatRig(sseBody(''));
        expect(toPairs(await rig.chat())).toEqual([COMPLETE]);
      });
    });
  });
}
