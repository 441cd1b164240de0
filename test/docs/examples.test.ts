/**
 * Every code example in the README, ARCHITECTURE.md and docs/ is exercised here, or cut from a file
 * a test runs (the library examples: test/node/readme-library.test.ts). A new example fails the
 * first test until it is listed below with the way it is checked.
 */
import {
  createServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { io as realIo, type Socket } from 'socket.io-client';
import { Server as SocketIoServer } from 'socket.io';
import { WebSocket as WsWebSocket } from 'ws';
import { describe, expect, it, vi } from 'vitest';
import * as sdk from 'sse2ws/client';
import { createBridge } from 'sse2ws';
import { ERROR_TABLE, parseBridgeConfigText } from '../../src/core/index.ts';
import { parseOptions } from '../../src/node/cli/args.ts';
import { onCleanup, startBridge } from '../helpers/bridge.ts';
import { REPO_ROOT } from '../helpers/cli-process.ts';
import { connectSio, connectWs } from '../helpers/clients.ts';
import { sseBody, sseFrames, startFakeUpstream } from '../helpers/fake-upstream.ts';
import { describeRedis, SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';
import { blockOf, blocksOf, DOC_FILES, runExample, slice } from './doc-blocks.ts';

/** How each block is checked: every block of the docs is listed once. */
const CHECKED: ReadonlyArray<{ file: string; first: string; how: string }> = [
  { file: 'README.md', first: 'npm install', how: 'npm scripts exist' },
  { file: 'README.md', first: 'socket.io-client ──┐', how: 'diagram' },
  { file: 'README.md', first: "import { io } from 'socket.io-client';", how: 'runs' },
  { file: 'README.md', first: 'const ws = new WebSocket', how: 'runs' },
  { file: 'README.md', first: 'npm test', how: 'npm scripts exist' },
  { file: 'ARCHITECTURE.md', first: 'SSE upstream', how: 'diagram' },
  { file: 'ARCHITECTURE.md', first: 'internal < config', how: 'matches the layer rules' },
  { file: 'docs/client-sdk.md', first: 'Node 20 has no global WebSocket', how: 'runs' },
  { file: 'docs/client-sdk.md', first: 'import { useCallback', how: 'runs (React stubbed)' },
  { file: 'docs/client-sdk.md', first: '// before: the SSE endpoint', how: 'runs' },
  { file: 'docs/client-sdk.md', first: '// before: a Flask-SocketIO', how: 'runs' },
  { file: 'docs/library.md', first: 'rateLimit: 20,', how: 'cut' },
  { file: 'docs/library.md', first: 'type BridgeHooks,', how: 'cut' },
  {
    file: 'docs/library.md',
    first: "import express from 'express';",
    how: 'runs (express stubbed)',
  },
  { file: 'docs/library.md', first: "import { Server } from 'socket.io';", how: 'runs' },
  { file: 'docs/library.md', first: 'import { BridgeError, createBridge }', how: 'runs' },
  { file: 'docs/protocol.md', first: '"event": "chat_response"', how: 'a frame as sent' },
  { file: 'docs/protocol.md', first: "import { io } from 'socket.io-client';", how: 'runs' },
  { file: 'docs/protocol.md', first: 'const ws = new WebSocket', how: 'runs' },
  { file: 'docs/request-shaping-and-profiles.md', first: '"request": {', how: 'runs as config' },
  { file: 'docs/request-shaping-and-profiles.md', first: '// socket-module', how: 'runs' },
  { file: 'docs/request-shaping-and-profiles.md', first: '"profiles": {', how: 'runs as config' },
  { file: 'docs/resume-and-conversations.md', first: 'import { io }', how: 'runs' },
  { file: 'docs/resume-and-conversations.md', first: 'let ws;', how: 'runs' },
  { file: 'docs/scaling.md', first: 'redis-server', how: 'flags parse' },
  { file: 'docs/scaling.md', first: 'import { io }', how: 'runs (Redis)' },
  { file: 'docs/server-events.md', first: 'curl -X POST', how: 'runs (curl)' },
  { file: 'docs/server-events.md', first: 'curl -H', how: 'runs (curl)' },
  { file: 'docs/server-events.md', first: '"clients": [', how: 'the keys GET /clients answers' },
  { file: 'docs/upstream.md', first: 'npm start -- --upstream', how: 'flags parse' },
  { file: 'docs/upstream.md', first: 'data: {"choices"', how: 'runs as a mapping' },
  { file: 'docs/workers.md', first: 'npx wrangler dev', how: 'npm scripts exist' },
  { file: 'docs/workers.md', first: '// src/index.ts of your worker', how: 'cut' },
];

// 'cut': the library's first two examples are checked by test/node/readme-library.test.ts.

const ANSWER = ['Hel', 'lo', ', ', 'world'];
const upstreamBody = sseFrames(
  { type: 'agent_status', content: { status: 'thinking', message: 'Thinking' } },
  ...ANSWER.map((data) => ({ type: 'text', content: { data } })),
  { type: 'stop', content: { reason: 'complete' } },
);

async function legacyUpstream() {
  const upstream = await startFakeUpstream(sseBody(upstreamBody));
  onCleanup(() => upstream.close());
  return upstream;
}

/** socket.io-client's `io`, closing what it opened after the test. */
function trackedIo(): typeof realIo {
  return ((url: string, options?: object) => {
    const socket: Socket = realIo(url, options);
    onCleanup(() => {
      socket.close();
    });
    return socket;
  }) as typeof realIo;
}

/** ws's WebSocket, closed after the test. */
function trackedWebSocket(): typeof WsWebSocket {
  return class extends WsWebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      onCleanup(() => this.terminate());
    }
  } as typeof WsWebSocket;
}

