/**
 * Issue 19: "Pass-through must not change a byte of what clients receive, compared with the
 * current output, for every dialect fixture and every profile."
 *
 * Every recording (test/fixtures/peers/*.capture and test/fixtures/dialects/*.sse) is written by a
 * raw TCP upstream to a real bridge, under each format that applies (legacy, auto, and the dialect
 * the recording speaks), and read by raw `/ws` and Socket.IO clients that keep each WebSocket
 * message as text (test/helpers/wire-capture.ts). Two checks:
 *
 * 1. Under the default profile, at several chunkings (whole, one byte per write, seeded random
 *    splits), the chat_response frames clients receive are exactly the plain reference mapping's
 *    (test/helpers/reference-mapping.ts): same JSON text field for field, numbered seq 0, 1, … as
 *    the bridge numbers them; and the wire text is the same at every chunking.
 * 2. Under every built-in profile, the wire text of the whole-body replay equals, byte for byte,
 *    the golden file test/fixtures/wire/<recording>.<protocol>.txt recorded from the code as it
 *    was before the fast path. Only what differs between runs is normalised (normalizeWire: the
 *    request id, `timestamp` values, the ack's random resume_token).
 *
 * Re-record the golden files (after a deliberate change of the wire text, and say why in the
 * commit): UPDATE_WIRE_GOLDEN=1 npx vitest run test/node/fast-path-equivalence.test.ts
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { UpstreamFormat } from '../../src/core/config/upstream-format.ts';
import { BUILTIN_PROFILES } from '../../src/core/session/profiles/builtins.ts';
import {
  referenceFrames,
  toReferenceResponses,
  type RefChatResponse,
} from '../helpers/reference-mapping.ts';
import {
  CHAT_EVENT,
  type Chunking,
  connectRawClient,
  loadWireFixtures,
  normalizeWire,
  randomCuts,
  seededRandom,
  startReplayBridge,
  startReplayUpstream,
  type WireFixture,
  type WireProtocol,
} from '../helpers/wire-capture.ts';

const UPDATE = process.env.UPDATE_WIRE_GOLDEN === '1';
const GOLDEN_DIR = new URL('../fixtures/wire/', import.meta.url);
const PROTOCOLS: WireProtocol[] = ['ws', 'socketio'];
const PROFILES = Object.keys(BUILTIN_PROFILES);
/** Seeded random splittings per recording, format and protocol, through the real sockets. */
const RANDOM_SPLITS = 3;
/** Recordings replayed at once on one bridge (the machine is shared; keep it gentle). */
const CONCURRENCY = 6;

const fixtures = loadWireFixtures();
const formats = [...new Set(fixtures.flatMap((f) => f.formats))];

function chunkingsOf(fixture: WireFixture, format: UpstreamFormat, all: boolean): Chunking[] {
  const whole = { name: 'whole', cuts: [] };
  if (!all) return [whole];
  const random = seededRandom(fixture.body.length * 7 + format.length);
  return [
    whole,
    { name: 'bytewise', cuts: Array.from({ length: fixture.body.length }, (_, i) => i + 1) },
    ...Array.from({ length: RANDOM_SPLITS }, (_, i) => ({
      name: `random${i}`,
      cuts: randomCuts(fixture.body.length, random),
    })),
  ];
}

/** Whole-body wire text, by recording, then protocol, then `profile … format …` section. */
const recorded = new Map<string, Map<WireProtocol, Map<string, string[]>>>();

function record(fixture: string, protocol: WireProtocol, section: string, lines: string[]): void {
  let byProtocol = recorded.get(fixture);
  if (!byProtocol) recorded.set(fixture, (byProtocol = new Map()));
  let sections = byProtocol.get(protocol);
  if (!sections) byProtocol.set(protocol, (sections = new Map()));
  sections.set(section, lines);
}

const sectionName = (profile: string, format: UpstreamFormat): string =>
  `profile ${profile}, format ${format}`;

/** The chat_response payloads among the messages, without their timestamp (checked numeric). */
function chatResponses(protocol: WireProtocol, messages: string[]): unknown[] {
  const out: unknown[] = [];
  for (const text of messages) {
    let event: unknown;
    let data: unknown;
    if (protocol === 'ws') {
      ({ event, data } = JSON.parse(text) as { event: string; data: unknown });
    } else {
      if (!text.startsWith('42[')) continue;
      [event, data] = JSON.parse(text.slice(2)) as [string, unknown];
    }
    if (event !== 'chat_response') continue;
    const { timestamp, ...rest } = data as Record<string, unknown>;
    expect(typeof timestamp, text).toBe('number');
    out.push(rest);
  }
  return out;
}

