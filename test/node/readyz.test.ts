/** `GET /readyz`: a real bridge probing a real (or a closed) upstream port. */
import { describe, expect, it } from 'vitest';
import type { ReadinessCheck } from '../../src/core/http/readiness.ts';
import { type NodeServerDeps, startNodeServer } from '../../src/node/server.ts';
import { onCleanup, startBridge, testOptions } from '../helpers/bridge.ts';
import { freePort } from '../helpers/cli-process.ts';
import { sseBody, sseFrames, startFakeUpstream } from '../helpers/fake-upstream.ts';

async function readyz(baseUrl: string): Promise<{ status: number; body: any; cache: string }> {
  const res = await fetch(`${baseUrl}/readyz`);
  return {
    status: res.status,
    body: await res.json(),
    cache: res.headers.get('cache-control') ?? '',
  };
}

/** An upstream whose chat endpoint takes POST only, as most do: HEAD gets 405. */
async function startPostOnlyUpstream() {
  const upstream = await startFakeUpstream((req, res, recorded) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    return sseBody(sseFrames({ type: 'stop' }))(req, res, recorded);
  });
  onCleanup(() => upstream.close());
  return upstream;
}

async function startServer(upstreamUrl: string, deps: Omit<NodeServerDeps, 'upstreamUrl'> = {}) {
  const server = await startNodeServer(testOptions(), { ...deps, upstreamUrl });
  onCleanup(() => server.close());
  return server;
}

describe('GET /readyz', () => {
  it('is ready when the upstream answers a HEAD, even with 405', async () => {
    const upstream = await startPostOnlyUpstream();
    const bridge = await startBridge(upstream.url);
    const answer = await readyz(bridge.url);
    expect(answer).toEqual({
      status: 200,
      body: { status: 'ready', checks: { upstream: 'ok' } },
      cache: 'no-store',
    });
    expect(upstream.requests.map((r) => [r.method, r.url])).toEqual([['HEAD', '/chat']]);
  });

  it('is not ready (503, with the reason) when nothing listens on the upstream port', async () => {
    const port = await freePort();
    const bridge = await startBridge(`http://127.0.0.1:${port}/chat`);
    const answer = await readyz(bridge.url);
    expect(answer.status).toBe(503);
    expect(answer.body.status).toBe('not_ready');
    expect(answer.body.reason).toBe('upstream: unreachable (ECONNREFUSED)');
    expect(answer.body.checks).toEqual({ upstream: 'unreachable (ECONNREFUSED)' });
  });

  it('reuses a probe result within the cache window, also for concurrent polls', async () => {
    const upstream = await startPostOnlyUpstream();
    const bridge = await startBridge(upstream.url);
    const answers = await Promise.all([readyz(bridge.url), readyz(bridge.url)]);
    for (let i = 0; i < 3; i++) answers.push(await readyz(bridge.url));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(upstream.requests.filter((r) => r.method === 'HEAD')).toHaveLength(1);
  });

  it('probes again once the cached result is older than the window', async () => {
    const upstream = await startPostOnlyUpstream();
    const server = await startServer(upstream.url, { readinessCacheMs: 0 });
    await readyz(server.url);
    await readyz(server.url);
    expect(upstream.requests.filter((r) => r.method === 'HEAD')).toHaveLength(2);
  });

  it('needs every extra check to pass (room for the shared store)', async () => {
    const upstream = await startPostOnlyUpstream();
    let storeUp = false;
    const store: ReadinessCheck = {
      name: 'store',
      async probe() {
        if (!storeUp) throw new Error('connection refused');
      },
    };
    const server = await startServer(upstream.url, {
      readinessChecks: [store],
      readinessCacheMs: 0,
    });
    expect(await readyz(server.url)).toMatchObject({
      status: 503,
      body: {
        status: 'not_ready',
        reason: 'store: connection refused',
        checks: { upstream: 'ok', store: 'connection refused' },
      },
    });
    storeUp = true;
    expect(await readyz(server.url)).toMatchObject({
      status: 200,
      body: { status: 'ready', checks: { upstream: 'ok', store: 'ok' } },
    });
  });

  it('answers draining (503) without probing once shutdown started', async () => {
    const upstream = await startPostOnlyUpstream();
    const server = await startServer(upstream.url, {});
    server.readiness.startDraining();
    expect(await readyz(server.url)).toEqual({
      status: 503,
      body: { status: 'draining' },
      cache: 'no-store',
    });
    expect(upstream.requests).toHaveLength(0);
  });
});