/** Records the calls of the functions an example leaves to the reader. */
function stubs(...names: string[]) {
  const calls: Record<string, unknown[][]> = {};
  const globals: Record<string, (...args: unknown[]) => void> = {};
  for (const name of names) {
    calls[name] = [];
    globals[name] = (...args) => void calls[name]?.push(args);
  }
  return { calls, globals };
}

const addressOf = (url: string) => url.replace(/^https?:\/\//, '');
const fromBridge = (url: string) => ({
  '127.0.0.1:8080': addressOf(url),
  'https://bridge.example.com': url,
});

describe('the docs examples', () => {
  it('lists every code block of the docs, each once', () => {
    const all = DOC_FILES.flatMap(blocksOf);
    const listed = CHECKED.map((c) => blockOf(c.file, c.first));
    expect(new Set(listed).size).toBe(listed.length);
    for (const block of all) {
      expect(listed, `${block.file}: ${block.code.split('\n')[0]}`).toContainEqual(block);
    }
  });

  it('names only npm scripts that exist', () => {
    const { scripts } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    for (const c of CHECKED.filter((c) => c.how === 'npm scripts exist')) {
      for (const [, name] of blockOf(c.file, c.first).code.matchAll(/^npm (?:run )?([\w:]+)/gm)) {
        if (name !== 'install') expect(Object.keys(scripts)).toContain(name);
      }
    }
    expect(readFileSync(join(REPO_ROOT, 'wrangler.toml'), 'utf8')).toMatch(/^main = /m);
  });

  it('passes only flags the CLI accepts', () => {
    for (const c of CHECKED.filter((c) => c.how === 'flags parse')) {
      for (const line of blockOf(c.file, c.first).code.split('\n')) {
        const argv = line.match(/(?:sse2ws|npm start --) (.*?)\s*&?$/)?.[1];
        if (argv !== undefined) expect(() => parseOptions(argv.split(/\s+/), {})).not.toThrow();
      }
    }
  });

  it('draws the layers as .dependency-cruiser.cjs states them', () => {
    const drawn = blockOf('ARCHITECTURE.md', 'internal < config').code.trim();
    const rules = readFileSync(join(REPO_ROOT, '.dependency-cruiser.cjs'), 'utf8');
    const layers = [...rules.matchAll(/^\s+\[((?:'\w+',? ?)+)\],$/gm)].map((m) =>
      (m[1] as string).replace(/'/g, '').split(', '),
    );
    expect(drawn).toBe([...layers.map((l) => l.join(', ')), 'bridge.ts', 'index.ts'].join(' < '));
  });

  it('cut the Workers entry from the consumer test/node/package.test.ts builds', () => {
    const linesOf = (text: string) =>
      new Set(
        text
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l !== '' && !l.startsWith('//')),
      );
    const cut = (c: { file: string; first: string }, from: string) => {
      const tested = linesOf(readFileSync(join(REPO_ROOT, from), 'utf8'));
      for (const line of linesOf(blockOf(c.file, c.first).code))
        expect(tested, line).toContain(line);
    };
    cut({ file: 'docs/workers.md', first: "from 'sse2ws/workers'" }, 'test/consumer/worker.ts');
  });

  it('shows the error table as the code has it', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs/protocol.md'), 'utf8');
    const table = doc.slice(
      doc.indexOf('<!-- error-table:start -->'),
      doc.indexOf('<!-- error-table:end -->'),
    );
    const rows = [...table.matchAll(/^\| `(\w+)` +\| (.*?) +\| (\d+) +\| (\d+) +\|$/gm)].map(
      (m) => [m[1], (m[2] as string).replace(/\\\|/g, '|'), Number(m[3]), Number(m[4])],
    );
    expect(rows).toEqual(
      Object.entries(ERROR_TABLE).map(([code, spec]) => [
        code,
        spec.message,
        spec.close,
        spec.status,
      ]),
    );
  });
});

