/**
 * `npm run typecheck` checks the Workers sources with Cloudflare's types.
 * Bug: tsconfig.workers.json inherited tsconfig.json's `exclude: ["src/workers"]`, so the Workers
 * type-check checked src/core only and no Workers file.
 */
import { join } from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli-process.ts';

/** The root files a tsconfig gives tsc. */
function rootFiles(config: string): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(REPO_ROOT, config), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error(`cannot read ${config}`);
  return parsed.fileNames.map((f) => f.slice(REPO_ROOT.length));
}

it.each(['tsconfig.workers.json', 'tsconfig.build.workers.json'])(
  '%s takes in every Workers source',
  (config) => {
    const files = rootFiles(config);
    for (const file of ['src/workers/index.ts', 'src/workers/env.ts', 'src/workers/socketio.ts']) {
      expect(files).toContain(file);
    }
  },
);

it('tsconfig.json and tsconfig.build.json leave the Workers sources out (no Cloudflare types there)', () => {
  for (const config of ['tsconfig.json', 'tsconfig.build.json']) {
    expect(rootFiles(config).filter((f) => f.startsWith('src/workers/'))).toEqual([]);
  }
});
