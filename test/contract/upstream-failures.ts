/**
 * Every upstream failure ends its stream with an error frame (content.code) and then
 * `stop {reason: "error"}`; the connection and its other streams carry on.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useChatRuntime } from '../helpers/chat.ts';
import type { StartBridge } from './start-bridge.ts';
import { onCleanup } from '../helpers/bridge.ts';
import { connectChat, startChatRig, toPairs } from '../helpers/chat.ts';
import { assertWellFormed, type ChatResponse } from '../helpers/clients.ts';
import {
  sleep,
  sseBody,
  sseFrames,
  sseHead,
  startFakeUpstream,
  type UpstreamHandler,
} from '../helpers/fake-upstream.ts';

const TEXT = 'héllo ✓ 你好 🎉';
const FAILED: [string, unknown] = ['stop', { reason: 'error' }];
const COMPLETE: [string, unknown] = ['stop', { reason: 'complete' }];

/** The frames end with one error frame of `code` and the error stop; returns the error content. */
function expectFailure(frames: ChatResponse[], code: string): Record<string, unknown> {
  const error = frames[frames.length - 2];
  expect(toPairs(frames.slice(-1))).toEqual([FAILED]);
  expect(error?.type).toBe('error');
  expect(error?.content).toMatchObject({ code, message: expect.any(String) });
  expect(frames.filter((f) => f.type === 'error')).toHaveLength(1);
  return error?.content as Record<string, unknown>;
}

/** Answer with a status, a content type and a body. */
function reply(status: number, contentType: string, body: string | Buffer): UpstreamHandler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': contentType });
    res.end(body);
  };
}

