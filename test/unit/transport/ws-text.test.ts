/**
 * The `/ws` envelope (src/core/transport/ws.ts toWsText): a local frame's upstream text goes out
 * unchanged inside the envelope, a fan-out reuses the envelope of the frame just sent, and objects
 * that may change between sends are serialised every time.
 */
import { describe, expect, it } from 'vitest';
import { LocalFrame } from '../../../src/core/protocol/frame.ts';
import { toWsText } from '../../../src/core/transport/ws.ts';

const upstreamText = (seq: number): string =>
  `{"type": "text", "content": {"data": "x"},"request_id":"r","seq":${seq},"timestamp":5}`;
const frame = (seq: number): LocalFrame =>
  new LocalFrame('text', { data: 'x' }, 'r', seq, 5, upstreamText(seq));

describe('toWsText', () => {
  it("sends a local frame's own text inside the envelope", () => {
    expect(toWsText('chat_response', frame(0))).toBe(
      `{"event":"chat_response","data":${upstreamText(0)}}`,
    );
  });

  it('builds each new frame its own envelope', () => {
    const a = frame(1);
    const b = frame(2);
    expect(toWsText('chat_response', a)).toContain('"seq":1');
    expect(toWsText('chat_response', b)).toContain('"seq":2');
    expect(toWsText('chat_response', a)).toContain('"seq":1');
  });

  it('serialises a plain object on every send (it may have changed)', () => {
    const data = { type: 'text', content: { data: 'one' } };
    expect(JSON.parse(toWsText('chat_response', data))).toEqual({ event: 'chat_response', data });
    data.content.data = 'two';
    expect(JSON.parse(toWsText('chat_response', data)).data.content.data).toBe('two');
  });

  it('keeps the id of an answer', () => {
    expect(JSON.parse(toWsText('ack', { ok: true }, 7))).toEqual({
      event: 'ack',
      id: 7,
      data: { ok: true },
    });
  });
});
