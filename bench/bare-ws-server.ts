/** The RSS baseline: a ws server that accepts connections and does nothing else. */
import { WebSocketServer } from 'ws';
import { reportReady } from './child-ipc.ts';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws' });
wss.on('connection', (ws) => ws.on('message', () => {}));
wss.on('listening', () => reportReady((wss.address() as { port: number }).port));
