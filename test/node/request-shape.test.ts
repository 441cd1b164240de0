/**
 * Upstream request shaping end to end: a config file, a real bridge, a real fake upstream that
 * records what it was sent, and a real `/ws` client.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onCleanup } from '../helpers/bridge.ts';
import { connectChat, toPairs } from '../helpers/chat.ts';
import { runCli } from '../helpers/cli-process.ts';
import { sseBody, sseFrames, sseHead, startFakeUpstream } from '../helpers/fake-upstream.ts';

/** Write `config` as JSON to a temp file removed after the test. */
async function configFile(config: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sse2ws-config-'));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'sse2ws.json');
  await writeFile(path, JSON.stringify(config));
  return path;
}

async function fakeUpstream(handler: Parameters<typeof startFakeUpstream>[0]) {
  const upstream = await startFakeUpstream(handler);
  onCleanup(() => upstream.close());
  return upstream;
}

const ANSWER = sseFrames({ text: 'hello' }, { text: ' world' });

describe('upstream request shaping (node)', () => {
  it('streams from a GET-only endpoint (nchan style) with request.method GET', async () => {
    // Subscribe endpoints such as nginx nchan refuse POST.
    const upstream = await fakeUpstream(async (req, res, recorded) => {
      if (req.method !== 'GET') {
        res.writeHead(405, { allow: 'GET' }).end('method not allowed');
        return;
      }
      await sseBody(ANSWER)(req, res, recorded);
    });
    const posting = await connectChat(upstream.url);
    const refused = await posting.chat({ current_text: 'hi' });
    expect(refused.find((f) => f.type === 'error')?.content).toMatchObject({
      code: 'upstream_status',
      status: 405,
    });

    const config = await configFile({
      request: { method: 'GET', path: '/sub/{conversation_id}' },
    });
    const { chat } = await connectChat(upstream.url, { config });
    const frames = await chat({ current_text: 'hi', conversation_id: 'room-1' });
    expect(frames.some((f) => f.type === 'error')).toBe(false);
    expect(toPairs(frames).at(-1)).toEqual(['stop', { reason: 'complete' }]);
    const seen = await upstream.request(1);
    expect(seen.method).toBe('GET');
    expect(seen.url).toBe('/chat/sub/room-1');
    expect(seen.body).toBe('');
    expect(seen.headers['content-type']).toBeUndefined();
    expect(seen.headers.accept).toBe('text/event-stream');
  });

  it('fills the path and query templates from the message, URL-encoded', async () => {
    const upstream = await fakeUpstream(sseBody(ANSWER));
    const config = await configFile({
      request: {
        path: '/conversations/{conversation_id}/answers/{request_id}',
        query: { q: '{current_text}', lang: '{lang}', absent: '{nothing}' },
      },
    });
    const { chat } = await connectChat(upstream.url.replace(/\/chat$/, '/api'), { config });
    const data = { current_text: 'a&b=c ü', conversation_id: '../../admin', lang: 'de' };
    const frames = await chat({ ...data, request_id: 'req-7' });
    expect(toPairs(frames).at(-1)).toEqual(['stop', { reason: 'complete' }]);
    const seen = await upstream.request(0);
    const url = new URL(seen.url, 'http://upstream.test');
    expect(url.pathname).toBe('/api/conversations/..%2F..%2Fadmin/answers/req-7');
    expect([...url.searchParams]).toEqual([
      ['q', 'a&b=c ü'],
      ['lang', 'de'],
    ]);
    expect(seen.method).toBe('POST');
    // No body template: the chat_message data goes out unchanged.
    expect(JSON.parse(seen.body)).toEqual({ ...data, request_id: 'req-7' });
  });

  it('sends an OpenAI body built from the body template, history and current_text', async () => {
    const upstream = await fakeUpstream(async (_req, res) => {
      sseHead(res);
      res.write(sseFrames({ choices: [{ delta: { content: 'Hi' } }] }));
      res.end('data: [DONE]\n\n');
    });
    const config = await configFile({
      request: {
        body: { model: 'gpt-4o', stream: true, messages: '{openai_messages}', user: '{user}' },
      },
    });
    const { chat } = await connectChat(upstream.url, { config });
    const frames = await chat({
      current_text: 'and you?',
      history: [{ role: 'system', content: 'be kind' }, ['hello', 'hi!']],
      user: 'u-1',
    });
    expect(frames.some((f) => f.type === 'error')).toBe(false);
    const seen = await upstream.request(0);
    expect(seen.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen.body)).toEqual({
      model: 'gpt-4o',
      stream: true,
      user: 'u-1',
      messages: [
        { role: 'system', content: 'be kind' },
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: 'hi!' },
        { role: 'user', content: 'and you?' },
      ],
    });
  });

  it('ends a message the templates cannot be filled from with bad_request, calling nobody', async () => {
    const upstream = await fakeUpstream(sseBody(ANSWER));
    const config = await configFile({ request: { path: '/c/{conversation_id}' } });
    const { chat } = await connectChat(upstream.url, { config });
    const frames = await chat({ current_text: 'no conversation' });
    expect(toPairs(frames)).toEqual([
      ['error', expect.objectContaining({ code: 'bad_request' })],
      ['stop', { reason: 'error' }],
    ]);
    expect(upstream.requests).toHaveLength(0);
  });

  it('the CLI exits non-zero on a template that could change the upstream host', async () => {
    const upstream = await fakeUpstream(sseBody(ANSWER));
    const config = await configFile({ request: { path: '@evil.example/{conversation_id}' } });
    const { code, stderr } = await runCli([
      '--port',
      '0',
      '--upstream',
      upstream.url,
      '--config',
      config,
    ]);
    expect(code).not.toBe(0);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(`sse2ws: config ${config}: request.path: must start with "/"`);
  });

  it('the CLI names an unreadable or malformed config file', async () => {
    const missing = await runCli(['--config', '/nonexistent/sse2ws.json']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('config /nonexistent/sse2ws.json: cannot read the file');
    const path = await configFile({});
    await writeFile(path, '{"request": ');
    const malformed = await runCli([], { SSE2WS_CONFIG: path });
    expect(malformed.code).not.toBe(0);
    expect(malformed.stderr).toContain(`config ${path}: not valid JSON`);
  });
});
