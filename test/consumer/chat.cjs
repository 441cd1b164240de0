// The same round trip from CommonJS: `require('sse2ws')` loads the ESM package (Node >= 20.19).
const { createServer } = require('node:http');
const { createBridge, OptionError } = require('sse2ws');
const { connect } = require('sse2ws/client');

const listen = (server) =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));

async function main() {
  const backend = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end('data: {"type":"text","content":{"data":"Hi"}}\n\ndata: {"type":"stop"}\n\n');
  });
  const backendPort = await listen(backend);

  let refused = '';
  try {
    createBridge({ upstreamUrl: `http://127.0.0.1:${backendPort}/chat`, rateLimit: -5 });
  } catch (error) {
    if (error instanceof OptionError) refused = error.message;
  }

  const bridge = createBridge({ upstreamUrl: `http://127.0.0.1:${backendPort}/chat` });
  const server = createServer(bridge.handler);
  bridge.attach(server);
  const port = await listen(server);

  const client = connect(`http://127.0.0.1:${port}`, { protocol: 'socketio' });
  let text = '';
  for await (const frame of client.chat({ history: [], current_text: 'Hello' })) {
    if (frame.type === 'text') text += frame.content.data;
  }
  client.close();
  await bridge.close();
  server.close();
  backend.close();
  console.log(JSON.stringify({ text, refused }));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
