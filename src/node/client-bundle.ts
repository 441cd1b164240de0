/**
 * The browser SDK as one script, built in memory on first use: src/client/browser.ts with
 * socket.io-client inside, as a minified IIFE that sets `window.sse2ws`. Served at
 * `/sse2ws-client.js` for the playground.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The browser entry of the client SDK. */
const BROWSER_ENTRY = fileURLToPath(new URL('../client/browser.ts', import.meta.url));

/**
 * A function that resolves with the bundle's JavaScript. The first call builds it; later calls
 * share that result (a failed build is retried on the next call).
 */
export function createClientBundle(): () => Promise<string> {
  let bundle: Promise<string> | undefined;
  return () => {
    bundle ??= build({
      entryPoints: [BROWSER_ENTRY],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'es2020',
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
    }).then(
      (result) => {
        const file = result.outputFiles[0];
        if (!file) throw new Error('esbuild produced no output for the client bundle');
        return file.text;
      },
      (error: unknown) => {
        bundle = undefined;
        throw error;
      },
    );
    return bundle;
  };
}
