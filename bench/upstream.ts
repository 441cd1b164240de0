/**
 * The deterministic fake SSE upstream, run as a child process. A POST body
 * `{rate, size, count}` asks for `count` text frames of about `size` bytes, `rate` per second
 * (0: as fast as the socket takes them), then a stop. Each frame's content carries its emission
 * time `t` (process.hrtime, ns: CLOCK_MONOTONIC, the same clock in every process of the host) and
 * its sequence number `s`.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { reportReady } from './child-ipc.ts';

/** What a client asks the upstream for; sent as the chat_message data. */
export interface StreamRequest {
  request_id?: string;
  /** Frames per second; 0 writes as fast as the socket drains. */
  rate: number;
  /** Approximate bytes of one `data:` line. */
  size: number;
  count: number;
}

/** The content of every text frame. */
export interface FrameContent {
  data: string;
  /** Emission time, ns (process.hrtime.bigint as a number). */
  t: number;
  s: number;
}

/** The bytes of a frame line besides the padding (the JSON envelope, `t`, `s`). */
const ENVELOPE_BYTES = 72;

function frame(pad: string, s: number): string {
  const content: FrameContent = { data: pad, t: Number(process.hrtime.bigint()), s };
  return `data: {"type":"text","content":${JSON.stringify(content)}}\n\n`;
}

function stream(res: ServerResponse, spec: StreamRequest): void {
  const pad = 'x'.repeat(Math.max(0, spec.size - ENVELOPE_BYTES));
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let s = 0;
  const end = () => res.end('data: {"type":"stop"}\n\n');
  if (spec.rate > 0) {
    const tick = () => {
      if (s >= spec.count) return end();
      res.write(frame(pad, s++));
      timer = setTimeout(tick, 1000 / spec.rate);
    };
    let timer = setTimeout(tick, 0);
    res.on('close', () => clearTimeout(timer));
    return;
  }
  const pump = () => {
    while (s < spec.count) if (!res.write(frame(pad, s++))) return void res.once('drain', pump);
    end();
  };
  pump();
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => stream(res, JSON.parse(Buffer.concat(chunks).toString()) as StreamRequest));
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => reportReady((server.address() as AddressInfo).port));
