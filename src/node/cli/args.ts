/**
 * The `sse2ws` command line: `node:util`'s `parseArgs` splits it into tokens, driven by the core's
 * option table; the table's parsers check each value, as they check env vars and library options.
 */
import { parseArgs } from 'node:util';
import {
  type BridgeOptions,
  defaultOptions,
  type EnvSource,
  type GivenOptionText,
  isSwitch,
  OPTION_SPECS,
  OptionError,
  type OptionSpec,
  toResolvedOptions,
} from '../../core/index.ts';

/** Result of reading command-line arguments. */
export interface ParsedArgs {
  options: BridgeOptions;
  help: boolean;
  /** `--version` / `-v`: print the package version and exit. */
  version: boolean;
}

const SPECS_BY_NAME: ReadonlyMap<string, OptionSpec> = new Map(
  OPTION_SPECS.map((s) => [s.flag.slice(2), s]),
);

/**
 * `parseArgs`'s option config from the table: a switch is a boolean, anything else takes a
 * string. Parsing is not strict: unknown options and misplaced values come back as tokens, so the
 * messages below (the ones the CLI has always printed) say what is wrong.
 */
const PARSE_ARGS_OPTIONS = Object.fromEntries(
  OPTION_SPECS.map((s) => [s.flag.slice(2), { type: isSwitch(s) ? 'boolean' : 'string' }] as const),
);

/**
 * Resolve options: a flag wins over the env var, the env var over the default. With `--help`/`-h`
 * (or `--version`/`-v`) nothing is validated and the defaults come back, so the help shows even
 * under a broken config.
 * @throws OptionError naming the option and the problem.
 */
export function parseOptions(argv: readonly string[], env: EnvSource): ParsedArgs {
  if (argv.some((arg) => arg === '--help' || arg === '-h')) {
    return { options: defaultOptions(), help: true, version: false };
  }
  if (argv.some((arg) => arg === '--version' || arg === '-v')) {
    return { options: defaultOptions(), help: false, version: true };
  }
  return { options: toResolvedOptions(env, toFlagTexts(argv)), help: false, version: false };
}

/**
 * Each option's text from the flags (the last of a repeated flag wins), before any value is
 * checked: a malformed command line is reported before a bad value.
 * @throws OptionError for an unknown option, a missing value, or a value given to `--no-<switch>`.
 */
function toFlagTexts(argv: readonly string[]): Map<keyof BridgeOptions, GivenOptionText> {
  const { tokens } = parseArgs({
    args: [...argv],
    options: PARSE_ARGS_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const texts = new Map<keyof BridgeOptions, GivenOptionText>();
  for (const token of tokens) {
    // A positional, `--` or a short option is no option of the table: said with the argument as typed.
    const unknown = new OptionError(`${argv[token.index]}: unknown option (see --help)`);
    if (token.kind !== 'option' || !token.rawName.startsWith('--')) throw unknown;
    const { name, rawName: flag, value } = token;
    const negated = name.startsWith('no-') ? SPECS_BY_NAME.get(name.slice(3)) : undefined;
    if (negated && isSwitch(negated)) {
      if (value !== undefined) throw new OptionError(`${flag}: takes no value`);
      texts.set(negated.key, { raw: 'false', name: flag });
      continue;
    }
    const s = SPECS_BY_NAME.get(name);
    if (!s) throw unknown;
    if (isSwitch(s)) {
      // A switch never takes the next argument: `--playground false` would read as two options.
      texts.set(s.key, { raw: value ?? 'true', name: flag });
      continue;
    }
    // No option takes a value starting with "--": that is the next flag, not this one's value.
    if (value === undefined || (!token.inlineValue && value.startsWith('--'))) {
      throw new OptionError(`${flag}: missing value`);
    }
    texts.set(s.key, { raw: value, name: flag });
  }
  return texts;
}
