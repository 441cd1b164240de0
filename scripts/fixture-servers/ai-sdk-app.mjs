// The Vercel AI SDK's `streamText(...).toUIMessageStreamResponse()` over a mock language model
// (the SDK's own `ai/test` MockLanguageModelV4), served from node:http. The SDK writes every byte
// of the answer; the mock only supplies the model's stream parts.
/* global ReadableStream, setTimeout */
import { createServer } from 'node:http';
import { announce, readCase, requireDep } from './legacy-cases.mjs';

const { streamText } = requireDep('ai');
const { MockLanguageModelV4 } = requireDep('ai/test');

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 2, text: 2, reasoning: 0 },
};
const finish = { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage };
const text = (delta) => ({ type: 'text-delta', id: 't1', delta });

/** Model stream parts per case; `null` leaves the stream open (the recorder kills the server). */
const PARTS = {
  answer: [
    { type: 'text-start', id: 't1' },
    text('Hel'),
    text('lo'),
    { type: 'text-end', id: 't1' },
    finish,
  ],
  'error-part': [
    { type: 'text-start', id: 't1' },
    text('Hel'),
    { type: 'error', error: new Error('Rate limit reached for requests') },
  ],
  abrupt: [{ type: 'text-start', id: 't1' }, text('Hel'), text('lo'), null],
};

// Between parts, so each leaves the server in its own write, as a real model's tokens do.
const PART_GAP_MS = 20;

function toModelStream(parts) {
  return new ReadableStream({
    async start(controller) {
      controller.enqueue({ type: 'stream-start', warnings: [] });
      for (const part of parts) {
        await new Promise((resolve) => setTimeout(resolve, PART_GAP_MS));
        if (part === null) return;
        controller.enqueue(part);
      }
      controller.close();
    },
  });
}

async function readJson(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return JSON.parse(body);
}

const server = createServer(async (req, res) => {
  if (req.method !== 'POST' || req.url !== '/api/chat') return void res.writeHead(404).end();
  const name = await readCase(() => readJson(req));
  const model = new MockLanguageModelV4({
    doStream: async () => ({ stream: toModelStream(PARTS[name] ?? PARTS.answer) }),
  });
  const response = streamText({ model, prompt: 'Hello' }).toUIMessageStreamResponse();
  res.writeHead(response.status, Object.fromEntries(response.headers));
  for await (const chunk of response.body) res.write(chunk);
  res.end();
});

server.listen(0, '127.0.0.1', () => announce(server.address().port));
