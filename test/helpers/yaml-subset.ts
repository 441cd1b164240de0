/**
 * A reader for the YAML subset the deploy/ manifests use (the repository has no YAML library):
 * block mappings and sequences, `- key: value` items, plain and quoted scalars, `[a, b]` lists of
 * scalars, comments and `---` documents. Anything else throws, so a manifest that leaves the
 * subset fails its test loudly instead of being misread.
 */

/** A parsed YAML value. */
export type YamlValue =
  string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  indent: number;
  text: string;
  no: number;
}

const KEY = /^([^\s:'"#[\]{}-][^:]*?|-[^\s:][^:]*?):(?:\s+(.*))?$/;

/** The line without a trailing comment (a `#` at the start or after a space, outside quotes). */
function stripComment(raw: string): string {
  let quote: string | undefined;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || raw[i - 1] === ' ')) {
      return raw.slice(0, i).trimEnd();
    }
  }
  return raw.trimEnd();
}

function fail(line: Line | undefined, problem: string): never {
  throw new Error(`YAML subset, line ${line?.no ?? 'end'}: ${problem}`);
}

function parseScalar(text: string, line: Line): YamlValue {
  if (text.startsWith('"')) return JSON.parse(text) as string;
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) fail(line, `unterminated ${text}`);
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) fail(line, `unterminated ${text}`);
    const inner = text.slice(1, -1).trim();
    return inner === '' ? [] : inner.split(',').map((item) => parseScalar(item.trim(), line));
  }
  if (/^[|>{&*!%@`]/.test(text)) fail(line, `unsupported value ${text}`);
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'null' || text === '~') return null;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

function parseBlock(lines: Line[], pos: { i: number }, indent: number): YamlValue {
  const first = lines[pos.i];
  if (first === undefined) return null;
  return first.text === '-' || first.text.startsWith('- ')
    ? parseSequence(lines, pos, indent)
    : parseMapping(lines, pos, indent);
}

function parseSequence(lines: Line[], pos: { i: number }, indent: number): YamlValue[] {
  const items: YamlValue[] = [];
  for (let line = lines[pos.i]; line && line.indent === indent; line = lines[pos.i]) {
    if (!(line.text === '-' || line.text.startsWith('- '))) fail(line, 'expected a "- " item');
    const rest = line.text.slice(1).trimStart();
    if (rest === '') {
      pos.i++;
      const next = lines[pos.i];
      if (!next || next.indent <= indent) fail(next, 'empty item');
      items.push(parseBlock(lines, pos, next.indent));
    } else if (KEY.test(rest)) {
      // "- key: value": a mapping whose keys line up with "key".
      const column = indent + line.text.length - rest.length;
      lines[pos.i] = { ...line, indent: column, text: rest };
      items.push(parseMapping(lines, pos, column));
    } else {
      items.push(parseScalar(rest, line));
      pos.i++;
    }
  }
  return items;
}

function parseMapping(lines: Line[], pos: { i: number }, indent: number): YamlValue {
  const map: { [key: string]: YamlValue } = {};
  for (let line = lines[pos.i]; line && line.indent === indent; line = lines[pos.i]) {
    const match = KEY.exec(line.text);
    if (!match) fail(line, `expected "key: value", got ${line.text}`);
    const key = match[1] as string;
    if (key in map) fail(line, `duplicate key ${key}`);
    pos.i++;
    if (match[2] !== undefined && match[2] !== '') {
      map[key] = parseScalar(match[2], line);
      continue;
    }
    const next = lines[pos.i];
    map[key] = next && next.indent > indent ? parseBlock(lines, pos, next.indent) : null;
  }
  const next = lines[pos.i];
  if (next && next.indent > indent) fail(next, 'unexpected indentation');
  return map;
}

/** Every document of `source`, in order. */
export function parseYamlDocuments(source: string): YamlValue[] {
  const docs: Line[][] = [[]];
  source.split('\n').forEach((raw, i) => {
    const text = stripComment(raw);
    if (text.trim() === '') return;
    if (text === '---') {
      docs.push([]);
      return;
    }
    if (/^\s*\t/.test(text)) fail({ indent: 0, text, no: i + 1 }, 'tab indentation');
    const indent = text.length - text.trimStart().length;
    docs[docs.length - 1]?.push({ indent, text: text.trim(), no: i + 1 });
  });
  return docs
    .filter((lines) => lines.length > 0)
    .map((lines) => {
      const pos = { i: 0 };
      const value = parseBlock(lines, pos, (lines[0] as Line).indent);
      if (pos.i < lines.length) fail(lines[pos.i], 'unexpected line');
      return value;
    });
}
