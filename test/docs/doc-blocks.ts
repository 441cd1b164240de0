/**
 * The fenced code blocks of the README, ARCHITECTURE.md and docs/, and a way to run a JavaScript or
 * TypeScript one as it is written: types stripped, `import`s bound to modules the test supplies,
 * the documented addresses pointed at the test's own servers, the functions it leaves to the
 * reader (`append`, `render`, …) supplied as stubs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../helpers/cli-process.ts';

/** Every Markdown file whose examples the docs tests cover, relative to the repository. */
export const DOC_FILES: readonly string[] = [
  'README.md',
  'ARCHITECTURE.md',
  ...readdirSync(join(REPO_ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];

/** One fenced block. */
export interface DocBlock {
  file: string;
  /** The info string (`js`, `json`, `sh`, …), '' for none. */
  lang: string;
  code: string;
}

/** The fenced blocks of one file, in order. */
export function blocksOf(file: string): DocBlock[] {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8');
  return [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    file,
    lang: m[1] as string,
    code: m[2] as string,
  }));
}

/** The block of `file` that contains `text`; throws unless exactly one does. */
export function blockOf(file: string, text: string): DocBlock {
  const found = blocksOf(file).filter((b) => b.code.includes(text));
  if (found.length !== 1) throw new Error(`${file}: ${found.length} blocks contain ${text}`);
  return found[0] as DocBlock;
}

/** The lines of `code` from the one containing `from` (included) to the one containing `to` (excluded). */
export function slice(code: string, from?: string, to?: string): string {
  const lines = code.split('\n');
  const start = from === undefined ? 0 : lines.findIndex((l) => l.includes(from));
  const end = to === undefined ? lines.length : lines.findIndex((l) => l.includes(to));
  if (start === -1 || end === -1) throw new Error(`no line with ${from ?? to}`);
  return lines.slice(start, end).join('\n');
}

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  ...args: string[]
) => (...values: unknown[]) => Promise<unknown>;

/** `import { a, b as c } from 'm'` / `import d from 'm'` as declarations reading `__modules`. */
function bindImports(js: string): string {
  return js.replace(
    /^import\s+(?:(\w+)|\{([^}]*)\})\s+from\s+['"]([^'"]+)['"];?$/gm,
    (_all, name: string | undefined, names: string | undefined, module: string) => {
      const source = `__modules[${JSON.stringify(module)}]`;
      if (name !== undefined) return `const ${name} = ${source}.default;`;
      const bindings = (names as string).replace(/\b(\w+)\s+as\s+(\w+)/g, '$1: $2');
      return `const {${bindings}} = ${source};`;
    },
  );
}

/** How to run one example. */
export interface RunOptions {
  /** Modules its `import`s name. */
  modules?: Record<string, unknown>;
  /** Free names it uses (stubs the reader writes, or values a previous step made). */
  globals?: Record<string, unknown>;
  /** Text replaced before it runs: documented addresses → the test's servers. */
  replace?: Record<string, string>;
  /** A name it declares, returned from the run. */
  returns?: string;
}

/** Run an example's code; resolves with the value of `returns` when given. */
export async function runExample(code: string, options: RunOptions = {}): Promise<unknown> {
  let source = code;
  for (const [from, to] of Object.entries(options.replace ?? {}))
    source = source.split(from).join(to);
  const js = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText;
  const body = bindImports(js)
    .replace(/^export \{\};?$/gm, '')
    .replace(/^export\s+(?=function|const|let|class|async)/gm, '');
  const globals = options.globals ?? {};
  const run = new AsyncFunction(
    '__modules',
    ...Object.keys(globals),
    `${body}\n${options.returns === undefined ? '' : `return ${options.returns};`}`,
  );
  return run(options.modules ?? {}, ...Object.values(globals));
}
