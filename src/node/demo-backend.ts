/** Serves the core's demo SSE backend on a loopback port of its own (`npm start` with no upstream). */
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { handleDemoChat } from '../core/index.ts';

/** A running demo backend. */
export interface DemoBackend {
  /** The URL to point the bridge at (`POST` it). */
  url: string;
  close(): Promise<void>;
}

/** Start the demo backend on 127.0.0.1 and a free port. */
export async function startDemoBackend(wordDelayMs?: number): Promise<DemoBackend> {
  const app = new Hono();
  app.post('/chat', (c) => handleDemoChat(c.req.raw, wordDelayMs));
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/chat`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