/** Run `task` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, task: (item: T) => Promise<void>) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
    }),
  );
}

describe.each(PROFILES)('profile %s', (profile) => {
  const all = profile === 'default';
  it.each(formats)(
    all
      ? 'format %s: frames equal the reference at every chunking, on /ws and Socket.IO'
      : 'format %s: records the wire text',
    async (format) => {
      const upstream = await startReplayUpstream(fixtures);
      const bridge = await startReplayBridge(upstream.url, profile, format);
      const mismatches: string[] = [];
      await eachLimited(
        fixtures.filter((f) => f.formats.includes(format)),
        CONCURRENCY,
        async (fixture) => {
          const expected = referenceFrames(fixture.answer, format);
          for (const protocol of PROTOCOLS) {
            const client = await connectRawClient(bridge, protocol, profile);
            let wholeText: string | undefined;
            for (const chunking of chunkingsOf(fixture, format, all)) {
              const requestId = `${fixture.id}.${protocol}.${chunking.name}`;
              const data = { request_id: requestId, fixture: fixture.id, cuts: chunking.cuts };
              const messages = await client.exchange(
                CHAT_EVENT[profile] as string,
                data,
                requestId,
              );
              const where = `${fixture.id} ${format} ${protocol} ${chunking.name}`;
              const text = messages.map((m) => normalizeWire(m, requestId));
              if (chunking.name === 'whole') {
                wholeText = text.join('\n');
                record(fixture.id, protocol, sectionName(profile, format), text);
              } else if (text.join('\n') !== wholeText) {
                mismatches.push(`${where}: wire text differs from the whole-body replay`);
              }
              if (!all) continue;
              const want = toReferenceResponses(expected, requestId).map((r: RefChatResponse) =>
                JSON.stringify(r),
              );
              const got = chatResponses(protocol, messages).map((r) => JSON.stringify(r));
              if (JSON.stringify(got) !== JSON.stringify(want)) {
                mismatches.push(
                  `${where}:\n  got  ${got.join('\n       ')}\n  want ${want.join('\n       ')}`,
                );
              }
            }
          }
        },
      );
      expect(mismatches).toEqual([]);
    },
    120_000,
  );
});

/** The golden file's text for one recording and protocol. */
function goldenText(fixture: string, protocol: WireProtocol): string {
  const sections = recorded.get(fixture)?.get(protocol);
  if (!sections) throw new Error(`${fixture} ${protocol}: nothing recorded (did a replay fail?)`);
  const lines = [
    `# What a raw ${protocol} client received for test/fixtures/ (recording ${fixture}), one`,
    '# WebSocket message per line, from the chat request until the stream ended; written by',
    '# UPDATE_WIRE_GOLDEN=1 npx vitest run test/node/fast-path-equivalence.test.ts.',
    '# Normalised: <request_id>, "timestamp":0, "timestamp":"<now>", "<resume_token>".',
  ];
  for (const [section, messages] of [...sections].sort(([a], [b]) => (a < b ? -1 : 1))) {
    lines.push('', `## ${section}`);
    // A message with a line break in it (an upstream's multi-line JSON passed through) is kept
    // on one line as a JSON string, so one line is always one message.
    for (const m of messages) lines.push(/[\r\n]/.test(m) ? `json-string ${JSON.stringify(m)}` : m);
  }
  return `${lines.join('\n')}\n`;
}

describe('the wire text equals the golden files (test/fixtures/wire/)', () => {
  it.each(fixtures.map((f) => f.id))('%s', (id) => {
    if (UPDATE) mkdirSync(GOLDEN_DIR, { recursive: true });
    for (const protocol of PROTOCOLS) {
      const file = new URL(`${id}.${protocol}.txt`, GOLDEN_DIR);
      const text = goldenText(id, protocol);
      if (UPDATE) writeFileSync(file, text);
      expect(existsSync(file), `${file.pathname} (record with UPDATE_WIRE_GOLDEN=1)`).toBe(true);
      expect(text, `${id}.${protocol}.txt`).toBe(readFileSync(file, 'utf8'));
    }
  });
});
