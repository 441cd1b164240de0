// hono `streamSSE` streaming the legacy cases, served by @hono/node-server (both are sse2ws
// dependencies, so this server needs no install).
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { ANSWER, CASES, HTTP_ERROR, announce, readCase } from './legacy-cases.mjs';

const app = new Hono();

app.post('/chat', async (c) => {
  const name = await readCase(() => c.req.json());
  if (name === 'http-error') return c.json(HTTP_ERROR.body, HTTP_ERROR.status);
  if (name === 'thrown-error') {
    // No onError: hono logs the error and ends the stream the way it ends a finished one.
    return streamSSE(c, async (stream) => {
      await stream.writeSSE({ data: JSON.stringify(ANSWER[0][1]) });
      throw new Error('model backend unavailable');
    });
  }
  if (name === 'on-error') {
    return streamSSE(
      c,
      async (stream) => {
        await stream.writeSSE({ data: JSON.stringify(ANSWER[0][1]) });
        throw new Error('model backend unavailable');
      },
      async (err, stream) => {
        const content = { code: 'internal_error', message: err.message };
        await stream.writeSSE({ event: 'error', data: JSON.stringify({ type: 'error', content }) });
      },
    );
  }
  const steps = CASES[name];
  return streamSSE(c, async (stream) => {
    for (const [kind, a, b] of steps) {
      if (kind === 'frame') await stream.writeSSE({ data: JSON.stringify(a) });
      else if (kind === 'named')
        await stream.writeSSE({ event: a, data: typeof b === 'string' ? b : JSON.stringify(b) });
      else if (kind === 'comment') await stream.write(`: ${a}\n\n`);
      else if (kind === 'ping')
        await stream.writeSSE({ event: 'ping', data: new Date().toISOString() });
      else await stream.sleep(a * 1000);
    }
  });
});

serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => announce(info.port));