describe('the contract examples (README, docs/protocol.md)', () => {
  for (const file of ['README.md', 'docs/protocol.md']) {
    it(`${file}: the Socket.IO example streams an answer`, async () => {
      const bridge = await startBridge((await legacyUpstream()).url);
      const { calls, globals } = stubs('showStatus', 'append', 'showError', 'done', 'log');
      await runExample(blockOf(file, "import { io } from 'socket.io-client';").code, {
        modules: { 'socket.io-client': { io: trackedIo() } },
        globals: { ...globals, console: { log: globals.log, error: globals.showError } },
        replace: fromBridge(bridge.url),
      });
      await vi.waitFor(() => expect(calls.done).toEqual([[{ reason: 'complete' }]]));
      expect(calls.append).toEqual(ANSWER.map((a) => [a]));
      expect(calls.showStatus).toEqual([['Thinking']]);
      expect(calls.log?.[0]?.[0]).toBe('request');
      expect(calls.showError).toEqual([]);
    });

    it(`${file}: the WebSocket example streams an answer`, async () => {
      const bridge = await startBridge((await legacyUpstream()).url);
      const { calls, globals } = stubs('append', 'log', 'error');
      await runExample(blockOf(file, 'const ws = new WebSocket').code, {
        globals: {
          ...globals,
          WebSocket: trackedWebSocket(),
          console: { log: globals.log, error: globals.error },
        },
        replace: fromBridge(bridge.url),
      });
      await vi.waitFor(() => expect(calls.append).toEqual(ANSWER.map((a) => [a])));
      expect(calls.log?.[0]?.[0]).toBe('request');
      expect(calls.error).toEqual([]);
    });
  }

  it('docs/protocol.md: the frame shown is a frame as sent', async () => {
    const bridge = await startBridge((await legacyUpstream()).url);
    const client = await connectWs(bridge.url);
    client.send({ event: 'chat_message', data: { request_id: 'r1' } });
    await client.frames('r1');
    const sent = client.inbox.items.find((m) => m.event === 'chat_response' && m.data.seq === 1);
    const shown = JSON.parse(blockOf('docs/protocol.md', '"event": "chat_response"').code);
    expect(Object.keys(shown)).toEqual(['event', 'data']);
    expect(Object.keys(shown.data).sort()).toEqual(
      [...Object.keys(sent?.data ?? {}), 'timestamp'].sort(),
    );
    expect({ ...shown.data, timestamp: undefined, content: sent?.data.content }).toEqual({
      ...sent?.data,
      timestamp: undefined,
    });
  });
});

