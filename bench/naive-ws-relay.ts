/** A1: the relay a developer writes in an afternoon: ws + undici + eventsource-parser. */
import { createParser } from 'eventsource-parser';
import { request } from 'undici';
import { WebSocketServer } from 'ws';
import { reportReady, upstreamUrlFromEnv } from './child-ipc.ts';

const upstreamUrl = upstreamUrlFromEnv();
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws' });

wss.on('connection', (ws) => {
  ws.on('message', async (raw) => {
    const message = JSON.parse(String(raw)) as { event: string; data: { request_id: string } };
    if (message.event !== 'chat_message') return;
    const requestId = message.data.request_id;
    let seq = 0;
    const parser = createParser({
      onEvent(event) {
        const { type, content } = JSON.parse(event.data) as { type: string; content?: unknown };
        const data = { type, content: content ?? {}, request_id: requestId, seq: seq++ };
        ws.send(JSON.stringify({ event: 'chat_response', data }));
      },
    });
    const body = JSON.stringify(message.data);
    const res = await request(upstreamUrl, { method: 'POST', body });
    const decoder = new TextDecoder();
    for await (const chunk of res.body)
      parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
  });
});
wss.on('listening', () => reportReady((wss.address() as { port: number }).port));
process.once('SIGTERM', () => process.exit(0));
