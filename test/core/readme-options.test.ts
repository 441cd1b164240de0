/**
 * The options table of docs/options.md is generated from OPTION_SPECS (`npm run docs:options`); this fails
 * when someone changes an option without regenerating it.
 */
import { readFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import { describe, expect, it } from 'vitest';
import {
  OPTIONS_END,
  OPTIONS_START,
  readOptionsTable,
  OPTIONS_DOC_PATH,
  renderOptionsTable,
  replaceOptionsTable,
} from '../../scripts/options-table.ts';
import { OPTION_GROUPS } from '../../src/core/config/types.ts';
import { OPTION_SPECS } from '../../src/core/config/spec.ts';
import { toFlagUsage } from '../../src/core/config/usage.ts';

const doc = readFileSync(OPTIONS_DOC_PATH, 'utf8');

describe('docs/options.md options table', () => {
  it('is up to date with OPTION_SPECS (run `npm run docs:options` to fix)', () => {
    expect(readOptionsTable(doc)).toBe(renderOptionsTable());
    expect(replaceOptionsTable(doc, renderOptionsTable())).toBe(doc);
  });

  it('sits under "# Options", once, before any other section', () => {
    expect(doc.split(OPTIONS_START)).toHaveLength(2);
    expect(doc.split(OPTIONS_END)).toHaveLength(2);
    expect(doc.startsWith('# Options\n')).toBe(true);
    const next = doc.indexOf('\n## ');
    expect(doc.indexOf(OPTIONS_END)).toBeLessThan(next === -1 ? Infinity : next);
  });

  it('has a row per option with its flag, env vars and group', () => {
    const rows = renderOptionsTable().split('\n').slice(2);
    expect(rows).toHaveLength(OPTION_SPECS.length);
    OPTION_SPECS.forEach((s, i) => {
      const row = rows[i] as string;
      expect(row).toContain(`\`${toFlagUsage(s)}\``);
      for (const env of s.env) expect(row).toContain(`\`${env}\``);
      expect(row).toContain(s.help);
    });
    for (const group of OPTION_GROUPS) {
      expect(rows.filter((r) => r.startsWith(`| **${group}**`))).toHaveLength(1);
    }
  });

  it('renders as Prettier formats it, so `prettier --check` and this test agree', async () => {
    const table = renderOptionsTable();
    const config = (await resolveConfig(OPTIONS_DOC_PATH)) ?? {};
    expect(await format(table, { ...config, parser: 'markdown' })).toBe(`${table}\n`);
  });

  it('escapes a pipe in a description and keeps the text around the markers', () => {
    const spec = { ...(OPTION_SPECS[0] as (typeof OPTION_SPECS)[number]), help: 'a | b' };
    expect(renderOptionsTable([spec])).toContain('a \\| b');
    const doc = `intro\n${OPTIONS_START}\nold\n${OPTIONS_END}\noutro\n`;
    expect(replaceOptionsTable(doc, 'T')).toBe(
      `intro\n${OPTIONS_START}\n\nT\n\n${OPTIONS_END}\noutro\n`,
    );
    expect(() => replaceOptionsTable('no markers', 'T')).toThrow(/markers/);
  });
});
