/**
 * The browser bundle the playground serves at /sse2ws-client.js: the file `npm run build` writes
 * (what the package ships and reads, with no bundler at run time), and the in-memory build used
 * when running the sources.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { expect, it } from 'vitest';
import { createClientBundle } from '../../src/node/client-bundle.ts';
import { REPO_ROOT } from '../helpers/cli-process.ts';

/** The file the build writes (npm test builds before vitest runs). */
const BUILT = join(REPO_ROOT, 'dist', 'client', 'sse2ws-client.js');

it.each([
  ['the built file', BUILT],
  ['the sources, built in memory (no file there)', join(REPO_ROOT, 'dist', 'absent.js')],
])(
  'bundles the SDK with socket.io-client as one script that sets window.sse2ws: %s',
  async (_name, file) => {
    if (file === BUILT) await expect(access(BUILT)).resolves.toBeUndefined();
    const getBundle = createClientBundle(file);

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
  },
);
