/**
 * Node fixture servers: hono `streamSSE` (sse2ws's own dependency), and better-sse, the AI SDK and
 * @dwmkerr/mock-llm, which the recorder installs into its cache directory with npm.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LEGACY_CASES, type RecordCase, type ServerRecipe } from './cases.ts';
import { FIXTURE_CACHE_DIR, FIXTURE_SERVERS_DIR } from './paths.ts';
import { freePort, spawnServer, tryRun } from './processes.ts';

/** The recording-only npm packages, pinned so a re-recording is comparable. */
export const RECORDING_PACKAGES: Record<string, string> = {
  'better-sse': '0.16.1',
  ai: '7.0.173',
  '@dwmkerr/mock-llm': '0.1.29',
};

const NODE_DEPS_DIR = join(FIXTURE_CACHE_DIR, 'node');

function installedVersion(name: string, dir: string): string | undefined {
  const file = join(dir, 'node_modules', name, 'package.json');
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

let nodeDeps: Promise<string | null> | undefined;

/** Installs RECORDING_PACKAGES into the cache once; resolves with why it failed, or null. */
function prepareNodeDeps(): Promise<string | null> {
  nodeDeps ??= (async () => {
    const stale = Object.entries(RECORDING_PACKAGES).some(
      ([name, version]) => installedVersion(name, NODE_DEPS_DIR) !== version,
    );
    if (!stale) return null;
    mkdirSync(NODE_DEPS_DIR, { recursive: true });
    const manifest = { private: true, dependencies: RECORDING_PACKAGES };
    writeFileSync(join(NODE_DEPS_DIR, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const npm = [
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      '--prefix',
      NODE_DEPS_DIR,
    ];
    return tryRun('npm', npm) === undefined ? `npm install into ${NODE_DEPS_DIR} failed` : null;
  })();
  return nodeDeps;
}

const repoVersion = (name: string): string =>
  installedVersion(name, fileURLToPath(new URL('../../', import.meta.url))) ?? '?';

const depVersion = (name: string): string => installedVersion(name, NODE_DEPS_DIR) ?? '?';

const startNode = (script: string, label: string) => () =>
  spawnServer(process.execPath, [join(FIXTURE_SERVERS_DIR, script)], {
    port: 'announce',
    label,
    env: { ...process.env, FIXTURE_NODE_DEPS: NODE_DEPS_DIR },
  });

/** hono's streamSSE on @hono/node-server. */
export const hono: ServerRecipe = {
  id: 'hono',
  prepare: async () => null,
  version: () =>
    `hono ${repoVersion('hono')} streamSSE, @hono/node-server ${repoVersion('@hono/node-server')}, Node ${process.versions.node}`,
  start: startNode('hono-app.mjs', 'the Node process'),
  cases: [
    ...LEGACY_CASES,
    {
      name: 'thrown-error',
      demonstrates:
        'the handler throws after the first text and streamSSE has no onError: hono ends the stream as cleanly as a finished one, with no stop',
    },
    {
      name: 'on-error',
      demonstrates:
        "the handler throws after the first text; streamSSE's onError writes an `event: error` legacy error frame, then hono itself adds `event: error` with the message as non-JSON data",
    },
  ],
};

/** Where better-sse's defaults change what a legacy case shows. */
const BETTER_SSE_NOTES: Record<string, string> = {
  'named-events':
    'named events through session.push: with the default JSON serializer string data arrives quoted (`data:"50%"`, `data:"[DONE]"`); every event carries `event:message` or its name and a UUID `id:`, after a `retry:2000` preamble',
  keepalive:
    'a `:keep-alive` comment (EventBuffer.comment) and an `event:ping` whose data is a JSON-quoted ISO timestamp, before and between `event:message` legacy frames',
};

/** better-sse sessions on node:http. */
export const betterSse: ServerRecipe = {
  id: 'better-sse',
  prepare: prepareNodeDeps,
  version: () => `better-sse ${depVersion('better-sse')}, node:http, Node ${process.versions.node}`,
  start: startNode('better-sse-app.mjs', 'the Node process'),
  cases: [
    ...LEGACY_CASES.map((c) => ({
      ...c,
      demonstrates: BETTER_SSE_NOTES[c.name] ?? c.demonstrates,
    })),
    {
      name: 'keepalive-comment',
      demonstrates:
        "better-sse's own keep-alive (an empty `:` comment, every 0.3 s here) while the first token is slow",
    },
  ],
};

const aiRequest = (name: string) => ({
  method: 'POST',
  path: '/api/chat',
  headers: { Accept: 'text/event-stream', 'Content-Type': 'application/json' },
  body: JSON.stringify({
    id: 'chat-1',
    messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'Hello' }] }],
    trigger: 'submit-message',
    fixture: name,
  }),
});

