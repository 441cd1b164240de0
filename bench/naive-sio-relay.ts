/** A2: the same afternoon relay on Socket.IO: socket.io + undici + eventsource-parser. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createParser } from 'eventsource-parser';
import { Server } from 'socket.io';
import { request } from 'undici';
import { reportReady, upstreamUrlFromEnv } from './child-ipc.ts';

const upstreamUrl = upstreamUrlFromEnv();
const http = createServer();
const io = new Server(http);

io.on('connection', (socket) => {
  socket.on('chat_message', async (message: { request_id: string }) => {
    let seq = 0;
    const parser = createParser({
      onEvent(event) {
        const { type, content } = JSON.parse(event.data) as { type: string; content?: unknown };
        const data = { type, content: content ?? {}, request_id: message.request_id, seq: seq++ };
        socket.emit('chat_response', data);
      },
    });
    const res = await request(upstreamUrl, { method: 'POST', body: JSON.stringify(message) });
    const decoder = new TextDecoder();
    for await (const chunk of res.body)
      parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
  });
});
http.listen(0, '127.0.0.1', () => reportReady((http.address() as AddressInfo).port));
