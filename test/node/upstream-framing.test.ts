/**
 * Every framing the SSE format allows, written to the bridge in chunks split mid-line and
 * mid-UTF-8 character (eventsource-parser's fixture style).
 */
import { describe, expect, it } from 'vitest';
import { startChatRig, toPairs } from '../helpers/chat.ts';
import { sleep, sseBody, sseHead } from '../helpers/fake-upstream.ts';

/** Every character width UTF-8 has: 1 (ASCII), 2 (é), 3 (✓, 你, 好) and 4 bytes (🎉). */
const TEXT = 'héllo ✓ 你好 🎉';
const TEXT_JSON = JSON.stringify({ type: 'text', content: { data: TEXT } });
const COMPLETE: [string, unknown] = ['stop', { reason: 'complete' }];
const CHUNK_SIZES = [1, 2, 3, 5, 7];

interface FramingCase {
  body: string;
  contentType?: string;
  expected: Array<[string, unknown]>;
}

/** Join lines with `eol`, each line (the blank ones included) ended by it. */
const lines = (eol: string, ...ls: string[]): string => ls.map((l) => l + eol).join('');

/** The same three events (rule 1, rule 2 with multi-line data, rule 4) with a given line end. */
const threeEvents = (eol: string): FramingCase => ({
  body: lines(
    eol,
    `data: ${TEXT_JSON}`,
    '',
    'event: agent_status',
    'data: {"status":',
    'data: "running ✓"}',
    '',
    `data: ${TEXT}`,
    'data: 🎉',
    '',
  ),
  expected: [
    ['text', { data: TEXT }],
    ['agent_status', { status: 'running ✓' }],
    ['text', { data: `${TEXT}\n🎉` }],
    COMPLETE,
  ],
});

const CASES: Record<string, FramingCase> = {
  'LF line ends': threeEvents('\n'),
  'CRLF line ends': threeEvents('\r\n'),
  'CR line ends': threeEvents('\r'),
  'mixed LF, CR and CRLF line ends': {
    body:
      `data: ${TEXT_JSON}\r\n\n` +
      'event: agent_status\rdata: {"status":\ndata: "running ✓"}\r\n\r' +
      `data: ${TEXT}\r\ndata: 🎉\r\r` +
      `data: ${TEXT}\n\r\n`,
    expected: [
      ['text', { data: TEXT }],
      ['agent_status', { status: 'running ✓' }],
      ['text', { data: `${TEXT}\n🎉` }],
      ['text', { data: TEXT }],
      COMPLETE,
    ],
  },
  'a leading byte order mark': {
    body: `\uFEFFdata: ${TEXT_JSON}\n\ndata: ${TEXT}\n\n`,
    expected: [['text', { data: TEXT }], ['text', { data: TEXT }], COMPLETE],
  },
  'comment lines, between and inside events': {
    body:
      ': welcome ✓ 你好\n\n' +
      `: keep-alive\ndata: ${TEXT}\n: inside 🎉\n\n` +
      ':\n\n' +
      `event: agent_status\n: between fields\ndata: {"status":"ok"}\n\n`,
    expected: [['text', { data: TEXT }], ['agent_status', { status: 'ok' }], COMPLETE],
  },
  'multi-line data, joined with LF, empty lines kept': {
    body: `data: ${TEXT}\ndata:\ndata\ndata:  two spaces\ndata: 🎉\n\n`,
    expected: [['text', { data: `${TEXT}\n\n\n two spaces\n🎉` }], COMPLETE],
  },
  'data: with or without the space': {
    body: `data:${TEXT_JSON}\n\ndata:${TEXT}\n\ndata: ${TEXT}\n\nevent:agent_status\ndata:{"s":1}\n\n`,
    expected: [
      ['text', { data: TEXT }],
      ['text', { data: TEXT }],
      ['text', { data: TEXT }],
      ['agent_status', { s: 1 }],
      COMPLETE,
    ],
  },
  'fields in any order': {
    body:
      'data: {"status":"a"}\nevent: agent_status\n\n' +
      'id: 1\ndata: {"status":"b"}\nretry: 10\nevent: agent_status\n\n' +
      `data: ${TEXT}\nid: 2\n\n`,
    expected: [
      ['agent_status', { status: 'a' }],
      ['agent_status', { status: 'b' }],
      ['text', { data: TEXT }],
      COMPLETE,
    ],
  },
  'retry: and id: fields, alone or with data': {
    body:
      'retry: 3000\n\n' +
      'id: 42\n\n' +
      `id: 43\nretry: 1000\ndata: ${TEXT}\n\n` +
      `id\nretry: not-a-number\ndata: ${TEXT_JSON}\n\n`,
    expected: [['text', { data: TEXT }], ['text', { data: TEXT }], COMPLETE],
  },
  'unknown fields and an event: line without value': {
    body: `foo: bar\nevent:\ndata: {"status":"x"}\nunknown\n\n`,
    expected: [['text', { data: '{"status":"x"}' }], COMPLETE],
  },
  'a charset parameter on the content type': {
    body: `data: ${TEXT_JSON}\n\ndata: [DONE]\n\n`,
    contentType: 'text/event-stream; charset=utf-8',
    expected: [['text', { data: TEXT }], COMPLETE],
  },
  'an upper-case content type with a quoted charset': {
    body: `data: ${TEXT}\n\n`,
    contentType: 'Text/Event-Stream;Charset="UTF-8"',
    expected: [['text', { data: TEXT }], COMPLETE],
  },
  'a final event ended by CR CR at the end of the body': {
    // Bug: a lone CR at the end of the body was held back waiting for a possible LF, so the last
    // event of a CR-only stream was lost when the body ended.
    body: `data: ${TEXT}\r\rdata: last ✓\r\r`,
    expected: [['text', { data: TEXT }], ['text', { data: 'last ✓' }], COMPLETE],
  },
  'an upstream stop at the end of a CR-only body': {
    body: `data: ${TEXT}\r\rdata: {"type":"stop","content":{"reason":"upstream"}}\r\r`,
    expected: [
      ['text', { data: TEXT }],
      ['stop', { reason: 'upstream' }],
    ],
  },
};