const aiCase = (c: Omit<RecordCase, 'request'>): RecordCase => ({
  ...c,
  request: aiRequest(c.name),
});

/** The AI SDK's UI message stream. */
export const aiSdk: ServerRecipe = {
  id: 'ai-sdk',
  prepare: prepareNodeDeps,
  version: () =>
    `ai ${depVersion('ai')} streamText().toUIMessageStreamResponse() over ai/test MockLanguageModelV4, node:http, Node ${process.versions.node}`,
  start: startNode('ai-sdk-app.mjs', 'the Node process'),
  cases: [
    aiCase({
      name: 'answer',
      demonstrates:
        'a UI message stream answer: start, text-start, text-delta "Hel"/"lo", finish, [DONE]',
    }),
    aiCase({
      name: 'error-part',
      demonstrates:
        'the model stream fails after "Hel": the SDK sends {"type":"error","errorText":"An error occurred."}, then finish {"finishReason":"error"} and [DONE]',
    }),
    aiCase({
      name: 'abrupt',
      demonstrates: 'the server process is killed after the text-delta "lo"',
      killAfter: '"delta":"lo"',
    }),
  ],
};

const openAiRequest = (content: string) => ({
  method: 'POST',
  path: '/v1/chat/completions',
  headers: {
    Accept: 'text/event-stream',
    'Content-Type': 'application/json',
    Authorization: 'Bearer sk-fixture',
  },
  body: JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content }],
    stream: true,
  }),
});

/** @dwmkerr/mock-llm, an OpenAI-compatible mock server (express). */
export const mockLlm: ServerRecipe = {
  id: 'openai-mock-llm',
  prepare: prepareNodeDeps,
  version: () =>
    `@dwmkerr/mock-llm ${depVersion('@dwmkerr/mock-llm')} (OpenAI chat completions mock, scripts/fixture-servers/mock-llm.yaml), Node ${process.versions.node}`,
  async start() {
    const port = await freePort();
    const main = join(NODE_DEPS_DIR, 'node_modules', '@dwmkerr', 'mock-llm', 'dist', 'main.js');
    return spawnServer(
      process.execPath,
      [main, '--config', join(FIXTURE_SERVERS_DIR, 'mock-llm.yaml')],
      {
        port,
        label: 'the mock-llm Node process',
        env: { ...process.env, HOST: '127.0.0.1', PORT: String(port) },
      },
    );
  },
  cases: [
    {
      name: 'answer',
      demonstrates:
        'OpenAI chat.completion.chunk stream of "Hello" in 3-character deltas, finish_reason stop, then data: [DONE]',
      request: openAiRequest('Hello'),
    },
    {
      name: 'rate-limit-error',
      demonstrates:
        'an in-band OpenAI error event {"error":{"code":"rate_limit_exceeded",...}} on a 200 stream, with no [DONE]',
      request: openAiRequest('rate-limit please'),
    },
    {
      name: 'abrupt',
      demonstrates:
        'the server process is killed a few chunks into a longer answer: no finish_reason, no [DONE]',
      request: openAiRequest('Hello, this answer is cut short because the server dies mid-stream'),
      killAfter: '" th"',
    },
  ],
};
