/**
 * A Worker's `[vars]` go through the CLI's option table and checks: a bad value, or a var of an
 * option a Worker cannot honour, answers `bad_config` naming the var (never silently dropped).
 */
import { Miniflare } from 'miniflare';
import { describe, expect, it } from 'vitest';
import { onCleanup } from '../helpers/bridge.ts';
import { bundleWorker } from '../helpers/workers.ts';

async function startWorkerWithVars(vars: Record<string, string>): Promise<string> {
  const mf = new Miniflare({
    modules: [{ type: 'ESModule', path: 'index.js', contents: await bundleWorker() }],
    compatibilityDate: '2026-04-01',
    durableObjects: { STREAMS: 'StreamObject', CONVERSATIONS: 'ConversationObject' },
    bindings: vars,
    host: '127.0.0.1',
    port: 0,
  });
  onCleanup(() => mf.dispose());
  return (await mf.ready).origin;
}

describe('Workers vars', () => {
  it.each([
    [{ SSE2WS_RATE_LIMIT: '-5' }, /^SSE2WS_RATE_LIMIT: must not be negative/],
    [
      { SSE2WS_REDIS_URL: 'redis://127.0.0.1:6379' },
      /^SSE2WS_REDIS_URL: the Workers entry does not support it; Durable Objects/,
    ],
    [{ SSE2WS_EVENTS_URL: 'https://api.example.com/events' }, /^SSE2WS_EVENTS_URL: .*Node/],
  ])('%o answers bad_config naming the var', async (vars, message) => {
    const url = await startWorkerWithVars(vars);
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('bad_config');
    expect(body.error.message).toMatch(message);
  });

  it('starts with the vars it supports', async () => {
    const url = await startWorkerWithVars({ SSE2WS_RATE_LIMIT: '5' });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});
