/**
 * The README's "sse2ws as a library" examples are cut from the consumers test/node/package.test.ts
 * runs against the packed tarball: every line of them is a line of those files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli-process.ts';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const section = readme.slice(
  readme.indexOf('\n## sse2ws as a library\n'),
  readme.indexOf('\n## ', readme.indexOf('\n## sse2ws as a library\n') + 1),
);
/** The section's code blocks, in order. */
const blocks = [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => m[2] as string);
const linesOf = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');

describe('README "sse2ws as a library"', () => {
  it.each([
    [0, 'chat.mjs'],
    [1, 'consumer.ts'],
  ])('code block %i is cut from test/consumer/%s', (index, file) => {
    const tested = new Set(
      linesOf(readFileSync(join(REPO_ROOT, 'test', 'consumer', file), 'utf8')),
    );
    const block = blocks[index];
    expect(block).toBeDefined();
    for (const line of linesOf(block as string)) expect(tested, line).toContain(line);
  });

  it('says nothing about running the sources through a loader', () => {
    expect(readme).not.toMatch(/\btsx\b|--loader|--import tsx|ts-node/);
  });
});
