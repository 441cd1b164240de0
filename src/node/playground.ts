/**
 * The browser playground: `GET /` answers a small chat page and `GET /sse2ws-client.js` the client
 * SDK bundled for the browser, so `npm start` can be tried in a browser with nothing from a CDN.
 */
import { createHash } from 'node:crypto';
import type { Hono } from 'hono';
import {
  isLoopbackBind,
  silentLogger,
  type BridgeOptions,
  type Logger,
  ERROR_TABLE,
} from '../core/index.ts';
import {
  CLIENT_BUNDLE_PATH,
  PLAYGROUND_SCRIPT,
  PLAYGROUND_STYLE,
  toPlaygroundHtml,
} from './playground-page.ts';

/**
 * Revalidate on every load: the page and the bundle are tiny, and a bridge upgraded in place must
 * never leave a tab running an old SDK against a new server (the ETag makes the check a 304).
 */
export const PLAYGROUND_CACHE_CONTROL = 'no-cache';

/**
 * Whether `/` serves the playground: as `--playground` says, else only on a loopback bind or with
 * the demo backend (a page on a public bridge is an open door to its upstream).
 */
export function servesPlayground(options: BridgeOptions, demo: boolean): boolean {
  return options.playground ?? (demo || isLoopbackBind(options.host));
}

/** Answers the browser SDK's JavaScript (`createClientBundle()` of ./client-bundle.ts). */
export type ClientBundle = () => Promise<string>;

const sha256 = (text: string, encoding: 'base64' | 'hex'): string =>
  createHash('sha256').update(text, 'utf8').digest(encoding);

/**
 * Only the page's own inline script and style and same-origin resources: the page is served by
 * the bridge whose admission trusts its origin, so it must not run anything injected into it.
 */
function toContentSecurityPolicy(): string {
  return [
    "default-src 'none'",
    `script-src 'self' 'sha256-${sha256(PLAYGROUND_SCRIPT, 'base64')}'`,
    `style-src 'sha256-${sha256(PLAYGROUND_STYLE, 'base64')}'`,
    // 'self' covers ws:/wss: to the same host (CSP 3): the page talks to its own bridge only.
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** What the playground routes are built from. */
export interface PlaygroundDeps {
  clientBundle: ClientBundle;
  logger?: Logger;
}

/** Mount `GET /` and `GET /sse2ws-client.js` on `app`. */
export function mountPlayground(app: Hono, deps: PlaygroundDeps): void {
  const { clientBundle, logger = silentLogger } = deps;
  const html = toPlaygroundHtml();
  const pageHeaders = {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': PLAYGROUND_CACHE_CONTROL,
    etag: `"${sha256(html, 'hex').slice(0, 32)}"`,
    'content-security-policy': toContentSecurityPolicy(),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  let bundle: Promise<{ js: string; etag: string }> | undefined;

  app.get('/', (c) => {
    if (c.req.header('if-none-match') === pageHeaders.etag) {
      return c.body(null, 304, {
        etag: pageHeaders.etag,
        'cache-control': PLAYGROUND_CACHE_CONTROL,
      });
    }
    return c.body(html, 200, pageHeaders);
  });

  app.get(CLIENT_BUNDLE_PATH, async (c) => {
    bundle ??= clientBundle().then((js) => ({ js, etag: `"${sha256(js, 'hex').slice(0, 32)}"` }));
    let built: { js: string; etag: string };
    try {
      built = await bundle;
    } catch (error) {
      // Not cached: the next request builds again (e.g. after a source file was fixed).
      bundle = undefined;
      logger.error({ err: error }, 'playground: building the client bundle failed');
      return c.body(
        'console.error("sse2ws: the client bundle failed to build (see the bridge log)");',
        ERROR_TABLE.internal_error.status,
        {
          'content-type': 'text/javascript; charset=utf-8',
          'cache-control': 'no-store',
        },
      );
    }
    const headers = {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': PLAYGROUND_CACHE_CONTROL,
      etag: built.etag,
      'x-content-type-options': 'nosniff',
    };
    if (c.req.header('if-none-match') === built.etag) {
      return c.body(null, 304, { etag: built.etag, 'cache-control': PLAYGROUND_CACHE_CONTROL });
    }
    return c.body(built.js, 200, headers);
  });
}
