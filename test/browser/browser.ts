/**
 * Real-browser harness: Debian's Chromium driven by playwright-core, one browser per test, closed
 * after it. Without a Chromium the browser tests skip with a notice, unless
 * `SSE2WS_REQUIRE_BROWSER` is set (CI sets it), which turns a missing browser into a failure.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { onCleanup } from '../helpers/bridge.ts';

/** Where Debian's `chromium` package installs the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags for a quiet, sandbox-free headless run in a container. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Screenshots and other files a run leaves for a human to look at (git-ignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

const flag = process.env.SSE2WS_REQUIRE_BROWSER ?? '';
/** Whether a missing browser fails the run instead of skipping it. */
export const browserRequired = flag !== '' && flag !== '0' && flag !== 'false';
/** Whether the browser tests run at all. */
export const browserAvailable = existsSync(CHROMIUM_PATH);

/** True when the suite should skip; prints why, once. */
export function skipBrowserTests(): boolean {
  if (browserAvailable || browserRequired) return false;
  console.warn(
    `test/browser: SKIPPED, no Chromium at ${CHROMIUM_PATH} (apt-get install chromium; ` +
      'set SSE2WS_REQUIRE_BROWSER=1 to make this a failure)',
  );
  return true;
}

/** A page, with what went wrong inside it collected for assertions. */
export interface BrowserPage {
  page: Page;
  /** Uncaught exceptions and Content-Security-Policy violations in the page. */
  pageErrors: string[];
  /** Save a full-page screenshot as `test-artifacts/<name>.png`; resolves with its path. */
  screenshot(name: string): Promise<string>;
}

/** Launch Chromium and open a page; both closed after the test. */
export async function openPage(): Promise<BrowserPage> {
  if (!browserAvailable) {
    throw new Error(`SSE2WS_REQUIRE_BROWSER is set but there is no Chromium at ${CHROMIUM_PATH}`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  onCleanup(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
  onCleanup(() => page.close());
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) pageErrors.push(message.text());
  });
  return {
    page,
    pageErrors,
    async screenshot(name) {
      await mkdir(ARTIFACTS_DIR, { recursive: true });
      const path = `${ARTIFACTS_DIR}${name}.png`;
      await page.screenshot({ path, fullPage: true });
      return path;
    },
  };
}
