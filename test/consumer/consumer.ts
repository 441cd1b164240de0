// A TypeScript consumer of the public types: test/node/package.test.ts type-checks it against the
// installed package (strict, no skipLibCheck) under module node16, nodenext and bundler.
import { createServer } from 'node:http';
import {
  BridgeError,
  type BridgeHooks,
  createBridge,
  type CreateBridgeOptions,
  type Frame,
  OptionError,
  type SseBridge,
  startNodeServer,
} from 'sse2ws';
import { type ChatResponse, ClientError, connect, type ConnectOptions } from 'sse2ws/client';

const hooks: BridgeHooks = {
  onConnect: ({ headers }) => (headers.cookie ? { userId: 'u1' } : false),
  onMessage: ({ event }) => {
    if (event === 'forbidden') throw new BridgeError('bad_request', 'not here');
  },
  onFrame: (frame: Frame) => (frame.type === 'debug' ? null : frame),
};

const options: CreateBridgeOptions = {
  upstreamUrl: 'http://127.0.0.1:5000/chat',
  forwardHeaders: ['authorization'],
  hooks,
};

export async function run(): Promise<string> {
  let bridge: SseBridge;
  try {
    bridge = createBridge(options);
  } catch (error) {
    if (error instanceof OptionError) return `${error.code} ${error.option ?? ''}`;
    throw error;
  }
  const server = createServer(bridge.handler);
  const { io, detach } = bridge.attach(server);
  io.engine.on('connection_error', () => undefined);

  const clientOptions: ConnectOptions = { protocol: 'socketio', auth: { token: 'jwt' } };
  const client = connect('http://127.0.0.1:3000', clientOptions);
  let text = '';
  try {
    for await (const frame of client.chat({ history: [], current_text: 'Hello' })) {
      const response: ChatResponse = frame;
      if (response.type === 'text') text += String((response.content as { data: string }).data);
    }
  } catch (error) {
    if (error instanceof ClientError) text = error.code;
  }
  client.close();
  await detach();
  await bridge.close();

  const sidecar = await startNodeServer({ port: 0 }, { upstreamUrl: 'http://127.0.0.1:5000/chat' });
  await sidecar.close();
  return text;
}
