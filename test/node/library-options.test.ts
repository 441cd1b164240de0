/**
 * Library options go through the CLI's option table and checks: `createBridge` and
 * `startNodeServer` refuse bad values, unknown keys and (createBridge) options they cannot honour,
 * each with an OptionError naming the option.
 */
import { describe, expect, it } from 'vitest';
import { createBridge, OptionError, startNodeServer } from 'sse2ws';
import { onCleanup, startBridge } from '../helpers/bridge.ts';
import { sseBody, sseFrames, startFakeUpstream } from '../helpers/fake-upstream.ts';

const UPSTREAM = 'http://127.0.0.1:9/chat';

/** The OptionError `run` throws (a test fails if it throws nothing or something else). */
async function optionErrorOf(run: () => unknown): Promise<OptionError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(OptionError);
    return error as OptionError;
  }
  throw new Error('expected an OptionError, nothing was thrown');
}

describe('createBridge options', () => {
  it.each([
    [{ rateLimit: -5 }, 'rateLimit', /rateLimit: must not be negative/],
    [{ rateLimit: 1.5 }, 'rateLimit', /rateLimit: "1.5" is not a number/],
    [{ maxConnections: 0 }, 'maxConnections', /maxConnections: 0 is out of range 1\.\./],
    [{ idleTimeoutMs: '60000' }, 'idleTimeoutMs', /idleTimeoutMs: must be a number \(got string\)/],
    [{ forwardHeaders: 'authorization' }, 'forwardHeaders', /must be an array of strings/],
    [{ forwardHeaders: ['bad header'] }, 'forwardHeaders', /"bad header" is not a header name/],
    [{ allowedOrigins: ['app.example.com'] }, 'allowedOrigins', /is not an origin/],
    [{ upstreamFormat: 'gpt' }, 'upstreamFormat', /"gpt" is not one of auto/],
    [{ jwksUrl: 'ftp://keys' }, 'jwksUrl', /is not an http\(s\) URL/],
    [{ jwtSecret: '' }, 'jwtSecret', /must not be empty/],
    [{ upstreamUrl: 'not a url' }, 'upstreamUrl', /"not a url" is not a URL/],
    [{ upstreamUrl: undefined }, 'upstreamUrl', /upstreamUrl: required/],
  ])('refuses %o naming %s', async (bad, option, message) => {
    const error = await optionErrorOf(() =>
      createBridge({ upstreamUrl: UPSTREAM, ...bad } as never),
    );
    expect(error.code).toBe('invalid_option');
    expect(error.option).toBe(option);
    expect(error.message).toMatch(message);
  });

  it('refuses an unknown key, suggesting the option meant', async () => {
    const error = await optionErrorOf(() =>
      createBridge({ upstreamUrl: UPSTREAM, rateLimt: 5 } as never),
    );
    expect(error).toMatchObject({ code: 'unknown_option', option: 'rateLimt' });
    expect(error.message).toBe(
      'createBridge: unknown option "rateLimt" (did you mean "rateLimit"?)',
    );
  });

  it.each([
    ['redisUrl', 'redis://127.0.0.1:6379', /startNodeServer\(\{ redisUrl \}\).*registry/],
    ['port', 8080, /bridge\.attach\(server\)/],
    ['logLevel', 'debug', /pass a `logger`/],
    ['playground', false, /startNodeServer/],
    ['drainTimeoutMs', 5000, /startDraining/],
  ])('refuses %s, which it cannot honour, saying what to use', async (option, value, instead) => {
    const error = await optionErrorOf(() =>
      createBridge({ upstreamUrl: UPSTREAM, [option]: value } as never),
    );
    expect(error).toMatchObject({ code: 'unsupported_option', option });
    expect(error.message).toMatch(new RegExp(`^${option}: createBridge does not support it; `));
    expect(error.message).toMatch(instead);
  });

  it('refuses a path that does not start with /', async () => {
    const error = await optionErrorOf(() => createBridge({ upstreamUrl: UPSTREAM, wsPath: 'ws' }));
    expect(error).toMatchObject({ code: 'invalid_option', option: 'wsPath' });
  });

  it('keeps valid values, normalised as the CLI normalises them, and defaults the rest', () => {
    const bridge = createBridge({
      upstreamUrl: UPSTREAM,
      rateLimit: 0,
      forwardHeaders: ['Authorization', 'X-Tenant'],
      allowedOrigins: ['https://App.example.com/'],
      jwtSecret: undefined,
    });
    onCleanup(() => bridge.close());
    expect(bridge.options).toMatchObject({
      upstreamUrl: UPSTREAM,
      rateLimit: 0,
      forwardHeaders: ['authorization', 'x-tenant'],
      allowedOrigins: ['https://app.example.com'],
      jwtSecret: undefined,
      maxConnections: 5_000,
    });
  });
});

describe('startNodeServer options', () => {
  it('refuses an invalid value and an unknown key, naming them', async () => {
    const invalid = await optionErrorOf(() =>
      startNodeServer({ port: 0, rateLimit: -5 }, { upstreamUrl: UPSTREAM }),
    );
    expect(invalid).toMatchObject({ code: 'invalid_option', option: 'rateLimit' });
    const unknown = await optionErrorOf(() =>
      startNodeServer({ port: 0, prot: 1 } as never, { upstreamUrl: UPSTREAM }),
    );
    expect(unknown).toMatchObject({ code: 'unknown_option', option: 'prot' });
    expect(unknown.message).toContain('(did you mean "port"?)');
    const missing = await optionErrorOf(() => startNodeServer({ port: 0 }, {}));
    expect(missing).toMatchObject({ option: 'upstreamUrl' });
  });

  it('takes a partial set of options (the rest default) and serves with them', async () => {
    const upstream = await startFakeUpstream(
      sseBody(sseFrames({ type: 'text', content: { data: 'hi' } }, { type: 'stop' })),
    );
    onCleanup(() => upstream.close());
    const server = await startNodeServer(
      { port: 0, logLevel: 'silent', upstreamUrl: upstream.url },
      {},
    );
    onCleanup(() => server.close());
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
  });

  it('still starts from a full option set (the CLI passes one)', async () => {
    const server = await startBridge(UPSTREAM, { rateLimit: 3 });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
