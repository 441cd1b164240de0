/**
 * The one SSE reader (src/core/upstream/sse-reader.ts) on its own: bytes in, events out, however
 * the body is cut. Fixtures mix CR/LF/CRLF, carry a BOM, comments, `id:`/`retry:`, multi-byte
 * characters, and LangServe's dataless `event: end`.
 */
import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/core/internal/errors.ts';
import {
  createLineEndNormaliser,
  createSseReader,
  type SseReaderOptions,
} from '../../../src/core/upstream/sse-reader.ts';

interface Read {
  events: Array<{ event: string | undefined; data: string; id: string | undefined }>;
  retries: number[];
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const BOM = Uint8Array.of(0xef, 0xbb, 0xbf);
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
};

/** Read `chunks` through a fresh reader; `end()` is called after the last one. */
function read(chunks: readonly Uint8Array[], options: Partial<SseReaderOptions> = {}): Read {
  const result: Read = { events: [], retries: [] };
  const reader = createSseReader({
    onEvent: ({ event, data, id }) => result.events.push({ event, data, id }),
    onRetry: (ms) => result.retries.push(ms),
    ...options,
  });
  for (const chunk of chunks) reader.push(chunk);
  reader.end();
  return result;
}

/** The body cut at every byte offset into two chunks (and into one-byte chunks). */
function everySplit(body: Uint8Array): Uint8Array[][] {
  const splits: Uint8Array[][] = [[body], [...body].map((b) => Uint8Array.of(b))];
  for (let at = 1; at < body.byteLength; at++) {
    splits.push([body.subarray(0, at), body.subarray(at)]);
  }
  return splits;
}

// A BOM, a comment, CRLF, lone CR and LF line ends, id and retry, a two-line data field, and
// characters of two, three and four bytes.
const FIXTURE = concat(
  BOM,
  bytes(
    ': hello\r\n' +
      'retry: 2500\r\n' +
      'id: 7\r\n' +
      'data: {"type":"text","content":"héllo"}\r\n\r\n' +
      'event: thinking\rdata: €1\rdata: two\r\r' +
      ': keep going\n' +
      'data: 😀 done\n\n',
  ),
);
const EXPECTED: Read = {
  events: [
    { event: undefined, data: '{"type":"text","content":"héllo"}', id: '7' },
    { event: 'thinking', data: '€1\ntwo', id: undefined },
    { event: undefined, data: '😀 done', id: undefined },
  ],
  retries: [2500],
};

