/**
 * The playground page in a real Chromium against a real bridge: it streams an answer, and a
 * connection the server cuts mid-answer is reconnected and resumed by the client SDK with the
 * text exactly as an uninterrupted answer (no lost or repeated words), through `connect()` and
 * through the BridgeEventSource adapter, over Socket.IO and plain WebSocket.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DEMO_WORD_DELAY_MS, toDemoAnswer } from '../../src/core/http/demo-backend.ts';
import { startDemoBackend } from '../../src/node/demo-backend.ts';
import type { NodeBridgeServer } from '../../src/node/server.ts';
import { onCleanup, startBridge } from '../helpers/bridge.ts';
import { openPage, skipBrowserTests } from './browser.ts';
import { startWordUpstream, WORD_UPSTREAM_STATUS } from './word-upstream.ts';

const PROTOCOLS = ['socketio', 'ws'] as const;
/** Slow enough that a cut lands mid-answer and the reconnect happens while words still come. */
const SLOW_WORD_DELAY_MS = 80;
/** Words on screen before the connection is cut. */
const WORDS_BEFORE_CUT = 6;
/** One agent_status, the words, one stop. */
const framesOf = (text: string): number => text.split(' ').length + 2;

/** Open the playground of `bridge` with `query` and wait until its script ran. */
async function openPlayground(bridge: NodeBridgeServer, query: string) {
  const browser = await openPage();
  await browser.page.goto(`${bridge.url}/?${query}`);
  await browser.page.locator('body[data-ready="true"]').waitFor({ timeout: 10_000 });
  return browser;
}

const state = (page: Page): Locator => page.getByTestId('state');
const lastTurn = (page: Page): Locator => page.getByTestId('turn').last();

/** Type `text` and send it; resolves with the turn that shows its answer. */
async function send(page: Page, text: string): Promise<Locator> {
  await page.getByTestId('message').fill(text);
  await page.getByTestId('send').click();
  const turn = lastTurn(page);
  await expect.poll(() => turn.getByTestId('user-text').textContent()).toBe(text);
  return turn;
}

/** Wait until the turn's stream ended, any way. */
async function finished(turn: Locator): Promise<string | null> {
  await turn.locator('xpath=self::*[@data-state!="streaming"]').waitFor({ timeout: 15_000 });
  return turn.getAttribute('data-state');
}

/**
 * Close every client connection from the server's side, as a restart or a proxy would; resolves
 * once a new connection (not one of the cut ones) took over.
 */
async function cutConnections(bridge: NodeBridgeServer): Promise<void> {
  const cut = new Set(bridge.bridge.sessions);
  expect(cut.size).toBe(1);
  for (const session of cut) session.connection.close?.(1012, 'test: cut mid-answer');
  await expect
    .poll(() => [...bridge.bridge.sessions].filter((session) => !cut.has(session)).length)
    .toBe(1);
}

