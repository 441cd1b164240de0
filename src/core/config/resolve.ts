/**
 * Options from text: the defaults, then env vars (or Workers `[vars]`), then what a runtime read
 * from its own source (the Node CLI's flags), each checked by its option's parser.
 */
import { OPTION_SPECS } from './spec.ts';
import type { BridgeOptions, EnvSource } from './types.ts';

/** Options with every default applied. */
export function defaultOptions(): BridgeOptions {
  const entries = OPTION_SPECS.map((s) => [
    s.key,
    Array.isArray(s.defaultValue) ? [...s.defaultValue] : s.defaultValue,
  ]);
  return Object.fromEntries(entries) as BridgeOptions;
}

/** An option's text as given outside the env, with the name it was given under (`--port`). */
export interface GivenOptionText {
  raw: string;
  name: string;
}

/**
 * Resolve options from text: a given text (a flag) wins over the env var, the env var (first of
 * an option's names that is set and not empty) over the default.
 * @throws OptionError naming the option as given and the problem.
 */
export function toResolvedOptions(
  env: EnvSource,
  given: ReadonlyMap<keyof BridgeOptions, GivenOptionText> = new Map(),
): BridgeOptions {
  const options = defaultOptions() as unknown as Record<string, unknown>;
  for (const s of OPTION_SPECS) {
    const text = given.get(s.key);
    if (text !== undefined) {
      options[s.key] = s.parse(text.raw, text.name);
      continue;
    }
    for (const name of s.env) {
      const raw = env[name];
      if (raw === undefined || raw === null || raw === '') continue;
      options[s.key] = s.parse(String(raw), name);
      break;
    }
  }
  return options as unknown as BridgeOptions;
}
