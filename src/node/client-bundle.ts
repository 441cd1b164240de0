/**
 * The browser SDK as one script: src/client/browser.ts with socket.io-client inside, as a minified
 * IIFE that sets `window.sse2ws`. Served at `/sse2ws-client.js` for the playground.
 *
 * `npm run build` writes it next to the built SDK (dist/client/sse2ws-client.js), so the installed
 * package reads a file and runs no bundler. Run from the sources (tests, `vitest`), there is no such
 * file beside this module, and it is built in memory with esbuild (a devDependency) instead.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Where the build puts the bundle, relative to this module once built (dist/node/). */
export const CLIENT_BUNDLE_FILE = fileURLToPath(
  new URL('../client/sse2ws-client.js', import.meta.url),
);

/** The browser entry of the client SDK, for the in-memory build from the sources. */
const BROWSER_ENTRY = fileURLToPath(new URL('../client/browser.ts', import.meta.url));

/** The esbuild options of the bundle: the build script uses the same (scripts/build.js). */
export const CLIENT_BUNDLE_BUILD = {
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  legalComments: 'none',
  logLevel: 'silent',
} as const;

async function buildFromSources(): Promise<string> {
  // Only reached when running the sources: the package itself ships the built file.
  const { build } = await import('esbuild');
  const result = await build({
    ...CLIENT_BUNDLE_BUILD,
    entryPoints: [BROWSER_ENTRY],
    write: false,
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error('esbuild produced no output for the client bundle');
  return file.text;
}

async function load(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return buildFromSources();
  }
}

/**
 * A function that resolves with the bundle's JavaScript: the built `file`, or, when there is none,
 * a build from the sources. The first call reads (or builds) it; later calls share that result (a
 * failure is retried on the next call).
 */
export function createClientBundle(file: string = CLIENT_BUNDLE_FILE): () => Promise<string> {
  let bundle: Promise<string> | undefined;
  return () => {
    bundle ??= load(file).catch((error: unknown) => {
      bundle = undefined;
      throw error;
    });
    return bundle;
  };
}
