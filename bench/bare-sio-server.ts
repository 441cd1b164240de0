/**
 * The Socket.IO RSS baseline: a socket.io server (defaults, root namespace) that accepts
 * connections and does nothing else, as bare-ws-server.ts is for `/ws`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { reportReady } from './child-ipc.ts';

const http = createServer();
const io = new Server(http);
io.on('connection', (socket) => socket.on('chat_message', () => {}));
http.listen(0, '127.0.0.1', () => reportReady((http.address() as AddressInfo).port));