describe.each(Object.entries(CASES))('%s', (_name, framing) => {
  it.each(CHUNK_SIZES)('arrives whole when written %i bytes at a time', async (chunkBytes) => {
    const rig = await startChatRig(sseBody(framing.body, chunkBytes, framing.contentType));
    expect(toPairs(await rig.chat())).toEqual(framing.expected);
  });

  it('arrives whole in one write', async () => {
    const rig = await startChatRig(sseBody(framing.body, 1 << 20, framing.contentType));
    expect(toPairs(await rig.chat())).toEqual(framing.expected);
  });
});

describe('an event split into two network chunks', () => {
  const body = Buffer.from(
    `\uFEFF: c\r\nevent: agent_status\r\ndata: {"s":"${TEXT}"}\r\n\r\ndata: ${TEXT}\rdata: ✓\r\r`,
  );
  const expected = [['agent_status', { s: TEXT }], ['text', { data: `${TEXT}\n✓` }], COMPLETE];

  it('arrives whole wherever the split falls, at every byte offset', async () => {
    const rig = await startChatRig(async (_req, res, recorded) => {
      const { split } = JSON.parse(recorded.body) as { split: number };
      sseHead(res);
      res.write(body.subarray(0, split));
      // A pause so that the two parts travel as separate chunks.
      await sleep(20);
      if (!res.destroyed) res.end(body.subarray(split));
    });
    const offsets = Array.from({ length: body.length - 1 }, (_, i) => i + 1);
    const results = await Promise.all(offsets.map((split) => rig.chat({ split })));
    for (const [i, frames] of results.entries()) {
      expect({ split: offsets[i], frames: toPairs(frames) }).toEqual({
        split: offsets[i],
        frames: expected,
      });
    }
  });
});

describe('an event ended by CR CR while the upstream stays open', () => {
  it('is delivered at once, not held back until more bytes arrive', async () => {
    // Bug: the parser held a final CR back in case an LF followed, so an upstream stop ended by
    // CR CR waited for the next byte; with none coming the stream died of the idle timeout.
    const rig = await startChatRig(
      async (_req, res) => {
        sseHead(res);
        res.write(`data: ${TEXT}\r\rdata: {"type":"stop","content":{"reason":"upstream"}}\r\r`);
      },
      { idleTimeoutMs: 3_000 },
    );
    expect(toPairs(await rig.chat())).toEqual([
      ['text', { data: TEXT }],
      ['stop', { reason: 'upstream' }],
    ]);
  });

  it('still treats CR LF split across chunks as one line end', async () => {
    const rig = await startChatRig(async (_req, res) => {
      sseHead(res);
      res.write(`data: ${TEXT}\r`);
      await sleep(20);
      res.write('\ndata: 2\r');
      await sleep(20);
      res.write('\n\r');
      await sleep(20);
      res.end('\n');
    });
    // Were the LF after a chunk-final CR a line of its own, the first event would end early.
    expect(toPairs(await rig.chat())).toEqual([['text', { data: `${TEXT}\n2` }], COMPLETE]);
  });
});