describe('docs/client-sdk.md', () => {
  it('the connect() example streams an answer', async () => {
    const bridge = await startBridge((await legacyUpstream()).url);
    const { calls, globals } = stubs('append', 'showStatus', 'showError');
    vi.stubGlobal('WebSocket', trackedWebSocket());
    onCleanup(() => {
      vi.unstubAllGlobals();
    });
    await runExample(blockOf('docs/client-sdk.md', 'Node 20 has no global WebSocket').code, {
      modules: { 'sse2ws/client': sdk },
      globals: { ...globals, userJwt: 'user-jwt' },
      replace: fromBridge(bridge.url),
    });
    expect(calls.append).toEqual(ANSWER.map((a) => [a]));
    expect(calls.showStatus).toEqual([['Thinking']]);
    expect(calls.showError).toEqual([]);
  });

  it('the useChat hook streams an answer (React stubbed: one render)', async () => {
    const bridge = await startBridge((await legacyUpstream()).url);
    const states: Array<{ value: unknown }> = [];
    const unmount: Array<() => void> = [];
    const react = {
      useRef: (current: unknown) => ({ current }),
      useState: (value: unknown) => {
        const state = { value };
        states.push(state);
        const set = (next: unknown) => {
          state.value = typeof next === 'function' ? next(state.value) : next;
        };
        return [value, set];
      },
      useEffect: (effect: () => () => void) => void unmount.push(effect()),
      useCallback: (fn: unknown) => fn,
    };
    const useChat = (await runExample(blockOf('docs/client-sdk.md', 'import { useCallback').code, {
      modules: { react, 'sse2ws/client': sdk },
      returns: 'useChat',
    })) as (url: string, options: object) => { send(data: object): Promise<void> };
    const chat = useChat(bridge.url, { protocol: 'ws', WebSocket: trackedWebSocket() });
    onCleanup(() => unmount.forEach((u) => u()));
    await chat.send({ history: [], current_text: 'Hello' });
    const [state, text, status, error, busy] = states.map((s) => s.value);
    expect({ state, text, status, error, busy }).toEqual({
      state: 'open',
      text: ANSWER.join(''),
      status: 'Thinking',
      error: null,
      busy: false,
    });
  });

  it('the EventSource migration streams an answer', async () => {
    const bridge = await startBridge((await legacyUpstream()).url);
    const { calls, globals } = stubs('append', 'showStatus', 'error');
    const opened: sdk.BridgeEventSource[] = [];
    class EventSource extends sdk.BridgeEventSource {
      constructor(...args: ConstructorParameters<typeof sdk.BridgeEventSource>) {
        super(args[0], { ...args[1], WebSocket: trackedWebSocket() });
        opened.push(this);
        onCleanup(() => this.close());
      }
    }
    await runExample(slice(blockOf('docs/client-sdk.md', '// before: the SSE').code, '// after'), {
      modules: { 'sse2ws/client': { EventSource } },
      globals: { ...globals, text: 'Hello', history: [], console: { error: globals.error } },
      replace: fromBridge(bridge.url),
    });
    await vi.waitFor(() => expect(opened[0]?.readyState).toBe(2));
    // onmessage and the `text` listener both append each piece.
    expect(calls.append).toEqual(ANSWER.flatMap((a) => [[a], [a]]));
    expect(calls.showStatus).toEqual([['Thinking']]);
    expect(calls.error).toEqual([]);
  });

  it('the Flask-SocketIO migration streams an answer', async () => {
    const bridge = await startBridge((await legacyUpstream()).url);
    const { calls, globals } = stubs('append', 'done');
    await runExample(blockOf('docs/client-sdk.md', '// before: a Flask-SocketIO').code, {
      globals: { ...globals, io: trackedIo(), token: 't', history: [], text: 'Hello' },
      replace: fromBridge(bridge.url),
    });
    await vi.waitFor(() => expect(calls.done).toHaveLength(1));
    expect(calls.append).toEqual(ANSWER.map((a) => [a]));
  });
});

