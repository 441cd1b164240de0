/**
 * The pre-encoded Socket.IO EVENT text (src/core/transport/socketio-packet.ts) is byte for byte
 * what socket.io-parser's encoder writes, for frames made from upstream text (whose spacing the
 * canonical JSON drops) and for any other JSON payload, on the root and a named namespace.
 */
import { Encoder, type Packet, PacketType } from 'socket.io-parser';
import { describe, expect, it } from 'vitest';
import { LocalFrame } from '../../../src/core/protocol/frame.ts';
import { toSocketIoEventText } from '../../../src/core/transport/socketio-packet.ts';

const encoder = new Encoder();
const encoded = (nsp: string, data: unknown[]): string => {
  const packet: Packet = { type: PacketType.EVENT, nsp, data };
  const [text] = encoder.encode(packet) as string[];
  return text as string;
};

/** A frame numbered with the upstream's own text (spaces after colons, as Python writes). */
function upstreamFrame(seq: number): LocalFrame {
  const content = { data: `Hél "lo" ${seq}\n` };
  const json = `{"type": "text", "content": ${JSON.stringify(content).replace(/":/g, '": ')},"request_id":"r1","seq":${seq},"timestamp":1700000000000}`;
  return new LocalFrame('text', content, 'r1', seq, 1_700_000_000_000, json);
}

describe('toSocketIoEventText', () => {
  const payloads: Array<[string, unknown[]]> = [
    ['an upstream-text frame', ['chat_response', upstreamFrame(0)]],
    ['a frame without upstream text', ['chat_response', new LocalFrame('stop', {}, 'r', 1, 2)]],
    ['a plain object', ['server_shutdown', { code: 'server_shutdown', message: 'bye', n: 1.5 }]],
    ['a string', ['notice', 'text with "quotes" and ünïcode']],
    ['a number', ['count', 3]],
    ['null', ['nothing', null]],
    ['an array', ['list', [1, 'two', { three: 3 }]]],
    ['no data', ['ping']],
    ['an event name needing escapes', ['we"ird\\name', { a: 1 }]],
  ];
  for (const nsp of ['/', '/assistant']) {
    for (const [what, data] of payloads) {
      it(`writes ${what} as socket.io-parser does on ${nsp}`, () => {
        const [event, value] = data as [string, unknown];
        const text =
          data.length === 1
            ? toSocketIoEventText(nsp, event)
            : toSocketIoEventText(nsp, event, value);
        expect(text).toBe(encoded(nsp, data));
      });
    }
  }

  it('serialises a frame once for a fan-out, and each new frame anew', () => {
    const first = upstreamFrame(1);
    const a = toSocketIoEventText('/', 'chat_response', first);
    expect(toSocketIoEventText('/', 'chat_response', first)).toBe(a);
    const second = upstreamFrame(2);
    expect(toSocketIoEventText('/', 'chat_response', second)).toBe(
      encoded('/', ['chat_response', second]),
    );
    expect(toSocketIoEventText('/', 'chat_response', first)).toBe(a);
  });
});
