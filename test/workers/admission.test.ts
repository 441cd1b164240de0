import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { admissionContractTests, OTHER_ORIGIN } from '../contract/admission-contract.ts';
import { onCleanup } from '../helpers/bridge.ts';
import { startWorkerBridge } from '../helpers/workers.ts';

admissionContractTests('workers', startWorkerBridge);

describe('admission on Workers only', () => {
  // Node's upgrade path writes the status only (@hono/node-server sends no body on a refused upgrade).
  it('answers a refused /ws upgrade with a JSON body {code, message}', async () => {
    const { url } = await startWorkerBridge('http://127.0.0.1:9/chat');
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, {
      headers: { origin: OTHER_ORIGIN },
    });
    onCleanup(() => ws.terminate());
    const { status, body } = await new Promise<{ status: number; body: string }>(
      (resolve, reject) => {
        ws.once('unexpected-response', (_req, res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        ws.once('error', reject);
      },
    );
    expect(status).toBe(403);
    expect(JSON.parse(body)).toEqual({ code: 'forbidden_origin', message: expect.any(String) });
  });
});
