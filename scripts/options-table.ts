/**
 * `npm run docs:options`: renders the options table of docs/options.md from `OPTION_SPECS`, between
 * the `<!-- options:start -->` and `<!-- options:end -->` markers, so the docs cannot drift from the
 * flags, env vars and defaults the code reads. test/core/doc-options.test.ts fails when it has.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isSwitch, toDefaultText, toFlagUsage } from '../src/core/config/usage.ts';
import { OPTION_SPECS, type OptionSpec } from '../src/core/config/spec.ts';

/** The line before the generated table. */
export const OPTIONS_START = '<!-- options:start -->';
/** The line after the generated table. */
export const OPTIONS_END = '<!-- options:end -->';
/** The document the table lives in. */
export const OPTIONS_DOC_PATH = fileURLToPath(new URL('../docs/options.md', import.meta.url));

const HEADER = ['Group', 'Flag', 'Env var', 'Default', 'Description'] as const;

/** Text safe inside a table cell: a pipe would end the cell. */
const toCellText = (text: string): string => text.replace(/\|/g, '\\|');
const code = (text: string): string => `\`${text}\``;

function toRow(s: OptionSpec, firstOfGroup: boolean): string[] {
  const env = s.env.map(code).join(' or ');
  return [
    firstOfGroup ? `**${s.group}**` : '',
    code(toFlagUsage(s)),
    isSwitch(s) ? `${env} (true/false)` : env,
    s.defaultValue === undefined ? toDefaultText(s) : code(toDefaultText(s)),
    toCellText(s.help),
  ];
}

/** The options table as Prettier formats Markdown: cells padded to their column's width. */
export function renderOptionsTable(specs: readonly OptionSpec[] = OPTION_SPECS): string {
  const rows = specs.map((s, i) => toRow(s, i === 0 || specs[i - 1]?.group !== s.group));
  const widths = HEADER.map((h, col) =>
    Math.max(3, h.length, ...rows.map((r) => (r[col] as string).length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, col) => c.padEnd(widths[col] as number)).join(' | ')} |`;
  return [line(HEADER), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * `doc` with the text between the markers replaced by `table`.
 * @throws Error when the markers are missing or out of order.
 */
export function replaceOptionsTable(doc: string, table: string): string {
  const start = doc.indexOf(OPTIONS_START);
  const end = doc.indexOf(OPTIONS_END);
  if (start === -1 || end === -1 || end < start) {
    throw new Error(
      `docs/options.md needs the ${OPTIONS_START} and ${OPTIONS_END} markers, in order`,
    );
  }
  return `${doc.slice(0, start + OPTIONS_START.length)}\n\n${table}\n\n${doc.slice(end)}`;
}

/** The table currently between the markers. */
export function readOptionsTable(doc: string): string {
  const start = doc.indexOf(OPTIONS_START);
  const end = doc.indexOf(OPTIONS_END);
  if (start === -1 || end === -1 || end < start) return '';
  return doc.slice(start + OPTIONS_START.length, end).trim();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const before = readFileSync(OPTIONS_DOC_PATH, 'utf8');
  const after = replaceOptionsTable(before, renderOptionsTable());
  if (after !== before) writeFileSync(OPTIONS_DOC_PATH, after);
  process.stdout.write(
    `docs/options.md options table ${after === before ? 'already up to date' : 'updated'}\n`,
  );
}