describe('the SSE reader', () => {
  it('reads the same events wherever the body is cut (every byte, inside BOM, CRLF, characters)', () => {
    const splits = everySplit(FIXTURE);
    expect(splits.length).toBe(FIXTURE.byteLength + 1);
    for (const chunks of splits) expect(read(chunks)).toEqual(EXPECTED);
  });

  it('reads the same events when cut at every pair of offsets', () => {
    const body = bytes('data: a\r\n\r\nevent: x\rdata: é\r\rdata: b\n\n');
    const expected = read([body]);
    expect(expected.events.map((e) => e.data)).toEqual(['a', 'é', 'b']);
    for (let i = 1; i < body.byteLength; i++) {
      for (let j = i + 1; j < body.byteLength; j++) {
        const chunks = [body.subarray(0, i), body.subarray(i, j), body.subarray(j)];
        expect(read(chunks)).toEqual(expected);
      }
    }
  });

  it('dispatches an event ended by CR CR at once, without waiting for more bytes', () => {
    const events: string[] = [];
    const reader = createSseReader({ onEvent: (event) => events.push(event.data) });
    reader.push(bytes('data: stop\r\r'));
    expect(events).toEqual(['stop']);
  });

  it('removes a real BOM and keeps text that only looks like one ("ï»¿" as characters)', () => {
    expect(read([concat(BOM, bytes('data: x\n\n'))]).events).toEqual([
      { event: undefined, data: 'x', id: undefined },
    ]);
    // eventsource-parser would strip these three characters if they opened its first chunk.
    const lookalike = read([bytes('ï»¿data: y\n\n'), bytes('data: z\n\n')]);
    expect(lookalike.events.map((e) => e.data)).toEqual(['z']);
    const asData = read([bytes('data: ï»¿y\n\n')]);
    expect(asData.events.map((e) => e.data)).toEqual(['ï»¿y']);
  });

  it('skips comments, and lines that are only a colon', () => {
    const result = read([bytes(':\n: a comment\ndata: kept\n: another\n\n:\n\n')]);
    expect(result.events.map((e) => e.data)).toEqual(['kept']);
  });

  it('reports a dataless `end` event only while asked to watch for it', () => {
    const body = bytes('event: metadata\ndata: {"run_id":"r"}\n\nevent: end\n\n');
    const watched = read([body], { watchDataless: () => true });
    expect(watched.events).toEqual([
      { event: 'metadata', data: '{"run_id":"r"}', id: undefined },
      { event: 'end', data: '', id: undefined },
    ]);
    expect(read([body], { watchDataless: () => false }).events).toHaveLength(1);
    expect(read([body]).events).toHaveLength(1);
  });

  it('reports a dataless `end` once, after the events before it, wherever the body is cut', () => {
    const body = bytes('event: data\r\ndata: 1\r\n\r\nevent: end\r\n\r\n');
    for (const chunks of everySplit(body)) {
      const names = read(chunks, { watchDataless: () => true }).events.map((e) => e.event);
      expect(names).toEqual(['data', 'end']);
    }
  });

  // Bug: the watcher ran after the parser had read the whole chunk, so an event after a dataless
  // `end` in the same chunk came out before it; split after the `end`, it came after.
  it('reports a dataless `end` before the events after it, wherever the body is cut', () => {
    const body = bytes('event: data\ndata: 1\n\nevent: end\n\ndata: 2\n\nevent: x\ndata: 3\n\n');
    for (const chunks of everySplit(body)) {
      const seen = read(chunks, { watchDataless: () => true }).events.map(
        (e) => `${e.event ?? ''}:${e.data}`,
      );
      expect(seen).toEqual(['data:1', 'end:', ':2', 'x:3']);
    }
  });

  it('does not report an `end` event with a data line twice', () => {
    const result = read([bytes('event: end\ndata: {}\n\n')], { watchDataless: () => true });
    expect(result.events).toEqual([{ event: 'end', data: '{}', id: undefined }]);
  });

  it('fails on an event over the size limit, after the events before it in the chunk', () => {
    const events: string[] = [];
    const reader = createSseReader({ onEvent: (e) => events.push(e.data), maxEventChars: 16 });
    reader.push(bytes('data: small\n\n'));
    let thrown: unknown;
    try {
      reader.push(bytes(`data: ok\n\ndata: ${'x'.repeat(64)}`));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BridgeError);
    expect((thrown as BridgeError).code).toBe('upstream_bad_response');
    expect(events).toEqual(['small', 'ok']);
  });

  it('fails on an event that grows over the size limit across chunks', () => {
    const reader = createSseReader({ onEvent: () => {}, maxEventChars: 16 });
    reader.push(bytes('data: 0123456789'));
    expect(() => reader.push(bytes('0123456789'))).toThrow(BridgeError);
  });

  it('without throwOnOversized, stops at an oversized event: the next chunk throws', () => {
    const events: string[] = [];
    const reader = createSseReader({
      onEvent: (e) => events.push(e.data),
      maxEventChars: 16,
      throwOnOversized: false,
    });
    reader.push(bytes(`data: before\n\ndata: ${'x'.repeat(64)}`));
    expect(events).toEqual(['before']);
    expect(() => reader.push(bytes('\n\ndata: after\n\n'))).toThrow();
    expect(events).toEqual(['before']);
  });

  it('holds an event up to the limit across chunks, and an event within one chunk whatever its size', () => {
    const data = 'y'.repeat(10);
    const across = read([bytes(`data: ${data}`), bytes('\n\n')], { maxEventChars: 16 });
    expect(across.events.map((e) => e.data)).toEqual([data]);
    const big = 'z'.repeat(64);
    const whole = read([bytes(`data: ${big}\n\n`)], { maxEventChars: 16 });
    expect(whole.events.map((e) => e.data)).toEqual([big]);
  });
});

describe('the line-end normaliser', () => {
  it('turns CR and CRLF into LF, across chunk boundaries', () => {
    const normalise = createLineEndNormaliser();
    expect(normalise('a\r\nb\rc\n')).toBe('a\nb\nc\n');
    expect(normalise('d\r')).toBe('d\n');
    // The LF completing the CR of the previous chunk is not a second line end.
    expect(normalise('\ne')).toBe('e');
    expect(normalise('')).toBe('');
    expect(normalise('\n')).toBe('\n');
  });

  it('keeps a chunk without CR as it is', () => {
    const normalise = createLineEndNormaliser();
    const text = 'data: x\n\n';
    expect(normalise(text)).toBe(text);
  });
});
