/**
 * The examples of docs/library.md ("sse2ws as a library") are cut from the consumers test/node/package.test.ts
 * runs against the packed tarball: every line of them is a line of those files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli-process.ts';

const doc = readFileSync(join(REPO_ROOT, 'docs', 'library.md'), 'utf8');
/** The document's code blocks, in order. */
const blocks = [...doc.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => m[2] as string);
const linesOf = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');

describe('docs/library.md', () => {
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
    expect(doc).not.toMatch(/\btsx\b|--loader|--import tsx|ts-node/);
  });
});