describe('docs/library.md', () => {
  async function listen(server: HttpServer): Promise<string> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('attaches to an existing Socket.IO server', async () => {
    const upstream = await legacyUpstream();
    const server = createServer();
    const bridge = createBridge({ upstreamUrl: upstream.url });
    onCleanup(() => bridge.close());
    const io = (await runExample(blockOf('docs/library.md', 'import { Server }').code, {
      modules: { 'socket.io': { Server: SocketIoServer } },
      globals: { server, bridge },
      returns: 'io',
    })) as SocketIoServer;
    onCleanup(() => void io.close());
    const url = await listen(server);
    const client = await connectSio(`${url}/assistant`, { transports: ['websocket'] });
    await client.request('chat_message', { request_id: 'r1' });
    expect((await client.frames('r1')).at(-1)?.type).toBe('stop');
  });

  it('mounts on an Express-style server (express stubbed: use, get, a handler)', async () => {
    const upstream = await legacyUpstream();
    type Handler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
    const express = () => {
      const chain: Handler[] = [];
      const app = (req: IncomingMessage, res: ServerResponse) => {
        const step = (i: number): void =>
          chain[i] === undefined
            ? void res.writeHead(404).end()
            : chain[i](req, res, () => step(i + 1));
        step(0);
      };
      app.use = (handler: Handler) => void chain.push(handler);
      app.get = (path: string, handler: (req: unknown, res: { send(t: string): void }) => void) =>
        void chain.push((req, res, next) =>
          req.method === 'GET' && req.url === path
            ? handler(req, { send: (t) => res.end(t) })
            : next(),
        );
      return app;
    };
    const { server, bridge } = (await runExample(
      blockOf('docs/library.md', 'import express').code,
      {
        modules: {
          'node:http': { createServer },
          express: { default: express },
          sse2ws: { createBridge },
        },
        globals: { process: { env: { ADMIN_TOKEN: 'admin-secret' } } },
        replace: {
          'http://127.0.0.1:5000/chat': upstream.url,
          'server.listen(3000)': "server.listen(0, '127.0.0.1')",
        },
        returns: '{ server, bridge }',
      },
    )) as { server: HttpServer; bridge: ReturnType<typeof createBridge> };
    onCleanup(() => bridge.close());
    onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await new Promise((resolve) =>
      server.listening ? resolve(undefined) : server.once('listening', resolve),
    );
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect(await (await fetch(`${url}/api/hello`)).text()).toBe('hello');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const clients = await fetch(`${url}/clients`, {
      headers: { authorization: 'Bearer admin-secret' },
    });
    expect(clients.status).toBe(200);
    const client = await connectSio(url, { transports: ['websocket'] });
    await client.request('chat_message', { request_id: 'r1' });
    expect((await client.frames('r1')).at(-1)?.type).toBe('stop');
  });

  it('runs the hooks example', async () => {
    const upstream = await legacyUpstream();
    const { calls, globals } = stubs('record');
    const accounts = {
      bySession: async (cookie?: string) => (cookie ? { id: 'u1', plan: 'free' } : undefined),
    };
    const bridge = (await runExample(
      blockOf('docs/library.md', 'import { BridgeError, createBridge }').code,
      {
        modules: { sse2ws: { BridgeError: (await import('sse2ws')).BridgeError, createBridge } },
        globals: { accounts, billing: { record: globals.record } },
        replace: { 'http://127.0.0.1:5000/chat': upstream.url },
        returns: 'bridge',
      },
    )) as ReturnType<typeof createBridge>;
    onCleanup(() => bridge.close());
    const server = createServer(bridge.handler);
    bridge.attach(server);
    const url = await listen(server);
    await expect(connectWs(url)).rejects.toThrow(); // no cookie: onConnect returns false
    const client = await connectWs(url, { headers: { cookie: 'session=1' } });
    client.send({
      event: 'chat_message',
      data: { request_id: 'r1', current_text: 'x'.repeat(5000) },
    });
    await vi.waitFor(() => expect(client.inbox.items.some((m) => m.event === 'error')).toBe(true));
    client.send({ event: 'chat_message', data: { request_id: 'r2' } });
    await client.frames('r2');
    const request = await upstream.request(0);
    expect(request.headers).toMatchObject({ 'x-tenant': 'acme', 'x-trace': 'r2' });
    await vi.waitFor(() => expect(calls.record?.[0]?.[0]).toBe('r2'));
  });
});