describe.skipIf(skipBrowserTests())('playground in Chromium', () => {
  describe.each(PROTOCOLS)('over %s', (protocol) => {
    it('streams an answer from the embedded demo backend, with status and timings', async () => {
      const demo = await startDemoBackend(DEFAULT_DEMO_WORD_DELAY_MS / 6);
      onCleanup(() => demo.close());
      const bridge = await startBridge(demo.url);
      const { page, pageErrors, screenshot } = await openPlayground(bridge, `protocol=${protocol}`);
      await expect.poll(() => state(page).getAttribute('data-state')).toBe('open');
      await expect(page.getByTestId(`protocol-${protocol}`).isChecked()).resolves.toBe(true);

      const text = `Hello over ${protocol}`;
      const turn = await send(page, text);
      expect(await finished(turn)).toBe('done');
      expect(await turn.getByTestId('answer').textContent()).toBe(toDemoAnswer(text));
      expect(await turn.getByTestId('status').textContent()).toBe('Thinking about your message…');
      expect(await turn.getByTestId('error').isHidden()).toBe(true);
      expect(await turn.getAttribute('data-stop-reason')).toBe('complete');
      expect(Number(await turn.getAttribute('data-frames'))).toBe(framesOf(toDemoAnswer(text)));
      expect(await turn.getByTestId('timings').textContent()).toMatch(
        /^first frame \d+ ms · \d+ frames · [\d.]+ frames\/s$/,
      );
      await screenshot(`playground-${protocol}`);
      expect(pageErrors).toEqual([]);
    });

    it('a connection cut mid-answer reconnects and resumes: no word lost or repeated', async () => {
      const upstream = await startWordUpstream(SLOW_WORD_DELAY_MS);
      const bridge = await startBridge(upstream.url);
      const { page, pageErrors, screenshot } = await openPlayground(bridge, `protocol=${protocol}`);
      await expect.poll(() => state(page).getAttribute('data-state')).toBe('open');

      const text = `Cut me off over ${protocol}`;
      const turn = await send(page, text);
      const answer = turn.getByTestId('answer');
      await expect
        .poll(async () => (await answer.textContent())?.split(' ').length ?? 0)
        .toBeGreaterThanOrEqual(WORDS_BEFORE_CUT);
      expect(await turn.getAttribute('data-state')).toBe('streaming');
      await cutConnections(bridge);

      expect(await finished(turn)).toBe('done');
      expect(await answer.textContent()).toBe(toDemoAnswer(text));
      expect(Number(await turn.getAttribute('data-frames'))).toBe(framesOf(toDemoAnswer(text)));
      expect(await turn.getByTestId('status').textContent()).toBe(WORD_UPSTREAM_STATUS);
      expect(Number(await page.getByTestId('reconnects').textContent())).toBeGreaterThanOrEqual(1);
      expect(await state(page).getAttribute('data-state')).toBe('open');
      // Resumed, not asked again: the upstream saw one request.
      expect(upstream.requests).toHaveLength(1);
      await screenshot(`playground-resumed-${protocol}`);
      expect(pageErrors).toEqual([]);
    });

    it('the BridgeEventSource adapter streams and resumes a cut connection', async () => {
      const upstream = await startWordUpstream(SLOW_WORD_DELAY_MS);
      const bridge = await startBridge(upstream.url);
      const { page, pageErrors, screenshot } = await openPlayground(
        bridge,
        `adapter=eventsource&protocol=${protocol}`,
      );
      expect(await page.getByTestId('adapter').textContent()).toContain('BridgeEventSource');

      const text = `EventSource over ${protocol}`;
      const turn = await send(page, text);
      const answer = turn.getByTestId('answer');
      await expect
        .poll(async () => (await answer.textContent())?.split(' ').length ?? 0)
        .toBeGreaterThanOrEqual(WORDS_BEFORE_CUT);
      expect(await turn.getAttribute('data-state')).toBe('streaming');
      await cutConnections(bridge);

      expect(await finished(turn)).toBe('done');
      expect(await answer.textContent()).toBe(toDemoAnswer(text));
      expect(Number(await turn.getAttribute('data-frames'))).toBe(framesOf(toDemoAnswer(text)));
      expect(await turn.getByTestId('status').textContent()).toBe(WORD_UPSTREAM_STATUS);
      expect(upstream.requests).toHaveLength(1);
      await screenshot(`playground-eventsource-${protocol}`);
      expect(pageErrors).toEqual([]);
    });
  });

  it('shows an upstream failure as an error, and switches protocol from the toggle', async () => {
    const bridge = await startBridge('http://127.0.0.1:9/chat', { connectTimeoutMs: 2_000 });
    const { page, pageErrors } = await openPlayground(bridge, 'protocol=socketio');
    await expect.poll(() => state(page).getAttribute('data-state')).toBe('open');
    await page.getByTestId('protocol-ws').check();
    await expect.poll(() => page.evaluate(() => location.search)).toContain('protocol=ws');
    await expect.poll(() => state(page).getAttribute('data-state')).toBe('open');
    await expect
      .poll(() => [...bridge.bridge.sessions].map((s) => s.connection.protocol))
      .toEqual(['ws']);

    const turn = await send(page, 'anyone there?');
    expect(await finished(turn)).toBe('error');
    expect(await turn.getByTestId('error').textContent()).toContain('upstream_unavailable');
    expect(pageErrors).toEqual([]);
  });
});
