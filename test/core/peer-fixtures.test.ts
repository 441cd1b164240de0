/**
 * The peer fixture corpus (test/fixtures/peers/, recorded by `npm run fixtures:record`) loads:
 * every file parses, its framing agrees with its header, and the README lists it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listPeerFixtures, loadPeerFixture, PEER_FIXTURES_DIR } from '../helpers/peer-fixtures.ts';

const names = listPeerFixtures();
const readme = readFileSync(new URL('README.md', PEER_FIXTURES_DIR), 'utf8');

describe('peer fixtures', () => {
  it('cover the servers issue 15 names', () => {
    const servers = new Set(names.map((n) => loadPeerFixture(n).meta.server));
    for (const server of [
      'flask',
      'starlette',
      'hono',
      'better-sse',
      'ai-sdk',
      'openai-mock-llm',
      'nchan',
    ]) {
      expect(servers).toContain(server);
    }
  });

  it.each(names)('%s parses', (name) => {
    const fixture = loadPeerFixture(name);
    const { meta, head, body } = fixture;
    expect(name).toBe(`${meta.server}-${meta.case}.capture`);
    expect(meta.version).not.toBe('');
    expect(meta.request.path).toMatch(/^\//);
    expect(body.length).toBeGreaterThan(0);
    expect(fixture.abrupt).toBe(meta.ending === 'abrupt');
    const type = head.headers.get('content-type') ?? '';
    if (meta.eventStream) {
      expect(head.status).toBe(200);
      expect(type).toMatch(/^text\/event-stream/);
      expect(new TextDecoder().decode(body)).toMatch(/^data:/m);
    } else {
      expect(head.status).toBeGreaterThanOrEqual(400);
      expect(type).not.toMatch(/^text\/event-stream/);
    }
    expect(readme).toContain(`\`${name}\``);
  });

  it('keep body bytes apart from transfer framing', () => {
    const chunked = loadPeerFixture('flask-legacy-answer.capture');
    expect(chunked.head.headers.get('transfer-encoding')).toBe('chunked');
    expect(new TextDecoder().decode(chunked.body)).toBe(
      [
        'data: {"type": "text", "content": {"data": "Hel"}}',
        'data: {"type": "text", "content": {"data": "lo"}}',
        'data: {"type": "stop", "content": {"reason": "done"}}',
        '',
      ].join('\n\n'),
    );
  });
});
