/**
 * Options given as values (a library call, a Workers entry): checked through the option table's
 * own parsers, so flags, env vars and code share one validator; unknown and unsupported options
 * are refused, never dropped.
 */
import { defaultOptions } from './resolve.ts';
import { OptionError } from './option-error.ts';
import { OPTION_SPECS, type OptionSpec } from './spec.ts';
import { toSuggestion } from './suggest.ts';
import type { BridgeOptions, EnvSource } from './types.ts';
import { isSwitch } from './usage.ts';
import { fail } from './values.ts';

/**
 * Options an entry point cannot honour, each with what to use instead: given one, the entry point
 * refuses it rather than drop it.
 */
export type UnsupportedOptions = Readonly<Partial<Record<keyof BridgeOptions, string>>>;

/** How {@link toValidatedOptions} treats the keys it is given. */
export interface OptionRules {
  /** The entry point, for messages: `createBridge`. */
  entry: string;
  /** Keys the entry point takes besides the option table's (its runtime pieces: `hooks`, …). */
  extraKeys?: readonly string[];
  /** Options of the table this entry point refuses. */
  unsupported?: UnsupportedOptions;
}

const SPECS_BY_KEY: ReadonlyMap<string, OptionSpec> = new Map(OPTION_SPECS.map((s) => [s.key, s]));

/** The kind of value an option takes in code (the table's parsers take text). */
type ValueKind = 'boolean' | 'number' | 'list' | 'string';

function toValueKind(s: OptionSpec): ValueKind {
  if (isSwitch(s)) return 'boolean';
  if (typeof s.defaultValue === 'number') return 'number';
  if (s.valueName === 'list') return 'list';
  return 'string';
}

const describeType = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;

/**
 * The text a value would be given as on the command line, so the table's own parser checks it:
 * one validator for flags, env vars, Workers vars and library calls.
 */
function toOptionText(s: OptionSpec, value: unknown): string {
  const kind = toValueKind(s);
  const expected =
    kind === 'list' ? 'an array of strings' : kind === 'boolean' ? 'true or false' : `a ${kind}`;
  const wrongType = (): never => fail(s.key, `must be ${expected} (got ${describeType(value)})`);
  switch (kind) {
    case 'boolean':
      return typeof value === 'boolean' ? String(value) : wrongType();
    case 'number':
      return typeof value === 'number' ? String(value) : wrongType();
    case 'string':
      return typeof value === 'string' ? value : wrongType();
    case 'list': {
      if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) wrongType();
      const items = value as string[];
      const joined = items.find((item) => item.includes(','));
      if (joined !== undefined) fail(s.key, `"${joined}" holds a comma: give one item per entry`);
      return items.join(',');
    }
  }
}

/**
 * Resolve options given as values (a library call) through the option table: defaults for what is
 * not given (or given as `undefined`), and each given value checked by its option's parser, as the
 * CLI checks its flags. Keys outside the table (and `extraKeys`) and the entry point's
 * `unsupported` options are refused, never dropped.
 * @throws OptionError naming the option: `invalid_option`, `unknown_option` or `unsupported_option`.
 */
export function toValidatedOptions(
  input: Readonly<Record<string, unknown>>,
  rules: OptionRules,
): BridgeOptions {
  const extra = new Set(rules.extraKeys ?? []);
  const options = defaultOptions() as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(input)) {
    if (extra.has(key)) continue;
    const s = SPECS_BY_KEY.get(key);
    if (!s) {
      const known = [...SPECS_BY_KEY.keys(), ...extra].filter(
        (k) => !(k in (rules.unsupported ?? {})),
      );
      const suggestion = toSuggestion(key, known);
      throw new OptionError(
        `${rules.entry}: unknown option "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`,
        { code: 'unknown_option', option: key },
      );
    }
    if (value === undefined) continue;
    const instead = rules.unsupported?.[s.key];
    if (instead !== undefined) {
      throw new OptionError(`${s.key}: ${rules.entry} does not support it; ${instead}`, {
        code: 'unsupported_option',
        option: key,
      });
    }
    options[s.key] = s.parse(toOptionText(s, value), s.key);
  }
  return options as unknown as BridgeOptions;
}

/**
 * Refuse env vars (or Workers `[vars]`) of options an entry point cannot honour: set, they would
 * silently do nothing.
 * @throws OptionError (`unsupported_option`) naming the variable.
 */
export function refuseUnsupportedEnv(env: EnvSource, rules: OptionRules): void {
  for (const [key, instead] of Object.entries(rules.unsupported ?? {})) {
    const s = SPECS_BY_KEY.get(key);
    if (!s || instead === undefined) continue;
    for (const name of s.env) {
      const raw = env[name];
      if (raw === undefined || raw === null || raw === '') continue;
      throw new OptionError(`${name}: ${rules.entry} does not support it; ${instead}`, {
        code: 'unsupported_option',
        option: name,
      });
    }
  }
}
