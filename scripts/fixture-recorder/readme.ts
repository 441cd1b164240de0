/**
 * Rewrites the fixture list in test/fixtures/peers/README.md, between `<!-- fixtures:start -->`
 * and `<!-- fixtures:end -->`, from the headers of the fixtures on disk, so it cannot drift from
 * them (test/core/peer-fixtures.test.ts checks every fixture is listed).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { format } from 'prettier';
import {
  loadAllPeerFixtures,
  PEER_FIXTURES_DIR,
  type PeerFixture,
} from '../../test/helpers/peer-fixtures.ts';

const START = '<!-- fixtures:start -->';
const END = '<!-- fixtures:end -->';
const README = new URL('README.md', PEER_FIXTURES_DIR);

/** The Markdown list: one heading per server with its version, one item per fixture. */
export function toFixtureList(fixtures: PeerFixture[]): string {
  const lines: string[] = [];
  let server = '';
  for (const f of fixtures) {
    if (f.meta.server !== server) {
      server = f.meta.server;
      lines.push('', `### ${server}`, '', `${f.meta.version}.`, '');
    }
    const { method, path } = f.meta.request;
    lines.push(`- \`${f.name}\` (\`${method} ${path}\`): ${f.meta.demonstrates}.`);
  }
  return lines.join('\n');
}

/** Rewrite the list; returns the number of fixtures listed. */
export async function writeFixtureList(): Promise<number> {
  const fixtures = loadAllPeerFixtures();
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md lacks ${START} ... ${END}`);
  const next = `${text.slice(0, start + START.length)}\n${toFixtureList(fixtures)}\n\n${text.slice(end)}`;
  writeFileSync(
    README,
    await format(next, { parser: 'markdown', singleQuote: true, printWidth: 100 }),
  );
  return fixtures.length;
}
