/** The in-memory browser bundle the playground serves at /sse2ws-client.js. */
import { runInNewContext } from 'node:vm';
import { expect, it } from 'vitest';
import { createClientBundle } from '../../src/node/client-bundle.ts';

it('bundles the SDK with socket.io-client as one script that sets window.sse2ws', async () => {
  const getBundle = createClientBundle();

  const code = await getBundle();

  expect(code).toContain('sse2ws');
  expect(code).not.toMatch(/\brequire\(/);
  expect(await getBundle()).toBe(code);
  // A bare context: the script must run without Node globals (no require, no process).
  const sandbox: Record<string, any> = { setTimeout, clearTimeout };
  sandbox.window = sandbox;
  sandbox.self = sandbox;
  runInNewContext(code, sandbox);
  expect(typeof sandbox.sse2ws.connect).toBe('function');
  expect(typeof sandbox.sse2ws.BridgeEventSource).toBe('function');
  expect(sandbox.sse2ws.EventSource).toBe(sandbox.sse2ws.BridgeEventSource);
});
