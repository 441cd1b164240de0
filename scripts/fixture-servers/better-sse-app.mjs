// better-sse sessions streaming the legacy cases from a node:http server. Frames go through
// `session.push` with the library's defaults (JSON serializer, `event: message`, a UUID `id:`).
import { createServer } from 'node:http';
import { CASES, HTTP_ERROR, announce, readCase, requireDep, sleep } from './legacy-cases.mjs';

const { createSession } = requireDep('better-sse');

// Short so a recording sees the library's own keep-alive comments within a second.
const KEEP_ALIVE_MS = 300;

const SLOW_START = [['sleep', 0.7], ...CASES['legacy-answer']];

async function readJson(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return JSON.parse(text);
}

const server = createServer(async (req, res) => {
  if (req.method !== 'POST' || req.url !== '/chat') return void res.writeHead(404).end();
  const name = await readCase(() => readJson(req));
  if (name === 'http-error') {
    res.writeHead(HTTP_ERROR.status, { 'content-type': 'application/json' });
    return void res.end(JSON.stringify(HTTP_ERROR.body));
  }
  const steps = name === 'keepalive-comment' ? SLOW_START : CASES[name];
  const session = await createSession(req, res, {
    keepAlive: name === 'keepalive-comment' ? KEEP_ALIVE_MS : null,
  });
  for (const [kind, a, b] of steps) {
    if (kind === 'frame') session.push(a);
    else if (kind === 'named') session.push(b, a);
    else if (kind === 'comment') await session.batch((buffer) => buffer.comment(a).dispatch());
    else if (kind === 'ping') session.push(new Date().toISOString(), 'ping');
    else await sleep(a * 1000);
  }
  res.end();
});

server.listen(0, '127.0.0.1', () => announce(server.address().port));