describe('docs/request-shaping-and-profiles.md', () => {
  const doc = 'docs/request-shaping-and-profiles.md';

  it('the request template shapes the upstream call', async () => {
    const upstream = await legacyUpstream();
    const config = parseBridgeConfigText(blockOf(doc, '"request": {').code, 'docs');
    const shaped = await startNodeServerWith(upstream.url, { config });
    const client = await connectWs(shaped.url);
    client.send({
      event: 'chat_message',
      data: {
        request_id: 'r1',
        conversation_id: 'c/1',
        current_text: 'Hi?',
        lang: 'en',
        history: [],
      },
    });
    await client.frames('r1');
    const request = await upstream.request(0);
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/chat/conversations/c%2F1/answers?q=Hi%3F&lang=en');
    expect(JSON.parse(request.body)).toEqual({
      model: 'gpt-4o',
      stream: true,
      messages: [{ role: 'user', content: 'Hi?' }],
    });
  });

  it('the custom profile speaks its own events', async () => {
    const upstream = await legacyUpstream();
    const config = parseBridgeConfigText(blockOf(doc, '"profiles": {').code, 'docs');
    const bridge = await startNodeServerWith(upstream.url, { config }, { profile: 'my-app' });
    const client = await connectSio(bridge.url);
    client.socket.emit('ask', { q: 'Hi', room: 'r' });
    const done = await client.inbox.waitFor((m) => m.event === 'done');
    expect(done.args[0]).toEqual({ full: ANSWER.join('') });
    const events = client.inbox.items.map((m) => m.event);
    expect(events.filter((e) => e === 'delta')).toHaveLength(ANSWER.length);
    expect(events[0]).toBe('began');
  });

  it('the socket-module and consultation snippets run', async () => {
    const upstream = await legacyUpstream();
    const code = blockOf(doc, '// socket-module').code;
    const module = await startBridge(upstream.url, { profile: 'socket-module' });
    const socket = (await connectSio(module.url)).socket;
    const first = stubs('append', 'done', 'failed', 'save');
    await runExample(slice(code, '// socket-module', '// consultation'), {
      globals: { ...first.globals, socket },
    });
    await vi.waitFor(() => expect(first.calls.done).toHaveLength(1));
    expect(first.calls.append?.map((a) => a[0])).toEqual(ANSWER);
    expect(first.calls.save).toHaveLength(1);
    expect(first.calls.failed).toEqual([]);

    const consultation = await startBridge(upstream.url, { profile: 'consultation' });
    const second = stubs('append', 'finish', 'render', 'showError');
    await runExample(slice(code, '// consultation'), {
      globals: { ...second.globals, io: trackedIo() },
      replace: fromBridge(consultation.url),
    });
    await vi.waitFor(() => expect(second.calls.render).toHaveLength(1));
    expect(second.calls.render?.[0]?.[0]).toBe(ANSWER.join(''));
    expect(second.calls.finish).toHaveLength(1);
    expect(second.calls.showError).toEqual([]);
  });
});

/** A bridge with a config (request shaping, profiles), closed after the test. */
async function startNodeServerWith(
  upstreamUrl: string,
  deps: { config: ReturnType<typeof parseBridgeConfigText> },
  overrides: Record<string, unknown> = {},
) {
  const { startNodeServer } = await import('sse2ws');
  const { testOptions } = await import('../helpers/bridge.ts');
  const server = await startNodeServer(testOptions(overrides), { upstreamUrl, ...deps });
  onCleanup(() => server.close());
  return server;
}

