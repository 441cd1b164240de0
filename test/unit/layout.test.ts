/**
 * The layout's dependency rules (.dependency-cruiser.cjs, run by `npm run lint:deps` in `npm
 * test`) catch what they are for: a core layer importing one above it, an adapter reaching past
 * src/core/index.ts, and an import cycle made of type-only imports. Each case is a small tree in a
 * temporary folder, cruised with the project's own rules.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const depcruise = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Cruise a tree of files (path -> source) with the project's rules; the violations' rule names. */
function cruise(files: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'sse2ws-layout-'));
  dirs.push(dir);
  copyFileSync(join(root, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { allowImportingTsExtensions: true, noEmit: true } }),
  );
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), source);
  }
  const out = execFileSync(
    process.execPath,
    [depcruise, '--config', '.dependency-cruiser.cjs', '--output-type', 'json', 'src'],
    { cwd: dir, encoding: 'utf8' },
  );
  const result = JSON.parse(out) as { summary: { violations: Array<{ rule: { name: string } }> } };
  return result.summary.violations.map((v) => v.rule.name).sort();
}

describe('the layout rules', () => {
  it('pass a tree that keeps them', () => {
    expect(
      cruise({
        'src/core/internal/ids.ts': 'export const id = 1;\n',
        'src/core/session/session.ts':
          "import { id } from '../internal/ids.ts';\nexport const s = id;\n",
        'src/core/index.ts': "export { s } from './session/session.ts';\n",
        'src/node/server.ts': "import { s } from '../core/index.ts';\nexport const n = s;\n",
      }),
    ).toEqual([]);
  });

  it('refuse a lower layer importing a higher one', () => {
    expect(
      cruise({
        'src/core/internal/ids.ts':
          "import { s } from '../session/session.ts';\nexport const id = s;\n",
        'src/core/session/session.ts': 'export const s = 1;\n',
      }),
    ).toEqual(['core-internal-layer']);
  });

  it('refuse an adapter importing a core file other than the entry', () => {
    expect(
      cruise({
        'src/core/session/session.ts': 'export const s = 1;\n',
        'src/workers/index.ts':
          "import { s } from '../core/session/session.ts';\nexport const w = s;\n",
      }),
    ).toEqual(['adapters-use-core-entry']);
  });

  it('refuse a cycle of type-only imports', () => {
    expect(
      cruise({
        'src/core/stream/a.ts': "import type { B } from './b.ts';\nexport type A = B | 1;\n",
        'src/core/stream/b.ts': "import type { A } from './a.ts';\nexport type B = A | 2;\n",
      }),
    ).toEqual(['no-circular']);
  });
});
