/**
 * Issue 19's safety net, in process: every recording (test/fixtures/peers/ and
 * test/fixtures/dialects/) relayed by the real relay (test/helpers/relay.ts) at every byte
 * boundary (under auto), byte by byte and at seeded random splits, must give exactly the frames of the plain
 * reference mapping (test/helpers/reference-mapping.ts), JSON text for JSON text. The same through
 * a real bridge and real sockets, with the wire text pinned byte for byte, is
 * test/node/fast-path-equivalence.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { UpstreamFormat } from '../../src/core/config/upstream-format.ts';
import { referenceFrames, type RefFrame } from '../helpers/reference-mapping.ts';
import { relayBody } from '../helpers/relay.ts';
import {
  loadWireFixtures,
  randomCuts,
  seededRandom,
  type WireFixture,
} from '../helpers/wire-capture.ts';

const ALL_FORMATS: UpstreamFormat[] = ['legacy', 'auto', 'openai', 'anthropic', 'ai-sdk', 'event'];
/** Seeded random splittings per recording and format (the same on every run). */
const RANDOM_SPLITS = 8;

const fixtures = loadWireFixtures();

/** A frame list as the JSON texts a client would be sent (key order included). */
const asJson = (frames: readonly RefFrame[]): string[] =>
  frames.map(({ type, content }) => JSON.stringify({ type, content }));

async function relayed(fixture: WireFixture, format: UpstreamFormat, splits?: number[]) {
  const { frames } = await relayBody(fixture.body, format, {
    headers: fixture.answer.headers,
    status: fixture.answer.status,
    abrupt: fixture.answer.failed,
    ...(splits ? { splits } : { chunkBytes: fixture.body.length + 1 }),
  });
  return asJson(frames);
}

describe.each(fixtures.map((f) => [f.id, f] as const))('%s', (_id, fixture) => {
  it.each(fixture.formats)(
    'maps like the reference whole, byte by byte, at random splits and (auto) at every byte boundary (%s)',
    async (format) => {
      const expected = asJson(referenceFrames(fixture.answer, format));
      expect(await relayed(fixture, format), 'whole').toEqual(expected);
      const bytewise = Array.from({ length: fixture.body.length }, (_, i) => i + 1);
      expect(await relayed(fixture, format, bytewise), 'byte by byte').toEqual(expected);
      // Every single split under auto only (the default, and the path with the most state: held
      // events and detection); the time it costs is kept for the real-socket replays.
      for (let cut = 1; format === 'auto' && cut < fixture.body.length; cut++) {
        expect(await relayed(fixture, format, [cut]), `split at byte ${cut}`).toEqual(expected);
      }
      const random = seededRandom(fixture.body.length * 31 + format.length);
      for (let i = 0; i < RANDOM_SPLITS; i++) {
        const cuts = randomCuts(fixture.body.length, random);
        expect(await relayed(fixture, format, cuts), `split at ${cuts.join(',')}`).toEqual(
          expected,
        );
      }
    },
  );

  it('maps like the reference under every format, whole and byte by byte', async () => {
    const bytewise = Array.from({ length: fixture.body.length }, (_, i) => i + 1);
    for (const format of ALL_FORMATS) {
      const expected = asJson(referenceFrames(fixture.answer, format));
      expect(await relayed(fixture, format), `${format}, whole`).toEqual(expected);
      expect(await relayed(fixture, format, bytewise), `${format}, byte by byte`).toEqual(expected);
    }
  });
});

describe('the reference mapping itself', () => {
  // The reference is only worth something if it is not vacuous: spot-check it against the
  // expectations written by hand in test/core/peer-replay.test.ts and dialects.test.ts.
  const byId = (id: string) => fixtures.find((f) => f.id === id) as WireFixture;

  it('maps a legacy answer, an OpenAI error and an Anthropic answer as the docs say', () => {
    expect(referenceFrames(byId('flask-legacy-answer').answer, 'auto')).toEqual([
      { type: 'text', content: { data: 'Hel' } },
      { type: 'text', content: { data: 'lo' } },
      { type: 'stop', content: { reason: 'done' } },
    ]);
    expect(referenceFrames(byId('openai-mock-llm-rate-limit-error').answer, 'auto')).toEqual([
      {
        type: 'error',
        content: expect.objectContaining({ code: 'rate_limit_exceeded', type: 'requests' }),
      },
      { type: 'stop', content: { reason: 'error' } },
    ]);
    const anthropic = referenceFrames(byId('dialect-anthropic').answer, 'anthropic');
    expect(anthropic.map((f) => f.type)).toContain('thinking');
    expect(anthropic.at(-1)?.type).toBe('stop');
    expect(referenceFrames(byId('nchan-abrupt').answer, 'auto').at(-1)).toEqual({
      type: 'stop',
      content: { reason: 'complete' },
    });
    expect(referenceFrames(byId('flask-abrupt').answer, 'auto').slice(-2)).toEqual([
      {
        type: 'error',
        content: { code: 'upstream_closed', message: 'upstream closed the connection mid-stream' },
      },
      { type: 'stop', content: { reason: 'error' } },
    ]);
  });

  it('ends every mapping with exactly one stop', () => {
    for (const fixture of fixtures) {
      for (const format of ALL_FORMATS) {
        const frames = referenceFrames(fixture.answer, format);
        expect(
          frames.filter((f) => f.type === 'stop'),
          `${fixture.id} ${format}`,
        ).toHaveLength(1);
        expect(frames.at(-1)?.type).toBe('stop');
      }
    }
  });
});
