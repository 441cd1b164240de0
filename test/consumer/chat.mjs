// A consumer of the installed package, as docs/library.md shows it: plain
// Node, no build step. test/node/package.test.ts runs it against the packed tarball.
import { createServer } from 'node:http';
import { createBridge } from 'sse2ws';
import { connect } from 'sse2ws/client';

// A stand-in SSE backend: one answer in two text frames, then the stop.
const backend = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write('data: {"type":"text","content":{"data":"Hel"}}\n\n');
  res.end('data: {"type":"text","content":{"data":"lo"}}\n\ndata: {"type":"stop"}\n\n');
});
await new Promise((resolve) => backend.listen(0, '127.0.0.1', resolve));

// --- the application's server with the bridge attached ---
const bridge = createBridge({
  upstreamUrl: `http://127.0.0.1:${backend.address().port}/chat`,
  rateLimit: 20,
});
const server = createServer(bridge.handler); // /healthz, /publish, /clients
bridge.attach(server); // Socket.IO at /socket.io/, WebSocket at /ws
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

// --- a client: the SDK over Socket.IO (socket.io-client is an optional peer dependency) ---
const client = connect(`http://127.0.0.1:${server.address().port}`, { protocol: 'socketio' });
let text = '';
for await (const frame of client.chat({ history: [], current_text: 'Hello' })) {
  if (frame.type === 'text') text += frame.content.data;
}
client.close();

await bridge.close();
server.close();
backend.close();
console.log(JSON.stringify({ text }));