/** A URL where nothing listens: a port that was free a moment ago. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/chat`;
}

/** The suite, on the runtime `startBridge` starts. */
export function upstreamFailureTests(runtime: string, startBridge: StartBridge): void {
  useChatRuntime(startBridge);
  describe(`${runtime}`, () => {
    describe('upstream_status: a non-2xx answer', () => {
      it('reports the status and the body', async () => {
        const rig = await startChatRig(reply(500, 'text/plain', `internal boom ${TEXT}`));
        const content = expectFailure(await rig.chat(), 'upstream_status');
        expect(content).toMatchObject({ status: 500, body: `internal boom ${TEXT}` });
      });

      it('does not read an SSE error answer as a stream', async () => {
        const body = sseFrames({ type: 'text', content: { data: 'not for you' } });
        const rig = await startChatRig(reply(401, 'text/event-stream', body));
        const frames = await rig.chat();
        expect(frames).toHaveLength(2);
        expect(expectFailure(frames, 'upstream_status')).toMatchObject({ status: 401, body });
      });

      it('keeps only the first part of a large body, cut on a character boundary', async () => {
        // Bug: a preview cut inside a multi-byte character ended in U+FFFD, which is not the body's.
        const body = '你'.repeat(5_000);
        const rig = await startChatRig(reply(503, 'text/html; charset=utf-8', body));
        const content = expectFailure(await rig.chat(), 'upstream_status');
        expect(content.status).toBe(503);
        const preview = content.body as string;
        expect(preview.length).toBeGreaterThan(0);
        expect(preview.length).toBeLessThan(body.length);
        expect(body.startsWith(preview)).toBe(true);
      });

      it('does not follow a redirect: a 302 is upstream_status and the target sees nothing', async () => {
        const target = await startFakeUpstream(sseBody('data: [DONE]\n\n'));
        onCleanup(() => target.close());
        const rig = await startChatRig((_req, res) => {
          res.writeHead(302, { location: target.url, 'content-type': 'text/plain' });
          res.end('moved');
        });
        expect(expectFailure(await rig.chat(), 'upstream_status')).toMatchObject({ status: 302 });
        expect(target.requests).toHaveLength(0);
        expect(target.connections).toBe(0);
      });

      it('does not follow a 307 either', async () => {
        const target = await startFakeUpstream(sseBody('data: [DONE]\n\n'));
        onCleanup(() => target.close());
        const rig = await startChatRig((_req, res) => {
          res.writeHead(307, { location: target.url });
          res.end();
        });
        expect(expectFailure(await rig.chat(), 'upstream_status')).toMatchObject({ status: 307 });
        expect(target.connections).toBe(0);
      });
    });

    describe('upstream_unavailable: no response at all', () => {
      it('when the connection is refused', async () => {
        const chat = await connectChat(await closedPortUrl());
        const frames = await chat.chat();
        expect(frames).toHaveLength(2);
        expectFailure(frames, 'upstream_unavailable');
      });

      it('when the host does not resolve', async () => {
        const chat = await connectChat('http://sse2ws-test.invalid/chat');
        expectFailure(await chat.chat(), 'upstream_unavailable');
      });

      it('when the connection is reset before a response', async () => {
        const rig = await startChatRig((req) => {
          req.socket.destroy();
        });
        expectFailure(await rig.chat(), 'upstream_unavailable');
      });
    });

    describe('upstream_timeout', () => {
      it('when the upstream accepts and never answers (first-frame timeout)', async () => {
        const rig = await startChatRig(() => {}, { firstFrameTimeoutMs: 300 });
        expectFailure(await rig.chat(), 'upstream_timeout');
        // The bridge gives the request up.
        await (
          await rig.upstream.request(0)
        ).closed;
      });

      it('when the head arrives but no event does, comments included', async () => {
        const rig = await startChatRig(
          async (_req, res) => {
            sseHead(res);
            for (let i = 0; i < 40 && !res.destroyed; i++) {
              res.write(': thinking\n\n');
              await sleep(50);
            }
          },
          { firstFrameTimeoutMs: 500 },
        );
        const frames = await rig.chat();
        expect(frames).toHaveLength(2);
        expectFailure(frames, 'upstream_timeout');
      });

      it('when the upstream stalls mid-stream (idle timeout)', async () => {
        const rig = await startChatRig(
          (_req, res) => {
            sseHead(res);
            res.write(`data: ${TEXT}\n\ndata: half a fr`);
          },
          { idleTimeoutMs: 300 },
        );
        const frames = await rig.chat();
        expect(toPairs(frames.slice(0, 1))).toEqual([['text', { data: TEXT }]]);
        expectFailure(frames, 'upstream_timeout');
        await (
          await rig.upstream.request(0)
        ).closed;
      });

      it('not while bytes, comments included, keep coming within the idle timeout', async () => {
        const rig = await startChatRig(
          async (_req, res) => {
            sseHead(res);
            res.write(`data: ${TEXT}\n\n`);
            // 1 s in all, twice the idle timeout: the timeout counts from the latest bytes.
            for (let i = 0; i < 10; i++) {
              await sleep(100);
              res.write(i % 2 === 0 ? ': ping\n\n' : `data: ${i}\n\n`);
            }
            res.end('data: [DONE]\n\n');
          },
          { firstFrameTimeoutMs: 400, idleTimeoutMs: 500 },
        );
        const frames = await rig.chat();
        expect(toPairs(frames)).toEqual([
          ['text', { data: TEXT }],
          ['text', { data: '1' }],
          ['text', { data: '3' }],
          ['text', { data: '5' }],
          ['text', { data: '7' }],
          ['text', { data: '9' }],
          COMPLETE,
        ]);
      });

      it('not by the idle timeout while the first event is awaited', async () => {
        // Bug: the idle timer started with the response head, so an upstream that sent its head at
        // once and then thought for longer than idleTimeoutMs (but less than firstFrameTimeoutMs)
        // failed with upstream_timeout.
        const rig = await startChatRig(
          async (_req, res) => {
            sseHead(res);
            await sleep(1_000);
            res.end(`data: ${TEXT}\n\n`);
          },
          { firstFrameTimeoutMs: 5_000, idleTimeoutMs: 300 },
        );
        expect(toPairs(await rig.chat())).toEqual([['text', { data: TEXT }], COMPLETE]);
      });
    });

    describe('upstream_closed: the connection is lost mid-stream', () => {
      it('after half a frame', async () => {
        const rig = await startChatRig(async (_req, res) => {
          sseHead(res);
          res.write(`data: ${TEXT}\n\n`);
          await sleep(20);
          res.write('data: {"type":"text","content":{"da');
          await sleep(20);
          res.socket?.destroy();
        });
        const frames = await rig.chat();
        expect(toPairs(frames.slice(0, 1))).toEqual([['text', { data: TEXT }]]);
        expect(frames).toHaveLength(3);
        expectFailure(frames, 'upstream_closed');
      });

      it('inside a multi-byte character', async () => {
        const rig = await startChatRig(async (_req, res) => {
          sseHead(res);
          res.write(Buffer.from('data: 🎉', 'utf8').subarray(0, 8));
          await sleep(20);
          res.socket?.destroy();
        });
        const frames = await rig.chat();
        expect(frames).toHaveLength(2);
        expectFailure(frames, 'upstream_closed');
      });

      it('in a JSON answer shorter than its Content-Length', async () => {
        const rig = await startChatRig(async (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
          res.write('{"type":"text","con');
          await sleep(20);
          res.socket?.destroy();
        });
        expectFailure(await rig.chat(), 'upstream_closed');
      });

      it('but a clean end after half a frame completes the stream', async () => {
        const rig = await startChatRig(async (_req, res) => {
          sseHead(res);
          res.write(`data: ${TEXT}\n\n`);
          await sleep(20);
          res.end('data: incomplete');
        });
        expect(toPairs(await rig.chat())).toEqual([['text', { data: TEXT }], COMPLETE]);
      });
    });

    describe('upstream_bad_response: a 2xx that is neither SSE, JSON nor text', () => {
      it.each([
        ['application/octet-stream', 'application/octet-stream'],
        ['image/png', 'image/png'],
        ['no content type', undefined],
      ])('%s', async (_name, contentType) => {
        const rig = await startChatRig((_req, res) => {
          res.writeHead(200, contentType ? { 'content-type': contentType } : {});
          res.end(Buffer.from(`data: ${TEXT}\n\n`));
        });
        const frames = await rig.chat();
        expect(frames).toHaveLength(2);
        expectFailure(frames, 'upstream_bad_response');
      });
    });

    describe('upstream_error: an in-band error with HTTP 200', () => {
      it('in an SSE stream, after the frames before it', async () => {
        const rig = await startChatRig(
          sseBody(
            sseFrames(
              { type: 'text', content: { data: TEXT } },
              { error: { message: 'context length exceeded', type: 'invalid_request_error' } },
            ),
          ),
        );
        const frames = await rig.chat();
        expect(toPairs(frames.slice(0, 1))).toEqual([['text', { data: TEXT }]]);
        expect(expectFailure(frames, 'upstream_error')).toMatchObject({
          message: 'context length exceeded',
        });
      });

      it('as a JSON answer', async () => {
        const rig = await startChatRig(
          reply(200, 'application/json', '{"error":"invalid api key"}'),
        );
        const frames = await rig.chat();
        expect(frames).toHaveLength(2);
        expect(expectFailure(frames, 'upstream_error')).toMatchObject({
          message: 'invalid api key',
        });
      });
    });

    describe('several streams on one connection', () => {
      it('a failing stream does not disturb the others', async () => {
        let releaseSlow: () => void = () => {};
        const slowMayFinish = new Promise<void>((resolve) => {
          releaseSlow = resolve;
        });
        const rig = await startChatRig(async (_req, res, recorded) => {
          const { kind } = JSON.parse(recorded.body) as { kind: string };
          if (kind === 'status') {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end('boom');
            return;
          }
          sseHead(res);
          if (kind === 'closed') {
            res.write('data: first\n\ndata: sec');
            await sleep(20);
            res.socket?.destroy();
            return;
          }
          res.write(`data: ${TEXT}\n\n`);
          // The slow stream is still running while the others fail.
          await slowMayFinish;
          res.end(sseFrames({ type: 'text', content: { data: 'end' } }));
        });
        const slow = await rig.start({ kind: 'slow', request_id: 'slow' });
        await rig.client.inbox.waitFor((m) => m.data?.request_id === 'slow' && m.data?.seq === 0);
        const [status, closed] = await Promise.all([
          rig.chat({ kind: 'status', request_id: 'status' }),
          rig.chat({ kind: 'closed', request_id: 'closed' }),
        ]);
        expectFailure(status, 'upstream_status');
        expectFailure(closed, 'upstream_closed');
        releaseSlow();
        const frames = await rig.client.frames(slow);
        assertWellFormed(frames);
        expect(toPairs(frames)).toEqual([
          ['text', { data: TEXT }],
          ['text', { data: 'end' }],
          COMPLETE,
        ]);
        // And the connection takes new streams afterwards.
        expect(toPairs(await rig.chat({ kind: 'slow', request_id: 'after' }))).toEqual([
          ['text', { data: TEXT }],
          ['text', { data: 'end' }],
          COMPLETE,
        ]);
      });
    });
  });
}
