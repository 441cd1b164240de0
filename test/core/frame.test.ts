/**
 * Frames numbered on this instance carry their JSON text and numbering time out of sight, and
 * upstream JSON is passed through only when it is exactly the frame.
 */
import { describe, expect, it } from 'vitest';
import { type ChatResponse, LocalFrame } from '../../src/core/protocol/frame.ts';
import { toFrame } from '../../src/core/upstream/dialects/legacy.ts';
import { Stream } from '../../src/core/stream/stream.ts';

/** Number `data` lines through a real Stream; returns the frames and their wire JSON. */
function numbered(
  ...data: string[]
): Array<{ frame: ChatResponse; json: Record<string, unknown> }> {
  const out: ChatResponse[] = [];
  const stream = new Stream({ requestId: 'r"1' }, (frame) => out.push(frame));
  for (const d of data) {
    const frame = toFrame({ data: d });
    if (typeof frame === 'object') stream.push(frame);
  }
  return out.map((frame) => {
    const { timestamp, ...json } = JSON.parse(LocalFrame.jsonOf(frame));
    // Every numbered frame carries its numbering time, passed-through text included.
    expect(timestamp).toBe(frame.timestamp);
    return { frame, json };
  });
}

describe('LocalFrame', () => {
  it('serialises to its members only, in the documented order', () => {
    const frame = new LocalFrame('text', { data: 'a' }, 'r1', 3, 1763738400123);
    expect(JSON.stringify(frame)).toBe(
      '{"type":"text","content":{"data":"a"},"request_id":"r1","seq":3,"timestamp":1763738400123}',
    );
    expect(LocalFrame.jsonOf(frame)).toBe(JSON.stringify(frame));
    expect(structuredClone(frame)).toEqual({
      type: 'text',
      content: { data: 'a' },
      request_id: 'r1',
      seq: 3,
      timestamp: 1763738400123,
    });
  });

  it('a spread copy with a changed member does not inherit the cached text', () => {
    const frame = new LocalFrame('text', { data: 'a' }, 'r1', 0, 1);
    LocalFrame.jsonOf(frame);
    const changed = { ...frame, type: 'delta' };
    expect(JSON.parse(LocalFrame.jsonOf(changed))).toEqual({
      type: 'delta',
      content: { data: 'a' },
      request_id: 'r1',
      seq: 0,
      timestamp: 1,
    });
  });

  it('knows its age; frames from elsewhere (plain objects) have age 0', () => {
    expect(LocalFrame.ageMs(new LocalFrame('text', {}, 'r', 0, 1))).toBeGreaterThanOrEqual(0);
    expect(LocalFrame.ageMs({ type: 'text', content: {}, request_id: 'r', seq: 0 })).toBe(0);
  });

  it('comes back from its text as it was (the resume buffer keeps only the text)', () => {
    // A passed-through frame keeps the upstream's spacing; a mapped one is canonical.
    const [passed, mapped] = numbered('{"type": "text", "content": {"a": 1}}', 'plain words');
    for (const entry of [passed, mapped]) {
      const frame = entry?.frame as ChatResponse;
      const json = LocalFrame.jsonOf(frame);
      const back = LocalFrame.fromJson(
        json,
        LocalFrame.numberedAtOf(frame),
        LocalFrame.hasCanonicalJson(frame),
      );
      expect(LocalFrame.isLocal(back)).toBe(true);
      expect(back).toEqual(frame);
      expect(LocalFrame.jsonOf(back)).toBe(json);
      expect(LocalFrame.canonicalJsonOf(back)).toBe(JSON.stringify(frame));
      expect(LocalFrame.numberedAtOf(back)).toBe(LocalFrame.numberedAtOf(frame));
    }
    expect(LocalFrame.hasCanonicalJson(passed?.frame as ChatResponse)).toBe(false);
    expect(LocalFrame.hasCanonicalJson(mapped?.frame as ChatResponse)).toBe(true);
    // A frame from elsewhere comes back as the plain object it was.
    const plain = { type: 'text', content: {}, request_id: 'r', seq: 0, timestamp: 1 };
    const back = LocalFrame.fromJson(JSON.stringify(plain), LocalFrame.numberedAtOf(plain), true);
    expect(LocalFrame.isLocal(back)).toBe(false);
    expect(back).toEqual(plain);
  });
});

describe('upstream JSON pass-through', () => {
  it('sends exactly the members the mapping gives, whatever the key order and spacing', () => {
    const frames = numbered(
      '{"type":"text","content":{"data":"Hel"}}',
      '{ "content" : {"data":"lo"} ,\n "type" : "text" }  ',
      '{"type":"text","content":"x","extra":1}',
      '{"type":"agent_status","status":"thinking"}',
      '{"type":"stop","content":{}}',
    );
    expect(frames.map((f) => f.json)).toEqual([
      { type: 'text', content: { data: 'Hel' }, request_id: 'r"1', seq: 0 },
      { type: 'text', content: { data: 'lo' }, request_id: 'r"1', seq: 1 },
      // Not exactly {type, content}: the mapping keeps only the content, so no pass-through.
      { type: 'text', content: 'x', request_id: 'r"1', seq: 2 },
      { type: 'agent_status', content: { status: 'thinking' }, request_id: 'r"1', seq: 3 },
      { type: 'stop', content: {}, request_id: 'r"1', seq: 4 },
    ]);
    for (const { frame, json } of frames) {
      expect({ ...json, timestamp: frame.timestamp }).toEqual(JSON.parse(JSON.stringify(frame)));
    }
  });

  it('does not pass through an upstream error: error frames are normalised', () => {
    const [error] = numbered('{"type":"error","content":{"detail":"boom"}}');
    expect(error?.json).toEqual({
      type: 'error',
      content: { detail: 'boom', code: 'upstream_error', message: '{"detail":"boom"}' },
      request_id: 'r"1',
      seq: 0,
    });
  });
});