describe('docs/resume-and-conversations.md', () => {
  const doc = 'docs/resume-and-conversations.md';

  it('the Socket.IO client renders a conversation answer', async () => {
    const bridge = await startBridge((await legacyUpstream()).url);
    const { calls, globals } = stubs('render', 'showQuestion', 'showOnline');
    await runExample(blockOf(doc, 'import { io }').code, {
      modules: { 'socket.io-client': { io: trackedIo() } },
      globals: { ...globals, userJwt: 'user-jwt' },
      replace: fromBridge(bridge.url),
    });
    await vi.waitFor(() => expect(calls.render?.at(-1)?.[0]).toMatchObject({ type: 'stop' }));
    expect(calls.render?.map((r) => (r[0] as { seq: number }).seq)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('the WebSocket client joins and renders what another member asks', async () => {
    const bridge = await startBridge((await legacyUpstream()).url);
    const { calls, globals } = stubs('render', 'showQuestion', 'showOnline');
    await runExample(blockOf(doc, 'let ws;').code, {
      globals: {
        ...globals,
        userJwt: 'user-jwt',
        WebSocket: trackedWebSocket(),
        setTimeout: () => {},
      },
      replace: fromBridge(bridge.url),
    });
    await vi.waitFor(() => expect(calls.showOnline).toEqual([[1]]));
    const other = await connectSio(bridge.url);
    await other.request('chat_message', {
      request_id: 'q',
      conversation_id: 'consult-42',
      current_text: 'Hi',
    });
    await vi.waitFor(() => expect(calls.render?.at(-1)?.[0]).toMatchObject({ type: 'stop' }));
    expect(calls.showQuestion).toEqual([['Hi']]);
  });
});

describeRedis('docs/scaling.md', () => {
  it('resumes on the other instance', async () => {
    const upstream = await legacyUpstream();
    const shared = { redisUrl: SHARED_REDIS_URL, redisPrefix: testPrefix() };
    const a = await startBridge(upstream.url, shared);
    const b = await startBridge(upstream.url, shared);
    const code = blockOf('docs/scaling.md', 'import { io }').code;
    const { calls, globals } = stubs('log');
    const replace = { '127.0.0.1:8081': addressOf(a.url), '127.0.0.1:8082': addressOf(b.url) };
    const io = trackedIo();
    const token = (await runExample(slice(code, undefined, '// …the socket drops'), {
      modules: { 'socket.io-client': { io } },
      globals: { console: { log: globals.log } },
      replace,
      returns: '() => resume_token',
    })) as () => string;
    await vi.waitFor(() => expect(calls.log?.at(-1)).toEqual(['A', 5, 'stop']));
    await runExample(slice(code, '// …the socket drops'), {
      globals: { io, console: { log: globals.log }, resume_token: token() },
      replace,
    });
    await vi.waitFor(() => expect(calls.log?.at(-1)).toEqual(['B', 5, 'stop']));
    expect(calls.log?.filter((l) => l[0] === 'B').map((l) => l[1])).toEqual([4, 5]);
  });
});

describe('docs/server-events.md', () => {
  const run = promisify(execFile);
  const doc = 'docs/server-events.md';

  it('the curl examples publish and list clients, as the JSON shown', async () => {
    const token = 'admin-secret';
    const bridge = await startBridge((await legacyUpstream()).url, { adminToken: token });
    await connectWs(bridge.url);
    const env = { ...process.env, SSE2WS_ADMIN_TOKEN: token };
    const shell = async (first: string) => {
      const code = blockOf(doc, first).code.split('127.0.0.1:8080').join(addressOf(bridge.url));
      return JSON.parse((await run('sh', ['-c', code], { env })).stdout);
    };
    expect(await shell('curl -X POST')).toEqual({ delivered: 0 });
    expect(await shell('curl -H')).toEqual({ clients: [] });
    const listed = await (
      await fetch(`${bridge.url}/clients`, { headers: { authorization: `Bearer ${token}` } })
    ).json();
    const shown = JSON.parse(blockOf(doc, '"clients": [').code);
    expect(Object.keys(listed.clients[0]).sort()).toEqual(Object.keys(shown.clients[0]).sort());
  });
});

describe('docs/upstream.md', () => {
  it('maps the OpenAI lines as shown', async () => {
    const lines = blockOf('docs/upstream.md', 'data: {"choices"').code.trim().split('\n');
    const sse = lines.map((l) => `${l.split(/\s+→\s+/)[0]?.trim()}\n\n`).join('');
    const shown = lines
      .filter((l) => l.includes('→'))
      .map((l) => JSON.parse(l.split('→')[1] as string));
    const upstream = await startFakeUpstream(sseBody(sse));
    onCleanup(() => upstream.close());
    const bridge = await startBridge(upstream.url, { upstreamFormat: 'openai' });
    const client = await connectWs(bridge.url);
    client.send({ event: 'chat_message', data: { request_id: 'r1' } });
    const frames = (await client.frames('r1')).map(({ type, content }) => ({ type, content }));
    expect(frames).toEqual(shown);
  });
});
